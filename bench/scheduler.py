"""Benchmark of the reflection scheduler: ``python bench/scheduler.py [--json PATH]``.

10,000 schedules over 1,000 workspaces on a fresh database (SQLite file by default, or
``--database-url postgresql://...``), run through the real ``SchedulerService`` (APScheduler's
AsyncIOScheduler, its SQLAlchemy job store, the claims) and the real prompt-posting code. Posts
go to a ChatPort that enforces one message per second per channel (as Slack does) and takes
20 ms per call.

How time is handled: the clock is moved with time-machine to a few seconds before each due
minute and then runs at its real speed (``tick=True``), so every delay below is real
wall-clock time; only the waiting for Monday is skipped. The 1,000 due prompts all fall due at
09:00:00 UTC of the same Monday (local 09:00 in London, 10:00 in Berlin, 18:00 in Tokyo, 14:30
in Kolkata, 20:00 in Sydney): the worst case, one second, not spread over the minute. 50 of the
due channels get two prompts, so the second one must wait for the channel's rate limit.

Figures:
- start-up: the first start (10,000 jobs created in the job store) and a restart (jobs
  already there), with the process's resident memory after each.
- busy minute: delay from due time to post for the 1,000 prompts (target: all within 5 s), and
  the longest the event loop was blocked (a 10 ms heartbeat's worst lateness).
- restart in the middle: the next Monday, the scheduler is stopped gracefully once half the
  prompts are out and a new one is started on the same database: lost and doubled posts.
- hard stop in the middle (the Monday after): the same with no time to finish (in-flight jobs
  cancelled): what copbot's claims and catch-up make of it.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import json
import logging
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from bot.clock import SystemClock
from bot.config import Settings
from bot.context import Runtime
from bot.model import MessageId, MessageRef, Place, Reply, UserId, WorkspaceRef
from bot.scheduler.leader import SingleProcess
from bot.scheduler.service import SchedulerService
from storage import migrate
from storage.db import Database
from storage.models import PromptSchedule, Workspace

DUE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
DUE_ZONES = (  # (zone, local hour:minute that is 09:00 UTC on the Mondays of March 2026)
    ("Europe/London", "0 9"),
    ("UTC", "0 9"),
    ("Europe/Berlin", "0 10"),
    ("Asia/Tokyo", "0 18"),
    ("Asia/Kolkata", "30 14"),
    ("Australia/Sydney", "0 20"),
)
OTHER_ZONES = ("America/New_York", "Europe/Paris", "Asia/Singapore", "America/Sao_Paulo", "UTC")
TARGET_SECONDS = 5.0


class RateLimitedPort:
    """One message per second per channel, 20 ms per call; records when each post went out."""

    def __init__(self, latency: float = 0.02) -> None:
        self.latency = latency
        self._next: dict[tuple[str, str], float] = {}
        self.posts: list[tuple[str, str, datetime]] = []  # (workspace, channel, when)
        self._ids = 0

    async def post(self, place: Place, reply: Reply) -> MessageRef:
        loop = asyncio.get_running_loop()
        key = (place.workspace.key, place.channel)
        start = max(loop.time(), self._next.get(key, 0.0))
        self._next[key] = start + 1.0  # reserve this channel's next slot before waiting
        await asyncio.sleep(start - loop.time() + self.latency)
        self._ids += 1
        self.posts.append((place.workspace.key, place.channel, datetime.now(UTC)))
        return MessageRef(place=place, message=MessageId(str(self._ids)))

    async def send_direct(self, workspace: WorkspaceRef, user: UserId, reply: Reply) -> MessageRef:
        raise AssertionError("the benchmark sends no DMs")

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        raise AssertionError("the benchmark updates nothing")


@dataclass
class Figures:
    schedules: int = 0
    workspaces: int = 0
    due: int = 0
    backend: str = ""
    first_start_s: float = 0.0
    restart_s: float = 0.0
    rss_mb_after_first_start: float = 0.0
    rss_mb_after_restart: float = 0.0
    delay_p50_s: float = 0.0
    delay_p95_s: float = 0.0
    delay_max_s: float = 0.0
    within_target: int = 0
    loop_blocked_max_ms: float = 0.0
    graceful_restart: dict[str, int] = field(default_factory=dict)
    hard_stop: dict[str, int] = field(default_factory=dict)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed(db: Database, schedules: int, workspaces: int, due: int) -> set[tuple[str, str]]:
    """Workspaces and schedules; returns the (workspace, channel) of every due prompt."""
    rng = random.Random(6)
    long_ago = datetime(2026, 2, 20, tzinfo=UTC)
    with db.engine.begin() as connection:
        connection.execute(
            sa.insert(Workspace),
            [
                {
                    "platform": "slack",
                    "external_id": f"T{n:05d}",
                    "name": f"workspace {n}",
                    "default_timezone": "UTC",
                    "route_candidates": 3,
                    "daily_route_cap": 3,
                    "escalation_hours": 4.0,
                    "expertise_half_life_days": 180,
                    "lesson_review_days": 180,
                    "created_at": long_ago,
                }
                for n in range(workspaces)
            ],
        )
        ids = list(connection.execute(sa.select(Workspace.id).order_by(Workspace.id)).scalars())
    rows, due_channels = [], set()
    pairs = 50  # due channels that get two prompts in the same second
    for n in range(schedules):
        workspace = ids[n % workspaces]
        if n < due:
            zone, at = DUE_ZONES[n % len(DUE_ZONES)]
            cron = f"{at} * * mon"
            channel = f"due-{n // 2}" if n < 2 * pairs else f"due-{n}"
            if n < 2 * pairs:
                workspace = ids[(n // 2) % workspaces]
            due_channels.add((f"T{workspace - ids[0]:05d}", channel))
        else:
            zone = rng.choice(OTHER_ZONES)
            day = rng.choice(("tue", "wed", "thu", "fri", "sat", "sun"))
            cron = f"{rng.randrange(60)} {rng.randrange(24)} * * {day}"
            channel = f"c{n % 7}"
        rows.append(
            {
                "workspace_id": workspace,
                "channel_id": channel,
                "set_name": "weekly-reflection",
                "cron": cron,
                "timezone": zone,
                "status": "active",
                "anonymous_allowed": False,
                "used_prompt_ids": "",
                "created_at": long_ago,
                "dm_members": False,
                "revision": 1,
                "job_revision": 0,
                "updated_at": long_ago,
            }
        )
    with db.engine.begin() as connection:
        connection.execute(sa.insert(PromptSchedule), rows)
    return due_channels


async def heartbeat(worst: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.01)
        worst[0] = max(worst[0], loop.time() - before - 0.01)


async def wait_until(
    port: RateLimitedPort, expected: set[tuple[str, str]], count: int, seconds: float
) -> None:
    """Until ``count`` due prompts are out (or ``seconds`` have passed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sum(1 for w, c, _ in port.posts if (w, c) in expected) >= count:
            return
        await asyncio.sleep(0.02)


def tally(
    posts: list[tuple[str, str, datetime]], expected: set[tuple[str, str]], due_count: int
) -> dict[str, int]:
    """Posts of the due prompts only: posted, lost and doubled."""
    per_channel = Counter((w, c) for w, c, _ in posts if (w, c) in expected)
    # Pair channels carry two schedules: expect 2 there, 1 elsewhere.
    want = {key: 2 if key[1].startswith("due-") and int(key[1][4:]) < 50 else 1 for key in expected}
    lost = sum(max(0, want[key] - per_channel.get(key, 0)) for key in want)
    doubled = sum(max(0, per_channel[key] - want.get(key, 0)) for key in per_channel)
    posted = sum(per_channel.values())
    return {"posted": posted, "expected": due_count, "lost": lost, "doubled": doubled}


async def run(args: argparse.Namespace) -> Figures:
    figures = Figures(schedules=args.schedules, workspaces=args.workspaces, due=args.due)
    folder = tempfile.mkdtemp(prefix="copbot-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    db = Database.from_url(url)
    figures.backend = db.engine.dialect.name
    migrate.upgrade(db.engine)
    expected = seed(db, args.schedules, args.workspaces, args.due)
    port = RateLimitedPort()
    runtime = Runtime(db=db, port=port, clock=SystemClock(), settings=Settings())

    def service() -> SchedulerService:
        return SchedulerService(runtime, leadership=SingleProcess(), sync_seconds=60)

    with time_machine.travel(DUE - timedelta(hours=2), tick=True) as travel:
        first = service()
        started = time.perf_counter()
        await first.start()
        figures.first_start_s = time.perf_counter() - started
        figures.rss_mb_after_first_start = rss_mb()
        await first.stop()
        second = service()
        started = time.perf_counter()
        await second.start()
        figures.restart_s = time.perf_counter() - started
        figures.rss_mb_after_restart = rss_mb()
        await second.stop()

        # The busy minute. (Starting two hours early posted prompts of other schedules that
        # fell due in the grace period before: correct, and not what is measured here.)
        port.posts.clear()
        travel.move_to(DUE - timedelta(seconds=3))
        busy = service()
        await busy.start()
        worst, stop = [0.0], asyncio.Event()
        beat = asyncio.create_task(heartbeat(worst, stop))
        await wait_until(port, expected, args.due, 60)
        stop.set()
        await beat
        await busy.stop()
        delays = sorted(
            (when - DUE).total_seconds() for w, c, when in port.posts if (w, c) in expected
        )
        figures.delay_p50_s = statistics.median(delays)
        figures.delay_p95_s = delays[int(0.95 * (len(delays) - 1))]
        figures.delay_max_s = delays[-1]
        figures.within_target = sum(1 for d in delays if d <= TARGET_SECONDS)
        figures.loop_blocked_max_ms = worst[0] * 1000

        for week, drain, key in ((1, 10.0, "graceful_restart"), (2, 0.0, "hard_stop")):
            port.posts.clear()
            travel.move_to(DUE + timedelta(days=7 * week) - timedelta(seconds=2))
            before = service()
            await before.start()
            await wait_until(port, expected, args.due // 2, 60)
            await before.stop(drain_timeout=drain)
            after = service()
            await after.start()
            await after.run_pending()
            await wait_until(port, expected, args.due, 20)
            await asyncio.sleep(1.5)  # anything doubled would arrive now
            await after.stop()
            setattr(figures, key, tally(port.posts, expected, args.due))
    db.dispose()
    return figures


def table(f: Figures) -> str:
    g, h = f.graceful_restart, f.hard_stop
    rows = [
        ("database", f.backend),
        ("schedules / workspaces", f"{f.schedules:,} / {f.workspaces:,}"),
        ("first start (creates every job)", f"{f.first_start_s:.2f} s"),
        ("restart (jobs already stored)", f"{f.restart_s:.2f} s"),
        ("resident memory after first start", f"{f.rss_mb_after_first_start:.0f} MB"),
        ("resident memory after restart", f"{f.rss_mb_after_restart:.0f} MB"),
        (f"due in one minute ({f.due:,}): delay p50", f"{f.delay_p50_s:.2f} s"),
        ("delay p95", f"{f.delay_p95_s:.2f} s"),
        ("delay max", f"{f.delay_max_s:.2f} s"),
        (
            f"posted within {TARGET_SECONDS:.0f} s",
            f"{f.within_target:,} of {f.due:,}"
            + (" (target met)" if f.within_target == f.due else " (TARGET MISSED)"),
        ),
        ("event loop blocked, worst", f"{f.loop_blocked_max_ms:.0f} ms"),
        (
            "graceful restart mid-minute",
            f"{g['posted']:,} posted, {g['lost']} lost, {g['doubled']} doubled",
        ),
        (
            "hard stop mid-minute",
            f"{h['posted']:,} posted, {h['lost']} lost, {h['doubled']} doubled",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/scheduler.py", description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--workspaces", type=int, default=1_000)
    parser.add_argument("--due", type=int, default=1_000, help="prompts due in the busy minute")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    figures = asyncio.run(run(args))
    print(table(figures))
    if args.json:
        args.json.write_text(json.dumps(figures.__dict__, indent=2) + "\n")
    met = figures.within_target == figures.due
    clean = not figures.graceful_restart["lost"] and not figures.graceful_restart["doubled"]
    return 0 if met and clean and not figures.hard_stop["doubled"] else 1


if __name__ == "__main__":
    sys.exit(main())
