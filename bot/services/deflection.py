"""Deflection: closing a question with what the community already knows, pinging nobody.

``/ask`` shows the asker lessons and resolved questions that look like answers (see
``routing.ask``). Pressing "This answers it" runs ``deflect <question> <lesson|question>:<id>``
here: the question becomes ``deflected`` (it counts in stats), records what answered it, and a
lesson that answered it gets the asker's "helpful" mark. "Ask anyway" posts and routes it.
Both are conditional updates, so a press racing the sweep's automatic posting has one winner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from bot.context import Runtime
from bot.errors import Conflict, NotFound, PermissionDenied, UsageError
from bot.model import Actor, MessageRef, Place
from bot.services import routing
from bot.services import routing_messages as msg
from storage.models import Question
from storage.repos import lessons as lessons_repo
from storage.repos import members
from storage.repos import questions as questions_repo

CLOSABLE = ("suggested", "open", "claimed")


@dataclass(frozen=True)
class Deflected:
    question_id: int
    target: str
    was_posted: bool
    place: Place
    closed_dms: list[MessageRef]


def _asked_by_actor(session: Session, workspace_id: int, actor: Actor, qid: int) -> Question:
    question = questions_repo.get(session, workspace_id, qid)
    if question is None:
        raise NotFound(f"There is no question #{qid} here.")
    me = members.get(session, workspace_id, actor.user_id)
    if me is None or question.asker_member_id != me.id:
        raise PermissionDenied(f"Only the asker of question #{qid} can do that.")
    return question


def _target(session: Session, workspace_id: int, raw: str) -> tuple[str, int]:
    kind, _, number = raw.partition(":")
    if kind not in ("lesson", "question") or not number.isdigit():
        raise UsageError(f"'{raw[:40]}' is not a lesson or question.", "E.g. lesson:12")
    ref = int(number)
    if kind == "lesson" and lessons_repo.get(session, workspace_id, ref) is None:
        raise NotFound(f"There is no lesson #{ref} here.")
    if kind == "question":
        answered = questions_repo.get(session, workspace_id, ref)
        if answered is None or answered.status != "resolved":
            raise NotFound(f"There is no resolved question #{ref} here.")
    return kind, ref


def _deflect(
    session: Session, workspace_id: int, actor: Actor, qid: int, raw: str, now: datetime
) -> Deflected:
    question = _asked_by_actor(session, workspace_id, actor, qid)
    kind, ref = _target(session, workspace_id, raw)
    if kind == "question" and ref == qid:
        raise UsageError("A question cannot answer itself.")
    if question.status not in CLOSABLE:
        raise Conflict(f"Question #{qid} is already {question.status}.")
    target = f"{kind}:{ref}"
    changed = session.exec(
        update(Question)
        .where(col(Question.id) == qid, col(Question.status).in_(CLOSABLE))
        .values(
            status="deflected", deflected_to=target, suggest_until=None, next_escalation_at=None
        )
    )
    if changed.rowcount != 1:
        raise Conflict(f"Question #{qid} changed just now.", "Look at it again.")
    session.refresh(question)
    closed = questions_repo.supersede_live(session, qid)
    if kind == "lesson":
        lesson = lessons_repo.get(session, workspace_id, ref)
        if lesson is not None and lesson.author_member_id != question.asker_member_id:
            lessons_repo.add_mark(session, lesson, question.asker_member_id or 0, "helpful", now)
    workspace = routing.workspace_ref(routing._workspace(session, workspace_id))
    return Deflected(
        question_id=qid,
        target=target,
        was_posted=question.thread_ref is not None,
        place=routing.thread_place(workspace, question),
        closed_dms=[r for a in closed if (r := routing.decode_dm_ref(workspace, a.dm_ref))],
    )


async def deflect(rt: Runtime, workspace_id: int, actor: Actor, qid: int, target: str) -> Deflected:
    """ "This answers it": close the question as deflected. A question already posted gets a
    note in its thread and the experts' DMs are closed; one still held was never seen."""
    done = await rt.db.run(_deflect, workspace_id, actor, qid, target, rt.clock.now())
    if done.was_posted:
        kind, _, ref = done.target.partition(":")
        note = msg.thread_note(f"Closed: the asker found the answer in {kind} #{ref}.")
        await routing._best_effort(rt.port.post(done.place, note))  # closed either way
        for dm in done.closed_dms:
            await routing._best_effort(
                rt.port.update(dm, msg.dm_closed(qid, "answered by an existing lesson."))
            )
    return done


async def ask_anyway(rt: Runtime, workspace_id: int, actor: Actor, qid: int) -> routing.AskResult:
    """Post and route a question held for suggestions, now."""

    def check(session: Session) -> None:
        question = _asked_by_actor(session, workspace_id, actor, qid)
        if question.status != "suggested":
            raise Conflict(f"Question #{qid} is already {question.status}.")

    await rt.db.run(check)
    result = await routing.publish_held(rt, qid)
    if result is None:
        raise Conflict(f"Question #{qid} was posted or closed just now.")
    return result
