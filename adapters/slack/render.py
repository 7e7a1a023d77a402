"""A neutral Reply as Block Kit: pure functions, tested without a network.

One renderer per block kind. Every piece of text goes out as ``mrkdwn`` with ``verbatim`` set
and ``&``, ``<`` and ``>`` escaped, so nothing in it can become a mention (``<!channel>``,
``<@U123>``), a masked link or an automatically parsed ``@here``: copbot's own words keep their
*bold* and `code`, and a member's words (a Quote) are shown as a quotation that can ping nobody.
Slack's size limits (3,000 characters a section, 10 fields, 25 buttons, 50 blocks a message,
100 in a view, 24 characters of modal title) are applied here, by clipping, so a long reply is
shortened rather than refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.model import (
    Action,
    ActionStyle,
    Fields,
    Form,
    FormField,
    Items,
    Link,
    MessageRef,
    Quote,
    Reply,
    Text,
)

ACTION_PREFIX = "cop:"
FORM_CALLBACK = "cop_form"
NOTICE_CALLBACK = "cop_notice"
FIELD_BLOCK_PREFIX = "f:"
PLACE_BLOCK = "cop_place"
VALUE_ACTION = "v"

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
BUTTONS_PER_BLOCK = 25
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MODAL_TITLE_LIMIT = 24
FALLBACK_LIMIT = 3000
INPUT_LIMIT = 3000
PLACEHOLDER_LIMIT = 150
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
OPTIONS_LIMIT = 100
LABEL_LIMIT = 2000
METADATA_LIMIT = 3000

Block = dict[str, Any]
Links = Mapping[MessageRef, str]


_MENTION_MARKUP = re.compile(r"<@([A-Z0-9]+)(?:\|([^<>|]*))?>")


def escape(text: str) -> str:
    """Slack's three control characters, escaped: the text can no longer mention or link.

    A member mention kept from Slack's markup (``<@U123|bob>``, as commands store it) is shown
    as the plain name ``@bob`` first, so it reads well and still pings nobody.
    """
    text = _MENTION_MARKUP.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object for text that is already escaped."""
    return {"type": "mrkdwn", "text": text or " ", "verbatim": True}


