"""The neutral model every adapter speaks: who acted, where, what they asked, what to show.

Frozen dataclasses with typed ids, so a Slack user id can never be passed where a channel id is
expected, and a Reply can be handed to any adapter without it being changed on the way.
Adapters translate platform payloads into these and render Replies back (Block Kit, discord.py
views, plain console text); the core never sees a platform type.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NewType

WorkspaceKey = NewType("WorkspaceKey", str)
"""The platform's own id of a workspace: a Slack team id, a Discord guild id, ``console``."""
UserId = NewType("UserId", str)
ChannelId = NewType("ChannelId", str)
MessageId = NewType("MessageId", str)


class Platform(enum.StrEnum):
    CONSOLE = "console"
    SLACK = "slack"
    DISCORD = "discord"


class Visibility(enum.StrEnum):
    """Who sees a reply: only the actor, the whole channel, or one person in a DM."""

    EPHEMERAL = "ephemeral"
    IN_CHANNEL = "in_channel"
    DIRECT = "direct"


@dataclass(frozen=True, slots=True)
class Actor:
    """The person who acted, as the platform told us.

    ``platform_admin`` is the platform's own word (Slack workspace admin or owner, Discord
    Manage Server, the console's ``/as NAME admin``): such a person is a copbot admin whatever
    role is stored.
    """

    platform: Platform
    workspace: WorkspaceKey
    user_id: UserId
    display_name: str
    timezone: str | None = None
    platform_admin: bool = False


@dataclass(frozen=True, slots=True)
class Place:
    """Where something happens: a channel, optionally a thread in it, or a DM."""

    workspace: WorkspaceKey
    channel: ChannelId
    thread: MessageId | None = None
    is_direct: bool = False


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the bot posted, so it can be updated later (e.g. "claimed by @bob")."""

    place: Place
    message: MessageId


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command or a button click, already stripped of its platform wrapping.

    ``text`` is what follows the command name; a button carries the command it stands for, so
    clicking "Claim" and typing ``/claim 12`` reach the same code.
    """

    name: str
    text: str
    actor: Actor
    place: Place


# Reply content ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """Copbot's own words; may use *bold* and `code` which every adapter can render."""

    text: str


@dataclass(frozen=True, slots=True)
class Quote:
    """Words a member wrote, shown verbatim and inert.

    Adapters must render this so that it cannot mention anyone (``@here``, ``<!channel>``) or
    inject formatting: it is the one block type that carries untrusted text.
    """

    text: str
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Fields:
    """Label/value pairs, e.g. a profile."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Items:
    """A list of short lines, e.g. commands in help or search results."""

    lines: tuple[str, ...]


Block = Text | Quote | Fields | Items


class ActionStyle(enum.StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Action:
    """A button. Pressing it runs ``command`` (e.g. ``forget-me confirm``) as the presser."""

    label: str
    command: str
    style: ActionStyle = ActionStyle.DEFAULT


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says: blocks, optional buttons, and who may see it."""

    blocks: tuple[Block, ...]
    actions: tuple[Action, ...] = ()
    visibility: Visibility = Visibility.EPHEMERAL
    summary: str = field(default="")

    @property
    def fallback_text(self) -> str:
        """Plain text for notifications and screen readers: the summary or the first block."""
        if self.summary:
            return self.summary
        for block in self.blocks:
            if isinstance(block, Text | Quote):
                return block.text
        return ""


def say(text: str, *, visibility: Visibility = Visibility.EPHEMERAL) -> Reply:
    """The common case: one line of copbot's own text."""
    return Reply(blocks=(Text(text),), visibility=visibility)
