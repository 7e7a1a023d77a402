"""Slack over HTTP: how fast copbot acknowledges signed slash commands, and how many per second.

``python -m bench.slack_http [--requests N] [--json PATH]``

One worker process runs the real thing: Bolt's AsyncApp behind copbot's aiohttp server, the real
core (registry, dispatcher, handlers) on a fresh SQLite file, the database of deliveries seen,
users.info, and every reply sent through its response_url. This process is Slack: it signs each
request with slack_sdk's SignatureVerifier and sends it over loopback, and it also serves the fake
Web API the worker calls (so answering copbot's API calls is charged to "Slack", not to the
worker). Both share this machine's cores.

Measured, per phase: the ack latency (request sent -> HTTP 200 received) p50/p99/max, requests
acknowledged per second by the one worker, requests past Slack's 3 s, and the reply latency
(request sent -> the answer reaching its response_url).

- ``open 100/s``, ``open 250/s``: requests at a steady rate (open loop: the schedule does not
  wait for answers); 100/s is the rate the ack targets are set for, 250/s about what one worker
  completes with the real core;
- ``closed N``: N clients each sending back to back (1, 10, 50): how many requests one worker
  acknowledges a second. Beyond what it can complete, it answers "busy" at once (``busy``) rather
  than minutes late, and the ``replied_per_s`` column is what it completed;
- ``10k mixed``: 10,000 requests at 150/s, a mix of help, profile, availability and questions
  (``/cop ask``, which posts the question and DMs the experts it routes to);
- ``Bolt default`` vs ``ack first``: one client, the same command, with Bolt's default runner
  (``process_before_response=False``: the listener starts in a task and Bolt polls for the ack
  every 10 ms) and with copbot's (the listener acks inline and returns; the core runs in a task).
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
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "benchbenchbench0123456789abcdefg"
BOT_TOKEN = "xoxb-bench-token"
TEAM = "T0BENCH"
USERS = 500
EXPERTS = 150
DEADLINE = 3.0


# --- the worker (one copbot process) --------------------------------------------------------------


async def run_worker(api_url: str, database: str, polled: bool) -> None:
    import logging

    from adapters.slack.app import SlackAdapter
    from adapters.slack.server import HttpServer, favour_the_event_loop
    from bot.clock import SystemClock
    from bot.commands import build_registry
    from bot.config import Settings
    from bot.context import Runtime
    from bot.dispatch import Dispatcher
    from bot.ports import PortsByPlatform
    from bot.slack_settings import SlackSettings
    from storage.db import Database

    logging.basicConfig(level=logging.ERROR)
    favour_the_event_loop()  # as copbot run does
    if os.environ.get("BENCH_SWITCH_INTERVAL"):  # to compare with Python's default (0.005)
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    slack = SlackSettings(
        mode="http", bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=api_url
    )
    settings = Settings(database_url=database, slack=slack)
    db = Database.from_url(database)
    ports = PortsByPlatform({})
    runtime = Runtime(db=db, port=ports, clock=SystemClock(), settings=settings)
    dispatcher = Dispatcher(build_registry(), runtime)
    options = {}
    if os.environ.get("BENCH_CONCURRENT_WORK"):  # to compare limits on running core tasks
        options["concurrent_work"] = int(os.environ["BENCH_CONCURRENT_WORK"])
    adapter = await SlackAdapter.create(
        dispatcher, ports, slack, process_before_response=not polled, **options
    )
    server = HttpServer(adapter)
    port = await server.start("127.0.0.1", 0)
    print(f"PORT {port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed
    await server.stop()
    await adapter.close()


# --- Slack's side: the fake Web API, the signer and the load ----------------------------------


@dataclass
class Phase:
    name: str
    clients: str
    requests: int = 0
    seconds: float = 0.0
    acks: list[float] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)
    errors: int = 0
    busy: int = 0  # acknowledged with "copbot is very busy" (the worker's backlog was full)
    done_seconds: float = 0.0  # first request sent -> last answer received

    def row(self) -> dict[str, object]:
        def pct(values: list[float], q: float) -> float:
            if not values:
                return float("nan")
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

        return {
            "phase": self.name,
            "clients": self.clients,
            "requests": self.requests,
            "acked_per_s": round(len(self.acks) / self.seconds, 1) if self.seconds else 0.0,
            "ack_p50_ms": round(pct(self.acks, 0.50), 2),
            "ack_p99_ms": round(pct(self.acks, 0.99), 2),
            "ack_max_ms": round(max(self.acks, default=0) * 1000, 2),
            "past_3s": sum(1 for a in self.acks if a > DEADLINE) + self.errors,
            "reply_p50_ms": round(pct(self.replies, 0.50), 1),
            "reply_p99_ms": round(pct(self.replies, 0.99), 1),
            "replied_per_s": (
                round(len(self.replies) / self.done_seconds, 1) if self.done_seconds else 0.0
            ),
            "busy": self.busy,
            "errors": self.errors,
        }


class Load:
    """Signs and sends slash commands; matches each answer at its response_url to its request."""

    def __init__(self, fake: object, url: str, session: aiohttp.ClientSession) -> None:
        self.fake, self.url, self.session = fake, url, session
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self.sent_at: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self._ids = itertools.count(1)

    def body(self, user: str, text: str) -> tuple[str, str]:
        """A slash command from ``user`` in one of 200 channels (Slack paces each channel at
        about a message a second, so a real community's questions are spread out too)."""
        n = next(self._ids)
        key = f"R{n}"
        self.fake.response_urls[key] = TEAM  # type: ignore[attr-defined]
        fields = {
            "token": "x",
            "team_id": TEAM,
            "team_domain": "bench",
            "channel_id": f"C{n % 200:04d}",
            "channel_name": "bench",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/cop",
            "text": text,
            "api_app_id": "A0BENCH",
            "is_enterprise_install": "false",
            "response_url": f"http://127.0.0.1:{self.fake.port}/respond/{key}",  # type: ignore
            "trigger_id": f"trig.{n}",
        }
        return key, urlencode(fields)

    async def send(self, user: str, text: str, phase: Phase) -> None:
        key, body = self.body(user, text)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=stamp, body=body),
        }
        started = time.perf_counter()
        self.sent_at[key] = started
        try:
            async with self.session.post(self.url, data=body, headers=headers) as response:
                text = await response.text()
                ok = response.status == 200
                phase.busy += "very busy" in text
        except aiohttp.ClientError:
            ok = False
        phase.requests += 1
        if ok:
            phase.acks.append(time.perf_counter() - started)
        else:
            phase.errors += 1

    async def settle(self, phase: Phase, keys_from: int, timeout: float = 60.0) -> None:
        """Wait for the answers of this phase's requests, then record their latencies."""
        deadline = time.perf_counter() + timeout
        wanted = [k for k in self.sent_at if int(k[1:]) >= keys_from]
        expected = len(wanted) - phase.busy
        while time.perf_counter() < deadline and sum(k in self.answered for k in wanted) < expected:
            await asyncio.sleep(0.01)
        phase.replies = [self.answered[k] - self.sent_at[k] for k in wanted if k in self.answered]
        if phase.replies:
            first = min(self.sent_at[k] for k in wanted)
            last = max(self.answered[k] for k in wanted if k in self.answered)
            phase.done_seconds = last - first


