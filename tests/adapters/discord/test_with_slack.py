"""Slack and Discord served by one process: one core, one database, one event loop, and a
question in one never reaches the other's people."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from sqlmodel import select

from adapters.discord.client import DiscordAdapter
from adapters.slack.app import SlackAdapter
from adapters.slack.port import ChannelPacer
from adapters.slack.server import HttpServer
from bot.clock import FakeClock
from bot.commands import build_registry
from bot.config import Settings
from bot.context import Runtime
from bot.discord_settings import DiscordSettings
from bot.dispatch import Dispatcher
from bot.model import Platform
from bot.ports import PortsByPlatform
from bot.slack_settings import SlackSettings
from storage.db import Database
from storage.models import Question, Workspace
from tests.adapters.discord.conftest import FAST_READY, said
from tests.adapters.slack.conftest import SECRET_KEY, SIGNING_SECRET, populate
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackSender


async def test_slack_and_discord_share_one_core_and_keep_their_communities_apart(
    sqlite_db: Database, clock: FakeClock
):
    slack_fake = await FakeSlack().start()
    populate(slack_fake)
    async with FakeDiscord() as discord_fake, aiohttp.ClientSession() as session:
        guild = discord_fake.add_guild("Practice")
        general = discord_fake.add_channel(guild, "general")
        dana, erin = discord_fake.add_user("dana"), discord_fake.add_user("erin")

        slack_settings = SlackSettings(
            mode="http",
            bot_token=slack_fake.teams["T1"].bot_token,
            signing_secret=SIGNING_SECRET,
            api_url=slack_fake.base_url,
        )
        discord_settings = DiscordSettings(token=discord_fake.token, api_url=discord_fake.api_url)
        settings = Settings(slack=slack_settings, discord=discord_settings, secret_key=SECRET_KEY)
        ports = PortsByPlatform({})
        runtime = Runtime(db=sqlite_db, port=ports, clock=clock, settings=settings)
        dispatcher = Dispatcher(build_registry(), runtime)

        slack = await SlackAdapter.create(
            dispatcher,
            ports,
            slack_settings,
            secret_key=SECRET_KEY,
            pacer=ChannelPacer(rate=1000.0, burst=100),
        )
        server = HttpServer(slack)
        port = await server.start("127.0.0.1", 0)
        send = SlackSender(
            f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, slack_fake, session
        )
        discord = DiscordAdapter(
            discord_settings, dispatcher, sqlite_db, clock, client_options=FAST_READY
        )
        ports.add(Platform.DISCORD, discord.port)
        running = asyncio.create_task(discord.start())
        try:
            await asyncio.wait_for(discord.ready_event.wait(), 10)

            async def on_slack(user: str, text: str) -> None:
                assert (await send.command("T1", user, text)).status == 200
                await slack.drain()

            async def on_discord(user, path: str, options: dict) -> dict:
                payload = discord_fake.slash(
                    path, options, user=user, guild=guild, channel_id=general
                )
                await discord_fake.send_interaction(payload)
                return (await discord_fake.wait_callback(payload)).body

            # Each community declares its own expert for postgres.
            await on_slack("UBOB", "expertise add postgres")
            await on_discord(erin, "expertise add", {"topics": "postgres"})

            slack_dms_before = len(slack_fake.calls_to("chat.postMessage"))
            asked = await on_discord(dana, "ask", {"question": "[postgres] vacuum stalls?"})
            assert said(asked).startswith("Your question #1 is posted")

            # Discord's expert is DMed through Discord; Slack hears nothing at all.
            erin_dm = await discord_fake.wait_for(lambda: discord_fake.dm_channels.get(erin.id))
            await discord_fake.wait_call("POST", rf"/channels/{erin_dm}/messages")
            assert len(slack_fake.calls_to("chat.postMessage")) == slack_dms_before
            assert list(discord_fake.dm_channels) == [erin.id]

            # A Slack question reaches Slack's expert, and nothing new happens on Discord.
            discord_calls_before = len(discord_fake.calls)
            await on_slack("UALICE", "ask [postgres] why is autovacuum slow?")
            posted = slack_fake.calls_to("chat.postMessage")[slack_dms_before:]
            targets = {c.params["channel"] for c in posted}
            assert "UBOB" in targets
            assert all(json.dumps(c.params).find(str(erin.id)) < 0 for c in posted)
            assert len(discord_fake.calls) == discord_calls_before

            def questions(session):
                rows = session.exec(select(Question, Workspace).join(Workspace)).all()
                return sorted((w.platform, q.text) for q, w in rows)

            assert await sqlite_db.run(questions) == [
                ("discord", "vacuum stalls?"),
                ("slack", "why is autovacuum slow?"),
            ]
        finally:
            await discord.close()
            await asyncio.wait_for(running, 10)
            await server.stop()
            await slack.close()
            await slack_fake.stop()
