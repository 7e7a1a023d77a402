"""The console's ChatPort: every post, DM and update is printed with a tag saying where it went."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TextIO

from adapters.console.files import DEFAULT_FOLDER, attachment_line, save_attachment
from adapters.console.render import tagged
from bot.model import ChannelId, MessageId, MessageRef, Place, Reply, UserId, WorkspaceRef


class ConsolePort:
    def __init__(self, out: TextIO, files: Path | None = None) -> None:
        self._out = out
        self._ids = itertools.count(1)
        self._files = files  # where attachments are saved; ./copbot-files by default

    def emit(self, tag: str, reply: Reply) -> None:
        print(tagged(tag, reply), file=self._out, flush=True)
        for attachment in reply.attachments:
            path = save_attachment(self._files or Path.cwd() / DEFAULT_FOLDER, attachment)
            print(attachment_line(attachment, path), file=self._out, flush=True)

    @staticmethod
    def place_tag(place: Place) -> str:
        if place.is_direct:
            return f"DM -> {place.channel}"
        if place.thread:
            return f"#{place.channel} thread {place.thread}"
        return f"#{place.channel}"

    async def post(self, place: Place, reply: Reply) -> MessageRef:
        message = MessageId(str(next(self._ids)))
        self.emit(self.place_tag(place), reply)
        return MessageRef(place=place, message=message)

    async def send_direct(self, workspace: WorkspaceRef, user: UserId, reply: Reply) -> MessageRef:
        place = Place(workspace=workspace, channel=ChannelId(user), is_direct=True)
        return await self.post(place, reply)

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        self.emit(f"update {self.place_tag(ref.place)} message {ref.message}", reply)
