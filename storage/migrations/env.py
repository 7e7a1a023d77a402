"""Alembic environment: runs migrations on the engine copbot hands over.

``render_as_batch`` lets the same migrations alter tables on SQLite, which cannot ALTER most
things in place; on PostgreSQL it is a no-op.
"""

from alembic import context
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage import migrate, models  # importing models registers the tables on the metadata
from storage.db import make_engine

target_metadata = SQLModel.metadata


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave APScheduler's job table alone: its job store creates and owns it; and the
    full-text index, made in SQL by migration 0005 (see storage.migrate.include_object)."""
    if type_ == "table" and name == models.SCHEDULER_JOBS_TABLE:
        return False
    return migrate.include_object(obj, name, type_, reflected, compare_to)


def _engine() -> Engine:
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no engine or sqlalchemy.url given to the migrations")
    return make_engine(url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            include_object=_include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
