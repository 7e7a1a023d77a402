"""Settings, read once at start-up from the environment (and ``.env``) and passed down.

Nothing here runs at import time. A bad value stops start-up with one line naming the variable
and saying what it should be: an admin should never have to read a traceback to fix a typo.
Every variable is documented in ``config.example.env``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.discord_settings import DiscordSettings, discord_from_env
from bot.errors import ConfigError
from bot.slack_settings import SlackSettings, secret_key_from_env, slack_from_env
from bot.timezones import resolve_timezone

KNOWN_PLATFORMS = ("console", "slack", "discord")
# Platforms whose adapters this version ships. The others are recognised so that a setting
# naming them gets an honest "not in this version" rather than "unknown".
AVAILABLE_PLATFORMS = ("console", "slack", "discord")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
ENV_VARIABLES = (
    "DATABASE_URL",
    "COPBOT_PLATFORMS",
    "COPBOT_DEFAULT_TIMEZONE",
    "COPBOT_LOG_LEVEL",
    "COPBOT_MISFIRE_GRACE_SECONDS",
    "DISCORD_TOKEN",
    "DISCORD_APPLICATION_ID",
    "DISCORD_API_URL",
    "DISCORD_SHARDS",
    "DISCORD_FACILITATOR_ROLE",
    "DISCORD_MESSAGE_CONTENT",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_API_URL",
    "PORT",
    "COPBOT_SECRET_KEY",
)
"""Every variable copbot reads; a test checks that config.example.env documents each."""
DEFAULT_DATABASE_URL = "sqlite:///copbot.db"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_LOG_LEVEL = "INFO"
DEFAULT_MISFIRE_GRACE_SECONDS = 6 * 3600
MAX_MISFIRE_GRACE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    platforms: tuple[str, ...] = ()  # empty: start whatever is configured (the console today)
    default_timezone: str = DEFAULT_TIMEZONE
    log_level: str = DEFAULT_LOG_LEVEL
    console_workspace: str = "console"
    # How late a scheduled post may still go out after copbot was down at its due time.
    misfire_grace_seconds: int = DEFAULT_MISFIRE_GRACE_SECONDS
    discord: DiscordSettings | None = None  # None: Discord is not configured
    slack: SlackSettings | None = None  # None: Slack is not configured
    # Encrypts platform tokens at rest (bot/slack_settings.py says what it accepts).
    secret_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Validate every variable; raise ConfigError naming the first bad one."""
        platforms = _platforms(env.get("COPBOT_PLATFORMS", "").strip())
        return cls(
            database_url=_database_url(env.get("DATABASE_URL", "").strip()),
            platforms=platforms,
            default_timezone=_timezone(env.get("COPBOT_DEFAULT_TIMEZONE", "").strip()),
            log_level=_log_level(env.get("COPBOT_LOG_LEVEL", "").strip()),
            misfire_grace_seconds=_misfire_grace(
                env.get("COPBOT_MISFIRE_GRACE_SECONDS", "").strip()
            ),
            discord=discord_from_env(env, platforms),
            slack=slack_from_env(env, platforms),
            secret_key=secret_key_from_env(env),
        )

    @property
    def redacted_database_url(self) -> str:
        """The URL with any password hidden, for logs and messages."""
        return make_url(self.database_url).render_as_string(hide_password=True)


def _database_url(raw: str) -> str:
    if not raw:
        return DEFAULT_DATABASE_URL
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL",
            "is not a database URL; use sqlite:///copbot.db or "
            "postgresql://user:password@host:5432/dbname",
        ) from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError(
            "DATABASE_URL", f"names '{backend}'; copbot supports sqlite and postgresql"
        )
    if backend == "sqlite" and url.database and url.database != ":memory:":
        folder = Path(url.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise ConfigError("DATABASE_URL", f"the folder {folder} does not exist")
    if backend in ("postgresql", "postgres") and not url.database:
        raise ConfigError("DATABASE_URL", "names no database; add /dbname at the end")
    return raw


def _platforms(raw: str) -> tuple[str, ...]:
    if not raw or raw.lower() == "auto":
        return ()
    names = tuple(dict.fromkeys(p.strip().lower() for p in raw.split(",") if p.strip()))
    for name in names:
        if name not in KNOWN_PLATFORMS:
            raise ConfigError(
                "COPBOT_PLATFORMS",
                f"unknown platform '{name}'; choose from {', '.join(KNOWN_PLATFORMS)} or auto",
            )
        if name not in AVAILABLE_PLATFORMS:
            raise ConfigError(
                "COPBOT_PLATFORMS",
                f"the {name} adapter is not part of this version of copbot yet; "
                f"use {', '.join(AVAILABLE_PLATFORMS)} or auto",
            )
    return names


def _timezone(raw: str) -> str:
    if not raw:
        return DEFAULT_TIMEZONE
    zone = resolve_timezone(raw)
    if zone is None:
        raise ConfigError(
            "COPBOT_DEFAULT_TIMEZONE",
            f"'{raw}' is not an IANA time zone; use a name such as Europe/Berlin or UTC",
        )
    return zone


def _log_level(raw: str) -> str:
    if not raw:
        return DEFAULT_LOG_LEVEL
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ConfigError("COPBOT_LOG_LEVEL", f"'{raw}' is not one of {', '.join(LOG_LEVELS)}")
    return level


def _misfire_grace(raw: str) -> int:
    if not raw:
        return DEFAULT_MISFIRE_GRACE_SECONDS
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_MISFIRE_GRACE_SECONDS:
        raise ConfigError(
            "COPBOT_MISFIRE_GRACE_SECONDS",
            f"'{raw}' is not a number of seconds from 1 to {MAX_MISFIRE_GRACE_SECONDS} "
            f"(a week); the default is {DEFAULT_MISFIRE_GRACE_SECONDS} (6 hours)",
        )
    return int(raw)
