""" "Capture as lesson" on Discord: a drafted lesson, opened in the lesson form.

The hook takes the messages the context menu gathered, drafts a lesson with the core's
``capture.draft_from_thread`` (which drops members who turned capture off), asks the ``lesson``
command for its form (a reply with a form, asked with no text) and fills that form with the
draft. Where no lesson command offers a form, the member sees the draft as text instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from adapters.discord.client import CapturedMessage, CaptureHook
from bot.dispatch import Dispatcher
from bot.errors import UserError
from bot.model import Actor, Command, Form, Items, Place, Quote, Reply, Text, say
from bot.services.capture import ChatMessage, draft_from_thread
from bot.services.drafting import LessonDraft

LESSON_COMMAND = "lesson"
# Which draft part goes into a form field, by the field's name.
_FIELD_NAMES = {
    "title": ("title",),
    "context": ("context", "situation"),
    "learned": ("learned", "what_we_learned", "lesson"),
    "tags": ("tags", "topics"),
    "contributors": ("contributors",),
    "link": ("link", "source", "source_link"),
}


def capture_hook(dispatcher: Dispatcher) -> CaptureHook:
    """The hook the Discord adapter calls with a message (and its thread, when readable)."""

    async def hook(actor: Actor, place: Place, messages: Sequence[CapturedMessage]) -> list[Reply]:
        chat = [
            ChatMessage(user_id=m.author_id, name=m.author_name, text=m.text, at=m.at)
            for m in messages
            if m.text.strip()
        ]
        link = messages[0].link if messages else ""
        try:
            draft = await draft_from_thread(dispatcher.runtime, actor.workspace, chat)
        except UserError as error:
            return [say(error.line())]
        ask = Command(name=LESSON_COMMAND, text="", actor=actor, place=place)
        replies = await dispatcher.handle(ask)
        form = next((r.form for r in replies if r.form is not None), None)
        if form is None:
            return [draft_reply(draft)]
        return [Reply(blocks=(), form=prefill(form, draft, link))]

    return hook


def prefill(form: Form, draft: LessonDraft, link: str = "") -> Form:
    """The lesson form with the draft's values in the fields whose names say what they hold."""
    values = {
        "title": draft.title,
        "context": draft.context,
        "learned": "\n".join(draft.learned),
        "tags": ", ".join(draft.tags),
        "contributors": ", ".join(draft.contributors),
        "link": link,
    }
    by_name = {alias: values[key] for key, aliases in _FIELD_NAMES.items() for alias in aliases}
    fields = tuple(
        dataclasses.replace(f, initial=by_name[f.name.lower()][: f.max_length])
        if by_name.get(f.name.lower())
        else f
        for f in form.fields
    )
    return dataclasses.replace(form, fields=fields)


def draft_reply(draft: LessonDraft) -> Reply:
    """The draft as text, where no lesson form exists to put it in."""
    blocks: list[Text | Quote | Items] = [Text(f"*Draft:* {draft.title}")]
    if draft.context:
        blocks.append(Quote(draft.context))
    blocks.extend(Quote(sentence) for sentence in draft.learned)
    if draft.contributors:
        blocks.append(Items((f"Contributors: {', '.join(draft.contributors)}",)))
    return Reply(blocks=tuple(blocks))
