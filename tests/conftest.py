"""Shared fixtures: databases (SQLite always, PostgreSQL when its binaries exist), a recording
chat port, a controllable clock and a dispatcher wired to them.

Every test gets its own database, copied from a template migrated once per session, so tests
never share state and never pay for migrations one by one.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.clock import FakeClock
from bot.commands import build_registry
from bot.config import Settings
from bot.context import Runtime
from bot.dispatch import Dispatcher
from storage import migrate
from storage.db import Database, make_engine
from tests.fakes.chat import RecordingPort
from tests.fakes.postgres import PgServer, find_pg_bin, running_server

REQUIRE_POSTGRES = os.environ.get("COPBOT_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    pg_bin = find_pg_bin()
    if pg_bin is None:
        message = "PostgreSQL server binaries not found (install postgresql or set PG_BIN)"
        if REQUIRE_POSTGRES:
            pytest.fail(message + "; COPBOT_REQUIRE_POSTGRES=1 forbids skipping")
        pytest.skip(message)
    with running_server(pg_bin) as server:
        admin = sa.create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE copbot_template"))
        admin.dispose()
        engine = make_engine(server.url("copbot_template"))
        migrate.upgrade(engine)
        engine.dispose()
        yield server


def _sqlite_database(template: Path, tmp_path: Path) -> Database:
    path = tmp_path / "copbot.db"
    shutil.copy(template, path)
    return Database.from_url(f"sqlite:///{path}")


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    database = _sqlite_database(sqlite_template, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def pg_db(pg_server: PgServer) -> Iterator[Database]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE copbot_template'))
    database = Database.from_url(pg_server.url(name))
    yield database
    database.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on SQLite and on PostgreSQL."""
    fixture = "sqlite_db" if request.param == "sqlite" else "pg_db"
    return request.getfixturevalue(fixture)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def port() -> RecordingPort:
    return RecordingPort()


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def dispatcher(sqlite_db: Database, port: RecordingPort, clock: FakeClock, settings: Settings):
    return Dispatcher(
        build_registry(), Runtime(db=sqlite_db, port=port, clock=clock, settings=settings)
    )
