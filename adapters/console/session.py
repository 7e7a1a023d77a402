"""A console session: who is typing, where, and how a typed line becomes a Command.

Lines are what a Slack or Discord member would type (``/profile timezone Europe/Berlin``) plus
a few console-only directives that stand in for what a platform knows by itself:

- ``/as alice`` acts as alice from now on; ``/as alice admin`` makes her a platform admin (as a
  Slack workspace admin is), so admin commands can be tried.
- ``/in #questions`` moves to another channel.
- ``@bob /available off`` runs one line as bob; ``@bob #random /help`` also in #random.
- ``#`` at the start of a line is a comment; blank lines are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from adapters.console.port import ConsolePort
from bot.dispatch import Dispatcher
from bot.model import (
    Actor,
    ChannelId,
    Command,
    Place,
    UserId,
    Visibility,
    WorkspaceRef,
    say,
)

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_LINE = re.compile(r"^(?:@(?P<user>\S+)\s+(?:#(?P<channel>[\w.-]+)\s+)?)?(?P<rest>.*)$", re.S)


@dataclass
class ConsoleSession:
    dispatcher: Dispatcher
    port: ConsolePort
    workspace: WorkspaceRef
    user: str = "you"
    channel: str = "general"
    admins: set[str] = field(default_factory=set)

    def actor(self, user: str) -> Actor:
        return Actor(
            workspace=self.workspace,
            user_id=UserId(user),
            display_name=user,
            platform_admin=user in self.admins,
        )

    def place(self, channel: str) -> Place:
        return Place(workspace=self.workspace, channel=ChannelId(channel))

    async def run_line(self, raw: str) -> None:
        """Run one typed line; nothing a member types can crash the session."""
        line = raw.strip()
        if not line or line.startswith("#"):
            return
        match = _LINE.match(line)
        assert match is not None
        user = match.group("user") or self.user
        channel = match.group("channel") or self.channel
        rest = match.group("rest").strip()
        if not _NAME.match(user):
            self.port.emit(
                "console", say(f"'{user}' is not a usable name (letters, digits, _ . -).")
            )
            return
        directive = rest.split(None, 1)[0] if rest else ""
        if directive == "/as":
            self._switch_user(rest)
            return
        if directive == "/in":
            self._switch_channel(rest)
            return
        if not rest.startswith("/"):
            self.port.emit(
                "console", say("Commands start with / (try /help); lines starting # are comments.")
            )
            return
        name, _, text = rest[1:].partition(" ")
        command = Command(name=name, text=text, actor=self.actor(user), place=self.place(channel))
        for reply in await self.dispatcher.handle(command):
            if reply.visibility is Visibility.IN_CHANNEL:
                self.port.emit(f"#{channel}", reply)
            elif reply.visibility is Visibility.DIRECT:
                self.port.emit(f"DM -> {user}", reply)
            else:
                self.port.emit(f"ephemeral -> {user}", reply)

    def _switch_user(self, line: str) -> None:
        words = line.split()
        if (
            len(words) not in (2, 3)
            or not _NAME.match(words[1])
            or (len(words) == 3 and words[2] != "admin")
        ):
            self.port.emit("console", say("Usage: /as NAME [admin]"))
            return
        self.user = words[1]
        if len(words) == 3:
            self.admins.add(self.user)
        role = " (platform admin)" if self.user in self.admins else ""
        self.port.emit("console", say(f"You are now {self.user}{role}."))

    def _switch_channel(self, line: str) -> None:
        words = line.split()
        if len(words) != 2 or not re.match(r"^#[\w.-]{1,64}$", words[1]):
            self.port.emit("console", say("Usage: /in #channel"))
            return
        self.channel = words[1][1:]
        self.port.emit("console", say(f"You are now in #{self.channel}."))
