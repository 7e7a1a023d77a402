"""Community health: the figures behind ``/stats``, the weekly digest and the CSV export.

Everything is computed from the tables the other features keep (questions, answers, lessons,
expertise, reflection answers), for one workspace and one period ending now. Definitions, so
that a facilitator can trust the numbers:

- *asked*: questions created in the period. Of those, *answered*: at least one answer, or
  resolved; *deflected*: closed because a lesson answered them; *still open*: open or claimed
  with no answer yet.
- *median time to first answer*: over questions asked in the period that got an answer.
- *helped most*: members whose answer was accepted (or who resolved someone else's question)
  in the period: recognition for help that landed, not for message counts.
- *coverage gaps*: topics asked about in the period that no member has expertise in.
- *bus factor*: topics that exactly one member has expertise in.
- *reflection*: prompts posted, answers given and members who answered in the period.
"""

from __future__ import annotations

import asyncio
import io
import logging
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.channels import channel_label
from bot.context import Runtime
from bot.model import (
    Attachment,
    ChannelId,
    Fields,
    Items,
    Place,
    Platform,
    Reply,
    Text,
    Visibility,
    WorkspaceKey,
    WorkspaceRef,
)
from bot.ports import ChatPortError
from bot.scheduler import triggers
from bot.services.prompt_library import (
    NAME_LIMIT,
    TITLE_LIMIT,
    HelperTally,
    NewLesson,
    ResolvedQuestion,
    UnansweredTopic,
    WeeklyActivity,
    make_inert,
)
from storage.models import (
    Answer,
    DigestSchedule,
    Expertise,
    Lesson,
    Member,
    PromptPost,
    Question,
    ReflectionResponse,
    TopicAlias,
    Workspace,
)
from storage.repos import scheduled_runs

log = logging.getLogger(__name__)

OPEN_STATES = ("open", "claimed")
DEFLECTED = "deflected"
RESOLVED = "resolved"
CHART_WEEKS = 12
LIST_LIMIT = 5


@dataclass(frozen=True, slots=True)
class Helper:
    name: str
    accepted: int


@dataclass(frozen=True, slots=True)
class TopicGap:
    topic: str
    questions: int


@dataclass(frozen=True, slots=True)
class SoleExpert:
    topic: str
    expert: str
    questions: int


@dataclass(frozen=True, slots=True)
class CommunityStats:
    since: datetime
    until: datetime
    days: int
    asked: int
    answered: int
    still_open: int
    deflected: int
    median_first_answer: timedelta | None
    new_lessons: int
    prompts_posted: int
    reflection_answers: int
    reflection_members: int
    members: int
    helpers: tuple[Helper, ...]
    coverage_gaps: tuple[TopicGap, ...]
    bus_factor: tuple[SoleExpert, ...]


@dataclass(frozen=True, slots=True)
class WeekCounts:
    start: datetime
    asked: int
    answered: int
    reflections: int


# Figures ---------------------------------------------------------------------------------------


