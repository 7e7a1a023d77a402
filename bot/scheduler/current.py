"""The runtime that scheduled jobs run with, installed while this process leads the scheduler.

Why a registry: APScheduler stores a job as a reference to a module-level function plus its
pickled arguments. A database engine, a chat port and a clock cannot be pickled, and would be
stale after a restart if they could; so jobs carry only ids, and the job functions read the
process's runtime from here when they run. The ``SchedulerService`` installs it when this
process becomes the scheduler's leader and removes it when it steps down or stops; tests install
their own. It is deliberately narrow: only the job functions in ``bot.scheduler.jobs`` read it
(command handlers get the runtime in their Context), so it never becomes a global app object.

``schedules_changed()`` is the other half: after a command changes a schedule it tells the
scheduler in *this* process, if it leads, to bring the jobs in line now. In any other process
it does nothing and the leader notices on its next periodic check (the change is in the table).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from bot.context import Runtime


@dataclass(frozen=True, slots=True)
class JobEnvironment:
    runtime: Runtime
    grace_seconds: int
    on_schedules_changed: Callable[[], None] | None = None
    running: set[asyncio.Task[object]] = field(default_factory=set)
    """Job tasks running now, so stepping down can let a cancelled job clean up first."""

    @contextmanager
    def job(self) -> Iterator[Runtime]:
        """``with env.job() as runtime:`` around a job's work."""
        task = asyncio.current_task()
        if task is not None:
            self.running.add(task)
        try:
            yield self.runtime
        finally:
            if task is not None:
                self.running.discard(task)


_installed: JobEnvironment | None = None


class NoSchedulerRuntime(RuntimeError):
    """A job ran in a process that is not leading the scheduler (a bug, or a test's setup)."""


def install(environment: JobEnvironment) -> None:
    global _installed
    _installed = environment


def uninstall(environment: JobEnvironment | None = None) -> None:
    """Remove the environment (only ``environment``, when given, so a late stop of an old
    scheduler cannot remove the one a newer scheduler installed)."""
    global _installed
    if environment is None or _installed is environment:
        _installed = None


def environment() -> JobEnvironment:
    if _installed is None:
        raise NoSchedulerRuntime(
            "a scheduled job ran but no scheduler runtime is installed in this process"
        )
    return _installed


def schedules_changed() -> None:
    """A schedule row changed: let this process's scheduler sync its jobs now, if it leads."""
    if _installed is not None and _installed.on_schedules_changed is not None:
        _installed.on_schedules_changed()
