"""Routing: the right few people, first claim wins, decline passes on, escalation by the clock,
quiet hours, caps and opt-outs respected, resolution teaches expertise."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.commands import build_registry
from bot.context import Runtime
from bot.dispatch import Dispatcher
from bot.model import Quote
from bot.services import routing
from storage.models import Answer, Expertise, Member, Question, RoutingAttempt
from tests.fakes.chat import RecordingPort
from tests.fakes.community import Community


def make(db, clock, settings, port=None) -> Community:
    port = port or RecordingPort()
    runtime = Runtime(db=db, port=port, clock=clock, settings=settings)
    return Community(Dispatcher(build_registry(), runtime), port)


@pytest.fixture
def clock():
    # Monday 2026-03-02 14:00 UTC: afternoon in Europe, morning in New York.
    return FakeClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))


@pytest.fixture
def town(sqlite_db, clock, settings) -> Community:
    return make(sqlite_db, clock, settings)


async def seed(town: Community, experts: dict[str, str]) -> None:
    for name, topics in experts.items():
        await town.run(name, f"/expertise add {topics}")


def attempts(db):
    return db.run_sync(
        lambda s: [
            (s.get(Member, a.member_id).user_id, a.status, a.round)
            for a in s.exec(select(RoutingAttempt).order_by(RoutingAttempt.id))
        ]
    )


async def test_ask_posts_a_thread_root_and_dms_the_top_candidates_with_why(town):
    await seed(
        town, {"bob": "postgres", "carol": "postgres, python", "dan": "python", "erin": "postgres"}
    )
    out = await town.run("alice", "/ask [postgres] why does vacuum stall?")
    assert "Your question #1 is posted in #general." in out
    assert "I asked 3 members who know postgres" in out
    assert sorted(town.dm_users()) == ["bob", "carol", "erin"]
    dm = town.dms_to("bob")[0]
    assert [a.command for a in dm.actions] == ["claim 1", "decline 1", "later 1"]
    assert "Why you: you declared postgres." in "\n".join(
        b.text for b in dm.blocks if hasattr(b, "text")
    )
    root = town.posts()[0]
    assert root.startswith("*Question #1* from @alice · postgres")


async def test_asker_is_never_routed_their_own_question(town):
    await seed(town, {"alice": "postgres", "bob": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    assert town.dm_users() == ["bob"]


async def test_topics_come_from_text_and_aliases(town, sqlite_db):
    await seed(town, {"bob": "kubernetes"})
    await town.run("root", "/topic alias k8s kubernetes", admin=True)
    await town.run("alice", "/ask how do I drain a K8s node safely?")
    assert town.dm_users() == ["bob"]
    question = sqlite_db.run_sync(lambda s: s.exec(select(Question)).one())
    assert question.topics == "kubernetes"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_two_claims_at_once_exactly_one_wins(backend, request, clock, settings):
    if backend == "postgres":
        db = request.getfixturevalue("pg_db")
    else:
        db = request.getfixturevalue("sqlite_db")
    town = make(db, clock, settings)
    await seed(town, {"bob": "postgres", "carol": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    results = await asyncio.gather(town.run("bob", "/claim 1"), town.run("carol", "/claim 1"))
    winners = [r for r in results if r.startswith("You're on question #1")]
    losers = [r for r in results if "already claimed by" in r or "just claimed by" in r]
    assert len(winners) == 1 and len(losers) == 1
    question = db.run_sync(lambda s: s.exec(select(Question)).one())
    assert question.status == "claimed"
    claimed = [a for a in attempts(db) if a[1] == "claimed"]
    assert len(claimed) == 1


async def test_claim_tells_the_thread_and_updates_the_others_dms(town):
    await seed(town, {"bob": "postgres", "carol": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    await town.run("bob", "/claim 1")
    assert "@bob is on it." in town.posts()
    assert "Question #1: claimed by @bob." in town.updates()
    assert "Question #1: you claimed it. Thank you!" in town.updates()


async def test_decline_passes_to_the_next_candidate_down_the_chain(town, sqlite_db):
    await seed(
        town, {"bob": "postgres", "carol": "postgres", "dan": "postgres", "erin": "postgres"}
    )
    await town.run("root", "/config set candidates 1", admin=True)
    await town.run("alice", "/ask [postgres] vacuum?")
    first = town.dm_users()[0]
    assert "goes to someone else" in await town.run(first, "/decline 1")
    second = town.dm_users()[1]
    await town.run(second, "/decline 1")
    third = town.dm_users()[2]
    assert len({first, second, third}) == 3
    assert await town.run(first, "/decline 1") == "You already passed on #1."
    assert "was not routed to you" in await town.run("zed", "/decline 1")
    statuses = [a[1] for a in attempts(sqlite_db)]
    assert statuses == ["declined", "declined", "sent"]


async def test_away_and_opted_out_members_are_never_pinged(town):
    await seed(town, {"bob": "postgres", "carol": "postgres", "dan": "postgres"})
    await town.run("bob", "/available off")
    await town.run("carol", "/profile routing off")
    await town.run("alice", "/ask [postgres] vacuum?")
    assert town.dm_users() == ["dan"]


async def test_quiet_hours_hold_the_dm_until_they_end_in_the_members_zone(town, clock):
    await seed(town, {"kenji": "postgres", "bob": "postgres"})
    await town.run("kenji", "/profile timezone Asia/Tokyo")
    await town.run("kenji", "/profile quiet 22:00-08:00")  # 14:00 UTC is 23:00 in Tokyo
    out = await town.run("alice", "/ask [postgres] vacuum?")
    assert "1 of them will see it when their quiet hours end." in out
    assert town.dm_users() == ["bob"]
    clock.advance(timedelta(hours=8, minutes=59))  # 07:59 Tokyo
    await routing.sweep(town.dispatcher.runtime)
    assert town.dm_users() == ["bob"]
    clock.advance(timedelta(minutes=1))  # 08:00 Tokyo
    delivered, _ = await routing.sweep(town.dispatcher.runtime)
    assert delivered == 1 and town.dm_users() == ["bob", "kenji"]


async def test_daily_cap_stops_routing_to_the_same_expert(town, clock):
    await seed(town, {"bob": "postgres"})
    for n in range(4):
        await town.run("alice", f"/ask [postgres] question number {n}?")
    assert town.dm_users() == ["bob", "bob", "bob"]  # cap 3 a day
    clock.advance(timedelta(hours=24, minutes=1))
    await town.run("alice", "/ask [postgres] the next day?")
    assert town.dm_users().count("bob") == 4


async def test_load_spreading_prefers_the_less_pinged_among_equals(town):
    await seed(town, {"bob": "postgres", "carol": "postgres", "dan": "postgres"})
    await town.run("root", "/config set candidates 1", admin=True)
    for n in range(3):
        await town.run("alice", f"/ask [postgres] q{n}?")
    assert sorted(town.dm_users()) == ["bob", "carol", "dan"]


async def test_unclaimed_question_escalates_to_next_candidates_then_facilitators(
    town, clock, sqlite_db
):
    await seed(town, {"bob": "postgres", "carol": "postgres", "dan": "postgres"})
    await town.run("root", "/config set candidates 2", admin=True)
    await town.run("fran", "/available on")
    await town.run("root", "/role @fran facilitator", admin=True)
    await town.run("alice", "/ask [postgres] vacuum?")
    assert len(town.dm_users()) == 2
    clock.advance(timedelta(hours=3, minutes=59))
    assert await routing.sweep(town.dispatcher.runtime) == (0, 0)
    clock.advance(timedelta(minutes=1))
    await routing.sweep(town.dispatcher.runtime)
    assert len(town.dm_users()) == 3  # the third expert, round 2
    clock.advance(timedelta(hours=4))
    await routing.sweep(town.dispatcher.runtime)
    assert town.dm_users()[-1] == "fran"
    assert "Nobody has claimed question #1" in "\n".join(
        b.text for b in town.dms_to("fran")[0].blocks if hasattr(b, "text")
    )
    clock.advance(timedelta(days=3))
    await routing.sweep(town.dispatcher.runtime)
    assert town.dm_users().count("fran") == 1  # nothing more after the facilitators


async def test_escalation_window_counts_only_the_experts_waking_hours(town, clock, sqlite_db):
    await seed(town, {"bob": "postgres"})
    await town.run("bob", "/profile timezone Europe/London")
    await town.run("bob", "/profile quiet 16:00-08:00")  # asked at 14:00: two awake hours left
    await town.run("alice", "/ask [postgres] vacuum?")
    question = sqlite_db.run_sync(lambda s: s.exec(select(Question)).one())
    assert question.next_escalation_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


async def test_pending_escalation_survives_a_restart(sqlite_db, clock, settings):
    first = make(sqlite_db, clock, settings)
    await seed(first, {"bob": "postgres", "carol": "postgres"})
    await first.run("root", "/config set candidates 1", admin=True)
    await first.run("alice", "/ask [postgres] vacuum?")
    clock.advance(timedelta(hours=5))
    restarted = make(sqlite_db, clock, settings)  # a new process: new runtime, new port
    await routing.sweep(restarted.dispatcher.runtime)
    assert len(restarted.dm_users()) == 1
    assert restarted.dm_users()[0] not in first.dm_users()


async def test_later_reminds_after_two_hours(town, clock):
    await seed(town, {"bob": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    assert "remind you about question #1 in 2 hours" in await town.run("bob", "/later 1")
    clock.advance(timedelta(hours=2))
    await routing.sweep(town.dispatcher.runtime)
    reminder = town.dms_to("bob")[-1]
    assert reminder.blocks[0].text.startswith("Reminder: question #1 from @alice is still open.")


async def test_answer_reaches_the_thread_and_the_asker_once_per_answerer(town):
    await seed(town, {"bob": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    await town.run("bob", "/answer 1 Look for idle transactions.")
    await town.run("bob", "/answer 1 Also check replication slots.")
    assert sum("Look for idle transactions." in p for p in town.posts()) == 1
    asker_dms = town.dms_to("alice")
    assert len(asker_dms) == 1
    assert asker_dms[0].actions[0].command == "resolve 1 @bob"


async def test_resolve_credits_the_accepted_answerer_with_learned_expertise(town, sqlite_db):
    await seed(town, {"bob": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    await town.run("carol", "/answer 1 Restart it?")
    await town.run("bob", "/answer 1 Idle transactions.")
    out = await town.run("alice", "/resolve 1 @bob")
    assert out == "Question #1 is resolved. Thanks to @bob."
    learned = sqlite_db.run_sync(
        lambda s: {
            s.get(Member, e.member_id).user_id: round(e.weight, 2)
            for e in s.exec(select(Expertise).where(Expertise.source == "learned"))
        }
    )
    assert learned == {"bob": 1.0, "carol": 0.3}
    question = sqlite_db.run_sync(lambda s: s.exec(select(Question)).one())
    answer = sqlite_db.run_sync(lambda s: s.get(Answer, question.accepted_answer_id))
    assert answer.text == "Idle transactions."
    assert "Resolved: the accepted answer is from @bob." in town.posts()
    who = await town.run("dan", "/who-knows postgres")
    assert "@bob: answered 1 question tagged postgres; declared postgres" in who
    assert "@carol: answered 1 question tagged postgres" in who


async def test_resolving_someone_elses_question_needs_a_facilitator(town, sqlite_db):
    await seed(town, {"bob": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    out = await town.run("carol", "/resolve 1")
    assert out.startswith("Only the asker or a facilitator can resolve #1.")
    assert sqlite_db.run_sync(lambda s: s.exec(select(Question)).one()).status == "open"
    await town.run("carol", "/available on")  # carol becomes known to copbot
    assert (await town.run("root", "/role @carol facilitator", admin=True)).endswith("facilitator.")
    assert await town.run("carol", "/resolve 1") == "Question #1 is resolved."


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/ask", "/ask needs <question...>."),
        ("/ask [postgres]", "A question needs some words after its tags."),
        ("/claim 99", "There is no question #99 here."),
        ("/claim twelve", "id must be a number"),
        ("/resolve 1 @nobody", "No member called @nobody here."),
    ],
)
async def test_bad_input_gets_one_clear_line_and_stores_nothing(town, sqlite_db, line, expected):
    await seed(town, {"bob": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    before = sqlite_db.run_sync(lambda s: len(s.exec(select(Question)).all()))
    out = await town.run("alice", line)
    assert expected in out and "\n" not in out
    assert sqlite_db.run_sync(lambda s: len(s.exec(select(Question)).all())) == before


async def test_oversized_question_is_refused_without_storing(town, sqlite_db):
    out = await town.run("alice", "/ask " + "why " * 5000)
    assert "copbot takes at most 4,000" in out
    assert sqlite_db.run_sync(lambda s: s.exec(select(Question)).all()) == []


async def test_claiming_a_resolved_question_or_twice_is_refused(town):
    await seed(town, {"bob": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    await town.run("bob", "/claim 1")
    assert await town.run("bob", "/claim 1") == "You already claimed #1. Reply in its thread."
    assert await town.run("alice", "/claim 1") == (
        "You asked #1 yourself. When it is answered, close it with /resolve 1."
    )
    await town.run("bob", "/answer 1 done")
    await town.run("alice", "/resolve 1")
    assert await town.run("carol", "/claim 1") == "Question #1 is already resolved."


async def test_mentions_and_markup_in_a_question_travel_only_as_inert_quotes(town):
    await seed(town, {"bob": "postgres"})
    await town.run("alice", "/ask [postgres] <!channel> @here *bold* <@U999> vacuum?")
    dm = town.dms_to("bob")[0]
    quoted = [b for b in dm.blocks if isinstance(b, Quote)]
    assert quoted and "<!channel>" in quoted[0].text
    own_words = [b.text for b in dm.blocks if not isinstance(b, Quote) and hasattr(b, "text")]
    assert not any("<!channel>" in t or "@here" in t for t in own_words)


async def test_failed_channel_post_leaves_no_question_behind(sqlite_db, clock, settings):
    from bot.ports import ChatPortError

    port = RecordingPort(fail_with=ChatPortError("copbot is not in #general; invite it first."))
    town = make(sqlite_db, clock, settings, port)
    out = await town.run("alice", "/ask vacuum?")
    assert out == "copbot is not in #general; invite it first."
    assert sqlite_db.run_sync(lambda s: s.exec(select(Question)).all()) == []


async def test_questions_and_unanswered_list_open_ones_oldest_first(town, clock):
    await town.run("alice", "/ask first?")
    clock.advance(timedelta(hours=3))
    await town.run("alice", "/ask second?")
    mine = await town.run("alice", "/questions")
    assert mine.index("#1") < mine.index("#2")
    listing = await town.run("bob", "/unanswered")
    assert "#1 (3h old, open, 0 answers) first?" in listing
    assert listing.index("#1") < listing.index("#2")


async def test_topics_label_the_root_and_resolving_marks_it_solved(town):
    await seed(town, {"bob": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    root = town.port.sent[0]
    assert root.kind == "post" and root.reply.labels == ("postgres",)
    await town.run("bob", "/answer 1 idle transactions")
    await town.run("alice", "/resolve 1 @bob")
    updated = [s for s in town.port.sent if s.kind == "update" and s.ref == root.ref]
    assert updated, "the question's channel message is updated on resolve"
    final = updated[-1].reply
    assert final.labels == ("postgres", "solved")
    assert final.actions == ()  # no claim button on a solved question
    assert "Resolved by @alice; accepted answer from @bob." in "\n".join(
        b.text for b in final.blocks if hasattr(b, "text")
    )


async def test_questions_waiting_lists_what_was_routed_to_me_until_i_act(town):
    await seed(town, {"bob": "postgres", "carol": "postgres"})
    await town.run("alice", "/ask [postgres] vacuum?")
    await town.run("alice", "/ask [postgres] replication lag?")
    listing = await town.run("bob", "/questions waiting")
    assert "#1 (0m old) vacuum?" in listing and "#2 (0m old) replication lag?" in listing
    await town.run("bob", "/later 2")
    await town.run("carol", "/claim 1")
    listing = await town.run("bob", "/questions waiting")
    assert "#1" not in listing and "#2 (0m old, snoozed) replication lag?" in listing
    await town.run("bob", "/decline 2")
    assert (await town.run("bob", "/questions waiting")).startswith("No routed questions")
