"""A ChatPort that records what the core asked of the platform, for assertions."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.model import ChannelId, MessageId, MessageRef, Place, Reply, UserId, WorkspaceRef
from bot.ports import ChatPortError


@dataclass
class Sent:
    kind: str  # post, direct, update
    place: Place
    reply: Reply
    ref: MessageRef


@dataclass
class RecordingPort:
    sent: list[Sent] = field(default_factory=list)
    fail_with: ChatPortError | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _record(self, kind: str, place: Place, reply: Reply) -> MessageRef:
        if self.fail_with is not None:
            raise self.fail_with
        ref = MessageRef(place=place, message=MessageId(str(next(self._ids))))
        self.sent.append(Sent(kind, place, reply, ref))
        return ref

    async def post(self, place: Place, reply: Reply) -> MessageRef:
        return self._record("post", place, reply)

    async def send_direct(self, workspace: WorkspaceRef, user: UserId, reply: Reply) -> MessageRef:
        place = Place(workspace=workspace, channel=ChannelId(user), is_direct=True)
        return self._record("direct", place, reply)

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        """Recorded with the ref of the message it replaced, so tests can tell which one."""
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(Sent("update", ref.place, reply, ref))
