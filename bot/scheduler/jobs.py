"""The functions APScheduler stores by reference (``bot.scheduler.jobs:post_prompt``).

Each takes only ids or a function reference (the job store pickles arguments), reads the
process's runtime from ``bot.scheduler.current`` and looks up everything else in the database
when it runs, so a job stored last month runs against today's schedule, set and members.
Renaming or moving one of these breaks stored jobs: keep the names.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from apscheduler.util import ref_to_obj

from bot.context import Runtime
from bot.scheduler import current
from bot.services import reflection, stats

SweepFunction = Callable[[Runtime], Awaitable[None]]


async def post_prompt(schedule_id: int) -> None:
    """A reflection schedule is due: post its next prompt (at most once per due time)."""
    env = current.environment()
    with env.job() as runtime:
        await reflection.run_schedule(runtime, schedule_id, grace_seconds=env.grace_seconds)


async def post_digest(digest_id: int) -> None:
    """A workspace's digest is due: post it with its chart (at most once per due time)."""
    env = current.environment()
    with env.job() as runtime:
        await stats.run_digest(runtime, digest_id, grace_seconds=env.grace_seconds)


async def run_sweep(func_ref: str) -> None:
    """A feature's periodic sweep (registered with ``SchedulerService.register_interval``)."""
    env = current.environment()
    with env.job() as runtime:
        await resolve_sweep(func_ref)(runtime)


def resolve_sweep(func_ref: str) -> SweepFunction:
    """``package.module:function`` as the coroutine function it names, or a ValueError."""
    if ":" not in func_ref:
        raise ValueError(f"{func_ref!r} is not a reference like 'package.module:function'")
    try:
        function = ref_to_obj(func_ref)
    except (ImportError, LookupError) as error:
        raise ValueError(f"cannot find {func_ref!r}: {error}") from None
    if not inspect.iscoroutinefunction(function):
        raise ValueError(f"{func_ref!r} must be an async function taking the runtime")
    return function
