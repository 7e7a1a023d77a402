"""A member wrote in a thread: the one core entry point every adapter calls.

Slack and Discord see thread replies (and check-mark reactions) as events, not commands. What
such a message means depends on the thread, so the core decides, once, for every platform:

- in a question's thread, from someone other than the asker: an answer (routing);
- in a reflection prompt's thread: an answer to the prompt (reflection);
- from a question's asker saying thanks or reacting with a check mark: the asker alone is
  offered, once, to mark it solved and capture the lesson.

Anything else is chat and is ignored quietly. The replies returned are for the person who wrote
only (an ephemeral message on Slack, a DM on Discord); nobody else is pinged.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, select

from bot.context import Runtime
from bot.errors import UserError
from bot.model import Actor, MessageId, Place, Reply, say
from bot.services import lessons, reflection, routing
from storage.models import Answer, PromptPost, Question
from storage.repos import workspaces

log = logging.getLogger(__name__)


def _workspace_id(session: Session, actor: Actor, default_timezone: str) -> int:
    workspace = workspaces.get_or_create(
        session, actor.platform.value, actor.workspace.key, default_timezone=default_timezone
    )
    assert workspace.id is not None
    return workspace.id


def _is_prompt_thread(session: Session, workspace_id: int, place: Place) -> bool:
    return (
        session.exec(
            select(PromptPost.id).where(
                PromptPost.workspace_id == workspace_id,
                PromptPost.channel_id == place.channel,
                PromptPost.message_ref == place.thread,
            )
        ).first()
        is not None
    )


async def on_thread_message(
    rt: Runtime, actor: Actor, place: Place, text: str, message: str
) -> list[Reply]:
    """Route one thread message to what it means; returns replies for its author only."""
    if place.thread is None or not text.strip():
        return []
    workspace_id = await rt.db.run(_workspace_id, actor, rt.settings.default_timezone)
    if await routing.answer_from_thread(rt, workspace_id, actor, place, text, message):
        return []
    offer = await lessons.offer_after_thanks(rt, workspace_id, actor, place, text)
    if offer is not None:
        return [offer]
    if await rt.db.run(_is_prompt_thread, workspace_id, place):
        try:
            await reflection.answer(rt, workspace_id, actor, place, text)
        except UserError as error:  # e.g. too long: the author hears why, nothing is stored
            return [say(error.line())]
    return []


async def on_reaction(
    rt: Runtime, actor: Actor, place: Place, emoji: str, message: str | None = None
) -> list[Reply]:
    """A reaction: only the asker's check mark means anything (the solved offer).

    Platforms name the message reacted to, not always its thread: when ``place.thread`` is
    unknown, the question is found from the message (the question's own post, or an answer
    recorded from its thread)."""
    workspace_id = await rt.db.run(_workspace_id, actor, rt.settings.default_timezone)
    if place.thread is None:
        if message is None:
            return []
        thread = await rt.db.run(_question_thread_of, workspace_id, place.channel, message)
        if thread is None:
            return []
        place = Place(place.workspace, place.channel, thread=MessageId(thread))
    offer = await lessons.offer_after_thanks(rt, workspace_id, actor, place, emoji)
    return [offer] if offer is not None else []


def _question_thread_of(
    session: Session, workspace_id: int, channel: str, message: str
) -> str | None:
    """The thread of the question whose post, or one of whose answers, is ``message``."""
    root = session.exec(
        select(Question.thread_ref).where(
            Question.workspace_id == workspace_id,
            Question.channel_id == channel,
            Question.thread_ref == message,
        )
    ).first()
    if root is not None:
        return root
    return session.exec(
        select(Question.thread_ref).where(
            Answer.workspace_id == workspace_id,
            Answer.message_ref == message,
            Answer.question_id == Question.id,
            Question.channel_id == channel,
        )
    ).first()
