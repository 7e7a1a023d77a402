"""Slack's settings and copbot's secret key, validated at start-up like every other variable.

Which Slack mode runs is decided by configuration alone:

- ``oauth``: ``SLACK_CLIENT_ID`` + ``SLACK_CLIENT_SECRET`` + ``SLACK_SIGNING_SECRET`` (and
  ``COPBOT_SECRET_KEY``, because installations' tokens are stored encrypted): many workspaces
  install copbot through ``/slack/install``;
- ``socket``: ``SLACK_APP_TOKEN`` + ``SLACK_BOT_TOKEN``: one workspace over Socket Mode, for teams
  with no public URL;
- ``http``: ``SLACK_BOT_TOKEN`` + ``SLACK_SIGNING_SECRET``: one workspace over HTTP on ``PORT``.

Secrets are kept out of ``repr`` so that logging the settings can never print them, and a bad
value names its variable without echoing the secret back.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.errors import ConfigError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
MIN_PASSPHRASE = 32
"""A COPBOT_SECRET_KEY that is not a Fernet key must be at least this long: it is stretched
with scrypt, but a short passphrase stays guessable whatever the KDF."""

_SIGNING_SECRET = re.compile(r"^[A-Za-z0-9]{16,128}$")
_CLIENT_ID = re.compile(r"^\d+\.\d+$")
_CLIENT_SECRET = re.compile(r"^[A-Za-z0-9]{16,128}$")
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")


@dataclass(frozen=True, slots=True)
class SlackSettings:
    """How copbot talks to Slack; present only when Slack is configured."""

    mode: str  # "http", "socket" or "oauth"
    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_SLACK_API_URL
    port: int = DEFAULT_PORT

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for the log redactor."""
        values = (self.bot_token, self.signing_secret, self.app_token, self.client_secret)
        return tuple(v for v in values if v)


def slack_from_env(env: Mapping[str, str], platforms: tuple[str, ...] = ()) -> SlackSettings | None:
    """The Slack settings, or None when no Slack variable is set; ConfigError on a bad one."""

    def get(name: str) -> str:
        return env.get(name, "").strip()

    bot_token, app_token = get("SLACK_BOT_TOKEN"), get("SLACK_APP_TOKEN")
    signing_secret = get("SLACK_SIGNING_SECRET")
    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    api_url = _api_url(get("SLACK_API_URL"))
    port = _port(get("PORT"))

    if bot_token and not re.fullmatch(r"xoxb-[A-Za-z0-9-]+", bot_token):
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "is not a bot token (it starts with xoxb-); copy the Bot User OAuth Token from "
            "your app's OAuth & Permissions page",
        )
    if app_token and not re.fullmatch(r"xapp-[A-Za-z0-9-]+", app_token):
        raise ConfigError(
            "SLACK_APP_TOKEN",
            "is not an app-level token (it starts with xapp-); create one with the "
            "connections:write scope under Basic Information > App-Level Tokens",
        )
    if signing_secret and not _SIGNING_SECRET.fullmatch(signing_secret):
        raise ConfigError(
            "SLACK_SIGNING_SECRET",
            "does not look like a signing secret (letters and digits); copy it from Basic "
            "Information > App Credentials",
        )
    if client_id and not _CLIENT_ID.fullmatch(client_id):
        raise ConfigError(
            "SLACK_CLIENT_ID", "is not a client id (digits.digits, from App Credentials)"
        )
    if client_secret and not _CLIENT_SECRET.fullmatch(client_secret):
        raise ConfigError(
            "SLACK_CLIENT_SECRET", "does not look like a client secret (from App Credentials)"
        )

    if client_id or client_secret:
        return _oauth(env, bot_token, app_token, signing_secret, client_id, client_secret, api_url)
    if app_token:
        if not bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN", "is required with SLACK_APP_TOKEN (Socket Mode needs both)"
            )
        return SlackSettings(
            mode="socket",
            bot_token=bot_token,
            app_token=app_token,
            signing_secret=signing_secret or None,
            api_url=api_url,
            port=port,
        )
    if bot_token:
        if not signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET",
                "is required with SLACK_BOT_TOKEN over HTTP (or set SLACK_APP_TOKEN for "
                "Socket Mode)",
            )
        return SlackSettings(
            mode="http",
            bot_token=bot_token,
            signing_secret=signing_secret,
            api_url=api_url,
            port=port,
        )
    if signing_secret:
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "is required with SLACK_SIGNING_SECRET (or set SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET to install copbot in many workspaces)",
        )
    if "slack" in platforms:
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "is required when COPBOT_PLATFORMS includes slack (or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET for many workspaces); see README.md, Connecting Slack",
        )
    return None


def _oauth(
    env: Mapping[str, str],
    bot_token: str,
    app_token: str,
    signing_secret: str,
    client_id: str,
    client_secret: str,
    api_url: str,
) -> SlackSettings:
    if not client_id:
        raise ConfigError("SLACK_CLIENT_ID", "is required with SLACK_CLIENT_SECRET")
    if not client_secret:
        raise ConfigError("SLACK_CLIENT_SECRET", "is required with SLACK_CLIENT_ID")
    if not signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET", "is required to install copbot with OAuth")
    if bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN",
            "must not be set with SLACK_CLIENT_ID: OAuth keeps one token per installed "
            "workspace; unset one of the two",
        )
    if app_token:
        raise ConfigError(
            "SLACK_APP_TOKEN",
            "Socket Mode serves one workspace; unset it to install copbot with OAuth over HTTP",
        )
    if not env.get("COPBOT_SECRET_KEY", "").strip():
        raise ConfigError(
            "COPBOT_SECRET_KEY",
            "is required with SLACK_CLIENT_ID: installations' tokens are stored encrypted; "
            + KEY_HINT,
        )
    return SlackSettings(
        mode="oauth",
        signing_secret=signing_secret,
        client_id=client_id,
        client_secret=client_secret,
        api_url=api_url,
        port=_port(env.get("PORT", "").strip()),
    )


KEY_HINT = (
    "generate one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


def is_fernet_key(value: str) -> bool:
    """A Fernet key: 32 bytes in URL-safe base64 (44 characters)."""
    try:
        return len(value) == 44 and len(base64.urlsafe_b64decode(value.encode("ascii"))) == 32
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def secret_key_from_env(env: Mapping[str, str]) -> str | None:
    """COPBOT_SECRET_KEY: one or more comma-separated keys, the first one encrypting.

    Each is a Fernet key or a passphrase of at least 32 characters (stretched with scrypt by
    the store). Older keys after the first still decrypt, which is how a key is rotated.
    """
    raw = env.get("COPBOT_SECRET_KEY", "").strip()
    if not raw:
        return None
    for key in (k.strip() for k in raw.split(",")):
        if not key:
            raise ConfigError("COPBOT_SECRET_KEY", "has an empty key between commas")
        if not is_fernet_key(key) and len(key) < MIN_PASSPHRASE:
            raise ConfigError(
                "COPBOT_SECRET_KEY",
                f"must be a Fernet key or a passphrase of at least {MIN_PASSPHRASE} "
                f"characters; {KEY_HINT}",
            )
    return raw


def _api_url(raw: str) -> str:
    if not raw:
        return DEFAULT_SLACK_API_URL
    if not _URL.fullmatch(raw):
        raise ConfigError(
            "SLACK_API_URL", f"'{raw}' is not a URL; the default is {DEFAULT_SLACK_API_URL}"
        )
    return raw if raw.endswith("/") else raw + "/"


def _port(raw: str) -> int:
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError("PORT", f"'{raw}' is not a TCP port (1-65535)")
    return int(raw)
