"""Wire everything for one process and run it on one asyncio loop.

Settings and the database come in from the CLI; here the core (registry, dispatcher, the
ChatPort that routes by platform) is built once and every configured platform adapter is
started beside it. With no platform configured, the console runs instead.
"""

from __future__ import annotations

import asyncio
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
from bot.scheduler.service import SchedulerService
from copbot.discord_app import run_discord
from copbot.slack import run_slack
from storage.db import Database


@dataclass
class Core:
    """The parts every adapter shares."""

    runtime: Runtime
    dispatcher: Dispatcher
    ports: PortsByPlatform
    scheduler: SchedulerService


def build_core(settings: Settings, db: Database, clock: Clock) -> Core:
    ports = PortsByPlatform({})
    runtime = Runtime(db=db, port=ports, clock=clock, settings=settings)
    # One process leads the scheduler (bot/scheduler/leader.py); features add periodic sweeps
    # here with scheduler.register_interval(job_id, "package.module:function", seconds).
    scheduler = SchedulerService(runtime)
    scheduler.register_interval("reflection-dms", "bot.services.reflection:deliver_due_dms", 60)
    # Routing: DMs held for quiet hours or Later, and escalations whose window has passed.
    scheduler.register_interval("routing", "bot.services.routing:sweep", 60)
    return Core(
        runtime=runtime,
        dispatcher=Dispatcher(build_registry(), runtime),
        ports=ports,
        scheduler=scheduler,
    )


async def serve_console(
    core: Core, *, user: str = "you", stdin: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> None:
    session = attach_console(
        core.dispatcher, core.ports, core.runtime.settings.console_workspace, out, user=user
    )
    async with core.scheduler.running():  # scheduled posts show in the console too
        await run_console(session, stdin)


async def serve(core: Core, *, hint: TextIO = sys.stderr) -> None:
    """Start every configured platform; the console when none is."""
    settings = core.runtime.settings
    runners = []
    if settings.slack is not None and (not settings.platforms or "slack" in settings.platforms):
        runners.append(run_slack(core.dispatcher, core.ports, settings))
    if settings.discord is not None and (not settings.platforms or "discord" in settings.platforms):
        runners.append(run_discord(core.dispatcher, core.ports, core.runtime))
    if runners:
        async with core.scheduler.running():
            await asyncio.gather(*runners)
        return
    print(
        "No Slack or Discord platform is configured, so copbot runs in the console.\n"
        "To connect one, see README.md (Connecting a platform).",
        file=hint,
        flush=True,
    )
    await serve_console(core)
