"""Lessons, their contributors, marks, audit entries and pending drafts.

Every function takes the workspace id and filters on it, so a lesson id typed in one workspace
can never reach another's lesson.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    Answer,
    Expertise,
    Lesson,
    LessonAudit,
    LessonContributor,
    LessonDraftRecord,
    LessonMark,
    Member,
    Question,
)


def get(session: Session, workspace_id: int, lesson_id: int) -> Lesson | None:
    lesson = session.get(Lesson, lesson_id)
    if lesson is None or lesson.workspace_id != workspace_id:
        return None
    return lesson


def many(session: Session, workspace_id: int, ids: Iterable[int]) -> dict[int, Lesson]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.exec(
        select(Lesson).where(Lesson.workspace_id == workspace_id, col(Lesson.id).in_(wanted))
    )
    return {lesson.id or 0: lesson for lesson in rows}


def questions_with_answers(
    session: Session, workspace_id: int, ids: Iterable[int]
) -> dict[int, tuple[Question, Answer | None]]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.exec(
        select(Question, Answer)
        .join(Answer, col(Answer.id) == col(Question.accepted_answer_id), isouter=True)
        .where(Question.workspace_id == workspace_id, col(Question.id).in_(wanted))
    )
    return {q.id or 0: (q, a) for q, a in rows}


def members_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, Member]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return {m.id or 0: m for m in session.exec(select(Member).where(col(Member.id).in_(wanted)))}


def recent(session: Session, workspace_id: int, limit: int) -> list[Lesson]:
    return list(
        session.exec(
            select(Lesson)
            .where(Lesson.workspace_id == workspace_id)
            .order_by(col(Lesson.created_at).desc(), col(Lesson.id).desc())
            .limit(limit)
        )
    )


def top(session: Session, workspace_id: int, limit: int) -> list[Lesson]:
    """Most helpful first; outdated marks count against."""
    return list(
        session.exec(
            select(Lesson)
            .where(Lesson.workspace_id == workspace_id, Lesson.helpful_count > 0)
            .order_by(
                (col(Lesson.helpful_count) - col(Lesson.outdated_count)).desc(),
                col(Lesson.created_at).desc(),
            )
            .limit(limit)
        )
    )


def filtered(
    session: Session,
    workspace_id: int,
    *,
    tag: str | None,
    author_id: int | None,
    since: datetime | None,
    limit: int,
) -> list[Lesson]:
    """Lessons by filters alone (no words to search for), newest first."""
    query = select(Lesson).where(Lesson.workspace_id == workspace_id)
    if tag:
        query = query.where(
            func.replace("," + col(Lesson.tags) + ",", " ", "").contains(f",{tag},")
        )
    if author_id is not None:
        query = query.where(Lesson.author_member_id == author_id)
    if since is not None:
        query = query.where(col(Lesson.created_at) >= since)
    query = query.order_by(col(Lesson.created_at).desc(), col(Lesson.id).desc()).limit(limit)
    return list(session.exec(query))


def every(session: Session, workspace_id: int) -> list[Lesson]:
    return list(
        session.exec(
            select(Lesson).where(Lesson.workspace_id == workspace_id).order_by(col(Lesson.id))
        )
    )


# -- marks -----------------------------------------------------------------------------------------


def add_mark(session: Session, lesson: Lesson, member_id: int, kind: str, now: datetime) -> bool:
    """Record a member's mark; False if they had already made it (each member counts once)."""
    try:
        with session.begin_nested():
            session.add(
                LessonMark(
                    workspace_id=lesson.workspace_id,
                    lesson_id=lesson.id or 0,
                    member_id=member_id,
                    kind=kind,
                    created_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        return False
    recount(session, lesson)
    return True


def recount(session: Session, lesson: Lesson) -> None:
    counts = dict(
        session.exec(
            select(LessonMark.kind, func.count())
            .where(LessonMark.lesson_id == lesson.id)
            .group_by(LessonMark.kind)
        ).all()
    )
    lesson.helpful_count = int(counts.get("helpful", 0))
    lesson.outdated_count = int(counts.get("outdated", 0))
    session.add(lesson)


def clear_outdated(session: Session, lesson: Lesson) -> None:
    session.exec(
        delete(LessonMark).where(
            col(LessonMark.lesson_id) == lesson.id, col(LessonMark.kind) == "outdated"
        )
    )
    recount(session, lesson)


# -- contributors, audit, drafts ------------------------------------------------------------------


def contributors(session: Session, lesson_id: int) -> list[tuple[LessonContributor, Member]]:
    return list(
        session.exec(
            select(LessonContributor, Member)
            .join(Member, col(Member.id) == col(LessonContributor.member_id))
            .where(LessonContributor.lesson_id == lesson_id)
            .order_by(col(LessonContributor.id))
        )
    )


def contribution(session: Session, lesson_id: int, member_id: int) -> LessonContributor | None:
    return session.exec(
        select(LessonContributor).where(
            LessonContributor.lesson_id == lesson_id, LessonContributor.member_id == member_id
        )
    ).first()


def audit(
    session: Session, lesson: Lesson, action: str, actor_id: int | None, now: datetime
) -> None:
    session.add(
        LessonAudit(
            workspace_id=lesson.workspace_id,
            lesson_id=lesson.id or 0,
            action=action,
            title=lesson.title[:200],
            actor_member_id=actor_id,
            at=now,
        )
    )


def audits(session: Session, workspace_id: int, lesson_id: int) -> list[LessonAudit]:
    return list(
        session.exec(
            select(LessonAudit)
            .where(LessonAudit.workspace_id == workspace_id, LessonAudit.lesson_id == lesson_id)
            .order_by(col(LessonAudit.id))
        )
    )


def draft(session: Session, workspace_id: int, draft_id: int) -> LessonDraftRecord | None:
    row = session.get(LessonDraftRecord, draft_id)
    if row is None or row.workspace_id != workspace_id:
        return None
    return row


def drop_old_drafts(session: Session, member_id: int, before: datetime) -> None:
    session.exec(
        delete(LessonDraftRecord).where(
            col(LessonDraftRecord.member_id) == member_id,
            col(LessonDraftRecord.created_at) < before,
        )
    )


# -- review ----------------------------------------------------------------------------------------


def due_for_review(session: Session, workspace_id: int, now: datetime) -> list[Lesson]:
    """Lessons marked outdated or past their review date, most marked and oldest due first."""
    return list(
        session.exec(
            select(Lesson)
            .where(
                Lesson.workspace_id == workspace_id,
                or_(col(Lesson.outdated_count) > 0, col(Lesson.review_at) <= now),
            )
            .order_by(col(Lesson.outdated_count).desc(), col(Lesson.review_at), col(Lesson.id))
        )
    )


def expert_topics(session: Session, member_id: int) -> set[str]:
    return set(
        session.exec(
            select(Expertise.topic).where(Expertise.member_id == member_id, Expertise.weight > 0)
        ).all()
    )


# -- taking a member's words out -------------------------------------------------------------------


def strip_sentences(text: str, sentences: Sequence[str]) -> tuple[str, int]:
    """``text`` without each of ``sentences`` (exact matches), and how many were found."""
    removed = 0
    for sentence in sentences:
        if sentence and sentence in text:
            text = text.replace(sentence, "")
            removed += 1
    text = re.sub(r"[ \t]{2,}", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip(), removed


def unquote_member(session: Session, workspace_id: int, member_id: int, now: datetime) -> int:
    """Take a member's quoted words out of every lesson that quotes them (for /forget-me);
    each such lesson goes back to review. Returns how many lessons changed."""
    changed = 0
    rows = session.exec(
        select(LessonContributor).where(
            LessonContributor.workspace_id == workspace_id,
            LessonContributor.member_id == member_id,
        )
    )
    for row in list(rows):
        lesson = session.get(Lesson, row.lesson_id)
        sentences = [s for s in row.quoted.split("\n") if s]
        if lesson is not None and sentences:
            for column in ("context", "what_happened", "learned"):
                setattr(lesson, column, strip_sentences(getattr(lesson, column), sentences)[0])
            lesson.review_at = now
            session.add(lesson)
            changed += 1
        session.delete(row)
    session.flush()
    return changed
