"""Moving lessons out and in: ``copbot export lessons`` and ``copbot import lessons``.

JSON is for machines and for moving a community's lessons to another copbot: exporting,
importing into an empty database and exporting again gives the same file, so the format is
stable: no database ids (they differ between databases), keys sorted, times in ISO 8601 UTC,
authors by their platform user id (with the display name at export time). Who marked a lesson
helpful is not exported, only the counts. Markdown is for people: one file per lesson with YAML
front matter, readable in any wiki.

An import is one transaction: a file with one bad lesson imports nothing and names the lesson.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import yaml
from sqlmodel import Session

from bot.errors import UsageError
from bot.services.lessons import TEXT_LIMIT, TITLE_LIMIT
from bot.services.topics import clean_topic
from storage.models import Lesson, Workspace
from storage.repos import lessons as repo
from storage.repos import members, workspaces

FORMAT = "copbot-lessons"
VERSION = 1
BATCH = 2000


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _parse_time(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{where}: '{str(value)[:40]}' is not an ISO 8601 time.") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def export_data(session: Session, workspace: Workspace) -> dict[str, Any]:
    """Every lesson of a workspace as plain data, oldest first."""
    rows = repo.every(session, workspace.id or 0)
    people = repo.members_by_id(session, [lesson.author_member_id for lesson in rows])
    lessons = []
    for lesson in sorted(rows, key=lambda r: (r.created_at, r.id or 0)):
        author = people.get(lesson.author_member_id or 0)
        lessons.append(
            {
                "title": lesson.title,
                "context": lesson.context,
                "what_happened": lesson.what_happened,
                "learned": lesson.learned,
                "tags": [t for t in lesson.tags.split(",") if t],
                "author": author.user_id if author else None,
                "author_name": (author.display_name or author.user_id) if author else None,
                "source_link": lesson.source_link,
                "helpful_count": lesson.helpful_count,
                "outdated_count": lesson.outdated_count,
                "created_at": _time(lesson.created_at),
                "updated_at": _time(lesson.updated_at),
                "review_at": _time(lesson.review_at),
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "workspace": {"platform": workspace.platform, "key": workspace.external_id},
        "lessons": lessons,
    }


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-")
    return slug or "lesson"


def to_markdown(data: dict[str, Any]) -> dict[str, str]:
    """File name -> Markdown text with front matter, one per lesson, numbered in order."""
    files: dict[str, str] = {}
    for number, lesson in enumerate(data["lessons"], start=1):
        front = {
            "title": lesson["title"],
            "tags": lesson["tags"],
            "author": lesson["author_name"],
            "created": lesson["created_at"],
            "updated": lesson["updated_at"],
            "review": lesson["review_at"],
            "helpful": lesson["helpful_count"],
            "source": lesson["source_link"],
        }
        parts = ["---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(), "---"]
        parts.append(f"# {lesson['title']}")
        for heading, key in (
            ("Context", "context"),
            ("What happened", "what_happened"),
            ("What we learned", "learned"),
        ):
            if lesson[key]:
                parts += ["", f"## {heading}", "", lesson[key]]
        files[f"{number:04d}-{_slug(lesson['title'])}.md"] = "\n".join(parts) + "\n"
    return files


def _text(item: dict[str, Any], key: str, limit: int, where: str, *, required: bool) -> str:
    value = item.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UsageError(f"{where}: '{key}' must be text.")
    if required and not value.strip():
        raise UsageError(f"{where}: '{key}' is empty.")
    if len(value) > limit:
        raise UsageError(f"{where}: '{key}' is {len(value):,} characters; the limit is {limit:,}.")
    return value


def import_data(
    session: Session, platform: str, key: str, data: Any, now: datetime
) -> tuple[Workspace, int]:
    """Add the lessons of an export to a workspace (created if new); returns how many."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UsageError("That is not a copbot lessons export (format 'copbot-lessons').")
    if data.get("version") != VERSION:
        raise UsageError(f"This copbot reads version {VERSION} exports, not {data.get('version')}.")
    items = data.get("lessons")
    if not isinstance(items, list):
        raise UsageError("The export has no list of lessons.")
    workspace = workspaces.get_or_create(session, platform, key)
    authors: dict[str, int | None] = {}
    rows: list[dict[str, Any]] = []
    for number, item in enumerate(items, start=1):
        where = f"lesson {number}"
        if not isinstance(item, dict):
            raise UsageError(f"{where} is not an object.")
        tags = item.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise UsageError(f"{where}: 'tags' must be a list of words.")
        author_id = None
        if item.get("author"):
            user = str(item["author"])[:64]
            if user not in authors:
                name = str(item.get("author_name") or "")[:200]
                authors[user] = members.get_or_create(session, workspace.id or 0, user, name).id
            author_id = authors[user]
        created = _parse_time(item.get("created_at"), where) or now
        rows.append(
            {
                "workspace_id": workspace.id or 0,
                "author_member_id": author_id,
                "title": _text(item, "title", TITLE_LIMIT, where, required=True),
                "context": _text(item, "context", TEXT_LIMIT, where, required=False),
                "what_happened": _text(item, "what_happened", TEXT_LIMIT, where, required=False),
                "learned": _text(item, "learned", TEXT_LIMIT, where, required=True),
                "tags": ",".join(t for t in (clean_topic(t) for t in tags) if t),
                "source_link": str(item["source_link"])[:500] if item.get("source_link") else None,
                "source_question_id": None,
                "helpful_count": _count(item, "helpful_count", where),
                "outdated_count": _count(item, "outdated_count", where),
                "created_at": created,
                "updated_at": _parse_time(item.get("updated_at"), where) or created,
                "review_at": _parse_time(item.get("review_at"), where),
            }
        )
    for start in range(0, len(rows), BATCH):  # one transaction; triggers index every row
        session.execute(sa.insert(Lesson), rows[start : start + BATCH])
    return workspace, len(rows)


def _count(item: dict[str, Any], key: str, where: str) -> int:
    value = item.get(key) or 0
    if not isinstance(value, int) or value < 0:
        raise UsageError(f"{where}: '{key}' must be a whole number.")
    return value
