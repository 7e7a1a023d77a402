"""Discord <-> the neutral model, as pure functions (no network, no event loop).

Inbound: who acted (an Actor with the platform's admin and facilitator say), where (a Place;
a thread is its parent channel plus the thread, whose id is its starter message's id), and the
command a set of app-command options stands for, rebuilt as the text a member would type so
that it goes through the registry's own parser and gets the console's errors.

Outbound: a Reply becomes message parts: plain content for one-line answers, an embed when it
carries member text, fields or links (questions, lessons, profiles), and buttons whose custom id
is the command they run. Member-written text (Quote) is made inert: markdown escaped, mentions
broken, and every message is sent with no allowed mentions at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import discord
from discord.utils import escape_markdown, escape_mentions

from bot.errors import UsageError
from bot.model import (
    Action,
    ActionStyle,
    Actor,
    ChannelId,
    Fields,
    Form,
    FormField,
    Items,
    Link,
    MessageId,
    MessageRef,
    Place,
    Platform,
    Quote,
    Reply,
    Text,
    UserId,
    WorkspaceKey,
    WorkspaceRef,
)
from bot.registry import CommandSpec, Kind

# Discord's limits (https://discord.com/developers/docs/resources/message, .../interactions).
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000
BUTTON_LABEL_LIMIT = 80
BUTTONS_LIMIT = 25
CUSTOM_ID_LIMIT = 100
MODAL_TITLE_LIMIT = 45
MODAL_FIELDS_LIMIT = 5
INPUT_LABEL_LIMIT = 45
INPUT_PLACEHOLDER_LIMIT = 100
INPUT_VALUE_LIMIT = 4000
THREAD_NAME_LIMIT = 100

JUMP_BASE = "https://discord.com/channels"
ACTION_PREFIX = "cop"
ACTION_ID = re.compile(r"cop:(?P<workspace>\d{1,20}):(?P<command>.+)", re.S)
"""A button's custom id: the workspace it belongs to and the command it runs. The workspace is
in the id because a button in a DM carries no guild, yet its command belongs to one."""

_BOLD = re.compile(r"(?<![*\\])\*([^*\n]+)\*(?!\*)")
ACCENT = discord.Colour.blurple()


# --- inbound --------------------------------------------------------------------------------


class _Role(Protocol):
    id: int
    name: str


def workspace_ref(guild_id: int) -> WorkspaceRef:
    return WorkspaceRef(Platform.DISCORD, WorkspaceKey(str(guild_id)))


def is_facilitator(roles: Iterable[_Role], facilitator_role: str | None) -> bool:
    """Whether one of the member's roles is the configured facilitator role (id or name)."""
    if not facilitator_role:
        return False
    wanted = facilitator_role.strip().lower()
    return any(str(role.id) == wanted or role.name.lower() == wanted for role in roles)


def actor(
    workspace: WorkspaceRef,
    *,
    user_id: int,
    display_name: str,
    manage_guild: bool,
    roles: Iterable[_Role] = (),
    facilitator_role: str | None = None,
) -> Actor:
    """The person who acted. Manage Server (or Administrator, which implies it) makes a copbot
    admin; the configured role makes a facilitator."""
    return Actor(
        workspace=workspace,
        user_id=UserId(str(user_id)),
        display_name=display_name,
        platform_admin=manage_guild,
        platform_facilitator=is_facilitator(roles, facilitator_role),
    )


def place(
    workspace: WorkspaceRef,
    *,
    channel_id: int,
    parent_id: int | None = None,
    is_thread: bool = False,
    is_direct: bool = False,
) -> Place:
    """A thread is its parent channel plus the thread: Discord gives a thread started from a
    message (and a forum post) the starter message's id, so it doubles as the MessageId."""
    if is_thread and parent_id is not None:
        return Place(workspace, ChannelId(str(parent_id)), thread=MessageId(str(channel_id)))
    return Place(workspace, ChannelId(str(channel_id)), is_direct=is_direct)


def mention(user_id: int) -> str:
    return f"<@{user_id}>"


def command_words(spec: CommandSpec, values: Mapping[str, Any]) -> tuple[str, str]:
    """The (name, text) a member would type for ``spec`` with these option values.

    Values are strings or ints as Discord delivered them (mentions already as ``<@id>``); None
    or empty means the option was left out. A left-out optional followed by a given one is
    written as ``""``, which the registry reads as "not given", so positions stay right.
    """
    words = spec.name.split()
    parts: list[str] = words[1:]
    pending_gaps = 0
    for param in spec.params:
        raw = values.get(param.name)
        value = "" if raw is None else str(raw).strip()
        if not value:
            pending_gaps += 1
            continue
        parts.extend(['""'] * pending_gaps)
        pending_gaps = 0
        if param.kind is Kind.REST:
            parts.append(value)
        else:
            parts.append(_token(spec, param.name, value))
    return words[0], " ".join(parts)


