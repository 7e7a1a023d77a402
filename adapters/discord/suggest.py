"""Autocomplete: what a member may mean while typing a time zone, topic, tag or prompt set.

Suggesters are keyed by the registry parameter's name (``topic``, ``topics``, ``tag``, ``tags``,
``set``): any command whose parameter has one of these names gets autocomplete without a change
here. Lists typed with commas (``postgres, kub``) complete their last item. Lookups are read-only,
small and off the event loop; a failing one returns nothing rather than an error, because Discord
gives autocomplete no way to show one.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Awaitable, Callable, Iterable

from sqlmodel import Session, col, select

from bot.model import WorkspaceRef
from bot.services.prompt_library import load_library
from storage.db import Database
from storage.models import CustomPrompt, Expertise, Lesson, TopicAlias
from storage.repos import workspaces

Suggest = Callable[[WorkspaceRef, str], Awaitable[list[str]]]
LIMIT = 25


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


async def timezone_suggestions(_workspace: WorkspaceRef, current: str) -> list[str]:
    """IANA names containing what was typed, those starting with it first."""
    return rank(_zones(), current)


def rank(values: Iterable[str], current: str, limit: int = LIMIT) -> list[str]:
    typed = current.strip().lower()
    starts, contains = [], []
    for value in dict.fromkeys(values):
        lowered = value.lower()
        if lowered.startswith(typed):
            starts.append(value)
        elif typed in lowered:
            contains.append(value)
    return (starts + contains)[:limit]


def complete_list(values: Iterable[str], current: str) -> list[str]:
    """Complete the last comma-separated item, keeping the ones before it."""
    head, _, last = current.rpartition(",")
    done = {v.strip().lower() for v in head.split(",") if v.strip()}
    prefix = f"{head.strip()}, " if head.strip() else ""
    return [prefix + v for v in rank((v for v in values if v.lower() not in done), last)]


def database_suggesters(db: Database) -> dict[str, Suggest]:
    """Topics (declared and learned expertise, aliases), lesson tags and prompt sets."""

    async def topics(workspace: WorkspaceRef, current: str) -> list[str]:
        return complete_list(await db.run(_topics, workspace), current)

    async def tags(workspace: WorkspaceRef, current: str) -> list[str]:
        found = await db.run(_tags, workspace)
        return complete_list(found + await db.run(_topics, workspace), current)

    async def prompt_sets(workspace: WorkspaceRef, current: str) -> list[str]:
        return rank(await db.run(_prompt_sets, workspace), current)

    return {
        "topic": topics,
        "topics": topics,
        "tag": tags,
        "tags": tags,
        "set": prompt_sets,
        "prompt_set": prompt_sets,
    }


def _workspace_id(session: Session, workspace: WorkspaceRef) -> int | None:
    found = workspaces.get_by_key(session, workspace.platform.value, workspace.key)
    return found.id if found is not None else None


def _topics(session: Session, workspace: WorkspaceRef) -> list[str]:
    workspace_id = _workspace_id(session, workspace)
    if workspace_id is None:
        return []
    declared = session.exec(
        select(Expertise.topic).where(Expertise.workspace_id == workspace_id).distinct().limit(500)
    ).all()
    aliases = session.exec(
        select(TopicAlias.alias).where(TopicAlias.workspace_id == workspace_id).limit(500)
    ).all()
    return sorted({*declared, *aliases})


def _tags(session: Session, workspace: WorkspaceRef) -> list[str]:
    workspace_id = _workspace_id(session, workspace)
    if workspace_id is None:
        return []
    rows = session.exec(
        select(Lesson.tags)
        .where(Lesson.workspace_id == workspace_id, col(Lesson.tags) != "")
        .order_by(col(Lesson.created_at).desc())
        .limit(500)
    ).all()
    return sorted({t.strip() for row in rows for t in row.split(",") if t.strip()})


def _prompt_sets(session: Session, workspace: WorkspaceRef) -> list[str]:
    names = set(load_library())
    workspace_id = _workspace_id(session, workspace)
    if workspace_id is not None:
        names.update(
            session.exec(
                select(CustomPrompt.set_name)
                .where(CustomPrompt.workspace_id == workspace_id)
                .distinct()
            ).all()
        )
    return sorted(names)
