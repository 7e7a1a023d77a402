"""A facilitator and a member in the console, the `copbot` program in a subprocess: schedule a
prompt, post it now, answer it; the digest's chart saved to a file; the CSV export."""

import csv
from pathlib import Path

import pytest

from tests.fakes.cli import run_copbot as copbot


@pytest.fixture
def migrated(tmp_path):
    done = copbot(["db", "upgrade"], tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path


SCRIPT = """\
/as dan admin
@bob /prompts schedule #general weekly mon 09:00
/prompts schedule #general weekly mon 09:00 Europe/Berlin anonymous
/prompts list
/prompts now 1
@bob /reflect Pairing on the migration taught me to read the plan first.
@erin /reflect anonymous I still do not understand our deploys.
/stats digest #general weekly fri 16:00
/stats digest now
"""


def test_schedule_post_now_and_answer_in_the_console(migrated):
    result = copbot(["console"], migrated, SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    blocks = [b for b in out.split("\n[") if b]
    assert "You are now dan (platform admin)." in blocks[0]
    assert "ephemeral -> bob] Only facilitators can use /prompts schedule" in blocks[1]
    assert "Scheduled #1: Weekly reflection (weekly-reflection" in blocks[2]
    assert "every Monday at 09:00 Europe/Berlin (as you asked)" in blocks[2]
    assert "First post: Mon" in blocks[2] and "[1] Post one now: type /prompts now 1" in blocks[2]
    assert (
        "#1 weekly-reflection in #general: every Monday at 09:00 (Europe/Berlin); next"
        in (blocks[3])
    )
    assert blocks[4].startswith("#general] Weekly reflection")  # the post itself, in channel
    assert "To answer anonymously: /reflect anonymous" in blocks[4]
    assert "Posted the next prompt of #1" in blocks[5]
    assert (
        blocks[6].startswith("#general thread ")
        and "> bob: Pairing on the migration" in (blocks[6])
    )
    assert "ephemeral -> bob] Thank you: your answer is in the prompt's thread." in blocks[7]
    assert "> anonymous: I still do not understand our deploys." in blocks[8]
    assert "erin" not in blocks[8]
    assert "The community digest goes to #general, every Friday at 16:00 UTC" in blocks[10]
    assert blocks[11].startswith("#general] Community digest: the last 7 days")
    assert "Reflection: 2 answers from 2 members" in blocks[11]
    saved = [line for line in blocks[11].splitlines() if "attachment:" in line]
    assert len(saved) == 1
    path = Path(saved[0].split(": ")[-1])
    assert path.parent == migrated / "copbot-files"
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_schedules_survive_between_console_runs(migrated):
    copbot(["console"], migrated, "/as dan admin\n/prompts schedule #general daily 08:00\n")
    result = copbot(["console"], migrated, "/prompts list\n")
    assert "#1 weekly-reflection in #general: every day at 08:00 (UTC); next" in result.stdout


def test_stats_export_writes_a_csv_for_spreadsheets(migrated):
    copbot(["console"], migrated, SCRIPT)
    result = copbot(["stats", "export", "--csv", "health.csv", "--days", "30"], migrated)
    assert result.returncode == 0, result.stderr
    assert "Wrote 1 workspace(s), the last 30 days, to health.csv." in result.stdout
    with open(migrated / "health.csv", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["workspace"] == "console" and row["days"] == "30"
    assert row["reflection_answers"] == "2" and row["prompts_posted"] == "1"
