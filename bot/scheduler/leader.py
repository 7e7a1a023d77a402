"""Which process runs the scheduler.

APScheduler 3 does not support two schedulers on one job store: both would run every due job.
So exactly one process leads:

- PostgreSQL (several HTTP workers): a session-level advisory lock, taken with
  ``pg_try_advisory_lock`` on a connection of its own that is kept open while leading. The
  server releases the lock the moment that session ends, so when the leader dies (crash, kill,
  lost network once TCP keepalive notices) another worker's next attempt takes it over. Workers
  that are not leading try again every few seconds. The lock is the database's own: no extra
  service to run.
- SQLite: copbot on SQLite is one process on one machine, so that process leads and no lock is
  taken. (Should a second process be started on the same file by mistake, the per-run claims in
  ``scheduled_run`` still keep every post to one.)

Leading is checked, not assumed: the leader pings its lock connection periodically and steps
down as soon as the connection is gone, because by then the server may have handed the lock on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import NullPool

from storage.db import Database

log = logging.getLogger(__name__)

LOCK_KEY = zlib.crc32(b"copbot-scheduler")
"""The advisory lock's key: one per database, so one leader per copbot deployment."""


class Leadership(Protocol):
    async def try_acquire(self) -> bool:
        """Become the leader if nobody is; True when this process leads now."""
        ...

    async def still_held(self) -> bool:
        """Whether this process still leads (False means: stop scheduling at once)."""
        ...

    async def release(self) -> None:
        """Stop leading and let another process take over."""
        ...


class SingleProcess:
    """SQLite: the only process leads; there is nobody to elect."""

    async def try_acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLock:
    """PostgreSQL: leadership is a session advisory lock on a dedicated connection.

    The connection is not from the application's pool (a pooled connection would be returned
    and reused, taking the lock with it) and runs in autocommit, so it never holds a
    transaction open. Its blocking calls run in a worker thread, off the event loop.
    """

    def __init__(self, url: URL, *, key: int = LOCK_KEY) -> None:
        self._key = key
        self._engine = sa.create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "application_name": "copbot-scheduler-lock",
                # Notice a dead peer within about 30 s, so the server frees the lock of a
                # leader whose machine vanished and the leader notices a dead connection.
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 4,
            },
        )
        self._connection: Connection | None = None
        self._held = False

    async def try_acquire(self) -> bool:
        return await asyncio.to_thread(self._try_acquire)

    async def still_held(self) -> bool:
        return await asyncio.to_thread(self._still_held)

    async def release(self) -> None:
        await asyncio.to_thread(self._release)

    def _try_acquire(self) -> bool:
        try:
            if self._connection is None or self._connection.closed:
                self._connection = self._engine.connect()
            got = self._connection.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            ).scalar_one()
        except sa.exc.SQLAlchemyError as error:
            log.warning("could not reach PostgreSQL to elect the scheduler leader: %s", error)
            self._drop_connection()
            return False
        self._held = bool(got)
        return self._held

    def _still_held(self) -> bool:
        if not self._held or self._connection is None:
            return False
        try:
            self._connection.execute(sa.text("SELECT 1")).scalar_one()
        except sa.exc.SQLAlchemyError as error:
            log.error(
                "lost the scheduler lock connection (%s); stepping down so that exactly one "
                "process schedules",
                error,
            )
            self._drop_connection()
            return False
        return True

    def _release(self) -> None:
        if self._connection is not None and self._held:
            # Closing the session below releases the lock anyway; unlocking says so sooner.
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                )
        self._drop_connection()
        self._engine.dispose()

    def _drop_connection(self) -> None:
        self._held = False
        if self._connection is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._connection.close()
            self._connection = None


def leadership_for(db: Database) -> Leadership:
    """The election the database calls for: an advisory lock on PostgreSQL, none on SQLite."""
    if db.is_postgres:
        return AdvisoryLock(db.engine.url)
    return SingleProcess()
