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
class WorkspaceRef:
    """A workspace as the platform names it. The platform is part of the identity: one process
    may serve a Slack team and a Discord guild whose ids happen to look alike, and a DM must go
    out through the platform the workspace lives on."""

    platform: Platform
    key: WorkspaceKey

    def __str__(self) -> str:
        return f"{self.platform.value}:{self.key}"


@dataclass(frozen=True, slots=True)
class Actor:
    """The person who acted, as the platform told us.

    ``platform_admin`` is the platform's own word (Slack workspace admin or owner, Discord
    Manage Server, the console's ``/as NAME admin``): such a person is a copbot admin whatever
    role is stored.
    """

    workspace: WorkspaceRef
    user_id: UserId
    display_name: str
    timezone: str | None = None
    platform_admin: bool = False
    platform_facilitator: bool = False
    """The platform says so (a Discord role named in ``DISCORD_FACILITATOR_ROLE``): such a
    person is at least a facilitator whatever role is stored."""

    @property
    def platform(self) -> Platform:
        return self.workspace.platform


@dataclass(frozen=True, slots=True)
class Place:
    """Where something happens: a channel, optionally a thread in it, or a DM."""

    workspace: WorkspaceRef
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


@dataclass(frozen=True, slots=True)
class Link:
    """A link to a message the bot posted (e.g. a question's thread), rendered natively:
    a permalink in Slack, a jump URL in Discord, ``#channel thread N`` in the console."""

    label: str
    ref: MessageRef


Block = Text | Quote | Fields | Items | Link


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
class FormField:
    """One input of a form. ``name`` is the key in the submitted values."""

    name: str
    label: str
    multiline: bool = False
    required: bool = True
    max_length: int = 3000
    initial: str = ""
    placeholder: str = ""
    options: tuple[str, ...] = ()  # a choice between these when not empty


@dataclass(frozen=True, slots=True)
class Form:
    """A form the actor fills in: a Slack modal, a Discord modal, a usage line in the console.

    A submission comes back as the command ``command`` with ``to_text(values)`` as its text, so
    a form and a typed command go through the same parser and the same handler. Adapters check
    ``required`` and ``max_length`` themselves to show inline errors before submitting.
    """

    command: str
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = "Submit"
    context: str = ""  # opaque to adapters; passed back with the submission (e.g. a lesson id)

    def to_text(self, values: dict[str, str]) -> str:
        """Field values in the command's one-line syntax: ``name: value | name: value``."""
        parts = []
        for form_field in self.fields:
            value = " ".join(values.get(form_field.name, "").split())
            if value:
                parts.append(f"{form_field.name}: {value.replace('|', '/')}")
        if self.context:
            parts.insert(0, self.context)
        return " | ".join(parts)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that travels with a reply, e.g. the weekly digest's chart (a PNG).

    Slack uploads it into the message's channel or thread (``files_upload_v2`` with ``title``),
    Discord sends it as a ``discord.File`` with the message, the console saves it to a file and
    prints the path. ``filename`` is a plain name chosen by copbot (no folders).
    """

    filename: str
    data: bytes = field(repr=False)
    title: str = ""
    mime_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says: blocks, optional buttons, and who may see it.

    A reply with a ``form`` asks the adapter to open it for the actor (Slack and Discord can
    only open one in answer to an interaction, which is why it travels in a reply).
    """

    blocks: tuple[Block, ...]
    actions: tuple[Action, ...] = ()
    visibility: Visibility = Visibility.EPHEMERAL
    summary: str = field(default="")
    form: Form | None = None
    labels: tuple[str, ...] = ()
    """Short labels for the message, e.g. a question's topics and ``solved``. Discord shows them
    as forum tags when the message is a forum post; other adapters may ignore them."""
    attachments: tuple[Attachment, ...] = ()
    """Files posted with the message (see Attachment); an adapter that cannot send files says
    so in a line of text rather than dropping them silently."""

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
