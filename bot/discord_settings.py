"""Discord's settings, validated at start-up like every other variable.

Present only when ``DISCORD_TOKEN`` is set; ``COPBOT_PLATFORMS=discord`` without a token is an
error rather than a silent console. The token is kept out of ``repr`` and never echoed back in
an error, so logging the settings or a bad value can never print it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.errors import ConfigError

DEFAULT_DISCORD_API_URL = "https://discord.com/api"


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    """The Discord adapter's settings; present only when ``DISCORD_TOKEN`` is set.

    ``shards``: None runs one gateway connection (discord.Client); 0 lets Discord recommend the
    shard count (AutoShardedClient); N > 0 runs N shards. ``facilitator_role`` is a role id or
    name whose holders are facilitators. The token is left out of ``repr`` so that logging the
    settings can never print it.
    """

    token: str = field(repr=False)
    application_id: int | None = None
    api_url: str = DEFAULT_DISCORD_API_URL
    shards: int | None = None
    facilitator_role: str | None = None
    message_content: bool = False


def discord_from_env(env: Mapping[str, str], platforms: tuple[str, ...]) -> DiscordSettings | None:
    token = env.get("DISCORD_TOKEN", "").strip()
    if not token:
        if "discord" in platforms:
            raise ConfigError("DISCORD_TOKEN", "is required when COPBOT_PLATFORMS includes discord")
        return None
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or any(c.isspace() for c in token):
        raise ConfigError(
            "DISCORD_TOKEN",
            "does not look like a bot token (three parts separated by dots); copy it from "
            "the Bot page of your application in the Discord developer portal",
        )
    raw_id = env.get("DISCORD_APPLICATION_ID", "").strip()
    if raw_id and not (raw_id.isdigit() and 15 <= len(raw_id) <= 21):
        raise ConfigError(
            "DISCORD_APPLICATION_ID",
            "must be the numeric application id from the developer portal's General Information",
        )
    api_url = env.get("DISCORD_API_URL", "").strip().rstrip("/") or DEFAULT_DISCORD_API_URL
    if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", api_url) or api_url.endswith(
        ("/v9", "/v10")
    ):
        raise ConfigError(
            "DISCORD_API_URL",
            f"'{api_url}' is not an API base URL; use {DEFAULT_DISCORD_API_URL} "
            "(without a version) or your staging server's equivalent",
        )
    shards_raw = env.get("DISCORD_SHARDS", "").strip().lower()
    shards: int | None
    if shards_raw in ("", "off"):
        shards = None
    elif shards_raw == "auto":
        shards = 0
    elif shards_raw.isdigit() and int(shards_raw) >= 1:
        shards = int(shards_raw)
    else:
        raise ConfigError(
            "DISCORD_SHARDS", f"'{shards_raw}' is not off, auto or a number of shards (1 or more)"
        )
    role = env.get("DISCORD_FACILITATOR_ROLE", "").strip().lstrip("@") or None
    if role is not None and len(role) > 100:
        raise ConfigError(
            "DISCORD_FACILITATOR_ROLE", "is longer than a Discord role name (100 characters)"
        )
    content_raw = env.get("DISCORD_MESSAGE_CONTENT", "").strip().lower()
    if content_raw not in ("", "on", "off"):
        raise ConfigError("DISCORD_MESSAGE_CONTENT", f"'{content_raw}' is not on or off")
    return DiscordSettings(
        token=token,
        application_id=int(raw_id) if raw_id else None,
        api_url=api_url,
        shards=shards,
        facilitator_role=role,
        message_content=content_raw == "on",
    )
