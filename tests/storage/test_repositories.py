"""Repositories on both databases: get-or-create under races, aware times, forgetting a member."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from storage.models import Expertise, Member, Workspace
from storage.repos import members, workspaces


def test_workspace_is_created_once_per_platform_key(db):
    first = db.run_sync(workspaces.get_or_create, "slack", "T1")
    again = db.run_sync(workspaces.get_or_create, "slack", "T1")
    other_platform = db.run_sync(workspaces.get_or_create, "discord", "T1")
    assert first.id == again.id
    assert other_platform.id != first.id
    assert len(db.run_sync(lambda s: s.exec(select(Workspace)).all())) == 2


async def test_concurrent_first_contact_creates_one_member(db):
    ws = db.run_sync(workspaces.get_or_create, "slack", "T1")
    results = await asyncio.gather(
        *(db.run(members.get_or_create, ws.id, "U1", "nina") for _ in range(8))
    )
    assert len({m.id for m in results}) == 1
    rows = db.run_sync(lambda s: s.exec(select(Member)).all())
    assert len(rows) == 1


def test_times_come_back_aware_utc_whatever_zone_went_in(db):
    ws = db.run_sync(workspaces.get_or_create, "slack", "T1")
    tokyo = timezone(timedelta(hours=9))
    written = datetime(2026, 3, 29, 10, 30, tzinfo=tokyo)

    def write(session):
        member = members.get_or_create(session, ws.id, "U1", "nina")
        member.updated_at = written
        session.add(member)

    db.run_sync(write)
    row = db.run_sync(lambda s: s.exec(select(Member)).one())
    assert row.updated_at == written
    assert row.updated_at.tzinfo is not None
    assert row.updated_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused_rather_than_guessed(db):
    ws = db.run_sync(workspaces.get_or_create, "slack", "T1")

    def write(session):
        member = members.get_or_create(session, ws.id, "U1", "nina")
        member.updated_at = datetime(2026, 1, 1, 12, 0)
        session.add(member)

    with pytest.raises(Exception, match="naive datetime"):
        db.run_sync(write)


def test_forget_deletes_one_member_in_one_workspace_and_reports_counts(db):
    def seed(session):
        for key in ("T1", "T2"):
            ws = workspaces.get_or_create(session, "slack", key)
            for user in ("U1", "U2"):
                m = members.get_or_create(session, ws.id, user, user)
                session.add(
                    Expertise(workspace_id=ws.id, member_id=m.id, topic="sql", source="declared")
                )
        return workspaces.get_by_key(session, "slack", "T1").id

    t1 = db.run_sync(seed)
    counts = db.run_sync(members.forget, t1, "U1")
    assert (counts.profile, counts.expertise, counts.total) == (1, 1, 2)
    left = db.run_sync(
        lambda s: sorted(
            (w.external_id, m.user_id)
            for m, w in s.exec(select(Member, Workspace).where(Member.workspace_id == Workspace.id))
        )
    )
    assert left == [("T1", "U2"), ("T2", "U1"), ("T2", "U2")]
    assert db.run_sync(lambda s: len(s.exec(select(Expertise)).all())) == 3
    assert db.run_sync(members.forget, t1, "U1").total == 0


def test_unit_of_work_rolls_back_everything_on_error(db):
    ws = db.run_sync(workspaces.get_or_create, "slack", "T1")

    def half(session):
        members.get_or_create(session, ws.id, "U1", "nina")
        members.get_or_create(session, ws.id, "U2", "omar")
        session.flush()
        raise RuntimeError("fails after two inserts")

    with pytest.raises(RuntimeError):
        db.run_sync(half)
    assert db.run_sync(lambda s: s.exec(select(Member)).all()) == []


def test_role_of_an_unknown_member_is_member(db):
    ws = db.run_sync(workspaces.get_or_create, "slack", "T1")
    assert db.run_sync(members.role_of, ws.id, "nobody").value == "member"
