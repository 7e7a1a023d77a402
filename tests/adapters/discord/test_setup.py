"""The admin's steps: Discord settings, ``copbot discord invite`` and ``copbot discord sync``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

import discord
import pytest
from click.testing import CliRunner

from adapters.discord.setup import LEAST_PERMISSIONS, invite_url, sync_commands
from bot.commands import build_registry
from bot.config import Settings
from bot.discord_settings import DiscordSettings
from bot.errors import ConfigError
from copbot.cli import main
from tests.fakes.discord_api import FakeDiscord

TOKEN = "MTE.fake.token"


def test_discord_is_configured_by_its_token_alone():
    settings = Settings.from_env({"DISCORD_TOKEN": TOKEN})
    assert settings.discord == DiscordSettings(token=TOKEN)
    assert settings.discord.api_url == "https://discord.com/api"
    assert Settings.from_env({}).discord is None


def test_every_discord_setting_is_read():
    discord_settings = Settings.from_env(
        {
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_APPLICATION_ID": "123456789012345678",
            "DISCORD_API_URL": "http://127.0.0.1:8080/api/",
            "DISCORD_SHARDS": "auto",
            "DISCORD_FACILITATOR_ROLE": "@Facilitators",
            "DISCORD_MESSAGE_CONTENT": "on",
            "COPBOT_PLATFORMS": "discord",
        }
    ).discord
    assert discord_settings == DiscordSettings(
        token=TOKEN,
        application_id=123456789012345678,
        api_url="http://127.0.0.1:8080/api",
        shards=0,
        facilitator_role="Facilitators",
        message_content=True,
    )
    assert Settings.from_env({"DISCORD_TOKEN": TOKEN, "DISCORD_SHARDS": "3"}).discord.shards == 3


@pytest.mark.parametrize(
    ("env", "variable", "says"),
    [
        ({"COPBOT_PLATFORMS": "discord"}, "DISCORD_TOKEN", "is required when COPBOT_PLATFORMS"),
        ({"DISCORD_TOKEN": "not a token"}, "DISCORD_TOKEN", "does not look like a bot token"),
        ({"DISCORD_APPLICATION_ID": "abc"}, "DISCORD_APPLICATION_ID", "numeric application id"),
        ({"DISCORD_API_URL": "discord.com"}, "DISCORD_API_URL", "is not an API base URL"),
        (
            {"DISCORD_API_URL": "https://discord.com/api/v10"},
            "DISCORD_API_URL",
            "without a version",
        ),
        ({"DISCORD_SHARDS": "many"}, "DISCORD_SHARDS", "is not off, auto or a number"),
        ({"DISCORD_SHARDS": "0"}, "DISCORD_SHARDS", "is not off, auto or a number"),
        ({"DISCORD_FACILITATOR_ROLE": "x" * 101}, "DISCORD_FACILITATOR_ROLE", "longer than"),
        ({"DISCORD_MESSAGE_CONTENT": "yes"}, "DISCORD_MESSAGE_CONTENT", "is not on or off"),
    ],
)
def test_a_bad_discord_value_names_its_variable_in_one_line(env, variable, says):
    if variable != "DISCORD_TOKEN" or "COPBOT_PLATFORMS" not in env:
        env = {"DISCORD_TOKEN": TOKEN, **env}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.variable == variable
    assert says in str(caught.value) and "\n" not in str(caught.value)
    assert "not a token" not in str(caught.value).replace("'not a token'", "")


def test_a_bad_token_is_never_echoed_back():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"DISCORD_TOKEN": "secret-value-here"})
    assert "secret-value-here" not in str(caught.value)


def test_the_invite_asks_for_bot_and_commands_scopes_and_least_permissions():
    url = urlparse(invite_url(123456789012345678))
    query = parse_qs(url.query)
    assert url.netloc == "discord.com"
    assert query["client_id"] == ["123456789012345678"]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert granted == LEAST_PERMISSIONS
    assert not (granted.administrator or granted.manage_guild or granted.manage_channels)
    assert not granted.mention_everyone
    assert granted.send_messages and granted.send_messages_in_threads and granted.embed_links


async def test_sync_registers_the_cop_group_globally_or_in_one_server():
    async with FakeDiscord() as fake:
        settings = DiscordSettings(token=fake.token, api_url=fake.api_url)
        names = await sync_commands(settings, build_registry())
        assert names == ["cop", "Capture as lesson"]
        [put] = fake.find("PUT", rf"/applications/{fake.app_id}/commands")
        cop = next(c for c in put.body if c["name"] == "cop")
        assert {"profile", "ask", "do"} <= {o["name"] for o in cop["options"]}
        assert put.body[1] == {**put.body[1], "name": "Capture as lesson", "type": 3}
        guild = fake.snowflake()
        await sync_commands(settings, build_registry(), guild)
        assert fake.find("PUT", rf"/applications/{fake.app_id}/guilds/{guild}/commands")
        assert fake.identifies == []  # REST only: no gateway session spent on a sync


@contextmanager
def fake_in_a_thread() -> Iterator[FakeDiscord]:
    """The fake on its own loop, for CLI commands that run their own ``asyncio.run``."""
    loop = asyncio.new_event_loop()
    fake = FakeDiscord()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(fake.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def test_the_cli_prints_the_invite_and_syncs_to_a_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with fake_in_a_thread() as fake:
        env = {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_APPLICATION_ID": str(fake.app_id),
            "DISCORD_API_URL": fake.api_url,
        }
        runner = CliRunner()
        invited = runner.invoke(main, ["discord", "invite"], env=env)
        assert invited.exit_code == 0, invited.output
        assert "scope=bot+applications.commands" in invited.output
        synced = runner.invoke(main, ["discord", "sync", "--guild", "123456789012345678"], env=env)
        assert synced.exit_code == 0, synced.output
        assert "Registered /cop, /Capture as lesson in server 123456789012345678" in synced.output
        assert fake.token not in synced.output


def test_the_cli_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "DISCORD_APPLICATION_ID"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    missing = runner.invoke(main, ["discord", "invite"], env={})
    assert missing.exit_code != 0 and "DISCORD_TOKEN is not set" in missing.output
    no_id = runner.invoke(main, ["discord", "invite"], env={"DISCORD_TOKEN": TOKEN})
    assert "DISCORD_APPLICATION_ID is not set" in no_id.output
