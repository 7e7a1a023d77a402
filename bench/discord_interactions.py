"""Discord interactions: how fast copbot answers them through discord.py and the real core.

``python bench/discord_interactions.py [--rates 50,100,200] [--seconds 10] [--json PATH]``

One worker process runs copbot as in production: the real discord.py client (gateway websocket
with zlib-stream compression, heartbeats, the REST client), copbot's Discord adapter, the real
core (registry, dispatcher, handlers) on a fresh SQLite file. This process is Discord: the fake
Discord from ``tests/fakes/discord_api.py`` serves the gateway and the REST API on loopback, so
its own costs are not charged to the worker. Both share this machine's cores.

For each rate, slash-command interactions are dispatched on a fixed schedule (open loop: the
schedule does not wait for answers) from 200 members, a mix of reads and writes: ``/cop
profile show``, ``/cop profile timezone``, ``/cop available``, ``/cop roles``, ``/cop expertise
add``, ``/cop help``. Measured: the response latency (INTERACTION_CREATE sent -> the
interaction callback received) p50/p95/p99/max, interactions answered per second, how many were
deferred, answers past Discord's 3 s, and, from the worker, discord.py's "heartbeat blocked"
warnings (the symptom of a blocked event loop) and the worst event-loop lag it measured.
Target: p99 under 100 ms at 100 interactions/s and no heartbeat warning.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench`, `bot`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import itertools
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any

from tests.fakes.discord_api import FakeDiscord, FakeGuild, FakeUser

MEMBERS = 200
DEADLINE = 3.0
HEARTBEAT_MS = 1000
WARMUP = 50
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC")
TOPICS = ("postgres", "kubernetes", "python", "terraform")


# --- the worker (one copbot process) -----------------------------------------------------------


async def run_worker(api_url: str, token: str, database: str) -> None:
    """copbot with only Discord, until told to stop on stdin; prints its loop figures."""
    from adapters.discord.client import DiscordAdapter
    from bot.clock import SystemClock
    from bot.commands import build_registry
    from bot.config import Settings
    from bot.context import Runtime
    from bot.discord_settings import DiscordSettings
    from bot.dispatch import Dispatcher
    from bot.model import Platform
    from bot.ports import PortsByPlatform
    from storage import migrate
    from storage.db import Database

    blocked = _HeartbeatWatch()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("discord.gateway").addHandler(blocked)
    db = Database.from_url(f"sqlite:///{database}")
    migrate.upgrade(db.engine)
    discord_settings = DiscordSettings(token=token, api_url=api_url)
    settings = Settings(database_url=f"sqlite:///{database}", discord=discord_settings)
    ports = PortsByPlatform({})
    clock = SystemClock()
    runtime = Runtime(db=db, port=ports, clock=clock, settings=settings)
    dispatcher = Dispatcher(build_registry(), runtime)
    adapter = DiscordAdapter(
        discord_settings, dispatcher, db, clock, client_options={"guild_ready_timeout": 0.1}
    )
    ports.add(Platform.DISCORD, adapter.port)
    running = asyncio.create_task(adapter.start())
    await adapter.ready_event.wait()
    lag = asyncio.create_task(_watch_loop_lag())
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    lag.cancel()
    await adapter.close()
    await running
    print(
        json.dumps({"heartbeat_blocked": blocked.count, "max_loop_lag_ms": _LAG["max"] * 1000}),
        flush=True,
    )


class _HeartbeatWatch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "heartbeat blocked" in record.getMessage():
            self.count += 1


_LAG = {"max": 0.0}


async def _watch_loop_lag(step: float = 0.01) -> None:
    """How late a 10 ms timer fires: what any callback on this loop waited at worst."""
    while True:
        start = time.perf_counter()
        await asyncio.sleep(step)
        _LAG["max"] = max(_LAG["max"], time.perf_counter() - start - step)


# --- the driver (this process is Discord) -----------------------------------------------------


@dataclass
class Phase:
    name: str
    offered_per_s: float
    sent: int
    answered: int
    per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    deferred: int
    past_3s: int
    apologies: int  # answers that were copbot's "something went wrong" (must be 0)


def _command(n: int, user: FakeUser) -> tuple[str, dict[str, Any]]:
    match n % 6:
        case 0:
            return "profile show", {}
        case 1:
            return "profile timezone", {"zone": ZONES[n % len(ZONES)]}
        case 2:
            return "available", {"state": "off" if n % 12 == 2 else "on"}
        case 3:
            return "roles", {}
        case 4:
            return "expertise add", {"topics": TOPICS[n % len(TOPICS)]}
        case _:
            return "help", {}


def _path(command: str) -> str:
    from adapters.discord.commands import plan
    from bot.commands import build_registry

    paths = {e.spec.name: " ".join(e.path) for e in plan(build_registry())[0]}
    spec_name = {"profile show": "profile"}.get(command, command)
    return paths[spec_name]


async def run_phase(
    fake: FakeDiscord,
    guild: FakeGuild,
    channel: int,
    users: list[FakeUser],
    rate: float,
    count: int,
    numbers: itertools.count,
    name: str,
) -> Phase:
    paths: dict[str, str] = {}
    payloads = []
    for _ in range(count):
        n = next(numbers)
        command, options = _command(n, users[n % len(users)])
        path = paths.setdefault(command, _path(command))
        payloads.append(
            fake.slash(path, options, user=users[n % len(users)], guild=guild, channel_id=channel)
        )
    sent_at: dict[str, float] = {}
    start = time.monotonic()
    for i, payload in enumerate(payloads):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sent_at[payload["id"]] = await fake.send_interaction(payload)
    deadline = time.monotonic() + DEADLINE + 5
    while time.monotonic() < deadline:
        if all(pid in fake.callback_at for pid in sent_at):
            break
        await asyncio.sleep(0.01)
    latencies = sorted(
        fake.callback_at[pid] - sent for pid, sent in sent_at.items() if pid in fake.callback_at
    )
    finished = max(
        (fake.callback_at[pid] for pid in sent_at if pid in fake.callback_at), default=start
    )
    wanted = set(sent_at)
    bodies = [
        c.body
        for c in fake.calls
        if c.path.endswith("/callback") and c.path.split("/")[2] in wanted
    ]
    deferred = sum(1 for body in bodies if body.get("type") == 5)
    apologies = sum(1 for body in bodies if "went wrong on copbot" in json.dumps(body))
    return Phase(
        name=name,
        offered_per_s=rate,
        sent=len(payloads),
        answered=len(latencies),
        per_s=len(latencies) / max(finished - start, 1e-9),
        p50_ms=_pct(latencies, 50),
        p95_ms=_pct(latencies, 95),
        p99_ms=_pct(latencies, 99),
        max_ms=(latencies[-1] * 1000) if latencies else float("nan"),
        deferred=deferred,
        past_3s=sum(1 for x in latencies if x > DEADLINE) + (len(payloads) - len(latencies)),
        apologies=apologies,
    )


def _pct(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index] * 1000


async def drive(rates: list[float], seconds: float) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="copbot-discord-bench-"))
    try:
        async with FakeDiscord(heartbeat_interval_ms=HEARTBEAT_MS) as fake:
            guild = fake.add_guild("Bench")
            channel = fake.add_channel(guild, "general")
            users = [fake.add_user(f"member{n}") for n in range(MEMBERS)]
            worker = await asyncio.create_subprocess_exec(
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                "--api-url",
                fake.api_url,
                "--database",
                str(workdir / "copbot.db"),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env={**os.environ, "COPBOT_BENCH_TOKEN": fake.token},
            )
            assert worker.stdin is not None and worker.stdout is not None
            line = await asyncio.wait_for(worker.stdout.readline(), 60)
            if line.strip() != b"ready":
                raise SystemExit(f"the worker did not start: {line!r}")
            numbers = itertools.count()
            await run_phase(fake, guild, channel, users, 50, WARMUP, numbers, "warm-up")
            phases = []
            for rate in rates:
                count = int(rate * seconds)
                phases.append(
                    await run_phase(
                        fake, guild, channel, users, rate, count, numbers, f"open {rate:g}/s"
                    )
                )
            worker.stdin.write(b"stop\n")
            await worker.stdin.drain()
            tail = await asyncio.wait_for(worker.stdout.read(), 60)
            await worker.wait()
            loop = json.loads(tail.decode().strip().splitlines()[-1])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "members": MEMBERS,
        "seconds_per_rate": seconds,
        "heartbeat_interval_ms": HEARTBEAT_MS,
        "phases": [asdict(p) for p in phases],
        "heartbeat_blocked_warnings": loop["heartbeat_blocked"],
        "max_loop_lag_ms": round(loop["max_loop_lag_ms"], 1),
    }


def print_table(result: dict[str, Any]) -> None:
    header = (
        f"{'phase':<14}{'sent':>6}{'answered/s':>12}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'deferred':>10}{'>3 s':>6}{'errors':>8}"
    )
    print(header)
    print("-" * len(header))
    for p in result["phases"]:
        print(
            f"{p['name']:<14}{p['sent']:>6}{p['per_s']:>12.1f}{p['p50_ms']:>9.1f}"
            f"{p['p95_ms']:>9.1f}{p['p99_ms']:>9.1f}{p['max_ms']:>9.1f}{p['deferred']:>10}"
            f"{p['past_3s']:>6}{p['apologies']:>8}"
        )
    print(
        f"\ndiscord.py 'heartbeat blocked' warnings in the worker: "
        f"{result['heartbeat_blocked_warnings']}; worst event-loop lag: "
        f"{result['max_loop_lag_ms']} ms ({result['machine']['cpus']} CPUs, "
        f"{result['members']} members, SQLite)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,200", help="interactions per second, a list")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each rate runs")
    parser.add_argument("--json", dest="json_path", help="also write the figures here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        asyncio.run(run_worker(args.api_url, os.environ["COPBOT_BENCH_TOKEN"], args.database))
        return 0
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    result = asyncio.run(drive(rates, args.seconds))
    print_table(result)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result, indent=2) + "\n")
    target = next((p for p in result["phases"] if p["offered_per_s"] == 100), None)
    met = target is None or (
        target["p99_ms"] < 100
        and result["heartbeat_blocked_warnings"] == 0
        and all(p["apologies"] == 0 for p in result["phases"])
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
