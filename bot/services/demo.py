"""A small demo community, so a newcomer sees copbot do something real at once.

Loaded by ``copbot demo`` into the configured database, in the console's workspace. Loading is
idempotent: a second run finds the demo members and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session

from storage.models import Answer, Expertise, Lesson, Member, Question, Role
from storage.repos import members, workspaces


@dataclass(frozen=True, slots=True)
class DemoMember:
    name: str
    timezone: str
    role: Role
    declared: tuple[str, ...]
    quiet: tuple[time, time] | None = None
    available: bool = True


DEMO_MEMBERS = (
    DemoMember("alice", "Europe/Berlin", Role.ADMIN, ("python",), (time(19), time(8))),
    DemoMember("bob", "America/New_York", Role.MEMBER, ("postgres", "kubernetes")),
    DemoMember("carol", "Asia/Tokyo", Role.MEMBER, ("python", "testing"), (time(22), time(7))),
    DemoMember("dan", "Europe/London", Role.FACILITATOR, ("facilitation", "postgres")),
    DemoMember(
        "erin", "Australia/Sydney", Role.MEMBER, ("kubernetes", "observability"), available=False
    ),
)

# (asker, text, topics, answerer, answer, days ago)
DEMO_HISTORY = (
    (
        "carol",
        "Why does autovacuum stall on our biggest table?",
        ("postgres",),
        "bob",
        "Long-running transactions hold back the xmin horizon; find them in pg_stat_activity "
        "and keep idle-in-transaction sessions short.",
        40,
    ),
    (
        "alice",
        "How do we roll back a bad Kubernetes deployment quickly?",
        ("kubernetes",),
        "erin",
        "kubectl rollout undo deployment/<name> goes back one revision; keep "
        "revisionHistoryLimit above 1.",
        25,
    ),
    (
        "bob",
        "What is a good way to test code that calls the clock?",
        ("python", "testing"),
        "carol",
        "Pass a clock object in and use a fake one in tests; never sleep in tests.",
        10,
    ),
)

DEMO_LESSON = dict(
    title="Idle transactions stall autovacuum",
    context="A 200 GB table bloated for weeks while autovacuum seemed to run.",
    what_happened="A reporting job left a transaction open for days.",
    learned="Alert on transactions idle for more than an hour; set "
    "idle_in_transaction_session_timeout.",
    tags="postgres, ops",
)


def load_demo(session: Session, workspace_key: str, now: datetime) -> bool:
    """Load the demo community; False when it was already there."""
    workspace = workspaces.get_or_create(session, "console", workspace_key)
    assert workspace.id is not None
    if members.get(session, workspace.id, DEMO_MEMBERS[0].name) is not None:
        return False
    by_name: dict[str, Member] = {}
    for demo in DEMO_MEMBERS:
        member = members.get_or_create(session, workspace.id, demo.name, demo.name)
        member.timezone = demo.timezone
        member.role = demo.role.value
        member.available = demo.available
        if demo.quiet:
            member.quiet_start, member.quiet_end = demo.quiet
        session.add(member)
        session.flush()
        assert member.id is not None
        by_name[demo.name] = member
        for topic in demo.declared:
            session.add(
                Expertise(
                    workspace_id=workspace.id,
                    member_id=member.id,
                    topic=topic,
                    source="declared",
                    weight=1.0,
                    updated_at=now,
                )
            )
    for asker, text, topics, answerer, answer_text, days in DEMO_HISTORY:
        when = now - timedelta(days=days)
        question = Question(
            workspace_id=workspace.id,
            asker_member_id=by_name[asker].id,
            channel_id="questions",
            text=text,
            topics=",".join(topics),
            status="resolved",
            claimed_by_member_id=by_name[answerer].id,
            resolved_by_member_id=by_name[asker].id,
            created_at=when,
            resolved_at=when + timedelta(hours=3),
        )
        session.add(question)
        session.flush()
        assert question.id is not None
        answer = Answer(
            workspace_id=workspace.id,
            question_id=question.id,
            member_id=by_name[answerer].id,
            text=answer_text,
            created_at=when + timedelta(hours=2),
        )
        session.add(answer)
        session.flush()
        question.accepted_answer_id = answer.id
        for topic in topics:
            session.add(
                Expertise(
                    workspace_id=workspace.id,
                    member_id=by_name[answerer].id,
                    topic=topic,
                    source="learned",
                    weight=1.0,
                    evidence_count=1,
                    updated_at=when,
                )
            )
    session.add(
        Lesson(
            workspace_id=workspace.id,
            author_member_id=by_name["bob"].id,
            created_at=now - timedelta(days=39),
            updated_at=now - timedelta(days=39),
            **DEMO_LESSON,
        )
    )
    return True
