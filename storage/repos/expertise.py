"""Expertise rows: declared by members, learned from their answers; topic aliases."""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from storage.models import Expertise, Member, TopicAlias

DECLARED = "declared"
LEARNED = "learned"


def decayed(weight: float, since: datetime, now: datetime, half_life_days: float) -> float:
    """``weight`` halved for every ``half_life_days`` since it was last updated."""
    age_days = max((now - since).total_seconds(), 0.0) / 86400.0
    return weight * math.pow(0.5, age_days / half_life_days) if half_life_days > 0 else weight


def for_member(session: Session, member_id: int) -> list[Expertise]:
    return list(
        session.exec(
            select(Expertise)
            .where(Expertise.member_id == member_id)
            .order_by(Expertise.topic, Expertise.source)
        )
    )


def declare(
    session: Session, workspace_id: int, member_id: int, topics: list[str], now: datetime
) -> list[str]:
    """Add declared topics; returns those that were new."""
    existing = {
        e.topic
        for e in session.exec(
            select(Expertise).where(Expertise.member_id == member_id, Expertise.source == DECLARED)
        )
    }
    added = [t for t in topics if t not in existing]
    for topic in added:
        session.add(
            Expertise(
                workspace_id=workspace_id,
                member_id=member_id,
                topic=topic,
                source=DECLARED,
                weight=1.0,
                updated_at=now,
            )
        )
    session.flush()
    return added


def undeclare(session: Session, member_id: int, topic: str) -> bool:
    result = session.exec(
        delete(Expertise).where(
            Expertise.member_id == member_id,
            Expertise.topic == topic,
            Expertise.source == DECLARED,
        )
    )
    return bool(result.rowcount)


def learn(
    session: Session,
    workspace_id: int,
    member_id: int,
    topic: str,
    amount: float,
    now: datetime,
    half_life_days: float,
) -> Expertise:
    """Add evidence: the stored weight is decayed to now first, then ``amount`` is added."""
    row = session.exec(
        select(Expertise).where(
            Expertise.member_id == member_id,
            Expertise.topic == topic,
            Expertise.source == LEARNED,
        )
    ).first()
    if row is None:
        row = Expertise(
            workspace_id=workspace_id,
            member_id=member_id,
            topic=topic,
            source=LEARNED,
            weight=0.0,
            evidence_count=0,
            updated_at=now,
        )
    row.weight = decayed(row.weight, row.updated_at, now, half_life_days) + amount
    row.evidence_count += 1
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


def known_topics(session: Session, workspace_id: int) -> set[str]:
    """Every topic anyone in the workspace declared or was credited with, plus alias targets."""
    topics = set(
        session.exec(select(Expertise.topic).where(Expertise.workspace_id == workspace_id)).all()
    )
    topics.update(
        session.exec(select(TopicAlias.topic).where(TopicAlias.workspace_id == workspace_id)).all()
    )
    return topics


def aliases(session: Session, workspace_id: int) -> dict[str, str]:
    rows = session.exec(select(TopicAlias).where(TopicAlias.workspace_id == workspace_id))
    return {row.alias: row.topic for row in rows}


def set_alias(session: Session, workspace_id: int, alias: str, topic: str) -> None:
    row = session.exec(
        select(TopicAlias).where(TopicAlias.workspace_id == workspace_id, TopicAlias.alias == alias)
    ).first()
    if row is None:
        row = TopicAlias(workspace_id=workspace_id, alias=alias, topic=topic)
    row.topic = topic
    session.add(row)
    # Existing expertise under the alias moves to the topic, so nobody's evidence is split.
    for expertise in session.exec(
        select(Expertise).where(Expertise.workspace_id == workspace_id, Expertise.topic == alias)
    ):
        twin = session.exec(
            select(Expertise).where(
                Expertise.member_id == expertise.member_id,
                Expertise.topic == topic,
                Expertise.source == expertise.source,
            )
        ).first()
        if twin is None:
            expertise.topic = topic
            session.add(expertise)
        else:
            twin.weight += expertise.weight
            twin.evidence_count += expertise.evidence_count
            session.add(twin)
            session.delete(expertise)
    session.flush()


def members_with_topics(
    session: Session, workspace_id: int, topics: list[str]
) -> list[tuple[Expertise, Member]]:
    if not topics:
        return []
    return list(
        session.exec(
            select(Expertise, Member)
            .where(
                Expertise.workspace_id == workspace_id,
                col(Expertise.topic).in_(topics),
                Expertise.member_id == Member.id,
            )
            .order_by(Member.id)
        )
    )


def topic_counts(session: Session, workspace_id: int) -> dict[str, int]:
    """How many members hold each topic, for autocomplete and coverage."""
    rows = session.exec(
        select(Expertise.topic, func.count(func.distinct(Expertise.member_id)))
        .where(Expertise.workspace_id == workspace_id)
        .group_by(Expertise.topic)
    )
    return dict(rows.all())
