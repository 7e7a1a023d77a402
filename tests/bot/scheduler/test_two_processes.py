"""Two copbot processes on one PostgreSQL: one schedules, the other takes over when it is
killed, and no prompt is ever posted twice.

Real subprocesses (tests/bot/scheduler/scheduler_worker.py) with their clocks set by
time-machine, so the due minute arrives within seconds: process A's clock starts two seconds
before 09:00; process B's clock runs 54 seconds ahead of A's, so when B takes over, the 09:01
prompts are due a few seconds later. A posts slowly (one post per 0.1 s, as a rate-limited
platform would) and is killed with SIGKILL in the middle of the 09:00 wave.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.db import Database
from tests.fakes import scheduling as sch

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]
WORKER = Path(__file__).with_name("scheduler_worker.py")
WAVE = 20


def _records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _wait_for(path: Path, condition, seconds: float) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        records = _records(path)
        if condition(records):
            return records
        time.sleep(0.05)
    raise AssertionError(f"timed out; saw {_records(path)}")


def _start(url: str, out: Path, clock: str, delay: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), "--url", url, "--out", str(out), "--clock", clock,
         "--post-delay", str(delay), "--seconds", "40"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.fixture
def database_url(pg_server):
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE copbot_template'))
    yield pg_server.url(name)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_two_processes_never_post_a_prompt_twice_even_across_a_takeover(database_url, tmp_path):
    db = Database.from_url(database_url)
    created = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    for n in range(WAVE):
        db.run_sync(
            sch.seed_schedule, cron="0 9 * * *", zone="UTC", channel=f"a{n}", created=created
        )
        db.run_sync(
            sch.seed_schedule, cron="1 9 * * *", zone="UTC", channel=f"b{n}", created=created
        )
    out = tmp_path / "posts.jsonl"
    first = _start(database_url, out, "2026-03-02T08:59:58+00:00", delay=0.1)
    second = None
    try:
        records = _wait_for(out, lambda r: any(x["event"] == "leading" for x in r), 20)
        second = _start(database_url, out, "2026-03-02T09:00:52+00:00", delay=0.0)
        # Kill the leader in the middle of its 09:00 wave.
        _wait_for(out, lambda r: sum(x["event"] == "post" for x in r) >= WAVE // 4, 20)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        records = _wait_for(
            out,
            lambda r: sum(x["event"] == "post" and x["channel"].startswith("b") for x in r) >= WAVE,
            25,
        )
        time.sleep(0.5)  # anything doubled would show up now
        records = _records(out)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(15)
    leaders = [x["pid"] for x in records if x["event"] == "leading"]
    assert leaders == [first.pid, second.pid]
    posts = [x for x in records if x["event"] == "post"]
    by_channel = Counter(x["channel"] for x in posts)
    assert [channel for channel, count in by_channel.items() if count > 1] == []
    wave_a = [x for x in posts if x["channel"].startswith("a")]
    wave_b = [x for x in posts if x["channel"].startswith("b")]
    assert {x["pid"] for x in wave_a} == {first.pid}  # the new leader redid nothing
    assert WAVE // 4 <= len(wave_a) < WAVE  # A really was killed mid-wave
    assert len(wave_b) == WAVE and {x["pid"] for x in wave_b} == {second.pid}
    outcomes = Counter(run.outcome for run in db.run_sync(sch.runs))
    # Every claim is posted or reported as interrupted, never retried. (The post in flight when
    # A died may have reached the platform without being recorded: at most one such.)
    assert outcomes["posted"] + outcomes["interrupted"] == 2 * WAVE
    assert len(wave_a) - 1 <= outcomes["posted"] - len(wave_b) <= len(wave_a)
    db.dispose()
