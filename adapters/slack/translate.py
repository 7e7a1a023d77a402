"""Slack payloads as neutral values: pure functions, tested without a network.

Slash commands, button clicks and modal submissions all become a ``Command`` for the core's one
dispatcher, so ``/cop claim 12``, the Claim button and a form reach the same handler. Slack's
text markup is undone on the way in: ``&lt;`` becomes ``<``, links become plain URLs and
``<#C123|general>`` becomes ``#general``; user mentions keep their id (``<@U123|bob>``), which
the registry's mention parameters read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.slack.render import FIELD_BLOCK_PREFIX, PLACE_BLOCK, VALUE_ACTION
from bot.model import (
    Actor,
    ChannelId,
    Command,
    Form,
    FormField,
    MessageId,
    Place,
    Platform,
    UserId,
    WorkspaceKey,
    WorkspaceRef,
)
from bot.registry import CommandSpec, Kind

MAIN_COMMAND = "/cop"
_MARKUP = re.compile(r"<([^<>\n]*)>")
_BROADCASTS = {"!here": "@here", "!channel": "@channel", "!everyone": "@everyone"}


def workspace(team_id: str) -> WorkspaceRef:
    return WorkspaceRef(Platform.SLACK, WorkspaceKey(team_id))


def place(team_id: str, channel_id: str, thread_ts: str | None = None) -> Place:
    """Channels whose id starts with D are direct messages with the bot."""
    return Place(
        workspace=workspace(team_id),
        channel=ChannelId(channel_id),
        thread=MessageId(thread_ts) if thread_ts else None,
        is_direct=channel_id.startswith("D"),
    )


def dm_place(team_id: str, user_id: str) -> Place:
    """A direct message with the bot: posting to a user id reaches the app's Messages tab."""
    return Place(workspace=workspace(team_id), channel=ChannelId(user_id), is_direct=True)


