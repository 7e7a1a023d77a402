"""What the core may ask of a chat platform after a command has been answered.

Replies to the person who acted travel back as return values; everything else (posting a
question to a channel, DMing an expert, updating a message, a scheduled prompt) goes through the
ChatPort the adapter gave the core. The console adapter prints, tests record, Slack and Discord
call their APIs.
"""

from __future__ import annotations

from typing import Protocol

from bot.model import MessageRef, Place, Reply, UserId, WorkspaceKey


class ChatPortError(Exception):
    """The platform refused or failed (channel not found, not in channel, rate limited...).

    ``user_message`` is safe to show the member who acted; the adapter logs the details.
    """

    def __init__(self, user_message: str, *, detail: str = "") -> None:
        super().__init__(detail or user_message)
        self.user_message = user_message


class ChatPort(Protocol):
    async def post(self, place: Place, reply: Reply) -> MessageRef:
        """Post to a channel, or into a thread when ``place.thread`` is set."""
        ...

    async def send_direct(self, workspace: WorkspaceKey, user: UserId, reply: Reply) -> MessageRef:
        """Send a direct message to one member."""
        ...

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        """Replace a message the bot posted earlier."""
        ...
