"""The whole product as a newcomer meets it: the `copbot` program in a subprocess, driven by a
script on standard input, on a fresh SQLite file."""

import pytest

from tests.fakes.cli import run_copbot as copbot


@pytest.fixture
def migrated(tmp_path):
    done = copbot(["db", "upgrade"], tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path


SCRIPT = """\
# a member tries copbot for the first time
@nina /help
@nina /profile timezone Europe/Berlin
@nina /profile quiet 18:00-09:00
@nina /profile
@nina /available off
@nina /forget-me
@nina /forget-me confirm
@nina /profile
"""


def test_scripted_session_of_help_profile_available_and_forget_me(migrated):
    result = copbot(["console"], migrated, SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    blocks = [b for b in out.split("\n[") if b]
    assert blocks[0].startswith("[ephemeral -> nina] copbot helps this community")
    assert "/forget-me  delete everything copbot holds about you here" in blocks[0]
    assert "Your time zone is now Europe/Berlin." in blocks[1]
    assert "Quiet hours set to 18:00-09:00 Europe/Berlin" in blocks[2]
    assert "Quiet hours: 18:00-09:00 Europe/Berlin" in blocks[3]
    assert "Available for questions: yes" in blocks[3]
    assert "You are away" in blocks[4]
    assert "This deletes everything copbot holds about you" in blocks[5]
    assert "[1] Delete my data: type /forget-me confirm" in blocks[5]
    assert "Done. copbot deleted:" in blocks[6]
    assert "your profile (time zone, quiet hours, settings, role)" in blocks[6]
    assert "Time zone: UTC (workspace default" in blocks[7]  # a fresh start after forgetting
    assert "Available for questions: yes" in blocks[7]


def test_data_survives_between_runs(migrated):
    copbot(["console"], migrated, "@nina /profile timezone Asia/Tokyo\n")
    result = copbot(["console"], migrated, "@nina /profile\n")
    assert "Time zone: Asia/Tokyo (set by you)" in result.stdout


def test_run_without_tokens_starts_the_console_with_a_two_line_hint(migrated):
    result = copbot(["run"], migrated, "/profile\n")
    assert result.returncode == 0, result.stderr
    hint = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(hint) == 2 and "runs in the console" in hint[0]
    assert "[ephemeral -> you] Your profile, you" in result.stdout


def test_demo_loads_once_and_its_members_are_there(migrated):
    first = copbot(["demo"], migrated)
    second = copbot(["demo"], migrated)
    assert "Loaded the demo community" in first.stdout
    assert "already loaded; nothing changed" in second.stdout
    result = copbot(["console"], migrated, "@bob /profile\n/roles\n")
    assert "Time zone: America/New_York (set by you)" in result.stdout
    assert "postgres (declared)" in result.stdout
    assert "@dan: facilitator" in result.stdout


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"COPBOT_PLATFORMS": "irc"}, "COPBOT_PLATFORMS"),
        ({"COPBOT_DEFAULT_TIMEZONE": "Moon/Base"}, "COPBOT_DEFAULT_TIMEZONE"),
    ],
)
def test_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path, env, variable):
    result = copbot(["run"], tmp_path, "", **env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert f"configuration error: {variable}: " in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_setting_in_dotenv_is_read_and_named(tmp_path):
    (tmp_path / ".env").write_text("COPBOT_LOG_LEVEL=chatty\n")
    result = copbot(["console"], tmp_path, "")
    assert result.returncode != 0
    assert "configuration error: COPBOT_LOG_LEVEL: 'chatty'" in result.stderr


def test_console_on_an_unmigrated_database_says_how_to_fix_it(tmp_path):
    result = copbot(["console"], tmp_path, "/help\n")
    assert result.returncode != 0
    assert "run `copbot db upgrade`" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_postgres_is_one_clear_line(tmp_path):
    result = copbot(["console"], tmp_path, "", DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot open the database" in lines[0]
