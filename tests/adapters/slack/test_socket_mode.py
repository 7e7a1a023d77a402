"""Socket Mode over a loopback websocket: the same app, acknowledged over the socket."""

import asyncio
import json

import aiohttp

from adapters.slack.app import SlackAdapter
from adapters.slack.server import SocketModeConnection
from bot.commands import build_registry
from bot.config import Settings
from bot.context import Runtime
from bot.dispatch import Dispatcher
from bot.ports import PortsByPlatform
from bot.slack_settings import SlackSettings
from tests.fakes.slack_requests import SlackSender

APP_TOKEN = "xapp-1-ACOPBOT-fake"


async def test_commands_and_retried_events_over_socket_mode(sqlite_db, fake_slack, clock):
    fake_slack.app_tokens.add(APP_TOKEN)
    slack = SlackSettings(
        mode="socket",
        bot_token=fake_slack.teams["T1"].bot_token,
        app_token=APP_TOKEN,
        api_url=fake_slack.base_url,
    )
    ports = PortsByPlatform({})
    runtime = Runtime(db=sqlite_db, port=ports, clock=clock, settings=Settings(slack=slack))
    dispatcher = Dispatcher(build_registry(), runtime)
    answers: list = []

    async def hook(*args):
        answers.append(args)

    adapter = await SlackAdapter.create(dispatcher, ports, slack, on_thread_reply=hook)
    connection = SocketModeConnection(adapter, APP_TOKEN)
    await connection.start()
    try:
        await asyncio.wait_for(fake_slack.socket_connected.wait(), 5)
        async with aiohttp.ClientSession() as session:
            sender = SlackSender("unused", "unused-secret", fake_slack, session)
            fields = sender.command_fields("T1", "UBOB", "profile")
            ack = await fake_slack.socket_deliver("slash_commands", fields)
            assert ack["envelope_id"].startswith("env-")
            assert "payload" not in ack or not ack["payload"]  # an empty ack: answered later

            event = sender.event_body(
                "T1",
                {
                    "type": "message",
                    "channel": "C0Q",
                    "user": "UBOB",
                    "text": "this answers it",
                    "ts": "1700000002.000001",
                    "thread_ts": "1700000000.000001",
                },
                event_id="Ev0SOCKET",
            )
            for attempt in (None, 1, 2, 3):
                await fake_slack.socket_deliver("events_api", event, retry_attempt=attempt)
        await adapter.drain()
        answer = fake_slack.calls_to("response_url")[0]
        assert "America/New_York" in json.dumps(answer.params["blocks"])
        assert len(answers) == 1 and answers[0][2] == "this answers it"
        assert fake_slack.calls_to("apps.connections.open")[0].token == APP_TOKEN
    finally:
        await connection.stop()
        await adapter.close()
