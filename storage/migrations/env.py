"""Alembic environment: runs migrations on the engine copbot hands over.

``render_as_batch`` lets the same migrations alter tables on SQLite, which cannot ALTER most
things in place; on PostgreSQL it is a no-op.
"""

from alembic import context
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables on the metadata)
from storage.db import make_engine

target_metadata = SQLModel.metadata


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
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
