"""The tables copbot keeps, all keyed by workspace.

Every row that holds community data carries ``workspace_id`` and every repository query filters
on it, so one workspace's data can never leak into another's. Times are stored as UTC; the
``UtcDateTime`` type gives them back time-zone aware on both SQLite and PostgreSQL, so no caller
has to remember which database dropped the offset.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, time

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, aware and in UTC: the only form of time stored."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always aware UTC going in and coming out.

    SQLite has no time-zone type and returns naive values; PostgreSQL's ``timestamptz`` returns
    aware ones. Normalising here keeps comparisons in the core free of naive/aware mix-ups.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> sa.Column[datetime]:
    return sa.Column(UtcDateTime(), nullable=nullable, index=index)


class Role(enum.StrEnum):
    """What a member may do; ordered so that a higher role includes the lower ones."""

    MEMBER = "member"
    FACILITATOR = "facilitator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]


_ROLE_RANK = {Role.MEMBER: 0, Role.FACILITATOR: 1, Role.ADMIN: 2}


class Workspace(SQLModel, table=True):
    """A Slack workspace, a Discord guild, or the console's own community.

    Per-workspace settings are typed columns rather than a key-value bag, so a bad value is
    impossible to store and every service reads the same defaults.
    """

    __tablename__ = "workspace"
    __table_args__ = (sa.UniqueConstraint("platform", "external_id", name="uq_workspace_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    default_timezone: str = Field(default="UTC", max_length=64)
    questions_channel_id: str | None = Field(default=None, max_length=64)
    route_candidates: int = Field(default=3)
    daily_route_cap: int = Field(default=3)
    escalation_hours: float = Field(default=4.0)
    expertise_half_life_days: int = Field(default=180)
    lesson_review_days: int = Field(default=180)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Installation(SQLModel, table=True):
    """How copbot was installed in a workspace: who, when, which bot user.

    Secrets never live in this row in clear text: ``bot_token_encrypted`` holds ciphertext made by
    the adapter with ``COPBOT_SECRET_KEY``.
    """

    __tablename__ = "installation"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    installed_by_user_id: str | None = Field(default=None, max_length=64)
    bot_user_id: str | None = Field(default=None, max_length=64)
    scopes: str = Field(default="", max_length=2000)
    bot_token_encrypted: str | None = Field(default=None, max_length=4000)
    installed_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    uninstalled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Member(SQLModel, table=True):
    """A person in a workspace, as copbot knows them.

    ``available`` is the everyday on/off switch (`/available off`); ``routing_opt_out`` is the
    standing choice never to be routed questions; ``capture_quotes`` lets a member keep their
    words out of lessons drafted from threads.
    """

    __tablename__ = "member"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "user_id", name="uq_member_user"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    user_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    available: bool = Field(default=True)
    quiet_start: time | None = Field(default=None)
    quiet_end: time | None = Field(default=None)
    routing_opt_out: bool = Field(default=False)
    capture_quotes: bool = Field(default=True)
    role: str = Field(default=Role.MEMBER.value, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class TopicAlias(SQLModel, table=True):
    """A workspace's synonyms: ``k8s`` means ``kubernetes``."""

    __tablename__ = "topic_alias"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "alias", name="uq_topic_alias"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    alias: str = Field(max_length=100)
    topic: str = Field(max_length=100)


