"""A running copbot Slack endpoint on loopback, wired to a fake Slack Web API.

``slack`` gives a harness: the real core on a fresh SQLite database, the real SlackAdapter and
Bolt app serving HTTP on 127.0.0.1 (port 0), slack_sdk pointed at the fake through its base URL,
and a sender that signs requests the way Slack does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet

from adapters.slack.app import SlackAdapter, ThreadReplyHook
from adapters.slack.port import ChannelPacer
from adapters.slack.server import HttpServer
from bot.clock import FakeClock
from bot.commands import build_registry
from bot.config import Settings
from bot.context import Runtime
from bot.dispatch import Dispatcher
from bot.ports import PortsByPlatform
from bot.slack_settings import SlackSettings
from copbot.slack import capture_hook, reaction_hook, thread_reply_hook
from storage.db import Database
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackSender

SIGNING_SECRET = "c0ffee00deadbeef" * 2
CLIENT_ID = "111.222"
CLIENT_SECRET = "f" * 32
SECRET_KEY = Fernet.generate_key().decode()


@dataclass
class SlackHarness:
    fake: FakeSlack
    adapter: SlackAdapter
    server: HttpServer
    send: SlackSender
    dispatcher: Dispatcher
    db: Database
    url: str
    thread_replies: list[tuple[Any, ...]] = field(default_factory=list)

    async def settle(self) -> None:
        """Wait for the work started after the acks to finish."""
        await self.adapter.drain()


async def start_harness(
    db: Database,
    fake: FakeSlack,
    clock: FakeClock,
    session: aiohttp.ClientSession,
    *,
    mode: str = "http",
    on_thread_reply: ThreadReplyHook | None = None,
    wire_core: bool = False,
    pacer: ChannelPacer | None = None,
    process_before_response: bool = True,
) -> SlackHarness:
    if mode == "oauth":
        slack = SlackSettings(
            mode="oauth",
            signing_secret=SIGNING_SECRET,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            api_url=fake.base_url,
        )
    else:
        slack = SlackSettings(
            mode="http",
            bot_token=fake.teams["T1"].bot_token,
            signing_secret=SIGNING_SECRET,
            api_url=fake.base_url,
        )
    settings = Settings(slack=slack, secret_key=SECRET_KEY)
    ports = PortsByPlatform({})
    runtime = Runtime(db=db, port=ports, clock=clock, settings=settings)
    dispatcher = Dispatcher(build_registry(), runtime)
    adapter_box: list[SlackAdapter] = []

    async def ephemeral_to_author(actor, place, reply):
        await adapter_box[0].port.ephemeral(place, actor.user_id, reply)

    if wire_core:  # the core's own hooks, as copbot run wires them
        on_thread_reply = thread_reply_hook(runtime, ephemeral_to_author)
    adapter = await SlackAdapter.create(
        dispatcher,
        ports,
        slack,
        secret_key=SECRET_KEY,
        on_thread_reply=on_thread_reply,
        on_capture=capture_hook(dispatcher) if wire_core else None,
        on_reaction=reaction_hook(runtime, ephemeral_to_author) if wire_core else None,
        pacer=pacer or ChannelPacer(rate=1000.0, burst=100),
        process_before_response=process_before_response,
    )
    adapter_box.append(adapter)
    server = HttpServer(adapter)
    port = await server.start("127.0.0.1", 0)
    url = f"http://127.0.0.1:{port}"
    sender = SlackSender(f"{url}/slack/events", SIGNING_SECRET, fake, session)
    return SlackHarness(fake, adapter, server, sender, dispatcher, db, url)


def populate(fake: FakeSlack) -> None:
    """Two workspaces: T1 (alice the admin, bob, carol) and T2 (dave, erin)."""
    fake.add_team("T1", name="Acme")
    fake.add_user("T1", "UALICE", "alice", tz="Europe/Berlin", admin=True)
    fake.add_user("T1", "UBOB", "bob", tz="America/New_York")
    fake.add_user("T1", "UCAROL", "carol", tz=None)
    fake.add_team("T2", name="Globex")
    fake.add_user("T2", "UDAVE", "dave", tz="Asia/Tokyo", owner=True)
    fake.add_user("T2", "UERIN", "erin", tz="UTC")


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack(client_id=CLIENT_ID, client_secret=CLIENT_SECRET).start()
    populate(fake)
    yield fake
    await fake.stop()


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def slack(
    sqlite_db: Database,
    fake_slack: FakeSlack,
    clock: FakeClock,
    http_session: aiohttp.ClientSession,
) -> AsyncIterator[SlackHarness]:
    replies: list[tuple[Any, ...]] = []

    async def record(*args: Any) -> None:
        replies.append(args)

    harness = await start_harness(
        sqlite_db, fake_slack, clock, http_session, on_thread_reply=record
    )
    harness.thread_replies = replies
    yield harness
    await harness.server.stop()
    await harness.adapter.close()


@pytest.fixture
async def slack_oauth(
    sqlite_db: Database,
    fake_slack: FakeSlack,
    clock: FakeClock,
    http_session: aiohttp.ClientSession,
) -> AsyncIterator[SlackHarness]:
    harness = await start_harness(sqlite_db, fake_slack, clock, http_session, mode="oauth")
    yield harness
    await harness.server.stop()
    await harness.adapter.close()


@pytest.fixture
async def slack_wired(
    sqlite_db: Database,
    fake_slack: FakeSlack,
    clock: FakeClock,
    http_session: aiohttp.ClientSession,
) -> AsyncIterator[SlackHarness]:
    """The harness with the core's thread-reply and capture hooks wired as copbot run does."""
    harness = await start_harness(sqlite_db, fake_slack, clock, http_session, wire_core=True)
    yield harness
    await harness.server.stop()
    await harness.adapter.close()
