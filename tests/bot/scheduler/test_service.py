"""The scheduler as it runs: posts at local time, survives restarts, handles misfires, keeps
rotation, never posts a due time twice. Time is moved with time-machine, never waited for."""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.scheduler import current
from bot.services.prompt_library import load_library, rotation_order
from tests.fakes import scheduling as sch
from tests.fakes.chat import RecordingPort

SUNDAY = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MONDAY_9_BERLIN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 CET


@pytest.fixture
def travel():
    with time_machine.travel(SUNDAY, tick=False) as traveller:
        yield traveller


async def test_prompt_is_posted_once_at_nine_local_time(db, travel):
    port = RecordingPort()
    schedule_id = db.run_sync(sch.seed_schedule)
    service = sch.service(sch.runtime(db, port))
    await service.start()
    try:
        assert service.next_run_time(f"prompt:{schedule_id}") == MONDAY_9_BERLIN
        travel.move_to(MONDAY_9_BERLIN - timedelta(seconds=1))
        await service.run_pending()
        assert port.sent == []
        travel.move_to(MONDAY_9_BERLIN + timedelta(seconds=1))
        await service.run_pending()
        await service.run_pending()
        assert [s.kind for s in port.sent] == ["post"]
        assert port.sent[0].place.channel == "general"
        assert service.next_run_time(f"prompt:{schedule_id}") == MONDAY_9_BERLIN + timedelta(days=7)
    finally:
        await service.stop()
    [post] = db.run_sync(sch.posts)
    assert post.message_ref == port.sent[0].ref.message


async def test_restart_with_a_new_scheduler_keeps_one_job_and_its_next_run(db, travel):
    schedule_id = db.run_sync(sch.seed_schedule)
    first = sch.service(sch.runtime(db, RecordingPort()))
    await first.start()
    planned = first.next_run_time(f"prompt:{schedule_id}")
    await first.stop()

    travel.shift(timedelta(hours=1))
    second = sch.service(sch.runtime(db, RecordingPort()))
    await second.start()
    try:
        assert second.next_run_time(f"prompt:{schedule_id}") == planned
        assert db.run_sync(_job_ids) == [f"prompt:{schedule_id}"]
    finally:
        await second.stop()


def _job_ids(session):
    import sqlalchemy as sa

    return list(session.execute(sa.text("SELECT id FROM scheduler_jobs")).scalars())


async def test_missed_post_within_the_grace_period_is_posted_once_on_restart(db, travel):
    schedule_id = db.run_sync(sch.seed_schedule, cron="0 9 * * *", zone="Europe/Berlin")
    first = sch.service(sch.runtime(db, RecordingPort()))
    await first.start()
    await first.stop()  # copbot goes down on Sunday

    # Back on Tuesday 13:00 CET: Monday's and Tuesday's 09:00 were missed; Tuesday's is 4 h old.
    travel.move_to(datetime(2026, 3, 3, 12, 0, tzinfo=UTC))
    port = RecordingPort()
    second = sch.service(sch.runtime(db, port))
    await second.start()
    try:
        await second.run_pending()
        await second.run_pending()
        assert len(port.sent) == 1  # coalesced: one post, not one per missed day
        [run] = db.run_sync(sch.runs)
        assert run.slot == datetime(2026, 3, 3, 8, 0, tzinfo=UTC) and run.outcome == "posted"
        assert second.next_run_time(f"prompt:{schedule_id}") == datetime(
            2026, 3, 4, 8, 0, tzinfo=UTC
        )
    finally:
        await second.stop()


async def test_missed_post_beyond_the_grace_period_is_skipped_with_a_log_line(db, travel, caplog):
    schedule_id = db.run_sync(sch.seed_schedule)
    first = sch.service(sch.runtime(db, RecordingPort()))
    await first.start()
    await first.stop()

    travel.move_to(MONDAY_9_BERLIN + timedelta(hours=7))  # grace is 6 h
    port = RecordingPort()
    second = sch.service(sch.runtime(db, port))
    caplog.set_level(logging.WARNING, logger="bot.scheduler")
    await second.start()
    try:
        await second.run_pending()
        assert port.sent == []
        assert second.next_run_time(f"prompt:{schedule_id}") == MONDAY_9_BERLIN + timedelta(days=7)
    finally:
        await second.stop()
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert skipped == [
        f"skipped the reflection prompt of schedule #{schedule_id} due at 2026-03-02 08:00 UTC: "
        "copbot was not running then and the grace period of 6 h has passed "
        "(COPBOT_MISFIRE_GRACE_SECONDS); it will run at its next due time"
    ]


