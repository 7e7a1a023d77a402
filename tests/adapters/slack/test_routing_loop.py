"""The whole routing loop through Slack, in two workspaces at once, with nothing crossing.

ask -> the question is posted in its channel and the expert is DMed -> the expert clicks Claim
(twice) -> replies in the thread (an Events API message, delivered twice) -> the asker clicks
Solved-by. Everything goes through signed HTTP requests to the Bolt endpoint and the fake Web
API, with each workspace installed by OAuth; the core is the real one.
"""

import asyncio
import json

import pytest
from sqlmodel import select

from storage.models import Question
from tests.adapters.slack.conftest import start_harness
from tests.adapters.slack.test_oauth import install


@pytest.fixture
async def slack(sqlite_db, fake_slack, clock, http_session):
    harness = await start_harness(
        sqlite_db, fake_slack, clock, http_session, mode="oauth", wire_core=True
    )
    yield harness
    await harness.server.stop()
    await harness.adapter.close()


def button(call, prefix: str) -> str:
    for block in call.params.get("blocks") or []:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["value"].startswith(prefix):
                return element["value"]
    raise AssertionError(f"no {prefix!r} button in {json.dumps(call.params)[:300]}")


def posts(fake, team: str, channel: str) -> list:
    return [c for c in fake.calls_to("chat.postMessage", team) if c.params["channel"] == channel]


async def thread_of(slack, channel: str) -> str:
    """Where the core says the question's thread is (the root post's ts)."""

    def find(session):
        return session.exec(select(Question.thread_ref).where(Question.channel_id == channel)).one()

    return await slack.db.run(find)


async def loop(slack, team: str, expert: str, asker: str, channel: str, topic: str) -> None:
    fake, send = slack.fake, slack.send
    await send.command(team, expert, f"expertise add {topic}")
    await slack.settle()
    await send.command(
        team, asker, f"ask [{topic}] why does our {topic} cluster stall?", channel=channel
    )
    await slack.settle()
    assert len(posts(fake, team, channel)) == 1  # the question, posted once
    claim = button(posts(fake, team, expert)[-1], "claim ")  # the expert's DM

    for _ in range(2):  # a double click
        await send.click(team, expert, claim, channel=f"D{expert}")
    await slack.settle()
    on_it = [c for c in posts(fake, team, channel) if "is on it" in c.params["text"]]
    assert len(on_it) == 1  # one claim
    assert len(fake.calls_to("chat.update", team)) == 1  # the DM says it is claimed

    root = await thread_of(slack, channel)
    answer = {
        "type": "message",
        "channel": channel,
        "channel_type": "channel",
        "user": expert,
        "text": f"Long transactions hold back {topic}; end them.",
        "ts": "1800000000.000001",
        "thread_ts": root,
    }
    for retry in (None, 1):
        await send.event(team, answer, event_id=f"Ev{team}answer", retry_num=retry)
    await slack.settle()
    told = posts(fake, team, asker)
    assert len(told) == 1 and "answered your question" in told[0].params["text"]

    await send.click(team, asker, button(told[0], "resolve "), channel=f"D{asker}")
    await slack.settle()
    assert any("Resolved" in c.params["text"] for c in posts(fake, team, channel))
    await send.command(team, asker, "questions")
    await slack.settle()
    last = fake.calls_to("response_url", team)[-1]
    assert "no open questions" in json.dumps(last.params)


async def test_the_routing_loop_runs_in_two_workspaces_at_once_without_crossing(slack):
    await install(slack, "T1", "code-1", "xoxb-t1-loop")
    await install(slack, "T2", "code-2", "xoxb-t2-loop")
    await asyncio.gather(
        loop(slack, "T1", "UBOB", "UCAROL", "C0T1Q", "postgres"),
        loop(slack, "T2", "UDAVE", "UERIN", "C0T2Q", "kafka"),
    )
    for team, token, mine, other, strangers in (
        ("T1", "xoxb-t1-loop", "postgres", "kafka", ("UDAVE", "UERIN", "C0T2Q")),
        ("T2", "xoxb-t2-loop", "kafka", "postgres", ("UBOB", "UCAROL", "C0T1Q")),
    ):
        calls = [c for c in slack.fake.calls if c.team == team and c.method != "oauth.v2.access"]
        assert {c.token for c in calls if c.token} == {token}
        text = json.dumps([c.params for c in calls])
        assert mine in text and other not in text
        assert not any(stranger in text for stranger in strangers)


async def test_the_askers_thanks_in_the_thread_offers_solved_to_the_asker_alone(slack):
    await install(slack, "T1", "code-1", "xoxb-t1-thanks")
    fake, send = slack.fake, slack.send
    await send.command("T1", "UBOB", "expertise add postgres")
    await send.command("T1", "UCAROL", "ask [postgres] why does vacuum stall?", channel="C0T1Q")
    await slack.settle()
    root = await thread_of(slack, "C0T1Q")
    reply = {
        "type": "message",
        "channel": "C0T1Q",
        "channel_type": "channel",
        "ts": "",
        "thread_ts": root,
    }
    await send.event(
        "T1",
        {**reply, "user": "UBOB", "text": "end the idle transactions", "ts": "1800000000.1"},
        event_id="EvA",
    )
    await send.event(
        "T1",
        {**reply, "user": "UCAROL", "text": "thanks, that worked!", "ts": "1800000000.2"},
        event_id="EvB",
    )
    await slack.settle()
    offers = fake.calls_to("chat.postEphemeral", "T1")
    assert len(offers) == 1
    assert offers[0].params["user"] == "UCAROL" and offers[0].params["thread_ts"] == root
    assert "resolve " in json.dumps(offers[0].params.get("blocks"))


async def test_the_askers_check_mark_on_an_answer_offers_solved_to_them_alone(slack):
    await install(slack, "T1", "code-1", "xoxb-t1-react")
    fake, send = slack.fake, slack.send
    await send.command("T1", "UBOB", "expertise add postgres")
    await send.command("T1", "UCAROL", "ask [postgres] why does vacuum stall?", channel="C0T1Q")
    await slack.settle()
    root = await thread_of(slack, "C0T1Q")
    answer = {
        "type": "message",
        "channel": "C0T1Q",
        "channel_type": "channel",
        "user": "UBOB",
        "text": "end the idle transactions",
        "ts": "1800000000.7",
        "thread_ts": root,
    }
    await send.event("T1", answer, event_id="EvAns")
    await slack.settle()

    def reaction(user: str) -> dict:
        item = {"type": "message", "channel": "C0T1Q", "ts": "1800000000.7"}
        return {
            "type": "reaction_added",
            "user": user,
            "reaction": "white_check_mark",
            "item": item,
        }

    await send.event("T1", reaction("UDAN"), event_id="EvR1")  # not the asker: nothing
    for retry in (None, 1):  # the asker's check mark, delivered twice
        await send.event("T1", reaction("UCAROL"), event_id="EvR2", retry_num=retry)
    await slack.settle()
    offers = fake.calls_to("chat.postEphemeral", "T1")
    assert [o.params["user"] for o in offers] == ["UCAROL"]
    assert "resolve " in json.dumps(offers[0].params.get("blocks"))
