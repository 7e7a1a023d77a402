"""Migrations build the schema on SQLite and PostgreSQL, and never drift from the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from storage import (
    migrate,
    models,  # noqa: F401  (registers the tables)
)


def test_migrations_form_one_line_with_a_single_head():
    """Features add migrations in parallel; two heads would make `db upgrade` refuse to run."""
    script = ScriptDirectory.from_config(migrate.alembic_config_without_engine())
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert all(len(r._all_down_revisions) <= 1 for r in revisions)


def test_database_is_at_head_after_upgrade(db):
    assert migrate.is_up_to_date(db.engine)
    assert migrate.current_revision(db.engine) == migrate.head_revision()


def test_models_and_migrations_do_not_drift(db):
    # include_object leaves out the full-text index on purpose: FTS5 virtual tables and the
    # tsvector table are made in SQL by migration 0005, which no model can describe.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": migrate.include_object}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_downgrade_to_base_and_back_up_leaves_the_same_tables(db):
    before = set(sa.inspect(db.engine).get_table_names())
    migrate.downgrade(db.engine, "base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(db.engine)
    assert set(sa.inspect(db.engine).get_table_names()) == before


def test_every_community_table_carries_the_workspace_key():
    for table in SQLModel.metadata.sorted_tables:
        if table.name == "workspace" or table.info.get("platform_state"):
            continue  # platform state (e.g. Slack installations) is keyed by the platform's id
        assert "workspace_id" in table.columns, table.name
        assert not table.columns["workspace_id"].nullable, table.name


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_db, backend):
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
