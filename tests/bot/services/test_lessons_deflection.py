"""Deflection at /ask: what the community already knows is shown to the asker first; "This
answers it" closes the question without pinging anyone; otherwise it is posted and routed, on
"Ask anyway" or by the sweep after the wait, which survives a restart."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.commands import build_registry
from bot.context import Runtime
from bot.dispatch import Dispatcher
from bot.services import routing
from storage.models import Lesson, Question
from tests.fakes.chat import RecordingPort
from tests.fakes.community import Community

LESSON = (
    "/lesson title: Vacuum stalls on big tables | context: nightly batch | "
    "learned: long transactions hold back vacuum | tags: postgres"
)
QUESTION = "/ask [postgres] Why does vacuum stall on big tables?"


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))


@pytest.fixture
def town(db, clock, settings) -> Community:
    runtime = Runtime(db=db, port=RecordingPort(), clock=clock, settings=settings)
    return Community(Dispatcher(build_registry(), runtime), runtime.port)


async def seeded(town: Community) -> None:
    await town.run("bob", "/expertise add postgres")
    await town.run("carol", "/expertise add postgres")
    await town.run("erin", LESSON)


def question(db, qid: int = 1) -> Question:
    return db.run_sync(lambda s: s.get(Question, qid))


async def test_a_matching_lesson_is_shown_to_the_asker_before_anyone_is_pinged(town, db):
    await seeded(town)
    (reply,) = await town.replies("alice", QUESTION)
    text = " ".join(getattr(b, "text", "") for b in reply.blocks)
    assert "may already answer your question #1" in text
    assert "Vacuum stalls on big tables" in text
    assert [a.command for a in reply.actions] == ["deflect 1 lesson:1", "ask-anyway 1"]
    assert town.port.sent == []  # no thread root, no DM
    assert question(db).status == "suggested"


async def test_this_answers_it_closes_the_question_as_deflected_without_pinging(town, db):
    await seeded(town)
    await town.run("alice", QUESTION)
    out = await town.run("alice", "/deflect 1 lesson:1")
    assert "question #1 is closed and nobody was pinged" in out
    stored = question(db)
    assert (stored.status, stored.deflected_to) == ("deflected", "lesson:1")
    assert db.run_sync(lambda s: s.get(Lesson, 1).helpful_count) == 1
    assert town.port.sent == []
    town.dispatcher.runtime.clock.advance(timedelta(minutes=30))
    await routing.sweep(town.dispatcher.runtime)
    assert town.port.sent == []  # the sweep never posts a deflected question


async def test_only_the_asker_can_deflect_or_ask_anyway(town, db):
    await seeded(town)
    await town.run("alice", QUESTION)
    assert "Only the asker" in await town.run("bob", "/deflect 1 lesson:1")
    assert "Only the asker" in await town.run("bob", "/ask-anyway 1")
    assert question(db).status == "suggested"


async def test_ask_anyway_posts_and_routes_at_once(town, db):
    await seeded(town)
    await town.run("alice", QUESTION)
    out = await town.run("alice", "/ask-anyway 1")
    assert "posted in #general" in out and "asked" in out
    assert {"bob", "carol"} <= set(town.dm_users())
    assert question(db).status == "open"
    assert "already open" in await town.run("alice", "/ask-anyway 1")


async def test_doing_nothing_posts_the_question_after_the_wait_from_the_stored_due_time(
    town, db, clock
):
    await seeded(town)
    await town.run("alice", QUESTION)
    clock.advance(timedelta(minutes=9))
    await routing.sweep(town.dispatcher.runtime)
    assert town.port.sent == []
    clock.advance(timedelta(minutes=2))
    # a "restarted" bot: a fresh dispatcher on the same database picks the due time up
    restarted = Runtime(
        db=db, port=town.port, clock=clock, settings=town.dispatcher.runtime.settings
    )
    await routing.sweep(restarted)
    assert question(db).status == "open"
    assert {"bob", "carol"} <= set(town.dm_users())
    assert any("posted it" in " ".join(getattr(b, "text", "") for b in r.blocks)
               for r in town.dms_to("alice"))  # fmt: skip
    # pressing "This answers it" late still closes it, with a note in its thread
    assert "is closed" in await town.run("alice", "/deflect 1 lesson:1")
    assert question(db).status == "deflected"
    assert any("found the answer in lesson #1" in post for post in town.posts())


async def test_below_the_threshold_nothing_is_shown_and_routing_is_immediate(town, db):
    await seeded(town)
    out = await town.run("alice", "/ask [postgres] How do I size shared buffers for analytics?")
    assert "Your question #1 is posted" in out
    assert question(db).status == "open"
    assert {"bob", "carol"} <= set(town.dm_users())


async def test_a_resolved_question_with_its_answer_can_deflect_a_repeat(town, db):
    await town.run("bob", "/expertise add postgres")
    await town.run("alice", "/ask [postgres] Why does autovacuum stall on huge tables?")
    await town.run("bob", "/answer 1 Idle transactions hold back the xmin horizon.")
    await town.run("alice", "/resolve 1 @bob")
    (reply,) = await town.replies("dan", "/ask [postgres] autovacuum stalls on huge tables")
    assert "deflect 2 question:1" in [a.command for a in reply.actions]
    assert "is closed" in await town.run("dan", "/deflect 2 question:1")
    assert question(db, 2).status == "deflected"


async def test_deflecting_to_something_that_does_not_exist_is_refused(town, db):
    await seeded(town)
    await town.run("alice", QUESTION)
    assert "no lesson #9" in await town.run("alice", "/deflect 1 lesson:9")
    assert "not a lesson or question" in await town.run("alice", "/deflect 1 nonsense")
    assert question(db).status == "suggested"
