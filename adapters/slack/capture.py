"""Helpers for "Capture as lesson": a Slack thread as the core's messages, a draft in a form.

Pure functions: the thread's messages with members' names instead of ``<@U123>``, a lesson form
prefilled from the drafter by what its fields are called, and the draft shown as text where no
lesson form exists.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.slack import translate
from bot.model import Form, Items, Quote, Reply, Text
from bot.services.capture import ChatMessage
from bot.services.drafting import LessonDraft

LESSON_FIELDS = {
    "title": ("title",),
    "context": ("context", "situation"),
    "learned": ("learned", "lesson", "what_we_learned", "what-we-learned"),
    "tags": ("tags", "topics"),
    "link": ("link", "source", "source_link", "url"),
    "contributors": ("contributors",),
}
USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")


def _is_member_message(message: Mapping[str, Any]) -> bool:
    return (
        bool(message.get("user"))
        and not message.get("bot_id")
        and (message.get("subtype") in (None, "thread_broadcast"))
    )


def user_ids(raw: Sequence[Mapping[str, Any]]) -> set[str]:
    """Everyone who wrote in the thread or is mentioned in it."""
    ids = {str(m["user"]) for m in raw if m.get("user")}
    for message in raw:
        ids.update(f.group(1) for f in USER_MENTION.finditer(str(message.get("text", ""))))
    return ids


def chat_messages(raw: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[ChatMessage]:
    """Members' messages of a thread, in order, with mentions as @name."""

    def readable(text: str) -> str:
        return USER_MENTION.sub(
            lambda f: "@" + names.get(f.group(1), f.group(2) or "someone"), text
        )

    out = []
    for message in raw:
        if not _is_member_message(message):
            continue
        text = readable(translate.from_slack_text(str(message.get("text", ""))))
        if text.strip():
            uid = str(message["user"])
            at = translate.message_time(str(message.get("ts")))
            out.append(ChatMessage(uid, names.get(uid, uid), text, at))
    return out


def prefill(form: Form, draft: LessonDraft, link: str | None) -> Form:
    """The lesson form with the draft's values in the fields whose names say what they hold."""
    values = {
        "title": draft.title,
        "context": draft.context,
        "learned": "\n".join(draft.learned),
        "tags": ", ".join(draft.tags),
        "link": link or "",
        "contributors": ", ".join(draft.contributors),
    }
    by_name = {alias: values[key] for key, aliases in LESSON_FIELDS.items() for alias in aliases}
    fields = tuple(
        dataclasses.replace(f, initial=by_name[f.name.lower()][: f.max_length])
        if by_name.get(f.name.lower())
        else f
        for f in form.fields
    )
    return dataclasses.replace(form, fields=fields)


def draft_reply(draft: LessonDraft) -> Reply:
    """The draft shown as text, where no lesson form exists yet to put it in."""
    blocks: list[Any] = [Text(f"*Draft:* {draft.title}")]
    if draft.context:
        blocks.append(Quote(draft.context))
    blocks.extend(Quote(sentence) for sentence in draft.learned)
    if draft.contributors:
        blocks.append(Items((f"Contributors: {', '.join(draft.contributors)}",)))
    return Reply(blocks=tuple(blocks))