def install_answer_clock(fake: object, load: Load) -> None:
    """Timestamp each answer as the fake receives it at its response_url."""

    def answered(key: str) -> None:
        load.answered.setdefault(key, time.perf_counter())

    fake.on_respond = answered  # type: ignore[attr-defined]


MIX = (
    ("help", 3),
    ("profile", 4),
    ("available off", 1),
    ("available on", 1),
    ("ask [postgres] why does autovacuum stall on our big table? #{n}", 1),
)


def mixed_texts() -> list[str]:
    return [text for text, weight in MIX for _ in range(weight)]


async def closed(load: Load, name: str, clients: int, total: int, texts: list[str]) -> Phase:
    phase = Phase(name, str(clients))
    counter = itertools.count()
    first = next(load._ids)

    async def client(c: int) -> None:
        while (n := next(counter)) < total:
            text = texts[n % len(texts)].replace("{n}", str(n))
            await load.send(f"U{(n * 7 + c) % USERS:05d}", text, phase)

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    phase.seconds = time.perf_counter() - started
    await load.settle(phase, first)
    return phase


async def open_loop(
    load: Load, name: str, rate: float, total: int, texts: list[str] | None = None
) -> Phase:
    """Requests on a fixed schedule, whatever the answers do (as Slack's users would)."""
    phase = Phase(name, f"{rate:g}/s")
    texts = texts or ["help", "profile"]
    first = next(load._ids)
    started = time.perf_counter()
    tasks = []
    for n in range(total):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        text = texts[n % len(texts)].replace("{n}", str(n))
        tasks.append(asyncio.create_task(load.send(f"U{n % USERS:05d}", text, phase)))
    await asyncio.gather(*tasks)
    phase.seconds = time.perf_counter() - started
    await load.settle(phase, first)
    return phase


