"""The Discord ChatPort against the fake: channel posts, threads, forum posts and tags, DMs,
updates, refusals turned into clear messages, and bursts that queue through rate limits."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from adapters.discord.translate import workspace_ref
from bot.model import (
    Action,
    ChannelId,
    MessageId,
    MessageRef,
    Place,
    Quote,
    Reply,
    Text,
    UserId,
    Visibility,
)
from bot.ports import ChatPortError
from storage.models import Question
from tests.fakes.discord_api import PUBLIC_THREAD


def _place(world, channel: int, thread: int | None = None) -> Place:
    return Place(
        workspace_ref(world.guild.id),
        ChannelId(str(channel)),
        thread=MessageId(str(thread)) if thread else None,
    )


QUESTION = Reply(
    blocks=(Text("*Question #7* from @alice"), Quote("why does vacuum stall?")),
    actions=(Action("I'll take it", "claim 7"),),
    visibility=Visibility.IN_CHANNEL,
    summary="Question #7 from @alice",
    labels=("postgres", "ops"),
)


async def test_a_post_lands_in_its_channel_with_buttons_and_no_mentions(discord_world):
    w = discord_world
    ref = await w.adapter.port.post(_place(w, w.general), QUESTION)
    call = w.fake.find("POST", rf"/channels/{w.general}/messages")[-1]
    assert call.body["allowed_mentions"] == {"parse": []}
    button = call.body["components"][0]["components"][0]
    assert button["custom_id"] == f"cop:{w.guild.id}:claim 7"
    assert ref.place == _place(w, w.general)
    assert w.fake.messages[int(ref.message)]["channel_id"] == str(w.general)


async def test_the_first_reply_in_a_thread_starts_it_from_the_message(discord_world):
    w = discord_world
    root = await w.adapter.port.post(_place(w, w.general), QUESTION)
    in_thread = _place(w, w.general, int(root.message))
    await w.adapter.port.post(in_thread, Reply(blocks=(Text("@bob is on it."),)))
    started = await w.fake.wait_call(
        "POST", rf"/channels/{w.general}/messages/{root.message}/threads"
    )
    assert started.body["name"] == "Question #7 from @alice"
    posted = await w.fake.wait_call("POST", rf"/channels/{root.message}/messages")
    assert posted.body["content"] == "@bob is on it."
    await w.adapter.port.post(in_thread, Reply(blocks=(Text("second"),)))
    assert len(w.fake.find("POST", rf"/channels/{w.general}/messages/{root.message}/threads")) == 1


async def test_a_question_in_a_forum_becomes_a_post_tagged_with_its_topics(discord_world):
    w = discord_world
    ref = await w.adapter.port.post(_place(w, w.forum), QUESTION)
    call = await w.fake.wait_call("POST", rf"/channels/{w.forum}/threads")
    assert call.body["name"] == "Question #7 from @alice: why does vacuum stall?"
    assert call.body["applied_tags"] == [w.fake.tag_id(w.forum, "postgres")]  # no "ops" tag
    assert call.body["message"]["allowed_mentions"] == {"parse": []}
    thread = w.fake.channel(int(ref.message))
    assert thread is not None and thread["type"] == PUBLIC_THREAD
    assert ref.place.thread == ref.message  # later replies go into the post


async def test_updating_a_forum_post_with_solved_applies_the_tag(discord_world):
    w = discord_world
    ref = await w.adapter.port.post(_place(w, w.forum), QUESTION)
    solved = Reply(
        blocks=(Text("*Question #7* (solved)"),),
        visibility=Visibility.IN_CHANNEL,
        labels=("postgres", "solved"),
    )
    await w.adapter.port.update(ref, solved)
    edit = await w.fake.wait_call("PATCH", rf"/channels/{ref.message}/messages/{ref.message}")
    assert edit.body["components"] == []  # the claim button is gone
    retag = await w.fake.wait_call("PATCH", rf"/channels/{ref.message}")
    assert retag.body["applied_tags"] == [
        w.fake.tag_id(w.forum, "postgres"),
        w.fake.tag_id(w.forum, "solved"),
    ]


async def test_a_forum_post_can_be_updated_from_the_ref_routing_keeps(discord_world):
    """Routing stores (channel, message) and rebuilds the ref without the thread."""
    w = discord_world
    ref = await w.adapter.port.post(_place(w, w.forum), QUESTION)
    stored = MessageRef(_place(w, w.forum), ref.message)
    await w.adapter.port.update(stored, Reply(blocks=(Text("closed"),), labels=("solved",)))
    await w.fake.wait_call("PATCH", rf"/channels/{ref.message}/messages/{ref.message}")
    retag = await w.fake.wait_call("PATCH", rf"/channels/{ref.message}")
    assert retag.body["applied_tags"] == [w.fake.tag_id(w.forum, "solved")]


async def test_a_dm_is_sent_and_can_be_updated_later(discord_world):
    w = discord_world
    ref = await w.adapter.port.send_direct(
        _place(w, w.general).workspace, UserId(str(w.bob.id)), Reply(blocks=(Text("hello"),))
    )
    dm = w.fake.dm_channels[w.bob.id]
    assert ref.place.is_direct and ref.place.channel == str(dm)
    await w.adapter.port.update(ref, Reply(blocks=(Text("claimed by @carol."),)))
    edit = await w.fake.wait_call("PATCH", rf"/channels/{dm}/messages/{ref.message}")
    assert edit.body["content"] == "claimed by @carol."


@pytest.mark.parametrize(
    ("status", "code", "says"),
    [
        (403, 50013, "give it View Channel, Send Messages and Send Messages in Threads"),
        (403, 50001, "give it the View Channel permission"),
        (404, 10003, "no longer exists, or copbot cannot see it"),
    ],
)
async def test_a_refusal_becomes_a_message_saying_what_to_fix(
    discord_world, caplog, status, code, says
):
    w = discord_world
    w.fake.fail("POST", rf"/channels/{w.general}/messages", status, code)
    with pytest.raises(ChatPortError) as caught:
        await w.adapter.port.post(_place(w, w.general), QUESTION)
    assert says in caught.value.user_message
    assert f"<#{w.general}>" in caught.value.user_message
    assert any(f"code {code}" in r.getMessage() for r in caplog.records)


async def test_missing_permission_while_asking_answers_clearly_and_stores_nothing(discord_world):
    w = discord_world
    w.fake.fail("POST", rf"/channels/{w.general}/messages", 403, 50013)
    body = await w.run(w.slash("ask", {"question": "why does vacuum stall?"}))
    assert body["data"]["flags"] & 64
    assert "copbot may not post in" in body["data"]["content"]
    assert await w.db.run(lambda s: s.exec(select(Question)).all()) == []


async def test_a_burst_of_posts_queues_behind_the_rate_limit_and_none_fails(discord_world):
    w = discord_world
    bucket = w.fake.rate_limit("POST", rf"/channels/{w.general}/messages", limit=5, window=0.2)
    replies = [Reply(blocks=(Text(f"prompt {n}"),)) for n in range(40)]
    refs = await asyncio.gather(*(w.adapter.port.post(_place(w, w.general), r) for r in replies))
    assert len({ref.message for ref in refs}) == 40
    attempts = w.fake.find("POST", rf"/channels/{w.general}/messages")
    assert {c.body["content"] for c in attempts} == {f"prompt {n}" for n in range(40)}
    assert len(attempts) == 40 + bucket.refused
    assert bucket.refused < 40  # discord.py waited on the headers: no retry storm


async def test_a_post_still_limited_after_discord_py_gave_up_waits_and_goes_through(
    discord_world,
):
    w = discord_world
    w.fake.fail("POST", rf"/channels/{w.general}/messages", 429, times=6, retry_after=0.02)
    ref = await w.adapter.port.post(_place(w, w.general), Reply(blocks=(Text("late"),)))
    assert w.fake.messages[int(ref.message)]["content"] == "late"