async def test_rotation_walks_the_set_in_the_same_order_across_restarts(db, travel):
    schedule_id = db.run_sync(sch.seed_schedule)
    port = RecordingPort()
    due = MONDAY_9_BERLIN
    for _week in range(4):
        service = sch.service(sch.runtime(db, port))  # a fresh process every week
        await service.start()
        travel.move_to(due + timedelta(minutes=1))
        await service.run_pending()
        await service.stop()
        due += timedelta(days=7)
    posted = [p.prompt_id for p in db.run_sync(sch.posts)]
    expected = rotation_order(load_library()["weekly-reflection"].ids, f"schedule-{schedule_id}")
    assert posted == list(expected[:4])
    assert len(set(posted)) == 4
    row = db.run_sync(sch.schedule_row, schedule_id)
    assert row.used_prompt_ids.split(",") == posted


async def test_pause_and_resume_keep_the_place_in_the_rotation(db, travel):
    from bot.services import reflection

    schedule_id = db.run_sync(sch.seed_schedule)
    ws = db.run_sync(sch.workspace_id)
    port = RecordingPort()
    service = sch.service(sch.runtime(db, port))
    await service.start()
    try:
        travel.move_to(MONDAY_9_BERLIN + timedelta(minutes=1))
        await service.run_pending()
        db.run_sync(reflection.change_status, ws, schedule_id, "pause", datetime.now(UTC))
        await service.sync_now()
        assert service.next_run_time(f"prompt:{schedule_id}") is None
        travel.move_to(MONDAY_9_BERLIN + timedelta(days=7, minutes=1))
        await service.run_pending()
        assert len(port.sent) == 1  # paused: nothing on the second Monday
        db.run_sync(reflection.change_status, ws, schedule_id, "resume", datetime.now(UTC))
        await service.sync_now()
        assert service.next_run_time(f"prompt:{schedule_id}") == MONDAY_9_BERLIN + timedelta(
            days=14
        )
        travel.move_to(MONDAY_9_BERLIN + timedelta(days=14, minutes=1))
        await service.run_pending()
    finally:
        await service.stop()
    posted = [p.prompt_id for p in db.run_sync(sch.posts)]
    expected = rotation_order(load_library()["weekly-reflection"].ids, f"schedule-{schedule_id}")
    assert posted == list(expected[:2])


async def test_a_change_made_by_another_process_is_picked_up_by_the_leader(db, travel):
    """The command ran elsewhere: the row changed, nobody told this process."""
    port = RecordingPort()
    service = sch.service(sch.runtime(db, port), sync_seconds=0.01)
    await service.start()
    try:
        schedule_id = db.run_sync(sch.seed_schedule)
        for _ in range(100):
            if db.run_sync(sch.schedule_row, schedule_id).job_revision == 1:
                break
            await _tick()
        assert db.run_sync(sch.schedule_row, schedule_id).job_revision == 1
        assert service.next_run_time(f"prompt:{schedule_id}") == MONDAY_9_BERLIN
    finally:
        await service.stop()


async def test_a_schedule_made_just_before_its_time_still_posts(db, travel):
    """Made at 08:59:59 local, noticed by the leader at 09:00:30: it is due, not next week."""
    travel.move_to(MONDAY_9_BERLIN - timedelta(seconds=1))
    schedule_id = db.run_sync(sch.seed_schedule, created=datetime.now(UTC))
    port = RecordingPort()
    service = sch.service(sch.runtime(db, port))
    travel.move_to(MONDAY_9_BERLIN + timedelta(seconds=30))
    await service.start()
    try:
        await service.run_pending()
        assert len(port.sent) == 1
        assert service.next_run_time(f"prompt:{schedule_id}") == MONDAY_9_BERLIN + timedelta(days=7)
    finally:
        await service.stop()


async def test_two_schedulers_on_one_database_still_post_each_due_time_once(sqlite_db, travel):
    """SQLite is single-process, but if someone starts two by mistake, the claims hold."""
    db = sqlite_db
    for n in range(5):
        db.run_sync(sch.seed_schedule, channel=f"c{n}")
    port = RecordingPort()
    first = sch.service(sch.runtime(db, port))
    second = sch.service(sch.runtime(db, port))
    await first.start()
    await second.start()
    try:
        travel.move_to(MONDAY_9_BERLIN + timedelta(seconds=5))
        await first.run_pending()
        await second.run_pending()
    finally:
        await first.stop()
        await second.stop()
    channels = [s.place.channel for s in port.sent]
    assert sorted(channels) == [f"c{n}" for n in range(5)]


