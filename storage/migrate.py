"""Alembic, driven from code: ``copbot db upgrade`` and the tests use these functions.

The migration scripts ship inside the package (``storage/migrations``), so an installed copbot
can migrate its database without an ``alembic.ini`` in the working directory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to an existing engine (passed through ``attributes``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """What the models describe, for autogenerate and the drift check.

    Left out on purpose: APScheduler's job table (its job store creates and owns it) and the
    full-text index (FTS5 or tsvector objects made in SQL by migration 0005; see
    storage/search.py).
    """
    from storage import models, search

    if type_ == "table" and name == models.SCHEDULER_JOBS_TABLE:
        return False
    table = getattr(obj, "table", None)
    table_name = getattr(table, "name", None) if type_ in ("index", "column") else name
    return not search.is_search_object(table_name)


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config_without_engine()).get_current_head()


def alembic_config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    """True when the database is at the newest migration this copbot ships."""
    return current_revision(engine) == head_revision()
