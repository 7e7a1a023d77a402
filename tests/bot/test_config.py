"""Settings: defaults, and one clear line naming the variable for every bad value."""

import re
from pathlib import Path

import pytest

from bot.config import ENV_VARIABLES, Settings
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_sqlite_utc_and_auto_platforms():
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///copbot.db"
    assert settings.default_timezone == "UTC"
    assert settings.platforms == ()
    assert settings.log_level == "INFO"


@pytest.mark.parametrize(
    ("env", "variable", "says"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL", "is not a database URL"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL", "supports sqlite and postgresql"),
        ({"DATABASE_URL": "postgresql://u@h"}, "DATABASE_URL", "names no database"),
        ({"DATABASE_URL": "sqlite:////no/such/dir/x.db"}, "DATABASE_URL", "does not exist"),
        ({"COPBOT_PLATFORMS": "teams"}, "COPBOT_PLATFORMS", "unknown platform 'teams'"),
        ({"COPBOT_PLATFORMS": "console,slack"}, "SLACK_BOT_TOKEN", "COPBOT_PLATFORMS includes"),
        ({"COPBOT_DEFAULT_TIMEZONE": "Mars/Olympus"}, "COPBOT_DEFAULT_TIMEZONE", "IANA"),
        ({"COPBOT_LOG_LEVEL": "LOUD"}, "COPBOT_LOG_LEVEL", "not one of"),
    ],
)
def test_bad_value_names_the_variable(env, variable, says):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_postgres_url_and_zone_case_are_accepted():
    settings = Settings.from_env(
        {"DATABASE_URL": "postgresql://u:pw@db:5432/cop", "COPBOT_DEFAULT_TIMEZONE": "asia/tokyo"}
    )
    assert settings.default_timezone == "Asia/Tokyo"
    assert "pw" not in settings.redacted_database_url


def test_config_example_documents_every_variable_copbot_reads():
    example = (ROOT / "config.example.env").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    assert set(ENV_VARIABLES) <= documented


def test_config_example_values_are_themselves_valid():
    example = (ROOT / "config.example.env").read_text()
    env = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", example, re.M))
    Settings.from_env(env)
