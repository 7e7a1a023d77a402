"""Installations: that copbot is in a workspace, since when and as which bot user.

A platform tells copbot when it joins or leaves (Discord's guild join and remove). Leaving
deletes the installation rows and nothing else: the community's data stays until its admin
decides otherwise, as on Slack.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, delete, select

from storage.models import Installation, Workspace
from storage.repos import workspaces


def record(
    session: Session,
    platform: str,
    external_id: str,
    *,
    name: str,
    bot_user_id: str,
    now: datetime,
    default_timezone: str = "UTC",
) -> Installation:
    """The workspace's installation, created on first sight; idempotent on reconnects."""
    workspace = workspaces.get_or_create(
        session, platform, external_id, default_timezone=default_timezone
    )
    assert workspace.id is not None
    if name and workspace.name != name:
        workspace.name = name[:200]
        session.add(workspace)
    found = session.exec(
        select(Installation).where(Installation.workspace_id == workspace.id)
    ).first()
    if found is not None:
        return found
    installation = Installation(
        workspace_id=workspace.id, bot_user_id=bot_user_id, installed_at=now
    )
    session.add(installation)
    session.flush()
    return installation


def forget(session: Session, platform: str, external_id: str) -> int:
    """Delete the workspace's installation rows; returns how many there were."""
    workspace: Workspace | None = workspaces.get_by_key(session, platform, external_id)
    if workspace is None:
        return 0
    result = session.exec(
        delete(Installation).where(col(Installation.workspace_id) == workspace.id)
    )
    return result.rowcount or 0


def installed(session: Session, platform: str, external_id: str) -> bool:
    workspace = workspaces.get_by_key(session, platform, external_id)
    if workspace is None:
        return False
    return (
        session.exec(
            select(Installation.id).where(Installation.workspace_id == workspace.id)
        ).first()
        is not None
    )
