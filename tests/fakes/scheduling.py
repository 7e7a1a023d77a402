"""Helpers for scheduler tests: seeded schedules, a runtime on the real clock, a service.

Scheduler tests move time with time-machine (``time_machine.travel(..., tick=False)``): it moves
``datetime.now`` for APScheduler and for copbot's ``SystemClock`` alike, while asyncio keeps its
own monotonic clock, so nothing sleeps and the event loop still works.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import Runtime
from bot.ports import ChatPort
from bot.scheduler.leader import Leadership, SingleProcess
from bot.scheduler.service import SchedulerService
from storage.db import Database
from storage.models import Member, PromptPost, PromptSchedule, ScheduledRun, Workspace
from storage.repos import workspaces

GRACE = 6 * 3600


def seed_schedule(
    session: Session,
    *,
    cron: str = "0 9 * * mon",
    zone: str = "Europe/Berlin",
    channel: str = "general",
    set_name: str = "weekly-reflection",
    workspace: str = "console",
    platform: str = "console",
    created: datetime | None = None,
    anonymous: bool = False,
    dm_members: bool = False,
) -> int:
    """A schedule as ``/prompts schedule`` stores it (its job not made yet)."""
    when = created or datetime.now(UTC)
    row = workspaces.get_or_create(session, platform, workspace)
    schedule = PromptSchedule(
        workspace_id=row.id,
        channel_id=channel,
        set_name=set_name,
        cron=cron,
        timezone=zone,
        anonymous_allowed=anonymous,
        dm_members=dm_members,
        created_at=when,
        updated_at=when,
    )
    session.add(schedule)
    session.flush()
    assert schedule.id is not None
    return schedule.id


def posts(session: Session) -> list[PromptPost]:
    return list(session.exec(select(PromptPost).order_by(PromptPost.id)))


def runs(session: Session) -> list[ScheduledRun]:
    return list(session.exec(select(ScheduledRun).order_by(ScheduledRun.id)))


def schedule_row(session: Session, schedule_id: int) -> PromptSchedule:
    row = session.get(PromptSchedule, schedule_id)
    assert row is not None
    return row


def add_member(
    session: Session, name: str, *, workspace: str = "console", platform: str = "console", **fields
) -> int:
    row = workspaces.get_or_create(session, platform, workspace)
    member = Member(workspace_id=row.id, user_id=name, display_name=name, **fields)
    session.add(member)
    session.flush()
    assert member.id is not None
    return member.id


def workspace_id(session: Session, key: str = "console", platform: str = "console") -> int:
    row = session.exec(
        select(Workspace).where(Workspace.platform == platform, Workspace.external_id == key)
    ).one()
    assert row.id is not None
    return row.id


def runtime(db: Database, port: ChatPort, clock: Clock | None = None) -> Runtime:
    return Runtime(db=db, port=port, clock=clock or SystemClock(), settings=Settings())


def service(
    rt: Runtime,
    *,
    leadership: Leadership | None = None,
    grace: int = GRACE,
    retry_seconds: float = 0.05,
    sync_seconds: float = 30.0,
) -> SchedulerService:
    return SchedulerService(
        rt,
        leadership=leadership or SingleProcess(),
        grace_seconds=grace,
        retry_seconds=retry_seconds,
        sync_seconds=sync_seconds,
    )


PROBED: list[Database] = []


async def probe_sweep(rt: Runtime) -> None:
    """A sweep for tests: records the database it was given."""
    PROBED.append(rt.db)
