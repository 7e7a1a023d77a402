"""Questions, their answers and routing attempts.

State changes that can race (two people claiming at once, two sweepers delivering the same DM)
are single conditional UPDATEs: the database decides who wins, whatever the number of workers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import Answer, Member, Question, RoutingAttempt

OPEN_STATES = ("open", "claimed")
# Attempts still waiting on the member: not yet delivered, delivered, or snoozed.
LIVE_ATTEMPTS = ("queued", "sending", "sent", "later")


def get(session: Session, workspace_id: int, question_id: int) -> Question | None:
    question = session.get(Question, question_id)
    if question is None or question.workspace_id != workspace_id:
        return None
    return question


def claim(session: Session, question_id: int, member_id: int, now: datetime) -> bool:
    """Claim an open question; True only for the one caller whose update took effect."""
    result = session.exec(
        update(Question)
        .where(col(Question.id) == question_id, col(Question.status) == "open")
        .values(status="claimed", claimed_by_member_id=member_id, next_escalation_at=None)
    )
    return result.rowcount == 1


def attempts(session: Session, question_id: int) -> list[RoutingAttempt]:
    return list(
        session.exec(
            select(RoutingAttempt)
            .where(RoutingAttempt.question_id == question_id)
            .order_by(RoutingAttempt.round, RoutingAttempt.id)
        )
    )


def attempt_for(session: Session, question_id: int, member_id: int) -> RoutingAttempt | None:
    return session.exec(
        select(RoutingAttempt).where(
            RoutingAttempt.question_id == question_id, RoutingAttempt.member_id == member_id
        )
    ).first()


def take_for_delivery(session: Session, attempt_id: int, now: datetime) -> bool:
    """Move one due attempt to ``sending``; False when another worker took it or it is not due."""
    result = session.exec(
        update(RoutingAttempt)
        .where(
            col(RoutingAttempt.id) == attempt_id,
            col(RoutingAttempt.status).in_(("queued", "later")),
            col(RoutingAttempt.due_at) <= now,
        )
        .values(status="sending")
    )
    return result.rowcount == 1


def due_attempt_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    return list(
        session.exec(
            select(RoutingAttempt.id)
            .where(
                col(RoutingAttempt.status).in_(("queued", "later")),
                col(RoutingAttempt.due_at) <= now,
            )
            .order_by(RoutingAttempt.due_at)
            .limit(limit)
        ).all()
    )


def due_escalation_ids(session: Session, now: datetime, limit: int = 200) -> list[int]:
    return list(
        session.exec(
            select(Question.id)
            .where(
                col(Question.status) == "open",
                col(Question.next_escalation_at).is_not(None),
                col(Question.next_escalation_at) <= now,
            )
            .order_by(Question.next_escalation_at)
            .limit(limit)
        ).all()
    )


def supersede_live(
    session: Session, question_id: int, *, keep_member: int | None = None
) -> list[RoutingAttempt]:
    """Close every attempt still waiting on someone; returns those that had a DM to update."""
    closed = []
    for attempt in attempts(session, question_id):
        if attempt.status in LIVE_ATTEMPTS and attempt.member_id != keep_member:
            if attempt.dm_ref:
                closed.append(attempt)
            attempt.status = "superseded"
            session.add(attempt)
    session.flush()
    return closed


def routed_today(session: Session, member_ids: list[int], now: datetime) -> dict[int, int]:
    """Routed questions per member over the last 24 hours (failed deliveries do not count)."""
    if not member_ids:
        return {}
    rows = session.exec(
        select(RoutingAttempt.member_id, func.count())
        .where(
            col(RoutingAttempt.member_id).in_(member_ids),
            col(RoutingAttempt.due_at) >= now - timedelta(hours=24),
            col(RoutingAttempt.status) != "failed",
        )
        .group_by(RoutingAttempt.member_id)
    )
    return dict(rows.all())


def load(
    session: Session, workspace_id: int, now: datetime, days: int = 7
) -> dict[int, tuple[int, int]]:
    """member id -> (open pings, pings in the last ``days`` days), for spreading load."""
    open_rows = session.exec(
        select(RoutingAttempt.member_id, func.count())
        .where(
            RoutingAttempt.workspace_id == workspace_id,
            col(RoutingAttempt.status).in_(LIVE_ATTEMPTS),
        )
        .group_by(RoutingAttempt.member_id)
    ).all()
    recent_rows = session.exec(
        select(RoutingAttempt.member_id, func.count())
        .where(
            RoutingAttempt.workspace_id == workspace_id,
            col(RoutingAttempt.due_at) >= now - timedelta(days=days),
            col(RoutingAttempt.status) != "failed",
        )
        .group_by(RoutingAttempt.member_id)
    ).all()
    result: dict[int, tuple[int, int]] = {}
    for member_id, count in open_rows:
        result[member_id] = (count, 0)
    for member_id, count in recent_rows:
        result[member_id] = (result.get(member_id, (0, 0))[0], count)
    return result


def answers(session: Session, question_id: int) -> list[tuple[Answer, Member | None]]:
    return list(
        session.exec(
            select(Answer, Member)
            .join(Member, col(Answer.member_id) == col(Member.id), isouter=True)
            .where(Answer.question_id == question_id)
            .order_by(Answer.created_at, Answer.id)
        )
    )


def asked_by(session: Session, member_id: int) -> list[Question]:
    return list(
        session.exec(
            select(Question)
            .where(Question.asker_member_id == member_id, col(Question.status).in_(OPEN_STATES))
            .order_by(Question.created_at)
        )
    )


def open_in_channel(
    session: Session, workspace_id: int, channel_id: str, since: datetime
) -> list[Question]:
    return list(
        session.exec(
            select(Question)
            .where(
                Question.workspace_id == workspace_id,
                Question.channel_id == channel_id,
                col(Question.status).in_(OPEN_STATES),
                col(Question.created_at) >= since,
            )
            .order_by(Question.created_at)
        )
    )


def answer_counts(session: Session, question_ids: list[int]) -> dict[int, int]:
    if not question_ids:
        return {}
    rows = session.exec(
        select(Answer.question_id, func.count())
        .where(col(Answer.question_id).in_(question_ids))
        .group_by(Answer.question_id)
    )
    return dict(rows.all())


def waiting_for(session: Session, member_id: int) -> list[tuple[Question, RoutingAttempt]]:
    """Open questions routed to this member that still wait on them (delivered or snoozed)."""
    return list(
        session.exec(
            select(Question, RoutingAttempt)
            .where(
                RoutingAttempt.member_id == member_id,
                col(RoutingAttempt.status).in_(("sent", "later")),
                RoutingAttempt.question_id == Question.id,
                Question.status == "open",
            )
            .order_by(Question.created_at)
        )
    )