def compute(session: Session, workspace_id: int, now: datetime, days: int) -> CommunityStats:
    since = now - timedelta(days=days)
    questions = list(
        session.exec(
            select(Question).where(
                Question.workspace_id == workspace_id,
                col(Question.created_at) >= since,
                col(Question.created_at) < now,
            )
        )
    )
    first_answers = _first_answers(session, workspace_id, [q.id for q in questions if q.id])
    answered = [q for q in questions if q.id in first_answers or q.status == RESOLVED]
    waits = [
        (first_answers[q.id] - q.created_at).total_seconds()
        for q in questions
        if q.id in first_answers and first_answers[q.id] >= q.created_at
    ]
    aliases = _aliases(session, workspace_id)
    asked_topics = Counter(
        topic for q in questions for topic in _topics(q.topics, aliases)
    )  # one count per question and topic
    experts = _experts(session, workspace_id, aliases)
    gaps = sorted(
        (TopicGap(topic, count) for topic, count in asked_topics.items() if topic not in experts),
        key=lambda gap: (-gap.questions, gap.topic),
    )
    sole = sorted(
        (
            SoleExpert(topic, next(iter(names)), asked_topics.get(topic, 0))
            for topic, names in experts.items()
            if len(names) == 1
        ),
        key=lambda item: (-item.questions, item.topic),
    )
    responses = session.exec(
        select(ReflectionResponse.member_id).where(
            ReflectionResponse.workspace_id == workspace_id,
            col(ReflectionResponse.created_at) >= since,
            col(ReflectionResponse.created_at) < now,
        )
    ).all()
    return CommunityStats(
        since=since,
        until=now,
        days=days,
        asked=len(questions),
        answered=len(answered),
        still_open=sum(
            1 for q in questions if q.status in OPEN_STATES and q.id not in first_answers
        ),
        deflected=sum(1 for q in questions if q.status == DEFLECTED),
        median_first_answer=(timedelta(seconds=statistics.median(waits)) if waits else None),
        new_lessons=_count(session, Lesson, workspace_id, Lesson.created_at, since, now),
        prompts_posted=_count(session, PromptPost, workspace_id, PromptPost.posted_at, since, now),
        reflection_answers=len(responses),
        reflection_members=len({member for member in responses if member is not None}),
        members=session.exec(
            select(func.count()).select_from(Member).where(Member.workspace_id == workspace_id)
        ).one(),
        helpers=tuple(_helpers(session, workspace_id, since, now)),
        coverage_gaps=tuple(gaps),
        bus_factor=tuple(sole),
    )


def _count(
    session: Session, model: type, workspace_id: int, column: object, since: datetime, now: datetime
) -> int:
    return session.exec(
        select(func.count())
        .select_from(model)
        .where(model.workspace_id == workspace_id, col(column) >= since, col(column) < now)
    ).one()


def _first_answers(
    session: Session, workspace_id: int, question_ids: list[int]
) -> dict[int, datetime]:
    if not question_ids:
        return {}
    rows = session.exec(
        select(Answer.question_id, func.min(Answer.created_at))
        .where(Answer.workspace_id == workspace_id, col(Answer.question_id).in_(question_ids))
        .group_by(Answer.question_id)
    ).all()
    return {question_id: _aware(first) for question_id, first in rows if first is not None}


def _aware(value: datetime) -> datetime:
    """``min()`` keeps the column's type, so values come back aware; guard naive ones anyway."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _aliases(session: Session, workspace_id: int) -> dict[str, str]:
    rows = session.exec(
        select(TopicAlias.alias, TopicAlias.topic).where(TopicAlias.workspace_id == workspace_id)
    ).all()
    return {alias.lower(): topic.lower() for alias, topic in rows}


def _topics(raw: str, aliases: dict[str, str]) -> set[str]:
    found = set()
    for part in raw.split(","):
        topic = part.strip().lower()
        if topic:
            found.add(aliases.get(topic, topic))
    return found


def _experts(session: Session, workspace_id: int, aliases: dict[str, str]) -> dict[str, set[str]]:
    """Topic -> the names of members with expertise in it (declared or learned)."""
    rows = session.exec(
        select(Expertise.topic, Member.id, Member.display_name, Member.user_id)
        .join(Member, col(Member.id) == Expertise.member_id)
        .where(Expertise.workspace_id == workspace_id, col(Expertise.weight) > 0)
    ).all()
    by_topic: dict[str, dict[int, str]] = defaultdict(dict)
    for topic, member_id, display_name, user_id in rows:
        name = make_inert(display_name or user_id, NAME_LIMIT)
        by_topic[aliases.get(topic.lower(), topic.lower())][member_id] = name
    return {topic: set(members.values()) for topic, members in by_topic.items()}


def _helpers(session: Session, workspace_id: int, since: datetime, now: datetime) -> list[Helper]:
    """Who gave help that landed: accepted answers, else resolving someone else's question."""
    resolved = session.exec(
        select(
            Question.accepted_answer_id, Question.resolved_by_member_id, Question.asker_member_id
        ).where(
            Question.workspace_id == workspace_id,
            col(Question.resolved_at) >= since,
            col(Question.resolved_at) < now,
        )
    ).all()
    accepted_ids = [answer_id for answer_id, _resolver, _asker in resolved if answer_id]
    answer_authors = (
        dict(
            session.exec(
                select(Answer.id, Answer.member_id).where(
                    Answer.workspace_id == workspace_id, col(Answer.id).in_(accepted_ids)
                )
            ).all()
        )
        if accepted_ids
        else {}
    )
    tally: Counter[int] = Counter()
    for answer_id, resolver, asker in resolved:
        helper = answer_authors.get(answer_id) if answer_id else None
        if helper is None and resolver is not None and resolver != asker:
            helper = resolver
        if helper is not None:
            tally[helper] += 1
    if not tally:
        return []
    names = _names(session, tally)
    ranked = sorted(tally.items(), key=lambda item: (-item[1], names.get(item[0], "")))
    return [Helper(names.get(member_id, "someone"), count) for member_id, count in ranked]


