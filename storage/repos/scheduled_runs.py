"""Claims on a scheduled job's due times: the at-most-once guarantee for scheduled posts.

A job inserts (job_id, slot) before it posts; the unique constraint lets exactly one insert
succeed, whichever process or scheduler instance tries, so a restart, a leader takeover or a
second scheduler started by mistake can never post the same due time twice. The claim is
committed before the platform is called: if the process dies during that call the post may be
lost (it stays ``running`` and is reported), but it is never doubled, which is the better
failure for a message people read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import ScheduledRun


def claim(
    session: Session, workspace_id: int, job_id: str, slot: datetime, now: datetime
) -> ScheduledRun | None:
    """The new claim on ``slot``, or None when the slot was already claimed."""
    try:
        with session.begin_nested():
            run = ScheduledRun(workspace_id=workspace_id, job_id=job_id, slot=slot, claimed_at=now)
            session.add(run)
            session.flush()
            return run
    except IntegrityError:
        return None


def finish(session: Session, run_id: int, outcome: str, detail: str, now: datetime) -> None:
    session.exec(
        update(ScheduledRun)
        .where(col(ScheduledRun.id) == run_id)
        .values(outcome=outcome, detail=detail[:500], finished_at=now)
        .execution_options(synchronize_session=False)
    )


def for_job(session: Session, job_id: str) -> list[ScheduledRun]:
    return list(
        session.exec(
            select(ScheduledRun).where(ScheduledRun.job_id == job_id).order_by(ScheduledRun.slot)
        )
    )


def interrupt_stale(session: Session, before: datetime, now: datetime) -> list[ScheduledRun]:
    """Claims still ``running`` from before ``before``: their process stopped mid-post. They are
    marked ``interrupted`` and never retried (the platform may have the post already)."""
    stale = list(
        session.exec(
            select(ScheduledRun).where(
                ScheduledRun.outcome == "running", col(ScheduledRun.claimed_at) < before
            )
        )
    )
    for run in stale:
        run.outcome, run.finished_at = "interrupted", now
        run.detail = "the process posting it stopped; it may or may not have been posted"
        session.add(run)
    return stale


def release(session: Session, run_id: int) -> None:
    """Give a due time back: the job was stopped before it posted anything."""
    session.exec(delete(ScheduledRun).where(col(ScheduledRun.id) == run_id))
