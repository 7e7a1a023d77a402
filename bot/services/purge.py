"""Deleting a whole workspace's community data, when its admin chooses to.

Uninstalling copbot from Slack or Discord deletes only the installation and its tokens: a
community that reinstalls finds its questions and lessons again. An admin who wants the data
gone runs ``/admin purge``, sees what would go, and confirms. Every community table hangs off
the workspace row with ON DELETE CASCADE, so deleting that row deletes everything in one
transaction; the next command from the workspace starts it afresh with default settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import Answer, Lesson, Member, PromptSchedule, Question, Workspace


@dataclass(frozen=True, slots=True)
class WorkspaceData:
    members: int
    questions: int
    answers: int
    lessons: int
    schedules: int

    @property
    def lines(self) -> tuple[str, ...]:
        return (
            f"{self.members} member profiles, with their expertise and settings",
            f"{self.questions} questions and {self.answers} answers, with their routing",
            f"{self.lessons} lessons",
            f"{self.schedules} reflection schedules, with their posts and answers",
        )


def _count(session: Session, model: type, workspace_id: int) -> int:
    column = model.workspace_id  # type: ignore[attr-defined]
    return session.exec(
        select(sa.func.count()).select_from(model).where(column == workspace_id)
    ).one()


def summary(session: Session, workspace_id: int) -> WorkspaceData:
    return WorkspaceData(
        members=_count(session, Member, workspace_id),
        questions=_count(session, Question, workspace_id),
        answers=_count(session, Answer, workspace_id),
        lessons=_count(session, Lesson, workspace_id),
        schedules=_count(session, PromptSchedule, workspace_id),
    )


def purge(session: Session, workspace_id: int) -> WorkspaceData:
    """Delete the workspace row and, by cascade, every row of its community data."""
    before = summary(session, workspace_id)
    session.connection().execute(sa.delete(Workspace).where(Workspace.id == workspace_id))
    return before