def _names(session: Session, member_ids: Iterable[int]) -> dict[int, str]:
    rows = session.exec(
        select(Member.id, Member.display_name, Member.user_id).where(
            col(Member.id).in_(list(member_ids))
        )
    ).all()
    return {
        member_id: make_inert(display or user_id, NAME_LIMIT)
        for member_id, display, user_id in rows
    }


def weekly_series(
    session: Session, workspace_id: int, now: datetime, weeks: int = CHART_WEEKS
) -> list[WeekCounts]:
    """Questions asked, questions first answered, reflection answers: per 7 days, oldest first."""
    start = now - timedelta(days=7 * weeks)

    def bucket(when: datetime) -> int | None:
        index = int((when - start) / timedelta(days=7))
        return index if 0 <= index < weeks else None

    asked, answered, reflections = [0] * weeks, [0] * weeks, [0] * weeks
    questions = session.exec(
        select(Question.id, Question.created_at, Question.resolved_at, Question.status).where(
            Question.workspace_id == workspace_id, col(Question.created_at) < now
        )
    ).all()
    first = _first_answers(session, workspace_id, [q[0] for q in questions])
    for question_id, created_at, resolved_at, status in questions:
        index = bucket(created_at)
        if index is not None:
            asked[index] += 1
        answered_at = first.get(question_id) or (resolved_at if status == RESOLVED else None)
        index = bucket(answered_at) if answered_at is not None else None
        if index is not None:
            answered[index] += 1
    for created_at in session.exec(
        select(ReflectionResponse.created_at).where(
            ReflectionResponse.workspace_id == workspace_id,
            col(ReflectionResponse.created_at) >= start,
        )
    ).all():
        index = bucket(created_at)
        if index is not None:
            reflections[index] += 1
    return [
        WeekCounts(start + timedelta(days=7 * i), asked[i], answered[i], reflections[i])
        for i in range(weeks)
    ]


def weekly_activity(
    session: Session, workspace_id: int, since: datetime, until: datetime
) -> WeeklyActivity:
    """What templated reflection prompts draw on: the week's resolved and unanswered questions,
    new lessons and the members who answered most."""
    resolved_rows = session.exec(
        select(Question.text, Member.display_name, Member.user_id)
        .join(Member, col(Member.id) == Question.resolved_by_member_id)
        .where(
            Question.workspace_id == workspace_id,
            Question.status == RESOLVED,
            col(Question.resolved_at) >= since,
            col(Question.resolved_at) < until,
        )
        .order_by(col(Question.resolved_at).desc())
        .limit(20)
    ).all()
    open_rows = session.exec(
        select(Question.id, Question.topics).where(
            Question.workspace_id == workspace_id,
            col(Question.status).in_(OPEN_STATES),
            col(Question.created_at) >= since,
            col(Question.created_at) < until,
        )
    ).all()
    answered = _first_answers(session, workspace_id, [row[0] for row in open_rows])
    aliases = _aliases(session, workspace_id)
    unanswered = Counter(
        topic
        for question_id, topics in open_rows
        if question_id not in answered
        for topic in sorted(_topics(topics, aliases))
    )
    lessons = session.exec(
        select(Lesson.title)
        .where(
            Lesson.workspace_id == workspace_id,
            col(Lesson.created_at) >= since,
            col(Lesson.created_at) < until,
        )
        .order_by(col(Lesson.helpful_count).desc(), col(Lesson.created_at).desc())
        .limit(20)
    ).all()
    helper_rows = session.exec(
        select(Member.display_name, Member.user_id, func.count(col(Answer.id)))
        .join(Member, col(Member.id) == Answer.member_id)
        .where(
            Answer.workspace_id == workspace_id,
            col(Answer.created_at) >= since,
            col(Answer.created_at) < until,
        )
        .group_by(col(Member.id), col(Member.display_name), col(Member.user_id))
        .order_by(func.count(col(Answer.id)).desc())
        .limit(5)
    ).all()
    return WeeklyActivity(
        resolved_questions=tuple(
            ResolvedQuestion(title=_title(text), resolver=display or user_id)
            for text, display, user_id in resolved_rows
        ),
        unanswered_questions=tuple(
            UnansweredTopic(topic, count) for topic, count in unanswered.most_common()
        ),
        new_lessons=tuple(NewLesson(title) for title in lessons),
        top_helpers=tuple(
            HelperTally(display or user_id, count) for display, user_id, count in helper_rows
        ),
    )


