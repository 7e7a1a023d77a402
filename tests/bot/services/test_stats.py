"""Community health figures from the tables, the chart, the digest and its commands."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlmodel import select

from bot.clock import FakeClock
from bot.commands import build_registry
from bot.dispatch import Dispatcher
from bot.model import Platform, Text
from bot.services import stats
from storage.models import (
    Answer,
    DigestSchedule,
    Expertise,
    Lesson,
    PromptPost,
    Question,
    ReflectionResponse,
)
from storage.repos import members, workspaces
from tests.fakes import scheduling as sch
from tests.fakes.chat import RecordingPort
from tests.fakes.commands import actor, command

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def seed_community(session) -> int:
    """Five questions this week, one last month; help, lessons, expertise and reflection."""
    ws = workspaces.get_or_create(session, "console", "console").id
    alice, bob, carol, dan = (
        members.get_or_create(session, ws, name, name) for name in ("alice", "bob", "carol", "dan")
    )

    def question(text, topics, created, status="open", **fields):
        row = Question(
            workspace_id=ws,
            channel_id="general",
            text=text,
            topics=topics,
            status=status,
            asker_member_id=alice.id,
            created_at=created,
            **fields,
        )
        session.add(row)
        session.flush()
        return row

    def answer(q, who, when):
        row = Answer(
            workspace_id=ws, question_id=q.id, member_id=who.id, text="try", created_at=when
        )
        session.add(row)
        session.flush()
        return row

    q1 = question("vacuum stalls", "postgres", NOW - 3 * DAY)
    a1 = answer(q1, bob, NOW - 3 * DAY + timedelta(hours=1))
    q1.status, q1.accepted_answer_id, q1.resolved_at = "resolved", a1.id, NOW - 2 * DAY
    q2 = question("pods restart", "kubernetes", NOW - 2 * DAY)
    answer(q2, bob, NOW - 2 * DAY + timedelta(hours=3))
    q3 = question("helm values", "kubernetes", NOW - DAY)  # still open, no answer
    q4 = question("index bloat", "postgres", NOW - DAY, status="deflected")
    q5 = question("wal size", "postgres", NOW - 5 * DAY, status="resolved")
    q5.resolved_by_member_id, q5.resolved_at = carol.id, NOW - 4 * DAY
    question("old one", "postgres", NOW - 40 * DAY)
    session.add_all([q1, q3, q4, q5])
    session.add(Lesson(workspace_id=ws, title="Vacuum", learned="...", created_at=NOW - DAY))
    for who, topic in ((bob, "postgres"), (carol, "postgres"), (dan, "terraform")):
        session.add(Expertise(workspace_id=ws, member_id=who.id, topic=topic, source="declared"))
    post = PromptPost(
        workspace_id=ws, channel_id="general", prompt_id="x", text="?", posted_at=NOW - 6 * DAY
    )
    session.add(post)
    session.flush()
    for who in (bob, bob, carol):
        session.add(
            ReflectionResponse(
                workspace_id=ws, post_id=post.id, member_id=who.id, text="…", created_at=NOW - DAY
            )
        )
    return ws


def test_the_weeks_figures(db):
    ws = db.run_sync(seed_community)
    figures = db.run_sync(stats.compute, ws, NOW, 7)
    assert (figures.asked, figures.answered, figures.still_open, figures.deflected) == (5, 3, 1, 1)
    assert figures.median_first_answer == timedelta(hours=2)  # 1 h and 3 h
    assert (figures.new_lessons, figures.prompts_posted) == (1, 1)
    assert (figures.reflection_answers, figures.reflection_members, figures.members) == (3, 2, 4)
    assert figures.helpers == (stats.Helper("bob", 1), stats.Helper("carol", 1))
    assert figures.coverage_gaps == (stats.TopicGap("kubernetes", 2),)
    assert figures.bus_factor == (stats.SoleExpert("terraform", "dan", 0),)


def test_a_longer_period_counts_older_questions(db):
    ws = db.run_sync(seed_community)
    assert db.run_sync(stats.compute, ws, NOW, 60).asked == 6


def test_another_workspace_sees_none_of_it(db):
    db.run_sync(seed_community)
    other = db.run_sync(lambda s: workspaces.get_or_create(s, "slack", "T2").id)
    figures = db.run_sync(stats.compute, other, NOW, 7)
    assert (figures.asked, figures.reflection_answers, figures.helpers) == (0, 0, ())


def test_twelve_weekly_buckets_for_the_chart(db):
    ws = db.run_sync(seed_community)
    series = db.run_sync(stats.weekly_series, ws, NOW)
    assert len(series) == 12 and series[-1].start == NOW - 7 * DAY
    assert (series[-1].asked, series[-1].answered, series[-1].reflections) == (5, 3, 3)
    assert series[6].asked == 1  # the question forty days ago
    assert sum(w.asked for w in series[:6]) == 0


def test_the_chart_is_a_small_png(db):
    ws = db.run_sync(seed_community)
    png = stats.render_chart(db.run_sync(stats.weekly_series, ws, NOW))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (640, 300)
    assert len(png) < 100_000


def test_export_has_one_row_per_workspace(db):
    db.run_sync(seed_community)
    db.run_sync(lambda s: workspaces.get_or_create(s, "slack", "T2"))
    rows = db.run_sync(stats.export_rows, NOW, 7)
    assert [r["workspace"] for r in rows] == ["console", "T2"]
    assert set(rows[0]) == set(stats.EXPORT_COLUMNS)
    assert rows[0]["median_hours_to_first_answer"] == "2.00"
    assert rows[0]["coverage_gaps"] == "kubernetes (2)"
    assert rows[0]["bus_factor"] == "terraform: dan"


@pytest.fixture
def dispatcher(sqlite_db):
    runtime = sch.runtime(sqlite_db, RecordingPort(), FakeClock(NOW))
    return Dispatcher(build_registry(), runtime)


def words(replies):
    out = []
    for reply in replies:
        for block in reply.blocks:
            if isinstance(block, Text):
                out.append(block.text)
            elif hasattr(block, "pairs"):
                out.extend(f"{k}: {v}" for k, v in block.pairs)
            elif hasattr(block, "lines"):
                out.extend(block.lines)
    return "\n".join(out)


CONSOLE_DAN = actor("dan", workspace="console", platform=Platform.CONSOLE, admin=True)


async def test_stats_command_shows_the_same_figures(dispatcher):
    dispatcher.runtime.db.run_sync(seed_community)
    said = words(
        await dispatcher.handle(
            command("/stats", actor("bob", workspace="console", platform=Platform.CONSOLE))
        )
    )
    assert "*Community health*: the last 7 days (Mon 23 Feb 2026 to Mon 2 Mar 2026)" in said
    assert "Questions asked: 5" in said and "Answered: 3 (60%)" in said
    assert "Median time to first answer: 2 h" in said
    assert "Reflection: 3 answers from 2 members (50%) to 1 prompt" in said
    assert "@bob: 1" in said and "kubernetes: 2 questions" in said
    assert "terraform: only @dan" in said


async def test_digest_is_scheduled_posted_with_its_chart_and_never_twice(dispatcher):
    db, port = dispatcher.runtime.db, dispatcher.runtime.port
    db.run_sync(seed_community)
    said = words(
        await dispatcher.handle(command("/stats digest #leads weekly mon 09:00 UTC", CONSOLE_DAN))
    )
    assert "The community digest goes to #leads, every Monday at 09:00 UTC" in said
    [digest] = db.run_sync(lambda s: list(s.exec(select(DigestSchedule))))
    await stats.run_digest(dispatcher.runtime, digest.id, grace_seconds=sch.GRACE)
    await stats.run_digest(dispatcher.runtime, digest.id, grace_seconds=sch.GRACE)
    [post] = port.sent
    assert post.place.channel == "leads"
    [chart] = post.reply.attachments
    assert chart.filename == "copbot-digest-2026-03-02.png" and chart.data[:4] == b"\x89PNG"
    assert "*Community digest*" in words([post.reply])
    said = words(await dispatcher.handle(command("/stats digest", CONSOLE_DAN)))
    assert said.startswith("The digest goes to #leads, every Monday at 09:00 (UTC); next Mon")


async def test_digest_commands_are_for_facilitators(dispatcher):
    member = actor("bob", workspace="console", platform=Platform.CONSOLE)
    said = words(await dispatcher.handle(command("/stats digest #leads weekly mon 09:00", member)))
    assert said.startswith("Only facilitators can use /stats digest")
    said = words(await dispatcher.handle(command("/stats digest now", CONSOLE_DAN)))
    assert said.startswith("No digest is scheduled here")
    said = words(
        await dispatcher.handle(command('/stats digest #leads cron "*/10 * * * *"', CONSOLE_DAN))
    )
    assert "at most once an hour" in said
    await dispatcher.handle(command("/stats digest #leads weekly fri 16:00", CONSOLE_DAN))
    said = words(await dispatcher.handle(command("/stats digest off", CONSOLE_DAN)))
    assert said.startswith("The weekly digest is off.")
