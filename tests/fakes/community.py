"""A small community built through the same commands members type, for routing tests."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dispatch import Dispatcher
from bot.model import Action, Fields, Items, Link, Quote, Reply, Text
from tests.fakes.chat import RecordingPort
from tests.fakes.commands import actor, command


def reply_text(reply: Reply) -> str:
    """Every visible line of a reply, as one string, for assertions."""
    parts: list[str] = []
    for block in reply.blocks:
        match block:
            case Text(text=text) | Quote(text=text):
                parts.append(text)
            case Items(lines=lines):
                parts.extend(lines)
            case Fields(pairs=pairs):
                parts.extend(f"{k}: {v}" for k, v in pairs)
            case Link(label=label):
                parts.append(label)
    return "\n".join(parts)


@dataclass
class Community:
    dispatcher: Dispatcher
    port: RecordingPort
    workspace: str = "T1"

    async def run(
        self, who: str, line: str, *, admin: bool = False, channel: str = "general"
    ) -> str:
        replies = await self.dispatcher.handle(
            command(line, actor(who, workspace=self.workspace, admin=admin), channel=channel)
        )
        return "\n".join(reply_text(r) for r in replies)

    async def replies(self, who: str, line: str, *, admin: bool = False) -> list[Reply]:
        return await self.dispatcher.handle(
            command(line, actor(who, workspace=self.workspace, admin=admin))
        )

    def dms_to(self, user: str) -> list[Reply]:
        return [s.reply for s in self.port.sent if s.kind == "direct" and s.place.channel == user]

    def dm_users(self) -> list[str]:
        return [s.place.channel for s in self.port.sent if s.kind == "direct"]

    def posts(self) -> list[str]:
        return [reply_text(s.reply) for s in self.port.sent if s.kind == "post"]

    def updates(self) -> list[str]:
        return [reply_text(s.reply) for s in self.port.sent if s.kind == "update"]

    def actions_of(self, reply: Reply) -> list[Action]:
        return list(reply.actions)
