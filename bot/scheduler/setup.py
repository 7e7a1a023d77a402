"""APScheduler's AsyncIOScheduler on copbot's own database, configured once, here.

- The SQLAlchemy job store uses the application's engine (same ``DATABASE_URL``) and its own
  table (``scheduler_jobs``, created by the job store itself), so schedules survive restarts
  and need no second database.
- ``job_defaults``: ``coalesce=True`` (a job that missed several runs while copbot was down runs
  once, not once per missed run) and ``misfire_grace_time`` from ``COPBOT_MISFIRE_GRACE_SECONDS``
  (APScheduler's own default is one second, which would silently drop a Monday prompt after any
  restart). ``max_instances=1``: a job never overlaps itself.
- A missed-job listener writes one log line per skipped post, saying what was skipped and why.
- Coroutine jobs run on the event loop Slack, Discord and the console share.
"""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.db import Database
from storage.models import SCHEDULER_JOBS_TABLE

log = logging.getLogger("bot.scheduler")

PROMPT_JOB = "prompt:"
DIGEST_JOB = "digest:"
SWEEP_JOB = "sweep:"


def prompt_job_id(schedule_id: int) -> str:
    return f"{PROMPT_JOB}{schedule_id}"


def digest_job_id(digest_id: int) -> str:
    return f"{DIGEST_JOB}{digest_id}"


def sweep_job_id(name: str) -> str:
    return f"{SWEEP_JOB}{name}"


def build_scheduler(db: Database, grace_seconds: int) -> AsyncIOScheduler:
    """A scheduler (not started) with the job store, executor and defaults described above."""
    scheduler = AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=db.engine, tablename=SCHEDULER_JOBS_TABLE)},
        executors={"default": AsyncIOExecutor()},
        job_defaults={"coalesce": True, "misfire_grace_time": grace_seconds, "max_instances": 1},
        timezone=UTC,
    )
    scheduler.add_listener(_make_missed_listener(grace_seconds), EVENT_JOB_MISSED)
    return scheduler


def describe_job(job_id: str) -> str:
    """A job id in words for log lines an operator reads."""
    if job_id.startswith(PROMPT_JOB):
        return f"the reflection prompt of schedule #{job_id.removeprefix(PROMPT_JOB)}"
    if job_id.startswith(DIGEST_JOB):
        return f"the community digest #{job_id.removeprefix(DIGEST_JOB)}"
    if job_id.startswith(SWEEP_JOB):
        return f"the periodic sweep {job_id.removeprefix(SWEEP_JOB)!r}"
    return f"job {job_id!r}"


def _make_missed_listener(grace_seconds: int):  # noqa: ANN202  (an APScheduler listener)
    def missed(event: JobExecutionEvent) -> None:
        log.warning(
            "skipped %s due at %s: copbot was not running then and the grace period of %s "
            "has passed (COPBOT_MISFIRE_GRACE_SECONDS); it will run at its next due time",
            describe_job(event.job_id),
            event.scheduled_run_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            _duration(grace_seconds),
        )

    return missed


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
