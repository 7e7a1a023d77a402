"""Wire everything for one process and run it on one asyncio loop.

Settings and the database come in from the CLI; here the core (registry, dispatcher, the
ChatPort that routes by platform) is built once and every configured platform adapter is
started beside it. With no platform configured, the console runs instead.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from adapters.console.app import attach_console, run_console
from bot.clock import Clock
from bot.commands import build_registry
from bot.config import Settings
from bot.context import Runtime
from bot.dispatch import Dispatcher
from bot.ports import PortsByPlatform
from storage.db import Database


@dataclass
class Core:
    """The parts every adapter shares."""

    runtime: Runtime
    dispatcher: Dispatcher
    ports: PortsByPlatform


def build_core(settings: Settings, db: Database, clock: Clock) -> Core:
    ports = PortsByPlatform({})
    runtime = Runtime(db=db, port=ports, clock=clock, settings=settings)
    return Core(runtime=runtime, dispatcher=Dispatcher(build_registry(), runtime), ports=ports)


async def serve_console(
    core: Core, *, user: str = "you", stdin: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> None:
    session = attach_console(
        core.dispatcher, core.ports, core.runtime.settings.console_workspace, out, user=user
    )
    await run_console(session, stdin)


async def serve(core: Core, *, hint: TextIO = sys.stderr) -> None:
    """Start every configured platform; the console when none is."""
    # Platform adapters (Slack, Discord) start here when their settings are present.
    print(
        "No Slack or Discord platform is configured, so copbot runs in the console.\n"
        "Platform adapters arrive in later versions; see README.md (Connecting a platform).",
        file=hint,
        flush=True,
    )
    await serve_console(core)