async def test_a_cancelled_schedule_loses_its_job_and_posts_nothing(db, travel):
    from bot.services import reflection

    schedule_id = db.run_sync(sch.seed_schedule)
    ws = db.run_sync(sch.workspace_id)
    port = RecordingPort()
    service = sch.service(sch.runtime(db, port))
    await service.start()
    try:
        db.run_sync(reflection.change_status, ws, schedule_id, "cancel", datetime.now(UTC))
        current.schedules_changed()  # what the command does: this process leads, so sync now
        for _ in range(100):
            if service.next_run_time(f"prompt:{schedule_id}") is None:
                break
            await _tick()
        assert service.next_run_time(f"prompt:{schedule_id}") is None
        travel.move_to(MONDAY_9_BERLIN + timedelta(minutes=1))
        await service.run_pending()
        assert port.sent == []
    finally:
        await service.stop()


@pytest.mark.parametrize(
    ("zone", "first_monday", "weeks"),
    [
        ("America/New_York", datetime(2026, 3, 2, tzinfo=UTC), 3),  # DST starts 8 March
        ("Europe/Berlin", datetime(2026, 3, 23, tzinfo=UTC), 3),  # DST starts 29 March
        ("Australia/Sydney", datetime(2026, 3, 30, tzinfo=UTC), 3),  # DST ends 5 April
        ("Europe/Berlin", datetime(2026, 10, 19, tzinfo=UTC), 3),  # DST ends 25 October
    ],
)
async def test_nine_oclock_stays_nine_local_across_daylight_saving(
    sqlite_db, zone, first_monday, weeks
):
    db = sqlite_db
    port = RecordingPort()
    with time_machine.travel(first_monday - timedelta(days=2), tick=False) as travel:
        schedule_id = db.run_sync(sch.seed_schedule, zone=zone)
        service = sch.service(sch.runtime(db, port))
        await service.start()
        times = []
        try:
            for _ in range(weeks):
                due = service.next_run_time(f"prompt:{schedule_id}")
                times.append(due)
                travel.move_to(due + timedelta(seconds=2))
                await service.run_pending()
        finally:
            await service.stop()
    local = [t.astimezone(ZoneInfo(zone)) for t in times]
    assert [(t.strftime("%a"), t.hour, t.minute) for t in local] == [("Mon", 9, 0)] * weeks
    assert len({t.isocalendar()[:2] for t in local}) == weeks  # one post per local week
    assert len({t.utcoffset() for t in local}) == 2  # the offset did change in between
    assert len(port.sent) == weeks


async def test_a_registered_sweep_runs_on_the_leader(db, travel):
    port = RecordingPort()
    service = sch.service(sch.runtime(db, port))
    sch.PROBED.clear()
    service.register_interval("probe", "tests.fakes.scheduling:probe_sweep", 60)
    await service.start()
    try:
        travel.shift(timedelta(seconds=61))
        await service.run_pending()
    finally:
        await service.stop()
    assert len(sch.PROBED) == 1 and sch.PROBED[0] is db
    assert service.next_run_time("sweep:probe") is None  # stopped: no longer leading


def test_a_sweep_that_cannot_be_found_is_refused_at_registration(sqlite_db):
    service = sch.service(sch.runtime(sqlite_db, RecordingPort()))
    with pytest.raises(ValueError, match="cannot find"):
        service.register_interval("x", "bot.services.nowhere:sweep", 60)
    with pytest.raises(ValueError, match="async function"):
        service.register_interval("x", "bot.scheduler.triggers:describe", 60)
    with pytest.raises(ValueError, match="minimum"):
        service.register_interval("x", "tests.fakes.scheduling:probe_sweep", 0.5)


async def _tick():
    import asyncio

    await asyncio.sleep(0.01)


async def test_a_run_handed_out_but_never_started_is_caught_up_by_the_next_leader(db, travel):
    """APScheduler moves the next run time on before the job runs; a process stopped in
    between would lose that post. The next leader finds the unclaimed due time and posts it."""
    schedule_id = db.run_sync(sch.seed_schedule)
    setup = sch.service(sch.runtime(db, RecordingPort()))
    await setup.start()
    await setup.stop()
    travel.move_to(MONDAY_9_BERLIN + timedelta(seconds=1))
    port = RecordingPort()
    crashing = sch.service(sch.runtime(db, port))
    await crashing.start()  # hands the due run to a job task...
    await crashing.stop(drain_timeout=0)  # ...which is cancelled before it claims anything
    assert port.sent == [] and db.run_sync(sch.runs) == []

    successor = sch.service(sch.runtime(db, port))
    await successor.start()
    try:
        await successor.run_pending()
        await successor.run_pending()
    finally:
        await successor.stop()
    assert len(port.sent) == 1
    [run] = db.run_sync(sch.runs)
    assert (run.slot, run.outcome) == (MONDAY_9_BERLIN, "posted")
    assert successor.next_run_time(f"prompt:{schedule_id}") is None  # stopped
