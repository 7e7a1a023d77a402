from sqlmodel import select
from storage.models import Workspace
from storage.repos import workspaces


def test_workspace_is_created_once(db):
    first = db.run_sync(workspaces.get_or_create, "slack", "T1")
    second = db.run_sync(workspaces.get_or_create, "slack", "T1")
    assert first.id == second.id
    rows = db.run_sync(lambda s: s.exec(select(Workspace)).all())
    assert len(rows) == 1