def _title(text: str) -> str:
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return first_line[: TITLE_LIMIT * 2]


# Words and pictures ------------------------------------------------------------------------------


def duration_words(value: timedelta | None) -> str:
    if value is None:
        return "no answers yet"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days {hours % 24} h"


def _percent(part: int, whole: int) -> str:
    return f" ({round(100 * part / whole)}%)" if whole else ""


def stats_blocks(stats: CommunityStats, heading: str) -> tuple[Text | Fields | Items, ...]:
    blocks: list[Text | Fields | Items] = [
        Text(heading),
        Fields(
            (
                ("Questions asked", str(stats.asked)),
                ("Answered", f"{stats.answered}{_percent(stats.answered, stats.asked)}"),
                ("Still open, no answer yet", str(stats.still_open)),
                ("Median time to first answer", duration_words(stats.median_first_answer)),
                ("Deflected by lessons", str(stats.deflected)),
                ("New lessons", str(stats.new_lessons)),
                (
                    "Reflection",
                    f"{_plural(stats.reflection_answers, 'answer')} from "
                    f"{_plural(stats.reflection_members, 'member')}"
                    f"{_percent(stats.reflection_members, stats.members)} "
                    f"to {_plural(stats.prompts_posted, 'prompt')}",
                ),
            )
        ),
    ]
    if stats.helpers:
        blocks.append(Text("*Helped most* (answers that were accepted)"))
        blocks.append(Items(tuple(f"@{h.name}: {h.accepted}" for h in stats.helpers[:LIST_LIMIT])))
    if stats.coverage_gaps:
        blocks.append(Text("*Asked about, but nobody has expertise yet*"))
        blocks.append(
            Items(
                tuple(
                    f"{make_inert(g.topic, NAME_LIMIT)}: {_plural(g.questions, 'question')}"
                    for g in stats.coverage_gaps[:LIST_LIMIT]
                )
            )
        )
    if stats.bus_factor:
        blocks.append(Text("*Depends on one person*"))
        blocks.append(
            Items(
                tuple(
                    f"{make_inert(s.topic, NAME_LIMIT)}: only @{s.expert}"
                    + (f" ({_plural(s.questions, 'question')})" if s.questions else "")
                    for s in stats.bus_factor[:LIST_LIMIT]
                )
            )
        )
    return tuple(blocks)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def period_words(stats: CommunityStats, zone: str) -> str:
    first = triggers.format_local(stats.since, zone).split(",")[0]
    last = triggers.format_local(stats.until, zone).split(",")[0]
    return f"the last {stats.days} days ({first} to {last})"


