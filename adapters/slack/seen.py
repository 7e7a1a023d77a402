"""Deliveries already handled, in the database: retries and double clicks run the core once.

Slack redelivers an event it thinks was missed (``X-Slack-Retry-Num`` over HTTP, the envelope's
``retry_attempt`` in Socket Mode), and people double-click buttons. Each delivery is keyed
(team + event id, team + trigger id, team + presser + message + button) and the first worker to
insert the key handles it; every other delivery of the same key, in this process or another,
is dropped. The table is shared by every worker, so this holds behind a load balancer too.

A key expires after its time to live (at least ten minutes for retries, longer than Slack's
retry schedule); an expired key is taken over by the same upsert, and expired rows are swept
now and then so the table stays small.
"""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.clock import Clock
from storage.db import Database
from storage.slack_tables import slack_event_seen

log = logging.getLogger(__name__)

RETRY_TTL = timedelta(minutes=15)
"""Slack retries an event after about 1 minute and 5 minutes; keys outlive that with room."""
DOUBLE_CLICK_TTL = timedelta(seconds=10)
"""Two presses of the same button on the same message by the same person this close together
are one press; a deliberate second press later reaches the core (which refuses it if the state
changed, e.g. "already claimed")."""
SWEEP_EVERY = 500


class SeenDeliveries:
    """``first_time`` is True exactly once per live key, whichever worker asks first."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._calls = itertools.count(1)
        dialect = db.engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    async def first_time(self, team: str, key: str, ttl: timedelta = RETRY_TTL) -> bool:
        sweep = next(self._calls) % SWEEP_EVERY == 0
        fresh = await self._db.run(self._claim, team, key[:255], ttl, sweep)
        if not fresh:
            log.info("dropped a repeated Slack delivery (team %s, %s)", team, key.split(":")[0])
        return fresh

    def _claim(self, session: Session, team: str, key: str, ttl: timedelta, sweep: bool) -> bool:
        now = self._clock.now()
        table = slack_event_seen
        statement = self._insert(table).values(team_id=team, event_key=key, expires_at=now + ttl)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.team_id, table.c.event_key],
            set_={"expires_at": statement.excluded.expires_at},
            where=table.c.expires_at <= now,
        ).returning(table.c.event_key)
        connection = session.connection()
        # A row comes back when the key was inserted or an expired one taken over; nothing
        # when a live key blocked the update (rowcount is not reliable for upserts on every
        # driver, RETURNING is).
        fresh = connection.execute(statement).first() is not None
        if sweep:
            connection.execute(sa.delete(table).where(table.c.expires_at <= now))
        return fresh
