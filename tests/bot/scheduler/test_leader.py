"""Leader election on PostgreSQL: one scheduler at a time, and a follower takes over."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from bot.scheduler.leader import AdvisoryLock, SingleProcess, leadership_for
from tests.fakes import scheduling as sch
from tests.fakes.chat import RecordingPort

pytestmark = pytest.mark.postgres

MONDAY_9_BERLIN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


async def _until(condition, seconds: float = 1.0) -> bool:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return True
        await asyncio.sleep(0.01)
    return condition()


def test_sqlite_needs_no_lock_and_postgres_takes_an_advisory_lock(sqlite_db, pg_db):
    assert isinstance(leadership_for(sqlite_db), SingleProcess)
    assert isinstance(leadership_for(pg_db), AdvisoryLock)


async def test_only_one_of_two_processes_leads(pg_db):
    first = AdvisoryLock(pg_db.engine.url)
    second = AdvisoryLock(pg_db.engine.url)
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await first.still_held()
        await first.release()
        assert await second.try_acquire()
    finally:
        await first.release()
        await second.release()


async def test_a_follower_takes_over_when_the_leader_stops_and_posts_what_is_due(pg_db):
    with time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False) as travel:
        schedule_id = pg_db.run_sync(sch.seed_schedule)
        port = RecordingPort()
        leader = sch.service(sch.runtime(pg_db, port), leadership=AdvisoryLock(pg_db.engine.url))
        follower = sch.service(sch.runtime(pg_db, port), leadership=AdvisoryLock(pg_db.engine.url))
        await leader.start()
        await follower.start()
        try:
            assert leader.is_leader and not follower.is_leader
            await leader.stop()
            assert await _until(lambda: follower.is_leader)
            assert follower.next_run_time(f"prompt:{schedule_id}") == MONDAY_9_BERLIN
            travel.move_to(MONDAY_9_BERLIN + timedelta(seconds=1))
            await follower.run_pending()
            assert len(port.sent) == 1
        finally:
            await leader.stop()
            await follower.stop()


async def test_a_leader_that_loses_its_lock_connection_steps_down_and_another_takes_over(pg_db):
    """The server ends the leader's session (as when its machine vanishes): it must stop
    scheduling, because the lock may already be someone else's."""
    first = sch.service(
        sch.runtime(pg_db, RecordingPort()),
        leadership=AdvisoryLock(pg_db.engine.url),
        sync_seconds=0.02,
        retry_seconds=5,  # so that the other one is the one to take over
    )
    second = sch.service(
        sch.runtime(pg_db, RecordingPort()), leadership=AdvisoryLock(pg_db.engine.url)
    )
    await first.start()
    await second.start()
    try:
        assert first.is_leader
        with pg_db.engine.connect() as connection:
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(l.pid) FROM pg_locks l "
                    "WHERE l.locktype = 'advisory' AND l.granted"
                )
            )
        assert await _until(lambda: second.is_leader)
        assert await _until(lambda: not first.is_leader)
    finally:
        await first.stop()
        await second.stop()
