"""A running copbot Discord adapter connected to the fake Discord, on a fresh SQLite database.

``discord_world`` starts the fake with one server (#general, #questions as a forum, a
Facilitators role), connects the real discord.py client to it through DISCORD_API_URL, and
waits until discord.py says it is ready. Tests drive it by dispatching interactions from the
fake and assert on the calls the fake recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from adapters.discord.client import DiscordAdapter, Hooks
from adapters.discord.commands import plan
from bot.clock import FakeClock
from bot.commands import build_registry
from bot.config import Settings
from bot.context import Runtime
from bot.discord_settings import DiscordSettings
from bot.dispatch import Dispatcher
from bot.model import Platform
from bot.ports import PortsByPlatform
from bot.registry import CommandSpec, Registry
from storage.db import Database
from tests.fakes.discord_api import FORUM, FakeDiscord, FakeGuild, FakeUser

FAST_READY = {"guild_ready_timeout": 0.05}
"""discord.py waits this long after the last GUILD_CREATE before "ready"; the fake sends them all
at once, so the default two seconds would only slow the tests down."""


@dataclass
class World:
    fake: FakeDiscord
    adapter: DiscordAdapter
    db: Database
    registry: Registry
    guild: FakeGuild
    general: int
    forum: int
    facilitators: int
    alice: FakeUser
    bob: FakeUser

    async def run(self, payload: dict) -> dict:
        """Dispatch an interaction and return the body of copbot's callback for it."""
        await self.fake.send_interaction(payload)
        return (await self.fake.wait_callback(payload)).body

    def slash(
        self, command: str, options: dict | None = None, *, user: FakeUser | None = None, **kwargs
    ) -> dict:
        """A ``/cop`` interaction for the registry command ``command`` (``"profile"``,
        ``"profile timezone"``), at whatever Discord path the adapter gave it."""
        kwargs.setdefault("guild", self.guild)
        kwargs.setdefault("channel_id", self.general)
        entries, _ = plan(self.registry)
        path = next((e.path for e in entries if e.spec.name == command), tuple(command.split()))
        return self.fake.slash(" ".join(path), options, user=user or self.alice, **kwargs)


def said(body: dict) -> str:
    """What a callback or message body shows: its content and its embeds' titles and text."""
    data = body.get("data", body)
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
    return "\n".join(p for p in parts if p)


async def eventually(predicate, timeout: float = 5.0):
    """Wait for something the bot does off the fake's sight (a database row, a hook call)."""
    async with asyncio.timeout(timeout):
        while not (
            result := await predicate() if asyncio.iscoroutinefunction(predicate) else predicate()
        ):
            await asyncio.sleep(0.01)
    return result


@dataclass
class Extras:
    """What a test adds before the adapter starts."""

    specs: list[CommandSpec]
    hooks: Hooks | Callable[[Dispatcher], Hooks] | None = None
    settings: dict | None = None
    defer_after: float | None = None


@pytest.fixture
def extras(request: pytest.FixtureRequest) -> Extras:
    """Override per module, or per test with ``parametrize("extras", [...], indirect=True)``."""
    return getattr(request, "param", None) or Extras(specs=[])


@pytest.fixture
async def discord_world(
    sqlite_db: Database, clock: FakeClock, extras: Extras
) -> AsyncIterator[World]:
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Practice")
        general = fake.add_channel(guild, "general")
        forum = fake.add_channel(
            guild, "questions", kind=FORUM, tags=("postgres", "kubernetes", "solved")
        )
        facilitators = fake.add_role(guild, "Facilitators")
        alice, bob = fake.add_user("alice"), fake.add_user("bob")
        settings = DiscordSettings(
            token=fake.token,
            application_id=fake.app_id,
            api_url=fake.api_url,
            facilitator_role="facilitators",
            **(extras.settings or {}),
        )
        registry = build_registry()
        for spec in extras.specs:
            registry.register(spec)
        ports = PortsByPlatform({})
        runtime = Runtime(
            db=sqlite_db, port=ports, clock=clock, settings=Settings(discord=settings)
        )
        dispatcher = Dispatcher(registry, runtime)
        hooks = extras.hooks(dispatcher) if callable(extras.hooks) else extras.hooks
        adapter = DiscordAdapter(
            settings,
            dispatcher,
            sqlite_db,
            clock,
            hooks=hooks,
            defer_after=extras.defer_after,
            client_options=FAST_READY,
        )
        ports.add(Platform.DISCORD, adapter.port)
        running = asyncio.create_task(adapter.start())
        ready = asyncio.create_task(adapter.ready_event.wait())
        done, _ = await asyncio.wait(
            {running, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED
        )
        if running in done:
            running.result()  # raises what went wrong
        assert ready in done, "discord.py never became ready against the fake"
        try:
            yield World(
                fake, adapter, sqlite_db, registry, guild, general, forum, facilitators, alice, bob
            )
        finally:
            await adapter.close()
            await asyncio.wait_for(running, 10)
