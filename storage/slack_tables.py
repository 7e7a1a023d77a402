"""Tables the Slack adapter keeps: installations, bots, OAuth states, and deliveries seen.

The first three have the columns slack_sdk's SQLAlchemy installation and OAuth state stores
read and write, so those stores run unchanged on copbot's database; only the token columns are
wider, because copbot stores them encrypted (ciphertext is longer than a token). They live here,
on the same metadata as the community tables, so one Alembic history creates them on SQLite and
PostgreSQL and the drift test covers them.

``slack_event_seen`` makes Slack's retried deliveries and double clicks idempotent across
workers: the first worker to insert a (team, key) row handles the delivery, every other one
sees the row and drops it.

None of these hold community data, so they carry Slack's team id instead of copbot's
``workspace_id`` (``info={"platform_state": True}`` marks them for the workspace-key test); the
installation rows are deleted when a workspace uninstalls copbot.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from storage.models import UtcDateTime

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"
EVENT_SEEN_TABLE = "slack_event_seen"
TOKEN_LENGTH = 1024
"""Room for a Fernet ciphertext of a token several hundred characters long."""

_PLATFORM_STATE = {"platform_state": True}

slack_installations = sa.Table(
    INSTALLATIONS_TABLE,
    SQLModel.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.String(32), nullable=False),
    sa.Column("app_id", sa.String(32), nullable=False),
    sa.Column("enterprise_id", sa.String(32)),
    sa.Column("enterprise_name", sa.String(200)),
    sa.Column("enterprise_url", sa.String(200)),
    sa.Column("team_id", sa.String(32)),
    sa.Column("team_name", sa.String(200)),
    sa.Column("bot_token", sa.String(TOKEN_LENGTH)),
    sa.Column("bot_id", sa.String(32)),
    sa.Column("bot_user_id", sa.String(32)),
    sa.Column("bot_scopes", sa.String(1000)),
    sa.Column("bot_refresh_token", sa.String(TOKEN_LENGTH)),
    sa.Column("bot_token_expires_at", sa.DateTime),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("user_token", sa.String(TOKEN_LENGTH)),
    sa.Column("user_scopes", sa.String(1000)),
    sa.Column("user_refresh_token", sa.String(TOKEN_LENGTH)),
    sa.Column("user_token_expires_at", sa.DateTime),
    sa.Column("incoming_webhook_url", sa.String(TOKEN_LENGTH)),
    sa.Column("incoming_webhook_channel", sa.String(200)),
    sa.Column("incoming_webhook_channel_id", sa.String(200)),
    sa.Column("incoming_webhook_configuration_url", sa.String(200)),
    sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
    sa.Column("token_type", sa.String(32)),
    sa.Column("installed_at", sa.DateTime, nullable=False),
    sa.Index(
        f"{INSTALLATIONS_TABLE}_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
    info=_PLATFORM_STATE,
)

slack_bots = sa.Table(
    BOTS_TABLE,
    SQLModel.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.String(32), nullable=False),
    sa.Column("app_id", sa.String(32), nullable=False),
    sa.Column("enterprise_id", sa.String(32)),
    sa.Column("enterprise_name", sa.String(200)),
    sa.Column("team_id", sa.String(32)),
    sa.Column("team_name", sa.String(200)),
    sa.Column("bot_token", sa.String(TOKEN_LENGTH)),
    sa.Column("bot_id", sa.String(32)),
    sa.Column("bot_user_id", sa.String(32)),
    sa.Column("bot_scopes", sa.String(1000)),
    sa.Column("bot_refresh_token", sa.String(TOKEN_LENGTH)),
    sa.Column("bot_token_expires_at", sa.DateTime),
    sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
    sa.Column("installed_at", sa.DateTime, nullable=False),
    sa.Index(f"{BOTS_TABLE}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
    info=_PLATFORM_STATE,
)

slack_oauth_states = sa.Table(
    OAUTH_STATES_TABLE,
    SQLModel.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("state", sa.String(200), nullable=False),
    sa.Column("expire_at", sa.DateTime, nullable=False),
    info=_PLATFORM_STATE,
)

slack_event_seen = sa.Table(
    EVENT_SEEN_TABLE,
    SQLModel.metadata,
    sa.Column("team_id", sa.String(32), primary_key=True),
    sa.Column("event_key", sa.String(255), primary_key=True),
    sa.Column("expires_at", UtcDateTime(), nullable=False, index=True),
    info=_PLATFORM_STATE,
)
