"""Deliveries already handled are remembered in the database, for every worker, for a while."""

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from adapters.slack.seen import RETRY_TTL, SeenDeliveries
from storage.slack_tables import slack_event_seen


async def test_a_key_is_new_exactly_once_across_workers(db, clock):
    worker_a, worker_b = SeenDeliveries(db, clock), SeenDeliveries(db, clock)
    results = await asyncio.gather(
        *(w.first_time("T1", "event:Ev1") for w in (worker_a, worker_b, worker_a, worker_b))
    )
    assert sorted(results) == [False, False, False, True]


async def test_keys_are_per_workspace(db, clock):
    seen = SeenDeliveries(db, clock)
    assert await seen.first_time("T1", "event:Ev1")
    assert await seen.first_time("T2", "event:Ev1")


async def test_a_key_lives_at_least_ten_minutes_then_expires(db, clock):
    seen = SeenDeliveries(db, clock)
    assert timedelta(minutes=10) <= RETRY_TTL
    assert await seen.first_time("T1", "event:Ev1")
    clock.advance(timedelta(minutes=10))
    assert not await seen.first_time("T1", "event:Ev1")
    clock.advance(RETRY_TTL)
    assert await seen.first_time("T1", "event:Ev1")


async def test_expired_rows_are_swept(db, clock, monkeypatch):
    monkeypatch.setattr("adapters.slack.seen.SWEEP_EVERY", 3)
    seen = SeenDeliveries(db, clock)
    await seen.first_time("T1", "a")
    await seen.first_time("T1", "b")
    clock.advance(RETRY_TTL * 2)
    await seen.first_time("T1", "c")  # the third call sweeps
    with db.engine.connect() as connection:
        keys = connection.execute(sa.select(slack_event_seen.c.event_key)).scalars().all()
    assert keys == ["c"]
