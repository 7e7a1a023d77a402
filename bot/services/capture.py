"""Drafting a lesson from a chat thread, with members' capture choices applied.

Adapters (Slack's "Capture as lesson" shortcut, Discord's message context menu) read a thread
and hand it here; the drafting itself is ``bot.services.drafting`` (pure). What this adds is the
one thing drafting cannot know: which members turned capture off (``/profile capture off``).
Their messages are dropped and their names redacted, so they are never quoted nor named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.context import Runtime
from bot.model import WorkspaceRef
from bot.services.drafting import LessonDraft, ThreadMessage, draft_lesson
from storage.models import Member
from storage.repos import workspaces


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a thread as the platform gave it: who (id and shown name), what, when."""

    user_id: str
    name: str
    text: str
    at: datetime


def capture_off(session: Session, workspace: WorkspaceRef) -> set[str]:
    """User ids of the workspace's members who never want to be quoted in lessons."""
    found = workspaces.get_by_key(session, workspace.platform.value, workspace.key)
    if found is None:
        return set()
    rows = session.exec(
        select(Member.user_id).where(
            Member.workspace_id == found.id, col(Member.capture_quotes).is_(False)
        )
    )
    return set(rows)


async def draft_from_thread(
    runtime: Runtime, workspace: WorkspaceRef, messages: Sequence[ChatMessage]
) -> LessonDraft:
    """A lesson draft from the thread, without the words or names of members who opted out.

    Raises drafting's EmptyThreadError (a UserError) when nothing quotable is left.
    """
    excluded = await runtime.db.run(capture_off, workspace)
    kept = [m for m in messages if m.user_id not in excluded]
    hidden_names = {m.name for m in messages if m.user_id in excluded}
    asker = messages[0].name if messages and messages[0].user_id not in excluded else None
    thread = [ThreadMessage(author=m.name, text=m.text, at=m.at) for m in kept]
    return draft_lesson(thread, asker=asker, excluded_authors=hidden_names)
