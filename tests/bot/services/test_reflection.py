"""Reflection below the commands: templated prompts, failed posts, DMs that respect people,
answers and what the lessons feature gets from them."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.model import ChannelId, MessageId, Place, Platform, WorkspaceKey, WorkspaceRef
from bot.ports import ChatPortError
from bot.services import reflection
from storage.models import (
    Lesson,
    PromptDelivery,
    PromptMute,
    Question,
    ReflectionResponse,
)
from storage.repos import members
from tests.fakes import scheduling as sch
from tests.fakes.chat import RecordingPort
from tests.fakes.commands import actor

MONDAY_9_UTC = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONSOLE = WorkspaceRef(Platform.CONSOLE, WorkspaceKey("console"))


@pytest.fixture
def clock():
    return FakeClock(MONDAY_9_UTC)


@pytest.fixture
def port():
    return RecordingPort()


@pytest.fixture
def rt(db, port, clock):
    return sch.runtime(db, port, clock)


def console_actor(name):
    return actor(name, workspace="console", platform=Platform.CONSOLE)


async def test_a_templated_prompt_draws_on_the_weeks_activity(db, rt, port):
    schedule_id = db.run_sync(sch.seed_schedule, zone="UTC")
    ws = db.run_sync(sch.workspace_id)

    def activity(session):
        carol = members.get_or_create(session, ws, "carol", "carol")
        for n in range(3):
            session.add(
                Question(
                    workspace_id=ws,
                    channel_id="general",
                    text=f"kubernetes question {n}",
                    topics="kubernetes",
                    created_at=MONDAY_9_UTC - timedelta(days=2),
                )
            )
        session.add(
            Question(
                workspace_id=ws,
                channel_id="general",
                text="vacuum stalls on big tables",
                topics="postgres",
                status="resolved",
                resolved_by_member_id=carol.id,
                created_at=MONDAY_9_UTC - timedelta(days=3),
                resolved_at=MONDAY_9_UTC - timedelta(days=1),
            )
        )

    db.run_sync(activity)
    texts = []
    for _ in range(60):
        await reflection.post_now(rt, ws, schedule_id)
        texts.append(port.sent[-1].reply.fallback_text)
    assert any("carol" in t and "vacuum stalls on big tables" in t for t in texts)
    assert any("kubernetes" in t for t in texts)


async def test_a_quiet_week_falls_back_to_plain_prompts(db, rt, port):
    schedule_id = db.run_sync(sch.seed_schedule, zone="UTC")
    ws = db.run_sync(sch.workspace_id)
    for _ in range(60):
        await reflection.post_now(rt, ws, schedule_id)
    assert all("{" not in s.reply.fallback_text for s in port.sent)
    assert len({s.reply.fallback_text for s in port.sent[:40]}) == 40  # no repeats in a cycle


async def test_a_refused_post_gives_the_prompt_back_to_the_rotation(db, rt, port):
    schedule_id = db.run_sync(sch.seed_schedule, zone="UTC")
    ws = db.run_sync(sch.workspace_id)
    port.fail_with = ChatPortError("copbot isn't in that channel yet.")
    with pytest.raises(ChatPortError):
        await reflection.post_now(rt, ws, schedule_id)
    assert db.run_sync(sch.posts) == []
    assert db.run_sync(sch.schedule_row, schedule_id).used_prompt_ids == ""


async def test_a_scheduled_job_that_is_refused_records_the_failure_and_does_not_retry(
    db, rt, port, clock
):
    schedule_id = db.run_sync(sch.seed_schedule, cron="0 9 * * mon", zone="UTC")
    port.fail_with = ChatPortError("channel not found")
    await reflection.run_schedule(rt, schedule_id, grace_seconds=sch.GRACE)
    port.fail_with = None
    await reflection.run_schedule(rt, schedule_id, grace_seconds=sch.GRACE)
    [run] = db.run_sync(sch.runs)
    assert (run.outcome, run.detail) == ("failed", "channel not found")
    assert port.sent == []


async def test_prompts_by_dm_respect_quiet_hours_away_and_mutes(db, rt, port, clock):
    schedule_id = db.run_sync(sch.seed_schedule, zone="UTC", dm_members=True)
    ws = db.run_sync(sch.workspace_id)
    db.run_sync(sch.add_member, "awake")
    db.run_sync(
        sch.add_member,
        "sleeper",
        timezone="Australia/Sydney",  # 09:00 UTC is 20:00 in Sydney
        quiet_start=time(18, 0),
        quiet_end=time(8, 0),
    )
    db.run_sync(sch.add_member, "away", available=False)
    muted = db.run_sync(sch.add_member, "muted")
    db.run_sync(
        lambda s: s.add(PromptMute(workspace_id=ws, schedule_id=schedule_id, member_id=muted))
    )
    await reflection.post_now(rt, ws, schedule_id)
    dms = [s for s in port.sent if s.kind == "direct"]
    assert [d.place.channel for d in dms] == ["awake"]
    assert [a.command for a in dms[0].reply.actions] == ["reflect", f"prompts mute {schedule_id}"]

    clock.advance(timedelta(hours=10))  # 19:00 UTC = 06:00 in Sydney: still quiet
    assert await reflection.deliver_due_dms(rt) == 0
    clock.advance(timedelta(hours=2))  # 08:00 in Sydney: quiet hours are over
    assert await reflection.deliver_due_dms(rt) == 1
    assert [s.place.channel for s in port.sent if s.kind == "direct"] == ["awake", "sleeper"]
    assert await reflection.deliver_due_dms(rt) == 0  # never twice


async def test_a_held_dm_is_dropped_when_the_member_goes_away_or_a_newer_prompt_goes_out(
    db, rt, port, clock
):
    schedule_id = db.run_sync(sch.seed_schedule, zone="UTC", dm_members=True)
    ws = db.run_sync(sch.workspace_id)
    for name in ("one", "two"):
        db.run_sync(
            sch.add_member, name, timezone="UTC", quiet_start=time(8, 0), quiet_end=time(10, 0)
        )
    await reflection.post_now(rt, ws, schedule_id)
    await reflection.post_now(rt, ws, schedule_id)  # a second prompt, also held for both

    def go_away(session):
        member = members.get(session, ws, "one")
        member.available = False
        session.add(member)

    db.run_sync(go_away)
    clock.advance(timedelta(hours=1, minutes=1))
    await reflection.deliver_due_dms(rt)
    dms = [s for s in port.sent if s.kind == "direct"]
    assert len(dms) == 1 and dms[0].place.channel == "two"
    assert dms[0].reply.fallback_text == port.sent[1].reply.fallback_text  # the newer prompt
    details = db.run_sync(
        lambda s: sorted(d.detail for d in s.exec(select(PromptDelivery)) if d.detail)
    )
    assert details == ["a newer prompt went out first"] * 2 + ["away"]


async def test_an_answer_in_a_dm_goes_to_the_prompt_sent_there(db, rt, port):
    schedule_id = db.run_sync(sch.seed_schedule, zone="UTC", dm_members=True)
    ws = db.run_sync(sch.workspace_id)
    db.run_sync(sch.add_member, "nina")
    await reflection.post_now(rt, ws, schedule_id)
    dm = Place(workspace=CONSOLE, channel=ChannelId("nina"), is_direct=True)
    plan = await reflection.answer(rt, ws, console_actor("nina"), dm, "From my DM")
    [post] = db.run_sync(sch.posts)
    assert plan.post_id == post.id
    assert port.sent[-1].place.thread == post.message_ref  # shown in the channel's thread


async def test_an_answer_in_a_thread_belongs_to_that_threads_prompt(db, rt, port):
    schedule_id = db.run_sync(sch.seed_schedule, zone="UTC")
    ws = db.run_sync(sch.workspace_id)
    first = await reflection.post_now(rt, ws, schedule_id)
    await reflection.post_now(rt, ws, schedule_id)
    thread = Place(workspace=CONSOLE, channel=ChannelId("general"), thread=MessageId(first.message))
    plan = await reflection.answer(rt, ws, console_actor("bob"), thread, "about the first one")
    posts = db.run_sync(sch.posts)
    assert plan.post_id == posts[0].id


async def test_what_the_lessons_feature_gets_from_an_answer(db, rt):
    ws_schedule = db.run_sync(sch.seed_schedule, zone="UTC", anonymous=True)
    ws = db.run_sync(sch.workspace_id)
    await reflection.post_now(rt, ws, ws_schedule)
    channel = Place(workspace=CONSOLE, channel=ChannelId("general"))
    named = await reflection.answer(rt, ws, console_actor("bob"), channel, "Read the plan.")
    hidden = await reflection.answer(rt, ws, console_actor("eve"), channel, "anon Ask early.")
    source = db.run_sync(reflection.lesson_source, ws, named.response_id)
    assert source.answer_text == "Read the plan." and source.may_quote
    assert source.author_member_id is not None and source.answer_message_ref is not None
    anonymous = db.run_sync(reflection.lesson_source, ws, hidden.response_id)
    assert anonymous.author_member_id is None and not anonymous.may_quote

    def make_lesson(session):
        lesson = Lesson(workspace_id=ws, title="Read the plan", learned="Read the plan.")
        session.add(lesson)
        session.flush()
        reflection.link_lesson(session, ws, named.response_id, lesson.id)
        return lesson.id

    lesson_id = db.run_sync(make_lesson)
    assert db.run_sync(reflection.lesson_source, ws, named.response_id).lesson_id == lesson_id


async def test_forget_me_deletes_a_members_answers_anonymous_ones_too(db, rt):
    schedule_id = db.run_sync(sch.seed_schedule, zone="UTC", anonymous=True)
    ws = db.run_sync(sch.workspace_id)
    await reflection.post_now(rt, ws, schedule_id)
    channel = Place(workspace=CONSOLE, channel=ChannelId("general"))
    await reflection.answer(rt, ws, console_actor("eve"), channel, "anonymous mine")
    await reflection.answer(rt, ws, console_actor("eve"), channel, "also mine")
    forgotten = db.run_sync(members.forget, ws, "eve")
    assert forgotten.reflections == 2
    assert db.run_sync(lambda s: list(s.exec(select(ReflectionResponse)))) == []