def plain(text: str, limit: int = SECTION_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def _chunks(lines: Sequence[str], limit: int = SECTION_LIMIT) -> list[str]:
    """Lines joined into pieces no longer than ``limit`` (a very long line is clipped)."""
    pieces: list[str] = []
    current = ""
    for line in lines:
        line = clip(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


def _sections(lines: Sequence[str]) -> list[Block]:
    return [{"type": "section", "text": mrkdwn(piece)} for piece in _chunks(lines)]


def _text(block: Text) -> list[Block]:
    return _sections(escape(block.text).split("\n"))


def _quote(block: Quote) -> list[Block]:
    lines = [f">{' ' + escape(line) if line else ''}" for line in block.text.split("\n")]
    if block.author:
        lines.insert(0, f"*{escape(block.author)}* wrote:")
    return _sections(lines)


def _fields(block: Fields) -> list[Block]:
    out: list[Block] = []
    pairs = list(block.pairs)
    for start in range(0, len(pairs), FIELDS_PER_SECTION):
        out.append(
            {
                "type": "section",
                "fields": [
                    mrkdwn(clip(f"*{escape(label)}*\n{escape(value)}", FIELD_LIMIT))
                    for label, value in pairs[start : start + FIELDS_PER_SECTION]
                ],
            }
        )
    return out


def _items(block: Items) -> list[Block]:
    return _sections([f"• {escape(line)}" for line in block.lines])


def _link(block: Link, links: Links) -> list[Block]:
    url = links.get(block.ref)
    label = escape(block.label)
    if url:
        return _sections([f"<{url}|{label}>"])
    return _sections([f"{label}: in <#{block.ref.place.channel}>"])


def _buttons(actions: Sequence[Action]) -> list[Block]:
    out: list[Block] = []
    for start in range(0, len(actions), BUTTONS_PER_BLOCK):
        elements = []
        for index, action in enumerate(actions[start : start + BUTTONS_PER_BLOCK], start):
            button: dict[str, Any] = {
                "type": "button",
                "action_id": f"{ACTION_PREFIX}{index}",
                "text": plain(action.label, BUTTON_TEXT_LIMIT),
                "value": action.command[:BUTTON_VALUE_LIMIT],
            }
            if action.style is not ActionStyle.DEFAULT:
                button["style"] = action.style.value
            elements.append(button)
        out.append({"type": "actions", "elements": elements})
    return out


def render_blocks(reply: Reply, links: Links | None = None) -> list[Block]:
    """The reply's blocks and buttons as Block Kit, without the message-size cap."""
    links = links or {}
    out: list[Block] = []
    for block in reply.blocks:
        match block:
            case Text():
                out.extend(_text(block))
            case Quote():
                out.extend(_quote(block))
            case Fields():
                out.extend(_fields(block))
            case Items():
                out.extend(_items(block))
            case Link():
                out.extend(_link(block, links))
    out.extend(_buttons(reply.actions))
    return out


def _capped(blocks: list[Block], limit: int) -> list[Block]:
    if len(blocks) <= limit:
        return blocks
    note = {"type": "context", "elements": [mrkdwn("… shortened: Slack shows at most this much.")]}
    buttons = [b for b in blocks if b["type"] == "actions"][:2]
    room = limit - 1 - len(buttons)
    return [*[b for b in blocks if b["type"] != "actions"][:room], note, *buttons]


def fallback_text(reply: Reply) -> str:
    """The notification text: escaped too, because Slack parses it for mentions."""
    return clip(escape(reply.fallback_text), FALLBACK_LIMIT) or "copbot"


def message(reply: Reply, links: Links | None = None) -> dict[str, Any]:
    """``text`` and ``blocks`` for chat.postMessage, chat.update and response URLs."""
    return {
        "text": fallback_text(reply),
        "blocks": _capped(render_blocks(reply, links), MESSAGE_BLOCK_LIMIT),
    }


def links_in(replies: Iterable[Reply]) -> list[MessageRef]:
    return [b.ref for r in replies for b in r.blocks if isinstance(b, Link)]


def home_view(replies: Sequence[Reply], links: Links | None = None) -> dict[str, Any]:
    blocks: list[Block] = []
    for reply in replies:
        if blocks:
            blocks.append({"type": "divider"})
        blocks.extend(render_blocks(reply, links))
    return {"type": "home", "blocks": _capped(blocks, VIEW_BLOCK_LIMIT)}


def form_usage(form: Form) -> str:
    """Where no modal can open, the one-line syntax the form would have submitted."""
    fields = " | ".join(f"{f.name}: {'...' if f.required else '(optional)'}" for f in form.fields)
    return f"{form.title}: type /cop {form.command} {fields}"


# Modals -----------------------------------------------------------------------------------------


def _input(form_field: FormField) -> Block:
    element: dict[str, Any]
    if form_field.options:
        options = [
            {
                "text": plain(option, OPTION_TEXT_LIMIT),
                "value": option[:OPTION_VALUE_LIMIT],
            }
            for option in form_field.options[:OPTIONS_LIMIT]
        ]
        element = {"type": "static_select", "action_id": VALUE_ACTION, "options": options}
        chosen = [o for o in options if o["value"] == form_field.initial]
        if chosen:
            element["initial_option"] = chosen[0]
    else:
        element = {
            "type": "plain_text_input",
            "action_id": VALUE_ACTION,
            "multiline": form_field.multiline,
            "max_length": min(form_field.max_length, INPUT_LIMIT),
        }
        if form_field.initial:
            element["initial_value"] = form_field.initial[: element["max_length"]]
        if form_field.placeholder:
            element["placeholder"] = plain(form_field.placeholder, PLACEHOLDER_LIMIT)
    return {
        "type": "input",
        "block_id": f"{FIELD_BLOCK_PREFIX}{form_field.name}",
        "optional": not form_field.required,
        "label": plain(form_field.label, LABEL_LIMIT),
        "element": element,
    }


def _place_picker() -> Block:
    """Where to post, for a form opened from a global shortcut (which has no channel)."""
    return {
        "type": "input",
        "block_id": PLACE_BLOCK,
        "label": plain("Post in"),
        "element": {
            "type": "conversations_select",
            "action_id": VALUE_ACTION,
            "default_to_current_conversation": True,
            "response_url_enabled": True,  # the submission brings a response_url for it
            "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        },
    }


def modal(
    form: Form, metadata: str, *, pick_place: bool = False, intro: Reply | None = None
) -> dict[str, Any]:
    """A Form as a modal; the submission comes back to the view listener with ``metadata``."""
    if len(metadata) > METADATA_LIMIT:
        raise ValueError("modal metadata is longer than Slack keeps")
    blocks: list[Block] = render_blocks(intro) if intro is not None else []
    blocks.extend(_input(f) for f in form.fields)
    if pick_place:
        blocks.append(_place_picker())
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": plain(form.title, MODAL_TITLE_LIMIT),
        "submit": plain(form.submit_label, MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "private_metadata": metadata,
        "blocks": _capped(blocks, VIEW_BLOCK_LIMIT),
    }


def notice_modal(title: str, replies: Sequence[Reply], links: Links | None = None) -> dict:
    """A modal that only shows something (an answer, an error) with a Close button."""
    blocks: list[Block] = []
    for reply in replies:
        blocks.extend(render_blocks(Reply(blocks=reply.blocks), links))
    return {
        "type": "modal",
        "callback_id": NOTICE_CALLBACK,
        "title": plain(title, MODAL_TITLE_LIMIT),
        "close": plain("Close", MODAL_TITLE_LIMIT),
        "blocks": _capped(blocks or _sections(["Nothing to show."]), VIEW_BLOCK_LIMIT),
    }
