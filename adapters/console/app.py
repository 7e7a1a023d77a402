"""Run the console: interactive at a terminal, a script when standard input is not one."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from adapters.console.port import ConsolePort
from adapters.console.session import ConsoleSession
from bot.clock import Clock
from bot.commands import build_registry
from bot.config import Settings
from bot.context import Runtime
from bot.dispatch import Dispatcher
from bot.model import WorkspaceKey
from storage.db import Database

BANNER = (
    "copbot console: you are '{user}' in #{channel}. Type /help, or /as NAME to act as "
    "someone else; Ctrl-D quits."
)


def build_session(
    settings: Settings, db: Database, clock: Clock, out: TextIO, *, user: str = "you"
) -> ConsoleSession:
    port = ConsolePort(out)
    runtime = Runtime(db=db, port=port, clock=clock, settings=settings)
    dispatcher = Dispatcher(build_registry(), runtime)
    return ConsoleSession(
        dispatcher=dispatcher,
        port=port,
        workspace=WorkspaceKey(settings.console_workspace),
        user=user,
    )


async def run_script(session: ConsoleSession, lines: TextIO) -> None:
    for line in lines:
        await session.run_line(line)


async def run_interactive(session: ConsoleSession, out: TextIO) -> None:
    print(BANNER.format(user=session.user, channel=session.channel), file=out, flush=True)
    while True:
        try:
            line = await asyncio.to_thread(input, f"{session.user}@#{session.channel}> ")
        except EOFError:
            print(file=out)
            return
        await session.run_line(line)


async def run_console(session: ConsoleSession, stdin: TextIO = sys.stdin) -> None:
    if stdin.isatty():
        await run_interactive(session, sys.stdout)
    else:
        await run_script(session, stdin)
