"""The client's life against the fake gateway: intents, sharding, servers joining and leaving,
resuming without a new identify, thread replies, the capture menu, and a token that never
reaches the logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from adapters.discord.client import (
    CONTENT_INTENT_NOTE,
    CapturedMessage,
    CopbotClient,
    Hooks,
    ShardedCopbotClient,
)
from adapters.discord.translate import actor, place, workspace_ref
from bot.model import Form, FormField, Reply
from bot.services.drafting import LessonDraft
from copbot.discord_app import capture_hook
from storage.models import Installation, Member, Workspace
from tests.adapters.discord.conftest import Extras, eventually

GUILDS, GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 0, 1 << 9, 1 << 15


async def test_identify_asks_only_for_non_privileged_intents(discord_world):
    w = discord_world
    assert isinstance(w.adapter.client, CopbotClient)
    [identify] = w.fake.identifies
    assert identify["intents"] == GUILDS | GUILD_MESSAGES
    assert "shard" not in identify or identify["shard"] == [0, 1]


@pytest.mark.parametrize(
    "extras", [Extras(specs=[], settings={"message_content": True})], indirect=True
)
async def test_message_content_intent_is_asked_for_only_when_configured(discord_world):
    [identify] = discord_world.fake.identifies
    assert identify["intents"] == GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT


@pytest.mark.parametrize("extras", [Extras(specs=[], settings={"shards": 2})], indirect=True)
async def test_sharding_is_chosen_by_configuration(discord_world):
    w = discord_world
    assert isinstance(w.adapter.client, ShardedCopbotClient)
    await w.fake.wait_identified(shards=2)
    assert sorted(tuple(i["shard"]) for i in w.fake.identifies) == [(0, 2), (1, 2)]
    body = await w.run(w.slash("roles"))
    assert body["type"] == 4


async def test_commands_are_never_synced_on_start(discord_world):
    assert discord_world.fake.find("PUT", r"/applications/.*") == []


async def test_a_server_seen_is_recorded_and_leaving_it_deletes_only_the_installation(
    discord_world,
):
    w = discord_world
    await w.run(w.slash("available", {"state": "off"}))  # alice's profile: community data

    def rows(session):
        installs = session.exec(select(Installation)).all()
        workspace = session.exec(select(Workspace)).one()
        return installs, workspace, session.exec(select(Member)).all()

    installs, workspace, members = await w.db.run(rows)
    assert [i.bot_user_id for i in installs] == [str(w.fake.bot.id)]
    assert workspace.external_id == str(w.guild.id) and workspace.name == "Practice"
    await w.fake.remove_guild(w.guild)

    async def gone():
        return not (await w.db.run(lambda s: s.exec(select(Installation)).all()))

    await eventually(gone)
    _installs, workspace, members = await w.db.run(rows)
    assert workspace.external_id == str(w.guild.id)
    assert [m.user_id for m in members] == [str(w.alice.id)]  # kept until the admin decides


async def test_joining_a_new_server_records_its_installation(discord_world):
    w = discord_world
    other = w.fake.add_guild("Second")
    await w.fake.join_guild(other)

    async def recorded():
        ids = await w.db.run(lambda s: s.exec(select(Workspace.external_id)).all())
        return str(other.id) in ids

    assert await eventually(recorded)


async def test_a_dropped_connection_resumes_without_identifying_again(discord_world):
    w = discord_world
    await w.fake.drop_connections(code=4000)
    await w.fake.wait_for(lambda: any(f.get("op") == 6 for f in w.fake.gateway_frames), 15)
    await w.fake.wait_identified()
    assert len(w.fake.identifies) == 1
    body = await w.run(w.slash("roles"))
    assert body["type"] == 4


@pytest.fixture
def debug_logs(caplog):
    """Every record at DEBUG, from before the client logs in."""
    caplog.set_level(logging.DEBUG)
    return caplog


async def test_the_token_never_appears_in_the_logs(debug_logs, discord_world):
    caplog = debug_logs
    w = discord_world
    await w.run(w.slash("profile"))
    await w.fake.drop_connections(code=4000)
    await w.fake.wait_identified()
    await w.run(w.slash("roles"))
    records = caplog.get_records("setup") + caplog.records  # login happens in the fixture
    text = "\n".join(r.getMessage() for r in records)
    assert "discord.http" in {r.name for r in records}  # the library did log its requests
    assert w.fake.token not in text
    assert w.fake.token not in repr(w.adapter.settings)


# --- thread replies ------------------------------------------------------------------------------

heard: list[tuple] = []


async def _hear(actor, place, text, message) -> None:
    heard.append((actor.user_id, place.channel, place.thread, text, message))


@pytest.mark.parametrize(
    "extras",
    [Extras(specs=[], hooks=Hooks(thread_reply=_hear), settings={"message_content": True})],
    indirect=True,
)
async def test_a_member_reply_in_a_thread_reaches_the_thread_reply_hook(discord_world):
    w = discord_world
    heard.clear()
    root = await w.fake.send_message(w.general, w.alice, "how do I vacuum?", guild=w.guild)
    thread = w.fake.add_thread(w.guild, w.general, int(root["id"]), "vacuum")
    await w.fake.join_guild(w.guild)  # the client learns about the thread
    await w.fake.send_message(w.general, w.bob, "not in a thread", guild=w.guild)
    reply = await w.fake.send_message(thread, w.bob, "run VACUUM FULL", guild=w.guild)
    await eventually(lambda: heard)
    assert heard == [(str(w.bob.id), str(w.general), str(thread), "run VACUUM FULL", reply["id"])]


# --- "Capture as lesson" ---------------------------------------------------------------------

captured: list = []


async def _draft(actor, place, messages) -> list[Reply]:
    captured.append((actor.user_id, place, list(messages)))
    form = Form(
        command="lesson",
        title="Capture a lesson",
        fields=(
            FormField("title", "Title", initial=_DRAFT.title),
            FormField("learned", "What we learned", initial=_DRAFT.learned[0]),
        ),
    )
    return [Reply(blocks=(), form=form)]


_DRAFT = LessonDraft(
    title="Vacuum stalls on big tables",
    context="",
    learned=("Run VACUUM (VERBOSE) and watch for long transactions.",),
    contributors=("bob",),
    tags=("postgres",),
    learned_sources=(0,),
)


@pytest.mark.parametrize("extras", [Extras(specs=[], hooks=Hooks(capture=_draft))], indirect=True)
async def test_capture_as_lesson_opens_the_lesson_form_prefilled(discord_world):
    w = discord_world
    captured.clear()
    target = await w.fake.send_message(w.general, w.bob, "Run VACUUM (VERBOSE)", guild=w.guild)
    payload = w.fake.message_command(
        "Capture as lesson", target, user=w.alice, guild=w.guild, channel_id=w.general
    )
    body = await w.run(payload)
    assert body["type"] == 9
    values = [row["components"][0].get("value") for row in body["data"]["components"]]
    assert values == [_DRAFT.title, _DRAFT.learned[0]]
    [(who, _place, messages)] = captured
    assert who == str(w.alice.id)
    assert [(m.author_id, m.text) for m in messages] == [(str(w.bob.id), "Run VACUUM (VERBOSE)")]
    assert messages[0].link.endswith(f"/{w.guild.id}/{w.general}/{target['id']}")


@pytest.mark.parametrize("extras", [Extras(specs=[], hooks=Hooks(capture=_draft))], indirect=True)
async def test_capture_in_a_thread_without_the_content_intent_says_what_it_would_add(
    discord_world,
):
    w = discord_world
    root = await w.fake.send_message(w.general, w.alice, "question", guild=w.guild)
    thread = w.fake.add_thread(w.guild, w.general, int(root["id"]), "q")
    await w.fake.join_guild(w.guild)
    target = await w.fake.send_message(thread, w.bob, "the fix", guild=w.guild)
    payload = w.fake.message_command(
        "Capture as lesson", target, user=w.alice, guild=w.guild, channel_id=thread
    )
    body = await w.run(payload)
    assert body["type"] == 9  # the form still opens from the message itself
    note = await w.fake.wait_call("POST", rf"/webhooks/{w.fake.app_id}/{payload['token']}")
    assert note.body["content"] == CONTENT_INTENT_NOTE
    assert w.fake.find("GET", rf"/channels/{thread}/messages") == []


async def test_the_core_capture_hook_puts_the_draft_in_front_of_the_member(discord_world):
    """In the lesson form when a /lesson command offers one, else as text: nothing is lost."""
    w = discord_world
    hook = capture_hook(w.adapter.dispatcher.runtime)
    workspace = workspace_ref(w.guild.id)
    who = actor(workspace, user_id=w.alice.id, display_name="alice", manage_guild=False)
    messages = [
        CapturedMessage(
            "1",
            str(w.alice.id),
            "alice",
            "vacuum stalls on my big table, why?",
            datetime(2026, 3, 1, tzinfo=UTC),
        ),
        CapturedMessage(
            "2",
            str(w.bob.id),
            "bob",
            "Run VACUUM (VERBOSE) and look for long-running transactions.",
            datetime(2026, 3, 1, 0, 5, tzinfo=UTC),
        ),
    ]
    replies = await hook(who, place(workspace, channel_id=w.general), messages)
    [reply] = replies
    shown = [getattr(b, "text", "") for b in reply.blocks]
    shown += [f.initial for f in reply.form.fields] if reply.form else []
    assert any("VACUUM (VERBOSE)" in text for text in shown)
