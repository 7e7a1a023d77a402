"""Workspaces: found or created the first time a platform sends us one."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import Workspace


def get_by_key(session: Session, platform: str, external_id: str) -> Workspace | None:
    return session.exec(
        select(Workspace).where(
            Workspace.platform == platform, Workspace.external_id == external_id
        )
    ).first()


def get_or_create(
    session: Session, platform: str, external_id: str, *, default_timezone: str = "UTC"
) -> Workspace:
    """The workspace row, created on first contact.

    Two workers may see a new workspace at once; the unique constraint decides and the loser
    reads the winner's row, inside a savepoint so the caller's transaction survives.
    """
    found = get_by_key(session, platform, external_id)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            workspace = Workspace(
                platform=platform, external_id=external_id, default_timezone=default_timezone
            )
            session.add(workspace)
            session.flush()
            return workspace
    except IntegrityError:
        found = get_by_key(session, platform, external_id)
        assert found is not None
        return found
