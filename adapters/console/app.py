"""Run the console: interactive at a terminal, a script when standard input is not one."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from adapters.console.port import ConsolePort
from adapters.console.session import ConsoleSession
from bot.dispatch import Dispatcher
from bot.model import Platform, WorkspaceKey, WorkspaceRef
from bot.ports import PortsByPlatform

BANNER = (
    "copbot console: you are '{user}' in #{channel}. Type /help, or /as NAME to act as "
    "someone else; Ctrl-D quits."
)


def attach_console(
    dispatcher: Dispatcher,
    ports: PortsByPlatform,
    workspace_key: str,
    out: TextIO,
    *,
    user: str = "you",
) -> ConsoleSession:
    """A console session on the shared dispatcher; its port joins the platform ports."""
    port = ConsolePort(out)
    ports.add(Platform.CONSOLE, port)
    return ConsoleSession(
        dispatcher=dispatcher,
        port=port,
        workspace=WorkspaceRef(Platform.CONSOLE, WorkspaceKey(workspace_key)),
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
