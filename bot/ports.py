"""What the core may ask of a chat platform after a command has been answered.

Replies to the person who acted travel back as return values; everything else (posting a
question to a channel, DMing an expert, updating a message, a scheduled prompt) goes through the
ChatPort the adapter gave the core. The console adapter prints, tests record, Slack and Discord
call their APIs.
"""

from __future__ import annotations

from typing import Protocol

from bot.model import MessageRef, Place, Platform, Reply, UserId, WorkspaceRef


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

    async def send_direct(self, workspace: WorkspaceRef, user: UserId, reply: Reply) -> MessageRef:
        """Send a direct message to one member."""
        ...

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        """Replace a message the bot posted earlier."""
        ...


class PortsByPlatform:
    """One ChatPort over several platforms: each call goes to the platform of its workspace.

    The core is handed this when one process serves Slack and Discord (and the console) at once,
    so a routing DM for a Discord guild can never be sent through Slack.
    """

    def __init__(self, ports: dict[Platform, ChatPort]) -> None:
        self._ports = dict(ports)

    def add(self, platform: Platform, port: ChatPort) -> None:
        self._ports[platform] = port

    def _for(self, workspace: WorkspaceRef) -> ChatPort:
        try:
            return self._ports[workspace.platform]
        except KeyError:
            raise ChatPortError(
                f"copbot is not connected to {workspace.platform.value} right now.",
                detail=f"no port for {workspace}",
            ) from None

    async def post(self, place: Place, reply: Reply) -> MessageRef:
        return await self._for(place.workspace).post(place, reply)

    async def send_direct(self, workspace: WorkspaceRef, user: UserId, reply: Reply) -> MessageRef:
        return await self._for(workspace).send_direct(workspace, user, reply)

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        await self._for(ref.place.workspace).update(ref, reply)