def render_chart(series: list[WeekCounts], title: str = "Last 12 weeks") -> bytes:
    """A small PNG: questions asked and answered and reflection answers per week.

    matplotlib's object API with the Agg backend: no display, no pyplot global state, so it is
    safe in a worker thread. Imported here because it takes a moment to load and only the
    digest needs it.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6.4, 3.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [f"{week.start.day} {week.start:%b}" for week in series]
    positions = range(len(series))
    axes.plot(positions, [w.asked for w in series], marker="o", label="questions asked")
    axes.plot(positions, [w.answered for w in series], marker="s", label="questions answered")
    axes.plot(
        positions,
        [w.reflections for w in series],
        marker="^",
        linestyle="--",
        label="reflection answers",
    )
    axes.set_xticks(list(positions), labels, rotation=45, ha="right", fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.set_title(title, fontsize=10)
    axes.set_xlabel("week starting", fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


# The digest ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestPlan:
    run_id: int | None
    place: Place
    stats: CommunityStats
    series: list[WeekCounts]
    zone: str


def workspace_ref(workspace: Workspace) -> WorkspaceRef:
    return WorkspaceRef(Platform(workspace.platform), WorkspaceKey(workspace.external_id))


def digest_reply(plan: DigestPlan, chart: bytes) -> Reply:
    stats = plan.stats
    heading = f"*Community digest*: {period_words(stats, plan.zone)}"
    stamp = stats.until.strftime("%Y-%m-%d")
    return Reply(
        blocks=stats_blocks(stats, heading),
        visibility=Visibility.IN_CHANNEL,
        summary=f"Community digest: {stats.asked} questions asked, {stats.answered} answered",
        attachments=(
            Attachment(
                filename=f"copbot-digest-{stamp}.png",
                data=chart,
                title="Questions and reflection answers, last 12 weeks",
            ),
        ),
    )


def _claim_digest(
    session: Session, digest_id: int, now: datetime, grace_seconds: int
) -> DigestPlan | None:
    digest = session.get(DigestSchedule, digest_id)
    if digest is None or digest.status != "active":
        return None
    slot = triggers.latest_fire(
        digest.cron, digest.timezone, now, timedelta(seconds=grace_seconds + 60)
    )
    if slot is None:
        log.warning("digest #%s ran with no due time in the grace period; skipped", digest_id)
        return None
    run = scheduled_runs.claim(session, digest.workspace_id, f"digest:{digest_id}", slot, now)
    if run is None:
        log.info("digest #%s due %s was already posted; not posting it again", digest_id, slot)
        return None
    return _plan(session, digest, run.id, now)


def _plan(
    session: Session, digest: DigestSchedule, run_id: int | None, now: datetime
) -> DigestPlan:
    workspace = session.get(Workspace, digest.workspace_id)
    assert workspace is not None
    place = Place(workspace=workspace_ref(workspace), channel=ChannelId(digest.channel_id))
    return DigestPlan(
        run_id=run_id,
        place=place,
        stats=compute(session, digest.workspace_id, now, digest.days),
        series=weekly_series(session, digest.workspace_id, now),
        zone=digest.timezone,
    )


async def publish_digest(runtime: Runtime, plan: DigestPlan) -> str | None:
    """Render the chart (in a thread), post the digest; the platform's refusal, if any."""
    chart = await asyncio.to_thread(render_chart, plan.series)
    error: str | None = None
    try:
        await runtime.port.post(plan.place, digest_reply(plan, chart))
    except ChatPortError as refusal:
        error = refusal.user_message
        log.warning("could not post the digest to %s: %s", plan.place.channel, refusal)
    if plan.run_id is not None:
        outcome, detail = ("failed", error) if error else ("posted", "")
        await runtime.db.run(
            scheduled_runs.finish, plan.run_id, outcome, detail, runtime.clock.now()
        )
    return error


async def run_digest(runtime: Runtime, digest_id: int, *, grace_seconds: int) -> None:
    """The digest job: claim this due time, then post (at most once per due time)."""
    plan = await runtime.db.run(_claim_digest, digest_id, runtime.clock.now(), grace_seconds)
    if plan is not None:
        await publish_digest(runtime, plan)


def plan_digest_now(session: Session, workspace_id: int, now: datetime) -> DigestPlan | None:
    """``/stats digest now``: the workspace's digest for its channel, outside the schedule."""
    digest = digest_for(session, workspace_id)
    if digest is None or digest.status == "cancelled":
        return None
    return _plan(session, digest, None, now)


