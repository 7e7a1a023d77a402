"""Installations and OAuth states on copbot's database, through slack_sdk's SQLAlchemy stores.

slack_sdk's ``SQLAlchemyInstallationStore`` keeps tokens in plain text, so copbot wraps it: bot,
user and refresh tokens (and the incoming-webhook URL, a secret too) are encrypted on the way in
and decrypted on the way out; a row read straight from the table holds only ciphertext. The
stores are synchronous (SQLAlchemy engine), so every call runs in a worker thread, off the event
loop that Slack, Discord and the scheduler share. Their tables are created by copbot's Alembic
migrations (``storage/slack_tables.py``), never by the stores themselves.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from adapters.slack.crypto import TokenCipher
from storage.slack_tables import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE

log = logging.getLogger(__name__)

INSTALLATION_SECRETS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
BOT_SECRETS = ("bot_token", "bot_refresh_token")
STATE_EXPIRATION_SECONDS = 600


class EncryptedInstallationStore(AsyncInstallationStore):
    """slack_sdk's SQLAlchemy installation store with every token encrypted at rest."""

    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        self._inner = SQLAlchemyInstallationStore(
            client_id=client_id,
            engine=engine,
            bots_table_name=BOTS_TABLE,
            installations_table_name=INSTALLATIONS_TABLE,
            logger=log,
        )
        self._cipher = cipher
        self.client_id = client_id

    @property
    def logger(self) -> logging.Logger:
        return log

    def _sealed(self, obj: Any, names: tuple[str, ...], kind: type) -> Any:
        copy = kind(**obj.to_dict_for_copying())
        for name in names:
            setattr(copy, name, self._cipher.encrypt(getattr(obj, name)))
        return copy

    def _opened(self, obj: Any, names: tuple[str, ...]) -> Any:
        if obj is not None:
            for name in names:
                setattr(obj, name, self._cipher.decrypt(getattr(obj, name)))
        return obj

    async def async_save(self, installation: Installation) -> None:
        sealed = self._sealed(installation, INSTALLATION_SECRETS, Installation)
        await asyncio.to_thread(self._inner.save, sealed)
        log.info(
            "Slack workspace %s installed copbot (installer %s, scopes %s)",
            installation.team_id,
            installation.user_id,
            ",".join(installation.bot_scopes or ()),
        )

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self._inner.save_bot, self._sealed(bot, BOT_SECRETS, Bot))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        bot = await asyncio.to_thread(
            lambda: self._inner.find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
        )
        return self._opened(bot, BOT_SECRETS)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        installation = await asyncio.to_thread(
            lambda: self._inner.find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            )
        )
        return self._opened(installation, INSTALLATION_SECRETS)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(
            lambda: self._inner.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            lambda: self._inner.delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
            )
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class DatabaseStateStore(AsyncOAuthStateStore):
    """slack_sdk's SQLAlchemy OAuth state store, run off the event loop.

    States live in the database rather than in memory so that the install page and the OAuth
    redirect may be served by different workers.
    """

    def __init__(self, engine: Engine, expiration_seconds: int = STATE_EXPIRATION_SECONDS) -> None:
        self._inner = SQLAlchemyOAuthStateStore(
            expiration_seconds=expiration_seconds,
            engine=engine,
            logger=log,
            table_name=OAUTH_STATES_TABLE,
        )

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self._inner.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self._inner.consume, state)