def actor(
    team_id: str,
    user_id: str,
    *,
    name: str = "",
    timezone: str | None = None,
    admin: bool = False,
) -> Actor:
    return Actor(
        workspace=workspace(team_id),
        user_id=UserId(user_id),
        display_name=name or user_id,
        timezone=timezone,
        platform_admin=admin,
    )


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _markup(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f"<{inner}>"  # a user mention: the registry reads the id
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        if target in _BROADCASTS:
            return _BROADCASTS[target]
        return label or target[1:]
    return _unescape(target)


def from_slack_text(text: str) -> str:
    """What the member typed, with Slack's escaping and link markup undone."""
    out: list[str] = []
    position = 0
    for found in _MARKUP.finditer(text):
        out.append(_unescape(text[position : found.start()]))
        out.append(_markup(found.group(1)))
        position = found.end()
    out.append(_unescape(text[position:]))
    return "".join(out)


def split_slash(command: str, text: str) -> tuple[str, str]:
    """``/cop ask why?`` -> ("ask", "why?"); an alias ``/ask why?`` -> ("ask", "why?")."""
    text = from_slack_text(text).strip()
    if command.lower() != MAIN_COMMAND:
        return command.lstrip("/").lower(), text
    if not text:
        return "help", ""
    name, _, rest = text.partition(" ")
    return name.lstrip("/").lower(), rest.strip()


def slash_command(body: dict[str, Any], who: Actor) -> Command:
    name, text = split_slash(str(body.get("command", MAIN_COMMAND)), str(body.get("text", "")))
    return Command(
        name=name, text=text, actor=who, place=place(str(body["team_id"]), body["channel_id"])
    )


def button_command(value: str, who: Actor, where: Place) -> Command:
    """A button's value is the command it stands for, run as the person who pressed it."""
    name, _, text = value.strip().lstrip("/").partition(" ")
    return Command(name=name.lower(), text=text.strip(), actor=who, place=where)


def action_place(body: dict[str, Any]) -> Place | None:
    """Where a clicked button was: its message's channel (and thread), or None in a view."""
    team = team_of(body)
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    if not channel:
        return None
    message = body.get("message") or {}
    thread = container.get("thread_ts") or message.get("thread_ts")
    return place(team, channel, thread)


def click_key(body: dict[str, Any], action: dict[str, Any]) -> str:
    """One key per person, message and button: a double click repeats it."""
    container = body.get("container") or {}
    where = container.get("message_ts") or container.get("view_id") or "?"
    value = str(action.get("value", ""))[:120]
    return f"click:{body['user']['id']}:{where}:{action.get('action_id')}:{value}"


def team_of(body: dict[str, Any]) -> str:
    """The team id of any payload: slash commands, interactions and event envelopes differ."""
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    if not team:
        team = (body.get("user") or {}).get("team_id") or (body.get("view") or {}).get("team_id")
    if not team:
        raise ValueError("payload names no team")
    return str(team)


# Thread replies -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadReply:
    channel: str
    thread_ts: str
    ts: str
    user: str
    text: str


def thread_reply(event: dict[str, Any]) -> ThreadReply | None:
    """A member's reply inside a thread, or None for anything else (top-level messages, edits,
    bots, joins, direct messages)."""
    subtype = event.get("subtype")
    if subtype not in (None, "thread_broadcast") or event.get("bot_id"):
        return None
    thread_ts, ts, user = event.get("thread_ts"), event.get("ts"), event.get("user")
    if not thread_ts or not ts or not user or thread_ts == ts:
        return None
    if event.get("channel_type") == "im":
        return None
    return ThreadReply(
        channel=str(event["channel"]),
        thread_ts=str(thread_ts),
        ts=str(ts),
        user=str(user),
        text=from_slack_text(str(event.get("text", ""))),
    )


def message_time(ts: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError):
        return datetime.fromtimestamp(0, UTC)


# Forms ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormMeta:
    """What a modal carries through Slack (``private_metadata``) to its submission."""

    command: str
    fields: tuple[tuple[str, bool, int], ...]  # (name, required, max_length)
    context: str = ""
    by_position: bool = False  # built from a command's parameters, not from a core Form
    channel: str | None = None
    thread: str | None = None
    response_url: str | None = None
    pick_place: bool = False

    def dump(self) -> str:
        data = {
            "c": self.command,
            "f": [list(f) for f in self.fields],
            "x": self.context,
            "p": self.by_position,
            "ch": self.channel,
            "th": self.thread,
            "ru": self.response_url,
            "pp": self.pick_place,
        }
        return json.dumps({k: v for k, v in data.items() if v not in (None, "", False)})

    @classmethod
    def load(cls, raw: str) -> FormMeta:
        data = json.loads(raw)
        return cls(
            command=str(data["c"]),
            fields=tuple((str(n), bool(r), int(m)) for n, r, m in data["f"]),
            context=str(data.get("x", "")),
            by_position=bool(data.get("p", False)),
            channel=data.get("ch"),
            thread=data.get("th"),
            response_url=data.get("ru"),
            pick_place=bool(data.get("pp", False)),
        )

    @classmethod
    def of(cls, form: Form, *, by_position: bool = False, **where: Any) -> FormMeta:
        fields = tuple((f.name, f.required, f.max_length) for f in form.fields)
        return cls(
            command=form.command,
            fields=fields,
            context=form.context,
            by_position=by_position,
            **where,
        )

    def text(self, values: dict[str, str]) -> str:
        """The submitted values in the command's own syntax."""
        if self.by_position:
            parts = []
            for name, _, _ in self.fields:
                value = values.get(name, "").strip()
                if value and " " in value and name != self.fields[-1][0]:
                    value = f'"{value}"'
                if value:
                    parts.append(value)
            return " ".join(parts)
        form = Form(
            command=self.command,
            title="",
            fields=tuple(FormField(name=n, label=n) for n, _, _ in self.fields),
            context=self.context,
        )
        return form.to_text(values)


def submitted_values(state: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """The values of a submitted modal, by field name, and the picked channel if any."""
    values: dict[str, str] = {}
    picked: str | None = None
    for block_id, actions in (state.get("values") or {}).items():
        element = (actions or {}).get(VALUE_ACTION) or {}
        if block_id == PLACE_BLOCK:
            picked = element.get("selected_conversation")
            continue
        if not block_id.startswith(FIELD_BLOCK_PREFIX):
            continue
        name = block_id[len(FIELD_BLOCK_PREFIX) :]
        if element.get("type") == "static_select":
            option = element.get("selected_option") or {}
            values[name] = str(option.get("value", ""))
        else:
            values[name] = str(element.get("value") or "")
    return values, picked


def field_errors(meta: FormMeta, values: dict[str, str]) -> dict[str, str]:
    """Inline errors Slack shows under each field, keyed by block id; empty when all is well."""
    errors: dict[str, str] = {}
    for name, required, max_length in meta.fields:
        value = values.get(name, "")
        block_id = f"{FIELD_BLOCK_PREFIX}{name}"
        if required and not value.strip():
            errors[block_id] = "This field is required."
        elif len(value) > max_length:
            errors[block_id] = f"At most {max_length:,} characters, please ({len(value):,} now)."
    return errors


def spec_form(spec: CommandSpec) -> Form:
    """A form for a command whose feature offers none: one field per parameter."""
    fields = []
    for param in spec.params:
        fields.append(
            FormField(
                name=param.name,
                label=(param.help or param.name.replace("_", " ")).capitalize()[:200],
                multiline=param.kind is Kind.REST,
                required=param.required,
                max_length=param.max_length or 3000,
                options=param.choices if param.kind is Kind.CHOICE else (),
            )
        )
    title = spec.name.replace("-", " ").capitalize()
    return Form(command=spec.name, title=title, fields=tuple(fields))
