"""The Discord adapter: a discord.py client wired to copbot's core, on the shared event loop.

- **Client class by configuration**: ``discord.Client`` (one gateway connection) or, with
  ``DISCORD_SHARDS``, ``discord.AutoShardedClient``. Reconnects and resumes are discord.py's own;
  copbot adds no reconnect loop, so the 1,000-identifies-a-day budget is left to its resume logic.
- **Minimal intents**: guilds (servers, channels, roles; joining and leaving) and guild messages
  (to hear thread replies). Neither is privileged. ``DISCORD_MESSAGE_CONTENT=on`` adds the
  privileged Message Content intent, which lets copbot read what members write in threads; the
  "Capture as lesson" menu works without it because Discord hands that message over itself.
- **Where Discord is**: ``DISCORD_API_URL`` replaces discord.py's REST base, and the gateway
  address that server returns from ``GET /gateway/bot`` replaces its default gateway; both are
  process-wide in discord.py, so one process talks to one Discord.
- **Commands are never synced here** (``copbot discord sync`` does it): syncing on every start
  burns a rate-limited endpoint and silently changes what members see.
- **Leaving a server** deletes its installation row; its community data stays (as on Slack).
- The token is only ever handed to discord.py; it is never logged or put in an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord import translate
from adapters.discord.commands import CopTree, build_tree
from adapters.discord.port import DiscordPort
from adapters.discord.respond import GUILD_NEEDED, Responder
from adapters.discord.suggest import Suggest, database_suggesters
from adapters.discord.views import ActionButton
from bot.clock import Clock
from bot.discord_settings import DEFAULT_DISCORD_API_URL, DiscordSettings
from bot.dispatch import Dispatcher
from bot.model import Actor, MessageId, Place, Reply, say
from storage.db import Database
from storage.repos import installations

log = logging.getLogger(__name__)

API_VERSION = 10
CONTENT_INTENT_NOTE = (
    "copbot drafted this from the message alone. With the Message Content intent "
    "(DISCORD_MESSAGE_CONTENT=on and the switch on the developer portal's Bot page) it would "
    "read the whole thread."
)


@dataclass(frozen=True, slots=True)
class CapturedMessage:
    """A message handed to the lesson-capture hook, in thread order."""

    message_id: str
    author_id: str
    author_name: str
    text: str
    at: datetime
    link: str = ""


CaptureHook = Callable[[Actor, Place, Sequence[CapturedMessage]], Awaitable[list[Reply]]]
"""Drafts a lesson from messages; returns replies, usually one holding the prefilled lesson form.
Wired at the composition root when the lessons feature is present."""

ThreadReplyHook = Callable[[Actor, Place, str, MessageId], Awaitable[object]]
"""Hears a member's reply in a thread (actor, the place with its thread, text, message id); the
routing feature counts it as an answer when the thread is a question's. Without the Message
Content intent Discord sends the text empty."""


@dataclass(frozen=True, slots=True)
class Hooks:
    capture: CaptureHook | None = None
    thread_reply: ThreadReplyHook | None = None
    suggesters: dict[str, Suggest] | None = None


def intents(settings: DiscordSettings) -> discord.Intents:
    """Only what the core features need; see the module docstring for each."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.guild_messages = True
    chosen.message_content = settings.message_content
    return chosen


def point_at(api_url: str) -> None:
    """Aim discord.py's REST client at ``api_url`` (process-wide, as discord.py keeps it)."""
    Route.BASE = f"{api_url.rstrip('/')}/v{API_VERSION}"


class _CopbotEvents:
    """Gateway events, the same for the plain and the sharded client."""

    copbot: DiscordAdapter
    copbot_responder: Responder

    async def setup_hook(self) -> None:
        await self.copbot.setup()

    async def on_ready(self) -> None:
        await self.copbot.ready()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.copbot.guild_seen(guild)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.copbot.guild_seen(guild)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.copbot.guild_left(guild)

    async def on_message(self, message: discord.Message) -> None:
        await self.copbot.message(message)


class CopbotClient(_CopbotEvents, discord.Client):
    pass


class ShardedCopbotClient(_CopbotEvents, discord.AutoShardedClient):
    pass


