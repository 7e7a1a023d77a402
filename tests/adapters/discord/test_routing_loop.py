"""The whole routing loop through Discord: ask, the expert's DM, claim from the DM, an answer
as a thread reply, and the asker resolving from their DM, all against the fake Discord with the
real client, the real core and the hooks the composition root wires."""

from __future__ import annotations

import pytest
from sqlmodel import select

from adapters.discord.client import Hooks
from copbot.discord_app import thread_reply_hook
from storage.models import Answer, Question
from tests.adapters.discord.conftest import Extras, eventually, said

EPHEMERAL = 64


def _wired(dispatcher) -> Hooks:
    return Hooks(thread_reply=thread_reply_hook(dispatcher.runtime))


@pytest.fixture
def extras() -> Extras:
    return Extras(specs=[], hooks=_wired, settings={"message_content": True})


def _button(message: dict, label_start: str) -> str:
    for row in message["components"]:
        for button in row["components"]:
            if button["label"].startswith(label_start):
                return button["custom_id"]
    raise AssertionError(f"no {label_start!r} button in {message['components']}")


async def test_ask_route_claim_answer_and_resolve_through_discord(discord_world):
    w = discord_world
    fake = w.fake
    declared = await w.run(w.slash("expertise add", {"topics": "postgres"}, user=w.bob))
    assert "postgres" in declared["data"]["content"]

    asked = await w.run(
        w.slash("ask", {"question": "[postgres] why does vacuum stall on big tables?"})
    )
    assert asked["data"]["flags"] & EPHEMERAL
    assert said(asked).startswith("Your question #1 is posted")

    # The question is posted in the channel, with a Claim button for anyone.
    root_post = await fake.wait_call("POST", rf"/channels/{w.general}/messages")
    assert "why does vacuum stall" in root_post.body["embeds"][0]["description"]
    root = next(m for m in fake.messages.values() if m["embeds"] == root_post.body["embeds"])

    # bob, who declared postgres, gets a DM with Claim / Not me / Later.
    bob_dm = await fake.wait_for(lambda: fake.dm_channels.get(w.bob.id))
    dm_post = await fake.wait_call("POST", rf"/channels/{bob_dm}/messages")
    dm_message = next(
        m for m in fake.messages.values() if m["channel_id"] == str(bob_dm) and m["components"]
    )
    claim_id = _button(dm_message, "Claim")
    assert claim_id == f"cop:{w.guild.id}:claim 1"
    assert {b["label"] for b in dm_post.body["components"][0]["components"]} == {
        "Claim",
        "Not me",
        "Later",
    }

    # bob claims from his DM (no guild in the interaction): it runs in the server's workspace.
    claimed = await w.run(fake.click(dm_message, claim_id, user=w.bob, guild=None))
    assert said(claimed).startswith("You're on question #1.")
    await fake.wait_call("POST", rf"/channels/{w.general}/messages/{root['id']}/threads")
    note = await fake.wait_call("POST", rf"/channels/{root['id']}/messages")
    assert note.body["content"] == "@bob is on it."
    edited = await fake.wait_call("PATCH", rf"/channels/{bob_dm}/messages/{dm_message['id']}")
    assert "claimed" in edited.body["content"]  # the DM no longer offers to claim
    assert edited.body["components"] == []

    # bob answers in the question's thread: the reply reaches routing as an answer.
    await eventually(lambda: w.adapter.client.get_channel(int(root["id"])) is not None)
    await fake.send_message(
        int(root["id"]),
        w.bob,
        "Long transactions hold it back; run VACUUM (VERBOSE).",
        guild=w.guild,
    )

    async def answered():
        return await w.db.run(lambda s: s.exec(select(Answer)).all())

    [answer] = await eventually(answered)
    assert answer.text == "Long transactions hold it back; run VACUUM (VERBOSE)."

    # alice hears about it in a DM with a "Solved by" button, and resolves from there.
    alice_dm = await fake.wait_for(lambda: fake.dm_channels.get(w.alice.id))
    await fake.wait_call("POST", rf"/channels/{alice_dm}/messages")
    solved_message = next(
        m for m in fake.messages.values() if m["channel_id"] == str(alice_dm) and m["components"]
    )
    resolve_id = _button(solved_message, "Solved by @bob")
    resolved = await w.run(fake.click(solved_message, resolve_id, user=w.alice, guild=None))
    assert resolved["data"]["content"] == "Question #1 is resolved. Thanks to @bob."

    question = await w.db.run(lambda s: s.exec(select(Question)).one())
    assert question.status == "resolved"
    assert question.channel_id == str(w.general) and question.thread_ref == root["id"]
