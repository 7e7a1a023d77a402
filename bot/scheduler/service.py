"""``SchedulerService``: the one object the composition root starts and features talk to.

The schedule tables (``prompt_schedule``, ``digest_schedule``) are the source of truth; the
APScheduler job store is the leader's working copy. Any process may change a schedule (an HTTP
worker answering ``/prompts pause 3``): it bumps the row's ``revision``. The leading process
brings its jobs in line whenever ``job_revision`` lags (at once when the change happened in this
process, otherwise at its next periodic check) and records the revision it applied. Jobs use
fixed ids (``prompt:<id>``, ``digest:<id>``, ``sweep:<name>``) and ``replace_existing``, and a
job already in line is never touched, so a restart neither duplicates jobs nor loses a stored
next run time (which is how a post that fell due while copbot was down is still made once).

A new or resumed job's first run is computed from the time of the change, not the time the
leader noticed it, so a schedule made at 08:59:58 for 09:00 still posts at 09:00.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobSubmissionEvent,
)
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import Session, col, select

from bot.context import Runtime
from bot.scheduler import current, jobs, triggers
from bot.scheduler.leader import Leadership, leadership_for
from bot.scheduler.setup import (
    DIGEST_JOB,
    PROMPT_JOB,
    SWEEP_JOB,
    build_scheduler,
    describe_job,
    digest_job_id,
    prompt_job_id,
    sweep_job_id,
)
from storage.models import (
    SCHEDULER_JOBS_TABLE,
    DigestSchedule,
    PromptSchedule,
    ScheduledRun,
)
from storage.repos import scheduled_runs

log = logging.getLogger("bot.scheduler")

ACTIVE = "active"
MIN_SWEEP_SECONDS = 1.0
CATCH_UP_JOB = "catchup:"
CLEANUP_SECONDS = 5.0
STALE_CLAIM_SECONDS = 30
"""A claim still running this long after it was made, found by a new leader, was orphaned."""


@dataclass(frozen=True, slots=True)
class Sweep:
    job_id: str
    func_ref: str
    seconds: float


@dataclass(frozen=True, slots=True)
class _JobChange:
    job_id: str
    remove: bool
    kind: str = ""  # "prompt" or "digest"
    row_id: int = 0
    cron: str = ""
    zone: str = ""
    first_run: datetime | None = None


@dataclass
class _SyncPlan:
    changes: list[_JobChange] = field(default_factory=list)
    marks: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, id, revision)


class SchedulerService:
    """Leads the scheduler when this process wins the election, and steps down cleanly.

    ``sync_seconds``: how often the leader checks for schedules changed by other processes and
    that it still holds the lock. ``retry_seconds``: how often a follower tries to take over.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        leadership: Leadership | None = None,
        grace_seconds: int | None = None,
        sync_seconds: float = 15.0,
        retry_seconds: float = 5.0,
    ) -> None:
        self.runtime = runtime
        self.grace_seconds = (
            grace_seconds if grace_seconds is not None else runtime.settings.misfire_grace_seconds
        )
        self.sync_seconds = sync_seconds
        self.retry_seconds = retry_seconds
        self._leadership = leadership if leadership is not None else leadership_for(runtime.db)
        self._sweeps: dict[str, Sweep] = {}
        self._aps: AsyncIOScheduler | None = None
        self._env: current.JobEnvironment | None = None
        self._task: asyncio.Task[None] | None = None
        self._sync_wanted = asyncio.Event()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._users = 0
        self._leading = False

    # The API for features -----------------------------------------------------------------

    def register_interval(self, job_id: str, func_ref: str, seconds: float) -> None:
        """Run ``func_ref`` every ``seconds`` on whichever process leads the scheduler.

        ``func_ref`` names a module-level ``async def sweep(runtime: Runtime) -> None`` as
        ``"package.module:function"``; it is checked now, so a typo fails at start-up. The job
        is persistent, has the fixed id ``sweep:<job_id>`` and is (re)registered with
        ``replace_existing`` each time a process starts leading, so it never runs twice in
        parallel (``max_instances=1``) and survives a takeover. A sweep should be idempotent
        (read what is due from the database, claim it, act): after a crash it may see the same
        work again. Call it before or after ``start()``.
        """
        if not job_id or len(job_id) > 80 or ":" in job_id:
            raise ValueError(f"sweep id {job_id!r} must be 1-80 characters without ':'")
        if seconds < MIN_SWEEP_SECONDS:
            raise ValueError(f"sweep {job_id!r} runs every {seconds} s; the minimum is 1 s")
        jobs.resolve_sweep(func_ref)
        sweep = Sweep(job_id=job_id, func_ref=func_ref, seconds=float(seconds))
        self._sweeps[job_id] = sweep
        if self._aps is not None:
            self._add_sweep(self._aps, sweep)

    @property
    def is_leader(self) -> bool:
        """True once this process leads and its jobs are in line (scheduling has begun)."""
        return self._leading

    def schedules_changed(self) -> None:
        """Ask the leader loop to sync jobs with the schedule tables now."""
        self._sync_wanted.set()

    # Life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Try to lead at once (so SQLite's single process schedules before the first command),
        then keep the election going in the background."""
        if self._task is not None:
            return
        if await self._leadership.try_acquire():
            await self._lead()
        self._task = asyncio.create_task(self._run(), name="copbot-scheduler")

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Stop scheduling: finish the posts in flight (up to ``drain_timeout``), hand over."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._aps is not None:
            await self._step_down(drain_timeout)
        await self._leadership.release()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[SchedulerService]:
        """``async with service.running():`` start on entry, stop on exit; nests."""
        self._users += 1
        if self._users == 1:
            await self.start()
        try:
            yield self
        finally:
            self._users -= 1
            if self._users == 0:
                await self.stop()

    async def _run(self) -> None:
        while True:
            try:
                if self._aps is None:
                    await asyncio.sleep(self.retry_seconds)
                    if await self._leadership.try_acquire():
                        await self._lead()
                    continue
                await self._pause(self.sync_seconds)
                self._sync_wanted.clear()
                if not await self._leadership.still_held():
                    await self._step_down(drain_timeout=0)
                    continue
                await self.sync_now()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler loop error; retrying in %s s", self.retry_seconds)
                await asyncio.sleep(self.retry_seconds)

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less when a sync is wanted. (``asyncio.wait`` rather than
        ``wait_for``: on Python 3.11 a cancellation arriving as the event is set can be lost.)"""
        waiter = asyncio.ensure_future(self._sync_wanted.wait())
        try:
            await asyncio.wait({waiter}, timeout=seconds)
        finally:
            waiter.cancel()

    async def _lead(self) -> None:
        aps = build_scheduler(self.runtime.db, self.grace_seconds)
        aps.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        aps.add_listener(self._on_finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        env = current.JobEnvironment(self.runtime, self.grace_seconds, self.schedules_changed)
        current.install(env)
        aps.start(paused=True)  # creates the job table; runs nothing until jobs are in line
        self._aps, self._env = aps, env
        try:
            changed = await self._sync(full=True)
            for sweep in self._sweeps.values():
                self._add_sweep(aps, sweep)
            caught_up = await self._catch_up(aps)
            await self._report_interrupted()
        except BaseException:
            await self._step_down(drain_timeout=0)
            raise
        aps.resume()  # due jobs (and misfires within the grace period) run now
        self._leading = True
        log.info(
            "this process now runs the scheduler (%d schedule changes applied, %d sweeps, "
            "%d posts caught up)",
            changed,
            len(self._sweeps),
            caught_up,
        )

    async def _catch_up(self, aps: AsyncIOScheduler) -> int:
        """Due times the previous leader handed to a job that never claimed them.

        APScheduler moves a job's next run time on before the job runs, so a process that
        stops between the two loses that run. Any active schedule whose latest due time within
        the grace period has no claim, while its stored next run time is already past that due
        time, gets a one-off run now (``catchup:<job id>``); the claim keeps it to one post.
        """
        now = self.runtime.clock.now()
        stored = await asyncio.to_thread(self._job_next_runs)
        missed = await self.runtime.db.run(
            _missed_slots, stored, now, timedelta(seconds=self.grace_seconds)
        )
        for job_id, kind, row_id in missed:
            aps.add_job(
                jobs.post_prompt if kind == "prompt" else jobs.post_digest,
                "date",
                run_date=now,
                args=(row_id,),
                id=f"{CATCH_UP_JOB}{job_id}",
                name=f"{CATCH_UP_JOB}{job_id}",
                replace_existing=True,
            )
        return len(missed)

    def _job_next_runs(self) -> dict[str, float | None]:
        table = sa.table(SCHEDULER_JOBS_TABLE, sa.column("id"), sa.column("next_run_time"))
        with self.runtime.db.engine.connect() as connection:
            return dict(connection.execute(sa.select(table.c.id, table.c.next_run_time)).all())

    async def _report_interrupted(self) -> None:
        """Posts a previous leader claimed but never finished: reported once, never redone
        (at most once: the platform may already show them)."""
        now = self.runtime.clock.now()
        stale = await self.runtime.db.run(
            scheduled_runs.interrupt_stale, now - timedelta(seconds=STALE_CLAIM_SECONDS), now
        )
        for run in stale:
            log.warning(
                "%s due %s was being posted when the process running the scheduler stopped; "
                "it may not have reached the channel and is not retried (no double posts)",
                describe_job(run.job_id),
                run.slot.strftime("%Y-%m-%d %H:%M UTC"),
            )

    async def _step_down(self, drain_timeout: float) -> None:
        aps, env = self._aps, self._env
        if aps is None:
            return
        self._leading = False
        aps.pause()
        if drain_timeout > 0 and not await self.drain(drain_timeout):
            log.warning("stopped the scheduler with %d posts still in flight", self._in_flight)
        aps.shutdown(wait=False)  # cancels jobs still running
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        if env is not None and env.running:
            # A cancelled job gives back a due time it claimed but did not post: let it.
            await asyncio.wait(set(env.running), timeout=CLEANUP_SECONDS)
        current.uninstall(env)
        self._aps, self._env = None, None
        self._in_flight = 0
        self._idle.set()
        log.info("this process no longer runs the scheduler")

    # Jobs in flight (public APScheduler events, so stop can finish what started) -------------

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        self._in_flight += len(event.scheduled_run_times)
        self._idle.clear()

    def _on_finished(self, event: JobEvent) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        if self._in_flight == 0:
            self._idle.set()

    async def drain(self, timeout: float = 10.0) -> bool:
        """Wait until no job runs; False when ``timeout`` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def run_pending(self, timeout: float = 10.0) -> None:
        """Process due jobs now and wait for them: for tests and the benchmark, which move the
        clock instead of waiting for APScheduler's timer."""
        if self._aps is None:
            return
        self._aps.wakeup()
        for _ in range(3):
            await asyncio.sleep(0)
        await self.drain(timeout)

    def next_run_time(self, job_id: str) -> datetime | None:
        """When a job runs next (None: no such job, or this process does not lead)."""
        if self._aps is None:
            return None
        job = self._aps.get_job(job_id)
        return job.next_run_time if job is not None else None

    # Syncing jobs with the schedule tables ----------------------------------------------------

    async def sync_now(self) -> int:
        """Apply schedule changes to the jobs; the number of schedules changed."""
        if self._aps is None:
            return 0
        return await self._sync(full=False)

    async def _sync(self, *, full: bool) -> int:
        aps = self._aps
        assert aps is not None
        db = self.runtime.db
        existing = await asyncio.to_thread(self._job_ids) if full else None
        now = self.runtime.clock.now()
        plan = await db.run(_plan_sync, existing, now, timedelta(seconds=self.grace_seconds + 60))
        if full and existing is not None:
            wanted = {sweep_job_id(name) for name in self._sweeps}
            plan.changes.extend(
                _JobChange(job_id, remove=True)
                for job_id in existing
                if job_id.startswith(SWEEP_JOB) and job_id not in wanted
            )
        if plan.changes:
            # add_job and remove_job are thread-safe and write to the job store: keep those
            # writes (thousands on a first start) off the event loop.
            await asyncio.to_thread(self._apply, aps, plan.changes)
        if plan.marks:
            await db.run(_mark_synced, plan.marks)
        return len(plan.marks)

    def _job_ids(self) -> set[str]:
        return set(self._job_next_runs())

    @staticmethod
    def _apply(aps: AsyncIOScheduler, changes: list[_JobChange]) -> None:
        for change in changes:
            if change.remove or change.first_run is None:
                with contextlib.suppress(JobLookupError):
                    aps.remove_job(change.job_id)
                continue
            function = jobs.post_prompt if change.kind == "prompt" else jobs.post_digest
            aps.add_job(
                function,
                trigger=triggers.trigger(change.cron, change.zone),
                args=(change.row_id,),
                id=change.job_id,
                name=change.job_id,
                replace_existing=True,
                next_run_time=change.first_run,
            )

    @staticmethod
    def _add_sweep(aps: AsyncIOScheduler, sweep: Sweep) -> None:
        aps.add_job(
            jobs.run_sweep,
            "interval",
            seconds=sweep.seconds,
            args=(sweep.func_ref,),
            id=sweep_job_id(sweep.job_id),
            name=sweep_job_id(sweep.job_id),
            replace_existing=True,
        )


def _plan_sync(
    session: Session, existing: set[str] | None, now: datetime, lookback: timedelta
) -> _SyncPlan:
    """What to add and remove. ``existing`` (the job ids in the store) means a full check at
    start-up: jobs lost from the store are re-added and jobs of deleted schedules removed."""
    plan = _SyncPlan()
    full = existing is not None
    for kind, model, make_id in (
        ("prompt", PromptSchedule, prompt_job_id),
        ("digest", DigestSchedule, digest_job_id),
    ):
        query = select(
            model.id,
            model.status,
            model.cron,
            model.timezone,
            model.revision,
            model.job_revision,
            model.updated_at,
        )
        if not full:
            query = query.where(model.revision != model.job_revision)
        seen: set[str] = set()
        for row_id, status, cron, zone, revision, job_revision, updated_at in session.exec(query):
            job_id = make_id(row_id)
            seen.add(job_id)
            changed = revision != job_revision
            present = existing is None or job_id in existing
            if status == ACTIVE and (changed or not present):
                start = max(updated_at, now - lookback)
                plan.changes.append(
                    _JobChange(
                        job_id,
                        remove=False,
                        kind=kind,
                        row_id=row_id,
                        cron=cron,
                        zone=zone,
                        first_run=triggers.next_fire(cron, zone, start),
                    )
                )
            elif status != ACTIVE and present:
                plan.changes.append(_JobChange(job_id, remove=True))
            if changed:
                plan.marks.append((kind, row_id, revision))
        if existing is not None:
            prefix = PROMPT_JOB if kind == "prompt" else DIGEST_JOB
            plan.changes.extend(
                _JobChange(job_id, remove=True)
                for job_id in existing
                if job_id.startswith(prefix) and job_id not in seen
            )
    return plan


def _mark_synced(session: Session, marks: list[tuple[str, int, int]]) -> None:
    """Record the revision each job now reflects, unless the schedule changed again since."""
    for kind, row_id, revision in marks:
        model = PromptSchedule if kind == "prompt" else DigestSchedule
        session.exec(
            sa.update(model)
            .where(col(model.id) == row_id, col(model.revision) == revision)
            .values(job_revision=revision)
        )


def _missed_slots(
    session: Session, stored: dict[str, float | None], now: datetime, grace: timedelta
) -> list[tuple[str, str, int]]:
    """(job id, kind, row id) of due times within the grace period that the job store has
    moved past but nobody claimed."""
    missed = []
    for kind, model, make_id in (
        ("prompt", PromptSchedule, prompt_job_id),
        ("digest", DigestSchedule, digest_job_id),
    ):
        rows = session.exec(
            select(model.id, model.cron, model.timezone, model.updated_at).where(
                model.status == ACTIVE
            )
        ).all()
        due: dict[str, tuple[int, datetime]] = {}
        for row_id, cron, zone, changed_at in rows:
            job_id = make_id(row_id)
            next_run = stored.get(job_id)
            if next_run is None:
                continue  # no job (or paused): nothing was handed out
            slot = triggers.latest_fire(cron, zone, now, grace)
            # Owed only if the schedule was active at that time and the store moved past it.
            if slot is not None and slot >= changed_at and next_run > slot.timestamp():
                due[job_id] = (row_id, slot)
        if not due:
            continue
        claimed = {
            (job_id, slot)
            for job_id, slot in session.exec(
                select(ScheduledRun.job_id, ScheduledRun.slot).where(
                    col(ScheduledRun.job_id).in_(list(due)),
                    col(ScheduledRun.slot) >= now - grace,
                )
            )
        }
        missed.extend(
            (job_id, kind, row_id)
            for job_id, (row_id, slot) in due.items()
            if (job_id, slot) not in claimed
        )
    return missed
