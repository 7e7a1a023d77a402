"""The expert ranker fed from the database, one per workspace, kept current cheaply.

``ExpertRanker`` (bot/services/ranking.py) is pure: it ranks from evidence it is given. This
module is where that evidence comes from: every answer (the question's text with the answer's,
credited to the answerer, ``accepted`` when it was), every lesson, every declared topic.

Building a ranker reads the workspace's whole history, so each process keeps one per workspace
and brings it up to date before ranking: new answers, lessons and declarations are added
incrementally (about 75 µs each); anything that cannot be expressed as an addition (evidence
deleted by /forget-me, a declared topic removed, a new alias, a different half-life) rebuilds
it. A fingerprint of counts and newest ids tells which case applies. An answer accepted later
does not rebuild: accepted and plain answers weigh the same, so acceptance only changes the
wording of a reason until the next rebuild, and rebuilding on every /resolve would cost seconds
in a large community. Ranking runs in a worker thread, so each entry has its own lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.services.ranking import Evidence, ExpertRanker, Load, Query, RankedMember, RankerConfig
from storage.models import Answer, Expertise, Lesson, Question, Workspace
from storage.repos import expertise as expertise_repo
from storage.repos.expertise import DECLARED

TITLE_LIMIT = 80


@dataclass(frozen=True)
class Fingerprint:
    answers: int
    newest_answer: int
    lessons: int
    newest_lesson: int
    declared: int
    newest_declared: int
    aliases: tuple[tuple[str, str], ...]
    half_life_days: int


def _count_and_max(session: Session, model: type, *where: object) -> tuple[int, int]:
    count, newest = session.exec(
        select(func.count(), func.coalesce(func.max(model.id), 0)).where(*where)  # type: ignore[attr-defined]
    ).one()
    return int(count), int(newest)


def fingerprint(session: Session, workspace: Workspace) -> Fingerprint:
    ws = workspace.id
    answers, newest_answer = _count_and_max(session, Answer, Answer.workspace_id == ws)
    lessons, newest_lesson = _count_and_max(session, Lesson, Lesson.workspace_id == ws)
    declared, newest_declared = _count_and_max(
        session, Expertise, Expertise.workspace_id == ws, Expertise.source == DECLARED
    )
    aliases = tuple(sorted(expertise_repo.aliases(session, ws or 0).items()))
    return Fingerprint(
        answers,
        newest_answer,
        lessons,
        newest_lesson,
        declared,
        newest_declared,
        aliases,
        workspace.expertise_half_life_days,
    )


def _topics(value: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in value.split(",") if t.strip())


def _title(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TITLE_LIMIT else flat[: TITLE_LIMIT - 1] + "…"


def evidence(
    session: Session,
    workspace_id: int,
    *,
    answers_after: int = 0,
    lessons_after: int = 0,
    declared_after: int = 0,
) -> list[Evidence]:
    """The workspace's evidence, optionally only what is newer than the given ids."""
    found: list[Evidence] = []
    rows = session.exec(
        select(Answer, Question)
        .where(
            Answer.workspace_id == workspace_id,
            Answer.question_id == Question.id,
            col(Answer.id) > answers_after,
            col(Answer.member_id).is_not(None),
        )
        .order_by(Answer.id)
    )
    for answer, question in rows:
        found.append(
            Evidence(
                member=str(answer.member_id),
                kind="accepted" if question.accepted_answer_id == answer.id else "answer",
                at=answer.created_at,
                text=f"{question.text}\n{answer.text}",
                topics=_topics(question.topics),
                title=_title(question.text),
                asker=str(question.asker_member_id) if question.asker_member_id else None,
            )
        )
    for lesson in session.exec(
        select(Lesson)
        .where(
            Lesson.workspace_id == workspace_id,
            col(Lesson.id) > lessons_after,
            col(Lesson.author_member_id).is_not(None),
        )
        .order_by(Lesson.id)
    ):
        found.append(
            Evidence(
                member=str(lesson.author_member_id),
                kind="lesson",
                at=lesson.created_at,
                text=f"{lesson.title}\n{lesson.context}\n{lesson.learned}",
                topics=_topics(lesson.tags),
                title=_title(lesson.title),
            )
        )
    for row in session.exec(
        select(Expertise)
        .where(
            Expertise.workspace_id == workspace_id,
            Expertise.source == DECLARED,
            col(Expertise.id) > declared_after,
        )
        .order_by(Expertise.id)
    ):
        found.append(
            Evidence(
                member=str(row.member_id), kind="declared", at=row.updated_at, topics=(row.topic,)
            )
        )
    return found


@dataclass
class _Entry:
    ranker: ExpertRanker
    seen: Fingerprint
    lock: threading.Lock


class ExpertIndex:
    """One up-to-date ranker per workspace in this process."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}
        self._guard = threading.Lock()

    def ranker(self, session: Session, workspace: Workspace) -> tuple[ExpertRanker, threading.Lock]:
        assert workspace.id is not None
        now_seen = fingerprint(session, workspace)
        with self._guard:
            entry = self._entries.get(workspace.id)
        if entry is not None:
            with entry.lock:
                if entry.seen == now_seen:
                    return entry.ranker, entry.lock
                added = _additions(session, workspace.id, entry.seen, now_seen)
                if added is not None:
                    entry.ranker.extend(added)
                    entry.seen = now_seen
                    return entry.ranker, entry.lock
        config = RankerConfig(
            half_life_days=float(workspace.expertise_half_life_days),
            topic_aliases=dict(now_seen.aliases),
        )
        fresh = _Entry(
            ExpertRanker(evidence(session, workspace.id), config), now_seen, threading.Lock()
        )
        with self._guard:
            self._entries[workspace.id] = fresh
        return fresh.ranker, fresh.lock

    def rank(
        self,
        session: Session,
        workspace: Workspace,
        query: Query,
        candidates: list[str],
        *,
        load: dict[str, Load] | None,
        now: datetime,
        k: int,
    ) -> list[RankedMember]:
        ranker, lock = self.ranker(session, workspace)
        with lock:
            return ranker.rank(query, candidates, load=load, now=now, k=k)


def _additions(
    session: Session, workspace_id: int, old: Fingerprint, new: Fingerprint
) -> list[Evidence] | None:
    """The evidence added since ``old``, or None when the change was more than additions.

    Ids are shared by all workspaces, so the test is exact rather than arithmetic on ids: the
    rows newer than what the ranker has seen must account for all of each count's growth.
    """
    if (new.aliases, new.half_life_days) != (old.aliases, old.half_life_days):
        return None
    grown = (new.answers - old.answers, new.lessons - old.lessons, new.declared - old.declared)
    if min(grown) < 0:
        return None
    added = evidence(
        session,
        workspace_id,
        answers_after=old.newest_answer,
        lessons_after=old.newest_lesson,
        declared_after=old.newest_declared,
    )
    by_kind = (
        sum(e.kind in ("answer", "accepted") for e in added),
        sum(e.kind == "lesson" for e in added),
        sum(e.kind == "declared" for e in added),
    )
    return added if by_kind == grown else None
