"""Persistence for copbot: SQLModel tables, the engine, repositories and Alembic migrations.

Storage knows nothing of the core or the chat platforms: it speaks in table rows and plain
values, and every function that reads or writes community data takes the workspace key.
"""