class Expertise(SQLModel, table=True):
    """What a member knows about a topic, declared by them or learned from their answers.

    Learned weight is stored with the time it was last updated so that decay (a half-life set per
    workspace) can be applied when it is read, without a nightly job rewriting every row.
    """

    __tablename__ = "expertise"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "topic", "source", name="uq_expertise_topic_source"),
        sa.Index("ix_expertise_ws_topic", "workspace_id", "topic"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    topic: str = Field(max_length=100)
    source: str = Field(max_length=16)  # "declared" or "learned"
    weight: float = Field(default=1.0)
    evidence_count: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Question(SQLModel, table=True):
    """A member's question and where it stands."""

    __tablename__ = "question"
    __table_args__ = (sa.Index("ix_question_ws_status", "workspace_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE")
    asker_member_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="SET NULL"
    )
    channel_id: str = Field(max_length=64)
    thread_ref: str | None = Field(default=None, max_length=128)
    text: str = Field(max_length=4000)
    topics: str = Field(default="", max_length=1000)  # comma-separated, normalised
    # suggested (deflection offered, not yet posted), open, claimed, resolved, deflected
    status: str = Field(default="open", max_length=16)
    claimed_by_member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="SET NULL"
    )
    resolved_by_member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="SET NULL"
    )
    accepted_answer_id: int | None = Field(default=None)
    # Routing state: which round of candidates was last asked, and when the next round is due
    # if nobody claims. Kept in the row (not a sleeping task) so a restart loses nothing.
    escalation_round: int = Field(default=0)
    next_escalation_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    first_answer_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    resolved_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # Deflection: while the asker looks at lessons that may answer it, a question is
    # "suggested" (not posted, nobody pinged) until ``suggest_until``, when the sweep posts and
    # routes it; "This answers it" makes it "deflected" and records what answered it
    # (``lesson:12`` or ``question:7``). ``capture_offered_at``: the asker was offered, once,
    # to capture a lesson after thanking someone in the thread.
    suggest_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True, index=True))
    deflected_to: str | None = Field(default=None, max_length=32)
    capture_offered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Answer(SQLModel, table=True):
    """A reply in a question's thread, reported by an adapter or typed in the console."""

    __tablename__ = "answer"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="question.id", index=True, ondelete="CASCADE")
    member_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="SET NULL"
    )
    text: str = Field(max_length=4000)
    message_ref: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class RoutingAttempt(SQLModel, table=True):
    """One step of routing a question to one member, kept so routing survives a restart."""

    __tablename__ = "routing_attempt"
    __table_args__ = (
        sa.UniqueConstraint("question_id", "member_id", name="uq_routing_question_member"),
        sa.Index("ix_routing_ws_member_sent", "workspace_id", "member_id", "sent_at"),
        sa.Index("ix_routing_status_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE")
    question_id: int = Field(foreign_key="question.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    round: int = Field(default=1)
    score: float = Field(default=0.0)
    reason: str = Field(default="", max_length=1000)
    # pending (waiting for quiet hours), sent, claimed, declined, later, expired, superseded
    status: str = Field(default="pending", max_length=16)
    due_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    responded_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    dm_ref: str | None = Field(default=None, max_length=128)


class Lesson(SQLModel, table=True):
    """A structured lesson learned: what happened and what the community took from it."""

    __tablename__ = "lesson"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    author_member_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="SET NULL"
    )
    title: str = Field(max_length=200)
    context: str = Field(default="", max_length=4000)
    what_happened: str = Field(default="", max_length=4000)
    learned: str = Field(max_length=4000)
    tags: str = Field(default="", max_length=1000)
    source_link: str | None = Field(default=None, max_length=500)
    source_question_id: int | None = Field(
        default=None, foreign_key="question.id", ondelete="SET NULL"
    )
    helpful_count: int = Field(default=0)
    outdated_count: int = Field(default=0)
    review_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class LessonContributor(SQLModel, table=True):
    """A member whose words a lesson quotes (drafted from a thread or an accepted answer).

    ``quoted`` keeps the sentences taken from them, one a line, so ``/lesson unquote`` can take
    exactly those out again; ``unquoted_at`` records that they did.
    """

    __tablename__ = "lesson_contributor"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "member_id", name="uq_lesson_contributor"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    lesson_id: int = Field(foreign_key="lesson.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    quoted: str = Field(default="", max_length=8000)
    unquoted_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class LessonMark(SQLModel, table=True):
    """One member's "helpful" or "outdated" mark on a lesson: each member counts once."""

    __tablename__ = "lesson_mark"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "member_id", "kind", name="uq_lesson_mark"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    lesson_id: int = Field(foreign_key="lesson.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)  # helpful, outdated
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class LessonAudit(SQLModel, table=True):
    """What became of a lesson: who deleted (or edited) it and when. The lesson id is kept
    without a foreign key because the lesson itself is gone; its text is not kept."""

    __tablename__ = "lesson_audit"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    lesson_id: int = Field(index=True)
    action: str = Field(max_length=16)  # deleted, edited, unquoted
    title: str = Field(default="", max_length=200)
    actor_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class LessonDraftRecord(SQLModel, table=True):
    """A lesson drafted for a member (from a thread or a resolved question) while their form is
    open. Forms carry only ``draft: <id>`` back (Discord allows 100 characters), so who is
    quoted, and with which sentences, waits here until the member saves or abandons it."""

    __tablename__ = "lesson_draft"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    payload: str = Field(max_length=20000)  # JSON: quotes by member, source link, question id
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class CustomPrompt(SQLModel, table=True):
    """A facilitator's own reflection prompt, stored beside the library's sets."""

    __tablename__ = "custom_prompt"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    set_name: str = Field(max_length=64)
    text: str = Field(max_length=1000)
    follow_up: str | None = Field(default=None, max_length=1000)
    created_by_member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class PromptSchedule(SQLModel, table=True):
    """When and where a prompt set is posted; its rotation state survives restarts."""

    __tablename__ = "prompt_schedule"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    channel_id: str = Field(max_length=64)
    set_name: str = Field(default="weekly-reflection", max_length=64)
    cron: str = Field(max_length=100)
    timezone: str = Field(max_length=64)
    status: str = Field(default="active", max_length=16)  # active, paused, cancelled
    anonymous_allowed: bool = Field(default=False)
    used_prompt_ids: str = Field(default="", max_length=8000)  # this rotation cycle
    created_by_member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Also DM the prompt to the workspace's members (never in quiet hours, never while away).
    dm_members: bool = Field(default=False)
    # Any process may change a schedule; the one running the scheduler brings its job in line
    # whenever ``job_revision`` lags ``revision`` (see bot/scheduler/service.py).
    revision: int = Field(default=1)
    job_revision: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class PromptMute(SQLModel, table=True):
    """A member who asked not to be sent a schedule's prompts (``/prompts mute <id>``)."""

    __tablename__ = "prompt_mute"
    __table_args__ = (sa.UniqueConstraint("schedule_id", "member_id", name="uq_prompt_mute"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    schedule_id: int = Field(foreign_key="prompt_schedule.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class DigestSchedule(SQLModel, table=True):
    """When and where a workspace's weekly community digest is posted (one per workspace)."""

    __tablename__ = "digest_schedule"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(
        foreign_key="workspace.id", unique=True, index=True, ondelete="CASCADE"
    )
    channel_id: str = Field(max_length=64)
    cron: str = Field(max_length=100)
    timezone: str = Field(max_length=64)
    status: str = Field(default="active", max_length=16)  # active, paused, cancelled
    days: int = Field(default=7)  # the period each digest covers
    created_by_member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="SET NULL"
    )
    revision: int = Field(default=1)
    job_revision: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ScheduledRun(SQLModel, table=True):
    """One due time of a scheduled job, claimed before anything is posted.

    The unique (job_id, slot) pair is what makes a post happen at most once, whichever process
    runs it and however often: a restarted scheduler, a new leader after a takeover, or two
    schedulers started by mistake on one SQLite file all lose the insert race but one.
    """

    __tablename__ = "scheduled_run"
    __table_args__ = (sa.UniqueConstraint("job_id", "slot", name="uq_scheduled_run_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    job_id: str = Field(max_length=100)
    slot: datetime = Field(sa_column=_ts())
    outcome: str = Field(default="running", max_length=16)  # running, posted, failed, skipped
    detail: str = Field(default="", max_length=500)
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


SCHEDULER_JOBS_TABLE = "scheduler_jobs"
"""APScheduler's own job table. Its SQLAlchemy job store creates and owns it (it is not a model
and has no workspace key); the migrations leave it alone."""


class PromptPost(SQLModel, table=True):
    """One prompt as it was posted to a channel; answers hang off it."""

    __tablename__ = "prompt_post"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    schedule_id: int | None = Field(
        default=None, foreign_key="prompt_schedule.id", ondelete="SET NULL"
    )
    channel_id: str = Field(max_length=64)
    prompt_id: str = Field(max_length=100)
    text: str = Field(max_length=2000)
    message_ref: str | None = Field(default=None, max_length=128)
    posted_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))


class ReflectionResponse(SQLModel, table=True):
    """A member's answer to a posted prompt (anonymous where the schedule allows it)."""

    __tablename__ = "reflection_response"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    post_id: int = Field(foreign_key="prompt_post.id", index=True, ondelete="CASCADE")
    member_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="CASCADE"
    )
    anonymous: bool = Field(default=False)
    text: str = Field(max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Where the answer was echoed (the prompt's thread), and the lesson made from it, if any:
    # what the lessons feature needs to turn an answer into a lesson later.
    message_ref: str | None = Field(default=None, max_length=128)
    lesson_id: int | None = Field(default=None, foreign_key="lesson.id", ondelete="SET NULL")


class PromptDelivery(SQLModel, table=True):
    """A prompt sent (or held) as a direct message to one member.

    Held while the member is in quiet hours (``due_at`` is when they end); a minute sweep sends
    what has come due, re-checking away and mutes at that moment.
    """

    __tablename__ = "prompt_delivery"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "member_id", name="uq_prompt_delivery"),
        sa.Index("ix_prompt_delivery_status_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    post_id: int = Field(foreign_key="prompt_post.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    status: str = Field(default="pending", max_length=16)  # pending, sending, sent, skipped
    due_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    detail: str = Field(default="", max_length=200)


# The Slack adapter's tables (installations, OAuth states, deliveries seen) share this metadata.
from storage import slack_tables  # noqa: E402, F401
