"""Build actors and commands the way an adapter would, in one line."""

from __future__ import annotations

from bot.model import Actor, ChannelId, Command, Place, Platform, UserId, WorkspaceKey, WorkspaceRef


def actor(
    name: str = "alice",
    *,
    workspace: str = "T1",
    admin: bool = False,
    timezone: str | None = None,
    platform: Platform = Platform.SLACK,
) -> Actor:
    return Actor(
        workspace=WorkspaceRef(platform, WorkspaceKey(workspace)),
        user_id=UserId(name),
        display_name=name,
        timezone=timezone,
        platform_admin=admin,
    )


def command(line: str, who: Actor | None = None, channel: str = "general") -> Command:
    """``command("/profile quiet 18:00-09:00")`` as the given actor (alice by default)."""
    who = who or actor()
    name, _, text = line.lstrip("/").partition(" ")
    place = Place(workspace=who.workspace, channel=ChannelId(channel))
    return Command(name=name, text=text, actor=who, place=place)
