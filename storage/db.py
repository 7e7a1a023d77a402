"""The engine, sessions and units of work.

One ``Database`` is built at the composition root from ``DATABASE_URL`` and passed down. Every
unit of work runs in its own transaction: it commits as a whole or not at all, which is how a
failing command never leaves half-stored state. Work runs in a worker thread (``asyncio.to_thread``)
so a slow query never blocks the event loop that Slack, Discord and the scheduler share.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlmodel import Session

P = ParamSpec("P")
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 5000


def normalise_url(url: str) -> URL:
    """Parse a database URL and pick the drivers copbot ships with.

    ``postgresql://`` and ``postgres://`` mean psycopg 3, the PostgreSQL driver in our
    dependencies, so an admin can paste the URL their provider gives them.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Turn on WAL (readers never block the writer), foreign keys and a busy timeout.

    pysqlite's own transaction handling does not emit BEGIN before a SAVEPOINT, so releasing a
    savepoint would commit for real and a later rollback could not undo it (half-stored state).
    We switch the driver's handling off here and emit BEGIN ourselves in ``_on_sqlite_begin``,
    as SQLAlchemy's SQLite documentation recommends.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_sqlite_begin(connection: sa.Connection) -> None:
    """Start every transaction as IMMEDIATE: take the write lock up front.

    A deferred transaction that reads and then writes can fail at once with SQLITE_BUSY when
    another writer committed in between (WAL snapshots); taking the lock first makes writers
    queue on the busy timeout instead, which is what a single-machine bot wants.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | URL) -> Engine:
    """Build an engine for SQLite (the default) or PostgreSQL."""
    parsed = normalise_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return sa.create_engine(parsed, pool_pre_ping=True)


class Database:
    """The engine and the way to run a unit of work on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(session, *args, **kwargs)`` as one transaction, in this thread."""
        with self.session() as session:
            return fn(session, *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(session, *args, **kwargs)`` as one transaction, off the event loop."""
        return await asyncio.to_thread(self.run_sync, fn, *args, **kwargs)

    def dispose(self) -> None:
        self.engine.dispose()
