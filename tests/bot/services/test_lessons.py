"""Lessons: captured whole or not at all, edited and deleted by the right people, marked once per
member, reviewed when outdated or due, drafted from threads without quoting who opted out."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.commands import build_registry
from bot.context import Runtime
from bot.dispatch import Dispatcher
from bot.model import Quote, Text
from bot.services import lessons
from bot.services.drafting import ThreadMessage
from storage.models import Lesson, LessonAudit, LessonContributor, LessonDraftRecord, Question
from tests.fakes.chat import RecordingPort
from tests.fakes.commands import actor
from tests.fakes.community import Community

VACUUM = (
    "/lesson title: Vacuum stalls on big tables | context: nightly batch jobs | "
    "learned: long transactions hold back vacuum | tags: postgres, ops"
)


@pytest.fixture
def town(db, clock, settings) -> Community:
    runtime = Runtime(db=db, port=RecordingPort(), clock=clock, settings=settings)
    return Community(Dispatcher(build_registry(), runtime), runtime.port)


def stored(db) -> list[Lesson]:
    return db.run_sync(lambda s: list(s.exec(select(Lesson).order_by(Lesson.id))))


async def test_one_line_lesson_is_saved_with_its_fields_tags_and_review_date(town, db, clock):
    out = await town.run("alice", VACUUM)
    assert "Saved lesson #1" in out
    (lesson,) = stored(db)
    assert (lesson.title, lesson.context, lesson.learned, lesson.tags) == (
        "Vacuum stalls on big tables",
        "nightly batch jobs",
        "long transactions hold back vacuum",
        "postgres,ops",
    )
    assert lesson.review_at == clock.now() + timedelta(days=180)


async def test_lesson_without_arguments_opens_the_form(town):
    (reply,) = await town.replies("alice", "/lesson")
    assert reply.form is not None and reply.form.command == "lesson"
    assert [f.name for f in reply.form.fields] == [
        "title",
        "context",
        "happened",
        "learned",
        "tags",
    ]


async def test_form_submission_is_the_one_line_syntax(town, db):
    (reply,) = await town.replies("alice", "/lesson")
    text = reply.form.to_text({"title": "Pin versions", "learned": "Lock files | always"})
    await town.run("alice", f"/{reply.form.command} {text}")
    assert stored(db)[0].learned == "Lock files / always"


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("/lesson title: Only a title", "learned"),
        ("/lesson learned: only what", "title"),
        ("/lesson title:  | learned:   ", "title and a learned"),
        ("/lesson context: just context", "title and a learned"),
    ],
)
async def test_missing_fields_are_named_and_nothing_is_stored(town, db, line, named):
    out = await town.run("alice", line)
    assert f"A lesson needs a {named} field" in out
    assert stored(db) == []


async def test_a_title_over_the_limit_is_refused_whole(town, db):
    out = await town.run("alice", f"/lesson title: {'x' * 300} | learned: y")
    assert "The title is 300 characters; the limit is 200." in out
    assert stored(db) == []


async def test_a_ten_thousand_character_title_gets_a_clear_reply(town, db):
    out = await town.run("alice", f"/lesson title: {'x' * 10_000} | learned: y")
    assert "10,0" in out and "characters" in out
    assert stored(db) == []


async def test_markdown_and_mentions_are_stored_verbatim_and_shown_inert(town, db):
    title = "<!channel> *bold* @here [x](http://evil)"
    await town.run("alice", f"/lesson title: {title} | learned: ping <@U123> `code`")
    assert stored(db)[0].title == title
    (card,) = await town.replies("bob", "/lesson show 1")
    quotes = [b.text for b in card.blocks if isinstance(b, Quote)]
    assert title in quotes and "ping <@U123> `code`" in quotes
    assert not any(title in b.text for b in card.blocks if isinstance(b, Text))


async def test_only_the_author_or_a_facilitator_edits_and_an_edit_counts_as_review(town, db, clock):
    await town.run("alice", VACUUM)
    out = await town.run("bob", "/lesson edit 1 learned: nothing")
    assert "Only the author of lesson #1 or a facilitator can edit it" in out
    clock.advance(timedelta(days=200))
    await town.run("alice", "/lesson edit 1 learned: kill idle transactions | tags: postgres")
    lesson = stored(db)[0]
    assert (lesson.learned, lesson.tags) == ("kill idle transactions", "postgres")
    assert lesson.review_at == clock.now() + timedelta(days=180)
    await town.run("dan", "/profile timezone UTC")
    await town.run("alice", "/role @dan facilitator", admin=True)
    await town.run("dan", "/lesson edit 1 title: Vacuum and idle transactions")
    assert stored(db)[0].title == "Vacuum and idle transactions"


async def test_edit_without_fields_opens_a_prefilled_form(town):
    await town.run("alice", VACUUM)
    (reply,) = await town.replies("alice", "/lesson edit 1")
    assert reply.form.command == "lesson edit" and reply.form.context == "1"
    assert reply.form.fields[0].initial == "Vacuum stalls on big tables"
    text = reply.form.to_text({"title": "New title", "learned": "new"})
    await town.run("alice", f"/lesson edit {text}")


async def test_deleting_keeps_an_audit_entry_without_the_text(town, db):
    await town.run("alice", VACUUM)
    assert "Only the author" in await town.run("bob", "/lesson delete 1")
    assert "Deleted lesson #1" in await town.run("alice", "/lesson delete 1")
    assert stored(db) == []
    (entry,) = db.run_sync(
        lambda s: list(s.exec(select(LessonAudit).where(LessonAudit.action == "deleted")))
    )
    assert (entry.lesson_id, entry.title) == (1, "Vacuum stalls on big tables")


async def test_each_member_counts_once_and_authors_cannot_mark_their_own_helpful(town, db):
    await town.run("alice", VACUUM)
    assert "You wrote lesson #1" in await town.run("alice", "/lesson helpful 1")
    await town.run("bob", "/lesson helpful 1")
    assert "already marked lesson #1 helpful" in await town.run("bob", "/lesson helpful 1")
    await town.run("carol", "/lesson helpful 1")
    await town.run("carol", "/lesson outdated 1")
    lesson = stored(db)[0]
    assert (lesson.helpful_count, lesson.outdated_count) == (2, 1)


async def test_outdated_marks_and_passed_review_dates_fill_the_right_review_queues(town, clock):
    await town.run("alice", VACUUM)
    await town.run("alice", "/lesson title: Friday deploys | learned: never | tags: releases")
    await town.run("erin", "/expertise add postgres")
    await town.run("bob", "/lesson outdated 1")
    assert "Lesson #1" in await town.run("alice", "/lessons review")
    assert "Lesson #1" in await town.run("erin", "/lessons review")  # expert on its tag
    assert "Nothing to review" in await town.run("bob", "/lessons review")
    clock.advance(timedelta(days=181))
    queue = await town.run("alice", "/lessons review")
    assert "Lesson #1" in queue and "Lesson #2" in queue
    await town.run("alice", "/lesson reviewed 2")
    await town.run("erin", "/lesson reviewed 1")
    assert "Nothing to review" in await town.run("alice", "/lessons review")


def _thread(at: datetime) -> list[ThreadMessage]:
    return [
        ThreadMessage("alice", "Hi all, how do I stop vacuum from stalling on big tables?", at),
        ThreadMessage(
            "bob",
            "Check for long running transactions: run SELECT * FROM "
            "pg_stat_activity and kill the idle ones.",
            at,
        ),
        ThreadMessage("carol", "Also set idle_in_transaction_session_timeout to 5min.", at),
        ThreadMessage("alice", "Thanks, that worked!", at),
    ]


async def test_draft_from_thread_never_quotes_members_with_capture_off(town, db, clock):
    await town.run("carol", "/profile capture off")
    rt = town.dispatcher.runtime
    reply = await lessons.draft_from_thread(rt, 1, actor("alice"), _thread(clock.now()))
    form = reply.form
    assert form is not None and form.context.startswith("draft: ")
    values = {f.name: f.initial for f in form.fields}
    assert "pg_stat_activity" in values["learned"]
    assert "idle_in_transaction" not in values["learned"] + values["context"]
    assert "carol" not in " ".join(b.text for b in reply.blocks if isinstance(b, Text))


async def test_a_saved_draft_records_its_contributors_who_can_take_their_words_out(town, db, clock):
    rt = town.dispatcher.runtime
    await town.run("bob", "/profile timezone UTC")  # bob is known to copbot
    reply = await lessons.draft_from_thread(rt, 1, actor("alice"), _thread(clock.now()))
    values = {f.name: f.initial for f in reply.form.fields}
    out = await town.run("alice", f"/lesson {reply.form.to_text(values)}")
    assert "Saved lesson #1" in out and "@bob" in out
    contributors = db.run_sync(lambda s: list(s.exec(select(LessonContributor))))
    assert [c.member_id for c in contributors] and "pg_stat_activity" in contributors[0].quoted
    assert db.run_sync(lambda s: list(s.exec(select(LessonDraftRecord)))) == []
    assert "does not quote you" in await town.run("carol", "/lesson unquote 1")
    out = await town.run("bob", "/lesson unquote 1")
    assert "Your words are out of lesson #1" in out
    assert "pg_stat_activity" not in stored(db)[0].learned
    assert [r.place.channel for r in town.port.sent if r.kind == "direct"] == ["alice"]


async def test_capture_off_after_the_draft_still_keeps_words_out(town, db, clock):
    rt = town.dispatcher.runtime
    await town.run("bob", "/profile timezone UTC")
    reply = await lessons.draft_from_thread(rt, 1, actor("alice"), _thread(clock.now()))
    values = {f.name: f.initial for f in reply.form.fields}
    values["learned"] += " Also vacuum verbose helps."
    await town.run("bob", "/profile capture off")
    out = await town.run("alice", f"/lesson {reply.form.to_text(values)}")
    assert "left out" in out
    assert "pg_stat_activity" not in stored(db)[0].learned


async def test_an_empty_thread_is_a_one_line_reply(town, clock):
    from bot.errors import UserError

    with pytest.raises(UserError):
        await lessons.draft_from_thread(town.dispatcher.runtime, 1, actor("alice"), [])


async def test_resolving_offers_the_asker_a_lesson_prefilled_from_question_and_answer(town):
    await town.run("bob", "/expertise add postgres")
    await town.run("alice", "/ask [postgres] Why does vacuum stall on big tables?")
    await town.run("bob", "/answer 1 Long transactions hold it back; kill idle ones.")
    (reply,) = await town.replies("alice", "/resolve 1 @bob")
    assert [a.command for a in reply.actions] == ["lesson capture 1"]
    (draft,) = await town.replies("alice", "/lesson capture 1")
    values = {f.name: f.initial for f in draft.form.fields}
    assert "vacuum" in values["title"].lower()
    assert values["learned"] == "Long transactions hold it back; kill idle ones."
    assert values["tags"] == "postgres"
    out = await town.run("alice", f"/lesson {draft.form.to_text(values)}")
    assert "Saved lesson #1" in out and "@bob" in out


async def test_a_facilitator_resolving_sends_the_asker_the_offer_by_dm(town):
    await town.run("bob", "/expertise add postgres")
    await town.run("alice", "/ask [postgres] Why does vacuum stall?")
    await town.run("bob", "/answer 1 Long transactions.")
    await town.run("dan", "/resolve 1 @bob", admin=True)
    offers = [
        r for r in town.dms_to("alice") if "lesson capture 1" in [a.command for a in r.actions]
    ]
    assert len(offers) == 1


def test_pipes_inside_values_belong_to_the_value():
    values = lessons.parse_fields("title: a | b | learned: c|d")
    assert values == {"title": "a | b", "learned": "c|d"}


def test_fields_given_twice_are_refused():
    from bot.errors import UsageError

    with pytest.raises(UsageError):
        lessons.parse_fields("title: a | title: b")


async def test_lessons_of_one_workspace_are_invisible_in_another(db, clock, settings):
    runtime = Runtime(db=db, port=RecordingPort(), clock=clock, settings=settings)
    one = Community(Dispatcher(build_registry(), runtime), runtime.port, workspace="T1")
    two = Community(Dispatcher(build_registry(), runtime), runtime.port, workspace="T2")
    await one.run("alice", VACUUM)
    assert "no lesson #1 here" in await two.run("bob", "/lesson show 1")
    assert "Nothing" in await two.run("bob", "/lessons vacuum")
    assert "Lesson #1" in await one.run("bob", "/lessons vacuum")


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


async def test_thanks_in_the_thread_offers_the_asker_alone_once_to_mark_it_solved(town, db):
    from bot.model import ChannelId, MessageId, Place

    await town.run("bob", "/expertise add postgres")
    await town.run("alice", "/ask [postgres] Why does vacuum stall?")
    thread = db.run_sync(lambda s: s.exec(select(Question)).one().thread_ref)
    place = Place(actor("alice").workspace, ChannelId("general"), thread=MessageId(thread))
    rt = town.dispatcher.runtime
    assert await lessons.offer_after_thanks(rt, 1, actor("bob"), place, "thanks!") is None
    assert await lessons.offer_after_thanks(rt, 1, actor("alice"), place, "did it work?") is None
    offer = await lessons.offer_after_thanks(rt, 1, actor("alice"), place, "Thanks, that worked!")
    assert [a.command for a in offer.actions] == ["resolve 1"]
    assert offer.visibility.value == "ephemeral"
    assert await lessons.offer_after_thanks(rt, 1, actor("alice"), place, "✅") is None  # once


async def test_forget_me_takes_a_contributors_words_out_of_others_lessons(town, db, clock):
    rt = town.dispatcher.runtime
    await town.run("bob", "/profile timezone UTC")
    reply = await lessons.draft_from_thread(rt, 1, actor("alice"), _thread(clock.now()))
    values = {f.name: f.initial for f in reply.form.fields}
    await town.run("alice", f"/lesson {reply.form.to_text(values)}")
    assert "pg_stat_activity" in stored(db)[0].learned
    await town.run("bob", "/forget-me confirm")
    assert "pg_stat_activity" not in stored(db)[0].learned
