"""One copbot process running the scheduler, for the two-process test (not a test itself).

It runs the real SchedulerService on the PostgreSQL database it is given, with its clock set
to ``--clock`` by time-machine (time then flows at its real speed), and writes one JSON line per
post, and one when it starts leading, to ``--out`` (O_APPEND writes of a line are atomic, so two
processes can share the file). ``--post-delay`` makes each post take that long, one at a time,
as a rate-limited platform would, so the test can kill the process in the middle of posting.
It runs until SIGTERM (or ``--seconds``), then stops the scheduler cleanly.
"""

import argparse
import asyncio
import json
import os
import signal
from datetime import datetime

import time_machine

from bot.clock import SystemClock
from bot.config import Settings
from bot.context import Runtime
from bot.model import MessageId, MessageRef
from bot.scheduler.service import SchedulerService
from storage.db import Database


class FilePort:
    def __init__(self, path: str, delay: float) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._delay = delay
        self._lock = asyncio.Lock()
        self._count = 0

    def write(self, record: dict) -> None:
        os.write(self._fd, (json.dumps(record) + "\n").encode())

    async def post(self, place, reply):
        async with self._lock:
            await asyncio.sleep(self._delay)
            self._count += 1
            self.write(
                {
                    "event": "post",
                    "pid": os.getpid(),
                    "channel": place.channel,
                    "text": reply.fallback_text,
                    "at": datetime.now().astimezone().isoformat(),
                }
            )
            return MessageRef(place=place, message=MessageId(f"{os.getpid()}-{self._count}"))

    async def send_direct(self, workspace, user, reply):
        raise AssertionError("no DMs in this test")

    async def update(self, ref, reply):
        raise AssertionError("no updates in this test")


async def run(args: argparse.Namespace) -> None:
    db = Database.from_url(args.url)
    port = FilePort(args.out, args.post_delay)
    runtime = Runtime(db=db, port=port, clock=SystemClock(), settings=Settings())
    service = SchedulerService(runtime, retry_seconds=0.2, sync_seconds=0.5)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await service.start()
    announced = False
    deadline = asyncio.get_running_loop().time() + args.seconds
    while not stop.is_set() and asyncio.get_running_loop().time() < deadline:
        if service.is_leader and not announced:
            port.write({"event": "leading", "pid": os.getpid()})
            announced = True
        await asyncio.sleep(0.05)
    await service.stop()
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--clock", required=True)
    parser.add_argument("--post-delay", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with time_machine.travel(datetime.fromisoformat(args.clock), tick=True):
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