class Worker:
    def __init__(self, api_url: str, database: str, polled: bool) -> None:
        args = [sys.executable, "-m", "bench.slack_http", "--worker", "--api-url", api_url]
        args += ["--database", database] + (["--polled"] if polled else [])
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(
            args, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the worker did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/slack/events"

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def prepare_database(folder: Path) -> str:
    from storage import migrate
    from storage.db import make_engine

    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'copbot.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


async def main(args: argparse.Namespace) -> list[dict[str, object]]:
    from tests.fakes.slack_api import FakeSlack

    fake = await FakeSlack().start()
    fake.quiet = True
    fake.add_team(TEAM, bot_token=BOT_TOKEN, name="Bench")
    for n in range(USERS):
        fake.add_user(TEAM, f"U{n:05d}", f"member{n}", tz="Europe/Berlin", admin=n == 0)
    folder = Path(tempfile.mkdtemp(prefix="copbot-bench-"))
    rows: list[dict[str, object]] = []
    connector = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            for polled in (True, False):
                database = prepare_database(folder / ("polled" if polled else "direct"))
                worker = Worker(fake.base_url, database, polled)
                try:
                    load = Load(fake, worker.url, session)
                    install_answer_clock(fake, load)
                    await closed(load, "warm-up", 4, 200, ["help"])
                    label = "Bolt default (polls)" if polled else "ack first (copbot)"
                    rows.append((await closed(load, label, 1, args.small, ["help"])).row())
                    if polled:
                        continue
                    experts = [f"U{n:05d}" for n in range(1, EXPERTS + 1)]
                    for user in experts:
                        await load.send(user, "expertise add postgres", Phase("setup", "1"))
                    for rate in (100.0, 250.0):
                        phase = await open_loop(load, f"open {rate:g}/s", rate, args.small)
                        rows.append(phase.row())
                    for clients in (1, 10, 50):
                        phase = await closed(
                            load, f"closed {clients}", clients, args.small, ["help", "profile"]
                        )
                        rows.append(phase.row())
                    big = await open_loop(
                        load, "10k mixed", args.rate, args.requests, mixed_texts()
                    )
                    rows.append(big.row())
                finally:
                    worker.stop()
    finally:
        await fake.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return rows


COLUMNS = (
    ("phase", 22),
    ("clients", 10),
    ("requests", 8),
    ("acked_per_s", 11),
    ("ack_p50_ms", 10),
    ("ack_p99_ms", 10),
    ("ack_max_ms", 10),
    ("past_3s", 7),
    ("reply_p50_ms", 12),
    ("reply_p99_ms", 12),
    ("replied_per_s", 13),
    ("busy", 5),
)


def table(rows: list[dict[str, object]]) -> str:
    lines = ["  ".join(name.rjust(width) for name, width in COLUMNS)]
    for row in rows:
        lines.append("  ".join(str(row[name]).rjust(width) for name, width in COLUMNS))
    return "\n".join(lines)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="the big mixed run")
    parser.add_argument("--small", type=int, default=2_000, help="requests per other phase")
    parser.add_argument("--rate", type=float, default=150.0, help="the big run's requests/s")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--polled", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(run_worker(args.api_url, args.database, args.polled))
        return
    rows = asyncio.run(main(args))
    print(f"Slack HTTP on loopback, one worker, SQLite, {os.cpu_count()} cores (load included)")
    print(table(rows))
    if args.json:
        data = {
            "benchmark": "slack_http",
            "cpus": os.cpu_count(),
            "phases": rows,
            "targets": {
                "ack_p50_ms_at_100_per_s": 5,
                "ack_p99_ms_at_100_per_s": 50,
                "acked_per_s_one_worker": 500,
                "past_3s_in_10k": 0,
            },
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    cli()