def _token(spec: CommandSpec, name: str, value: str) -> str:
    if not re.search(r'\s|"', value):
        return value
    if '"' in value:
        raise UsageError(f"The {name} cannot contain quotation marks.", f"Type: {spec.usage()}")
    return f'"{" ".join(value.split())}"'


def form_errors(form: Form, values: Mapping[str, str]) -> list[str]:
    """What is wrong with a submitted form, as Slack shows inline: one line per field."""
    errors = []
    for form_field in form.fields:
        value = (values.get(form_field.name) or "").strip()
        if form_field.required and not value:
            errors.append(f"{form_field.label} is required.")
        elif len(value) > form_field.max_length:
            errors.append(
                f"{form_field.label} is {len(value):,} characters; the limit is "
                f"{form_field.max_length:,}."
            )
        elif (
            value
            and form_field.options
            and value.lower() not in (o.lower() for o in form_field.options)
        ):
            errors.append(f"{form_field.label} must be one of {', '.join(form_field.options)}.")
    return errors


# --- outbound -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    custom_id: str
    style: discord.ButtonStyle


@dataclass(frozen=True, slots=True)
class MessageParts:
    """A Reply ready for discord.py: ``content``, ``embeds`` and the buttons of its view."""

    content: str | None
    embeds: tuple[discord.Embed, ...]
    buttons: tuple[Button, ...]

    @property
    def title(self) -> str:
        """A short name for a thread or forum post made from this message."""
        if self.embeds and self.embeds[0].title:
            return self.embeds[0].title
        text = self.content or (self.embeds[0].description if self.embeds else "") or "copbot"
        return text.splitlines()[0]


def action_id(workspace: WorkspaceKey, command: str) -> str | None:
    """The custom id for a button running ``command``; None when it cannot fit in one."""
    custom_id = f"{ACTION_PREFIX}:{workspace}:{command}"
    return custom_id if len(custom_id) <= CUSTOM_ID_LIMIT else None


def parse_action_id(custom_id: str) -> tuple[WorkspaceKey, str] | None:
    match = ACTION_ID.fullmatch(custom_id)
    if match is None:
        return None
    return WorkspaceKey(match["workspace"]), match["command"]


def render(reply: Reply, workspace: WorkspaceKey) -> MessageParts:
    """The whole reply as Discord message parts."""
    buttons, typed = _buttons(reply.actions, workspace)
    blocks = list(reply.blocks)
    if typed:
        blocks.append(Text("Type " + ", ".join(f"`/cop do {c}`" for c in typed) + "."))
    if _is_plain(blocks):
        content = "\n".join(_copbot_text(b.text) for b in blocks if isinstance(b, Text))
        if len(content) <= CONTENT_LIMIT:
            return MessageParts(content or None, (), buttons)
    return MessageParts(None, (_embed(blocks, reply),), buttons)


def _is_plain(blocks: Sequence[object]) -> bool:
    return all(isinstance(b, Text) for b in blocks)


def _embed(blocks: Sequence[object], reply: Reply) -> discord.Embed:
    title: str | None = None
    rest = list(blocks)
    if rest and isinstance(rest[0], Text) and _is_heading(rest[0].text):
        title = _clip(rest.pop(0).text.strip().strip("*"), EMBED_TITLE_LIMIT)
    lines: list[str] = []
    fields: list[tuple[str, str]] = []
    for block in rest:
        match block:
            case Text(text=text):
                lines.append(_copbot_text(text))
            case Quote(text=text, author=author):
                lines.append(quote(text, author))
            case Items(lines=items):
                lines.extend(f"• {_copbot_text(item)}" for item in items)
            case Fields(pairs=pairs):
                fields.extend(pairs)
            case Link(label=label, ref=ref):
                lines.append(f"[{_inert(label)}]({jump_url(ref)})")
            case _:
                lines.append(_inert(str(getattr(block, "text", ""))))
    embed = discord.Embed(
        title=title,
        description=_clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT) or None,
        colour=ACCENT,
    )
    budget = EMBED_TOTAL_LIMIT - len(title or "") - len(embed.description or "")
    for label, value in fields[:EMBED_FIELDS_LIMIT]:
        name = _clip(label, FIELD_NAME_LIMIT) or "\u200b"
        shown = _clip(_copbot_text(value), FIELD_VALUE_LIMIT) or "\u200b"
        budget -= len(name) + len(shown)
        if budget < 0:
            break
        embed.add_field(name=name, value=shown, inline=len(shown) <= 40)
    if not title and not embed.description and not embed.fields:
        embed.description = _clip(reply.fallback_text, EMBED_DESCRIPTION_LIMIT) or "\u200b"
    return embed


