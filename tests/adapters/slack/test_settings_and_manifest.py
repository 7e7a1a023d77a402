"""Slack settings choose the mode by configuration alone; the manifest asks for little."""

import json

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from adapters.slack.manifest import BOT_SCOPES, manifest
from bot.config import Settings
from bot.errors import ConfigError
from copbot.cli import main

SECRET = "abcdef0123456789abcdef0123456789"
KEY = Fernet.generate_key().decode()


def test_bot_token_and_signing_secret_mean_one_workspace_over_http():
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": SECRET}
    )
    assert settings.slack is not None
    assert (settings.slack.mode, settings.slack.port) == ("http", 3000)
    assert settings.slack.api_url == "https://slack.com/api/"


def test_app_token_means_socket_mode():
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A-2"})
    assert settings.slack is not None and settings.slack.mode == "socket"


def test_client_id_and_secret_mean_oauth_with_a_secret_key():
    env = {
        "SLACK_CLIENT_ID": "111.222",
        "SLACK_CLIENT_SECRET": "c" * 32,
        "SLACK_SIGNING_SECRET": SECRET,
        "COPBOT_SECRET_KEY": KEY,
        "SLACK_API_URL": "http://127.0.0.1:9/api",
        "PORT": "8080",
    }
    settings = Settings.from_env(env)
    assert settings.slack is not None
    assert (settings.slack.mode, settings.slack.port) == ("oauth", 8080)
    assert settings.slack.api_url == "http://127.0.0.1:9/api/"
    assert settings.secret_key == KEY


def test_no_slack_variables_means_no_slack():
    assert Settings.from_env({}).slack is None


@pytest.mark.parametrize(
    ("env", "variable", "says"),
    [
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN", "starts with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "abc"}, "SLACK_APP_TOKEN", "xapp-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET", "required"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN", "Socket Mode needs both"),
        ({"SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN", "required"),
        ({"SLACK_CLIENT_ID": "111.222"}, "SLACK_CLIENT_SECRET", "required"),
        ({"SLACK_CLIENT_ID": "abc", "SLACK_CLIENT_SECRET": "c" * 32}, "SLACK_CLIENT_ID", "digits"),
        (
            {
                "SLACK_CLIENT_ID": "1.2",
                "SLACK_CLIENT_SECRET": "c" * 32,
                "SLACK_SIGNING_SECRET": SECRET,
            },
            "COPBOT_SECRET_KEY",
            "stored encrypted",
        ),
        (
            {
                "SLACK_CLIENT_ID": "1.2",
                "SLACK_CLIENT_SECRET": "c" * 32,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-1",
                "COPBOT_SECRET_KEY": KEY,
            },
            "SLACK_BOT_TOKEN",
            "unset one of the two",
        ),
        ({"SLACK_SIGNING_SECRET": "has spaces in it!"}, "SLACK_SIGNING_SECRET", "letters"),
        ({"SLACK_API_URL": "not a url"}, "SLACK_API_URL", "not a URL"),
        ({"PORT": "70000"}, "PORT", "TCP port"),
        ({"COPBOT_SECRET_KEY": "short"}, "COPBOT_SECRET_KEY", "Fernet key"),
        ({"COPBOT_PLATFORMS": "slack"}, "SLACK_BOT_TOKEN", "COPBOT_PLATFORMS includes slack"),
    ],
)
def test_bad_slack_setting_names_the_variable_and_never_echoes_the_secret(env, variable, says):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.variable == variable
    assert says in str(caught.value)
    for value in env.values():
        if len(value) >= 16:
            assert value not in str(caught.value)


def test_a_long_passphrase_is_a_valid_secret_key_and_keys_can_be_rotated():
    assert Settings.from_env({"COPBOT_SECRET_KEY": "p" * 40}).secret_key == "p" * 40
    rotated = f"{KEY},{Fernet.generate_key().decode()}"
    assert Settings.from_env({"COPBOT_SECRET_KEY": rotated}).secret_key == rotated


def test_settings_repr_never_shows_secrets():
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
            "SLACK_SIGNING_SECRET": SECRET,
            "COPBOT_SECRET_KEY": KEY,
        }
    )
    assert (
        "xoxb" not in repr(settings) and SECRET not in repr(settings) and KEY not in repr(settings)
    )


def test_http_manifest_points_every_url_at_copbot_and_asks_least_privilege():
    data = manifest(url="https://cop.example.org/", commands=["ask", "help"])
    events = "https://cop.example.org/slack/events"
    assert data["settings"]["event_subscriptions"]["request_url"] == events
    assert data["settings"]["interactivity"]["request_url"] == events
    assert data["oauth_config"]["redirect_urls"] == ["https://cop.example.org/slack/oauth_redirect"]
    assert data["oauth_config"]["scopes"] == {"bot": list(BOT_SCOPES)}
    assert "user" not in data["oauth_config"]["scopes"]
    assert "chat:write.public" not in BOT_SCOPES and "channels:read" not in BOT_SCOPES
    commands = {c["command"]: c for c in data["features"]["slash_commands"]}
    assert set(commands) == {"/cop", "/ask"}  # /lesson only once the lesson command exists
    assert all(c["url"] == events and c["should_escape"] for c in commands.values())
    shortcuts = {s["callback_id"]: s["type"] for s in data["features"]["shortcuts"]}
    assert shortcuts == {"cop_capture_lesson": "message", "cop_ask": "global"}
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert {"app_uninstalled", "tokens_revoked", "app_home_opened"} <= set(
        data["settings"]["event_subscriptions"]["bot_events"]
    )


def test_socket_mode_manifest_has_no_urls():
    data = manifest(socket_mode=True)
    text = json.dumps(data)
    assert "http" not in text
    assert data["settings"]["socket_mode_enabled"] is True


def test_manifest_command_prints_json_and_insists_on_a_url_or_socket_mode():
    runner = CliRunner()
    printed = runner.invoke(main, ["slack", "manifest", "--url", "https://cop.example.org"])
    assert printed.exit_code == 0, printed.output
    data = json.loads(printed.output)
    assert data["features"]["slash_commands"][0]["command"] == "/cop"
    socket = runner.invoke(main, ["slack", "manifest", "--socket"])
    assert json.loads(socket.output)["settings"]["socket_mode_enabled"] is True
    missing = runner.invoke(main, ["slack", "manifest"])
    assert missing.exit_code != 0 and "--url" in missing.output
