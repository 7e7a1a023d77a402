"""``copbot run`` starts Discord when its token is set, on the loop it shares with the others."""

from __future__ import annotations

import asyncio
import contextlib

from adapters.discord.translate import workspace_ref
from bot.clock import FakeClock
from bot.config import Settings
from bot.discord_settings import DiscordSettings
from bot.model import ChannelId, Place, say
from copbot.serve import build_core, serve
from storage.db import Database
from tests.fakes.discord_api import FakeDiscord


async def test_run_connects_to_discord_and_joins_its_port_to_the_core(
    sqlite_db: Database, clock: FakeClock
):
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Practice")
        general = fake.add_channel(guild, "general")
        alice = fake.add_user("alice")
        settings = Settings(discord=DiscordSettings(token=fake.token, api_url=fake.api_url))
        core = build_core(settings, sqlite_db, clock)
        running = asyncio.create_task(serve(core))
        try:
            await fake.wait_identified(timeout=15)
            payload = fake.slash("roles", user=alice, guild=guild, channel_id=general)
            await fake.send_interaction(payload)
            assert (await fake.wait_callback(payload, timeout=15)).body["type"] == 4
            place = Place(workspace_ref(guild.id), ChannelId(str(general)))
            await core.runtime.port.post(place, say("scheduled hello"))  # the core's own port
            posted = await fake.wait_call("POST", rf"/channels/{general}/messages")
            assert posted.body["content"] == "scheduled hello"
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        assert fake.find("PUT", r"/applications/.*") == []  # no sync on start