# Digest schedules ------------------------------------------------------------------------------


def digest_for(session: Session, workspace_id: int) -> DigestSchedule | None:
    return session.exec(
        select(DigestSchedule).where(DigestSchedule.workspace_id == workspace_id)
    ).first()


def set_digest(
    session: Session,
    workspace_id: int,
    channel_id: str,
    cron: str,
    zone: str,
    member_id: int | None,
    now: datetime,
) -> DigestSchedule:
    """Create the workspace's digest schedule, or replace its channel and time."""
    digest = digest_for(session, workspace_id)
    if digest is None:
        digest = DigestSchedule(
            workspace_id=workspace_id,
            channel_id=channel_id,
            cron=cron,
            timezone=zone,
            created_by_member_id=member_id,
            created_at=now,
            updated_at=now,
        )
    else:
        digest.channel_id, digest.cron, digest.timezone = channel_id, cron, zone
        digest.status = "active"
        digest.revision += 1
        digest.updated_at = now
    session.add(digest)
    session.flush()
    return digest


def set_digest_status(
    session: Session, workspace_id: int, status: str, now: datetime
) -> DigestSchedule | None:
    digest = digest_for(session, workspace_id)
    if digest is None or digest.status == status:
        return digest
    digest.status = status
    digest.revision += 1
    digest.updated_at = now
    session.add(digest)
    return digest


# Export ------------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "workspace",
    "platform",
    "period_start",
    "period_end",
    "days",
    "questions_asked",
    "questions_answered",
    "questions_still_open",
    "questions_deflected_by_lessons",
    "median_hours_to_first_answer",
    "new_lessons",
    "prompts_posted",
    "reflection_answers",
    "reflection_members",
    "members",
    "helped_most",
    "coverage_gaps",
    "bus_factor",
)


def export_rows(session: Session, now: datetime, days: int) -> list[dict[str, str | int]]:
    """One row per workspace, columns ``EXPORT_COLUMNS``: for ``copbot stats export --csv``."""
    rows: list[dict[str, str | int]] = []
    for workspace in session.exec(select(Workspace).order_by(Workspace.id)).all():
        assert workspace.id is not None
        stats = compute(session, workspace.id, now, days)
        median = stats.median_first_answer
        rows.append(
            {
                "workspace": workspace.name or workspace.external_id,
                "platform": workspace.platform,
                "period_start": stats.since.isoformat(timespec="seconds"),
                "period_end": stats.until.isoformat(timespec="seconds"),
                "days": days,
                "questions_asked": stats.asked,
                "questions_answered": stats.answered,
                "questions_still_open": stats.still_open,
                "questions_deflected_by_lessons": stats.deflected,
                "median_hours_to_first_answer": (
                    f"{median.total_seconds() / 3600:.2f}" if median is not None else ""
                ),
                "new_lessons": stats.new_lessons,
                "prompts_posted": stats.prompts_posted,
                "reflection_answers": stats.reflection_answers,
                "reflection_members": stats.reflection_members,
                "members": stats.members,
                "helped_most": "; ".join(f"{h.name} ({h.accepted})" for h in stats.helpers),
                "coverage_gaps": "; ".join(
                    f"{g.topic} ({g.questions})" for g in stats.coverage_gaps
                ),
                "bus_factor": "; ".join(f"{s.topic}: {s.expert}" for s in stats.bus_factor),
            }
        )
    return rows


def digest_description(digest: DigestSchedule, now: datetime) -> str:
    """``#general, every Friday at 16:00 (Europe/Berlin); next Fri 6 Mar 2026, 16:00 CET``."""
    when = f"{triggers.describe(digest.cron)} ({digest.timezone})"
    if digest.status != "active":
        return f"{when}; {digest.status}"
    upcoming = triggers.next_fire(digest.cron, digest.timezone, now)
    nxt = triggers.format_local(upcoming, digest.timezone) if upcoming else "never"
    return f"{when}; next {nxt}"


def channel_of(workspace: Workspace, channel_id: str) -> str:
    return channel_label(workspace.platform, channel_id)