def _is_heading(text: str) -> bool:
    stripped = text.strip()
    return (
        len(stripped) > 2
        and stripped.startswith("*")
        and stripped.endswith("*")
        and "\n" not in stripped
        and len(stripped) <= EMBED_TITLE_LIMIT
    )


def quote(text: str, author: str | None = None) -> str:
    """Member text as an inert block quote: no markdown, no mentions, no masked links."""
    lines = _inert(text).splitlines() or [""]
    head = f"**{_inert(author)}** wrote:\n" if author else ""
    return head + "\n".join(f"> {line}" for line in lines)


def _inert(text: str) -> str:
    return escape_mentions(escape_markdown(text))


def _copbot_text(text: str) -> str:
    """Copbot's own words: its ``*bold*`` is Discord's ``**bold**``; mentions stay broken."""
    return escape_mentions(_BOLD.sub(r"**\1**", text))


def jump_url(ref: MessageRef) -> str:
    place = ref.place
    if place.is_direct:
        return f"{JUMP_BASE}/@me/{place.channel}/{ref.message}"
    channel = place.thread or place.channel
    return f"{JUMP_BASE}/{place.workspace.key}/{channel}/{ref.message}"


_STYLES = {
    ActionStyle.PRIMARY: discord.ButtonStyle.primary,
    ActionStyle.DANGER: discord.ButtonStyle.danger,
    ActionStyle.DEFAULT: discord.ButtonStyle.secondary,
}


def _buttons(
    actions: Sequence[Action], workspace: WorkspaceKey
) -> tuple[tuple[Button, ...], list[str]]:
    """Buttons for the actions that fit; the commands of the others, to be typed instead."""
    buttons: list[Button] = []
    typed: list[str] = []
    for action in actions:
        custom_id = action_id(workspace, action.command)
        if custom_id is None or len(buttons) >= BUTTONS_LIMIT:
            typed.append(action.command)
            continue
        buttons.append(
            Button(_clip(action.label, BUTTON_LABEL_LIMIT), custom_id, _STYLES[action.style])
        )
    return tuple(buttons), typed


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One text input of a modal, already within Discord's limits."""

    name: str
    label: str
    multiline: bool
    required: bool
    max_length: int
    default: str
    placeholder: str


def modal_inputs(form: Form) -> tuple[InputSpec, ...] | None:
    """The modal's inputs; None when the form has more fields than a Discord modal holds."""
    if len(form.fields) > MODAL_FIELDS_LIMIT:
        return None
    return tuple(_input(f) for f in form.fields)


def _input(form_field: FormField) -> InputSpec:
    placeholder = form_field.placeholder
    if form_field.options and not placeholder:
        placeholder = "one of: " + ", ".join(form_field.options)
    return InputSpec(
        name=form_field.name,
        label=_clip(form_field.label, INPUT_LABEL_LIMIT),
        multiline=form_field.multiline,
        required=form_field.required,
        max_length=min(form_field.max_length, INPUT_VALUE_LIMIT),
        default=form_field.initial[:INPUT_VALUE_LIMIT],
        placeholder=_clip(placeholder, INPUT_PLACEHOLDER_LIMIT),
    )


def modal_title(form: Form) -> str:
    return _clip(form.title, MODAL_TITLE_LIMIT) or "copbot"


def form_usage(form: Form) -> str:
    """The one-line syntax a form submits, for when Discord cannot show it as a modal."""
    fields = " | ".join(f"{f.name}: {'...' if f.required else '(optional)'}" for f in form.fields)
    return f"{form.title}: type `/cop do {form.command} {fields}`"


def thread_name(parts: MessageParts) -> str:
    """A thread's name from a message already posted (its embed title or first line)."""
    return _clip(parts.title.replace("**", "").strip(), THREAD_NAME_LIMIT) or "copbot"


def thread_title(reply: Reply) -> str:
    """A forum post's title: the reply's summary and the start of the member text it quotes,
    e.g. "Question #12 from @alice: why does vacuum stall…". Titles render no markdown."""
    base = reply.summary or next(
        (b.text.replace("*", "").strip() for b in reply.blocks if isinstance(b, Text)), ""
    )
    quoted = next((b.text for b in reply.blocks if isinstance(b, Quote)), "")
    first = " ".join(quoted.split())
    title = f"{base}: {first}" if base and first else base or first
    return _clip(title, THREAD_NAME_LIMIT) or "copbot"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