class DiscordAdapter:
    """Everything Discord needs in one process: client, command tree, port, responder."""

    def __init__(
        self,
        settings: DiscordSettings,
        dispatcher: Dispatcher,
        db: Database,
        clock: Clock,
        *,
        hooks: Hooks | None = None,
        defer_after: float | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.db = db
        self.clock = clock
        self.hooks = hooks or Hooks()
        self.client = self._make_client(client_options or {})
        self.client.copbot = self  # type: ignore[attr-defined]
        self.port = DiscordPort(self.client)
        self.responder = Responder(
            dispatcher,
            self.port,
            facilitator_role=settings.facilitator_role,
            **({"defer_after": defer_after} if defer_after is not None else {}),
        )
        self.client.copbot_responder = self.responder  # type: ignore[attr-defined]
        self.tree: CopTree = build_tree(
            self.client,
            dispatcher.registry,
            self.responder,
            suggesters=self.hooks.suggesters
            if self.hooks.suggesters is not None
            else database_suggesters(db),
            capture=self.capture,
        )
        self.ready_event = asyncio.Event()

    def _make_client(self, options: dict[str, Any]) -> discord.Client:
        # copbot never joins voice: skip discord.py's start-up warnings about voice libraries.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        common: dict[str, Any] = {
            "intents": intents(self.settings),
            "allowed_mentions": discord.AllowedMentions.none(),
            "max_messages": None,  # copbot keeps its own state; no message cache needed
            "chunk_guilds_at_startup": False,
            **options,
        }
        if self.settings.shards is None:
            return CopbotClient(**common)
        shard_count = self.settings.shards or None  # 0: Discord recommends
        return ShardedCopbotClient(shard_count=shard_count, **common)

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in and stay connected until closed; discord.py handles reconnects."""
        point_at(self.settings.api_url)
        log.info(
            "connecting to Discord at %s (%s)",
            self.settings.api_url,
            "sharded" if self.settings.shards is not None else "one connection",
        )
        await self.client.start(self.settings.token)

    async def close(self) -> None:
        await self.client.close()

    async def setup(self) -> None:
        """After login, before the gateway: buttons, and where the gateway is."""
        self.client.add_dynamic_items(ActionButton)
        if self.settings.api_url != DEFAULT_DISCORD_API_URL:
            _shards, url, _limits = await self.client.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            log.info("Discord gateway at %s", url)

    async def ready(self) -> None:
        log.info(
            "connected to Discord as %s in %d servers", self.client.user, len(self.client.guilds)
        )
        self.ready_event.set()

    # --- servers joining and leaving ------------------------------------------------------------

    async def guild_seen(self, guild: discord.Guild) -> None:
        bot_id = str(self.client.user.id) if self.client.user else ""
        await self.db.run(
            installations.record,
            "discord",
            str(guild.id),
            name=guild.name,
            bot_user_id=bot_id,
            now=self.clock.now(),
        )

    async def guild_left(self, guild: discord.Guild) -> None:
        removed = await self.db.run(installations.forget, "discord", str(guild.id))
        log.info(
            "left Discord server %s; deleted %d installation row(s), kept its community data",
            guild.id,
            removed,
        )

    # --- messages and the context menu ----------------------------------------------------------

    async def message(self, message: discord.Message) -> None:
        """A member's message: reported to the thread-reply hook when it is in a thread."""
        hook = self.hooks.thread_reply
        channel = message.channel
        if hook is None or message.author.bot or message.guild is None:
            return
        if not isinstance(channel, discord.Thread) or channel.parent_id is None:
            return
        workspace = translate.workspace_ref(message.guild.id)
        author = message.author
        member_roles = author.roles if isinstance(author, discord.Member) else ()
        actor = translate.actor(
            workspace,
            user_id=author.id,
            display_name=author.display_name,
            manage_guild=isinstance(author, discord.Member)
            and author.guild_permissions.manage_guild,
            roles=member_roles,
            facilitator_role=self.settings.facilitator_role,
        )
        place = translate.place(
            workspace, channel_id=channel.id, parent_id=channel.parent_id, is_thread=True
        )
        try:
            await hook(actor, place, message.content, MessageId(str(message.id)))
        except Exception:
            log.exception("thread reply hook failed for message %s in %s", message.id, workspace)

    async def capture(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """ "Capture as lesson" on a message: the message (and, with the content intent, its
        thread) goes to the capture hook, whose form opens as a modal."""
        if interaction.guild_id is None:
            await self.responder.tell(interaction, GUILD_NEEDED)
            return
        hook = self.hooks.capture
        if hook is None:
            await self.responder.tell(
                interaction,
                "Capturing a lesson from a message arrives with copbot's lessons feature.",
            )
            return
        workspace = translate.workspace_ref(interaction.guild_id)
        actor = self.responder.actor(interaction, workspace)
        place = self.responder.place(interaction, workspace)
        messages, whole_thread = await self._thread_of(message)

        async def work() -> list[Reply]:
            try:
                replies = await hook(actor, place, messages)
            except Exception as error:  # the hook is core code: same boundary as dispatch
                return [self.responder.bug_reply(error, "drafting a lesson from a message")]
            if not whole_thread and isinstance(message.channel, discord.Thread):
                replies = [*replies, say(CONTENT_INTENT_NOTE)]
            return replies

        await self.responder.run_work(interaction, actor, work())

    async def _thread_of(self, message: discord.Message) -> tuple[list[CapturedMessage], bool]:
        """The message alone, or its whole thread when the content intent lets copbot read it."""
        channel = message.channel
        if not (self.settings.message_content and isinstance(channel, discord.Thread)):
            return [_captured(message)], False
        try:
            history = [m async for m in channel.history(limit=100, oldest_first=True)]
        except discord.HTTPException as error:
            log.info("could not read thread %s (%s); using the message alone", channel.id, error)
            return [_captured(message)], False
        if all(m.id != message.id for m in history):
            history.append(message)
        return [_captured(m) for m in history if not m.author.bot], True


def _captured(message: discord.Message) -> CapturedMessage:
    return CapturedMessage(
        message_id=str(message.id),
        author_id=str(message.author.id),
        author_name=message.author.display_name,
        text=message.content,
        at=message.created_at,
        link=message.jump_url,
    )
