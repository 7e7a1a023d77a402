"""`copbot run` with Slack settings: the real program, in a subprocess, serving Slack over HTTP
on PORT, talking to the fake Web API named by SLACK_API_URL; nothing in the log leaks a secret."""

import asyncio
import os
import socket
import subprocess
import sys
import time

import aiohttp

from tests.adapters.slack.conftest import SIGNING_SECRET
from tests.fakes.slack_requests import SlackSender

TOKEN = "xoxb-t1-fake"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copbot(args, tmp_path, **env_overrides) -> subprocess.Popen:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("COPBOT_", "SLACK_", "DATABASE_"))
    }
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'copbot.db'}", **env_overrides})
    return subprocess.Popen(
        [sys.executable, "-m", "copbot", *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def wait_until_up(session: aiohttp.ClientSession, url: str, process) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("copbot run did not start")


async def test_copbot_run_serves_slack_over_http(tmp_path, fake_slack):
    upgrade = copbot(["db", "upgrade"], tmp_path)
    assert upgrade.wait(60) == 0, upgrade.stderr.read()
    port = free_port()
    process = copbot(
        ["run"],
        tmp_path,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.base_url,
        PORT=str(port),
        COPBOT_LOG_LEVEL="DEBUG",
    )
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_up(session, f"http://127.0.0.1:{port}/healthz", process)
            sender = SlackSender(
                f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, fake_slack, session
            )
            sent = await sender.command("T1", "UBOB", "profile")
            assert sent.status == 200
            answers = await fake_slack.wait_for("response_url", timeout=10)
            assert "America/New_York" in answers[0].text or "America/New_York" in str(
                answers[0].params
            )
            assert (await sender.command("T1", "UBOB", "help", signature="v0=bad")).status == 401
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)
    assert TOKEN not in log and SIGNING_SECRET not in log
    assert "Slack endpoints listening" in log
