"""Slash commands, buttons and forms through the real discord.py client and the fake Discord.

Each test dispatches an INTERACTION_CREATE from the fake and asserts on what the fake received:
the interaction callback (type 4 message, 5 deferral, 8 autocomplete, 9 modal), follow-ups and
edits through the interaction webhook, and DMs.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import select

from adapters.discord.client import DiscordAdapter
from bot.context import Context
from bot.model import (
    Action,
    Form,
    FormField,
    Quote,
    Reply,
    Text,
    Visibility,
    say,
)
from bot.registry import CommandSpec, Kind, Param
from storage.models import Member, Role
from tests.adapters.discord.conftest import Extras
from tests.fakes.discord_api import EVERYDAY, MANAGE_GUILD

EPHEMERAL = 64


GATE: dict[str, asyncio.Event] = {}
"""Slow commands wait here until the test has seen the deferral: no timing guesswork."""


async def _held() -> None:
    await GATE.setdefault("open", asyncio.Event()).wait()


async def _slow(ctx: Context) -> list[Reply]:
    await _held()
    return [
        say(f"slow done for {ctx.actor.display_name}"),
        say("posted for everyone", visibility=Visibility.IN_CHANNEL),
    ]


async def _whoami(ctx: Context) -> Reply:
    return say(f"you are {ctx.actor.user_id} as {ctx.role.value} in {ctx.actor.workspace.key}")


async def _buttons(ctx: Context) -> Reply:
    return Reply(blocks=(Text("press it"),), actions=(Action("Who am I", "whoami"),))


async def _note(ctx: Context) -> Reply:
    if not ctx.args["text"]:
        return Reply(
            blocks=(),
            form=Form(
                command="note",
                title="A note",
                fields=(
                    FormField("text", "Your note", multiline=True, max_length=50),
                    FormField("mood", "Mood", required=False, options=("calm", "busy")),
                ),
            ),
        )
    return say(f"noted: {ctx.args['text']}")


async def _slow_form(ctx: Context) -> Reply:
    await _held()
    return Reply(
        blocks=(),
        form=Form(command="note", title="A note", fields=(FormField("text", "Your note"),)),
    )


async def _quote(ctx: Context) -> Reply:
    return Reply(
        blocks=(Text("*Member said*"), Quote(ctx.args["text"], author="mallory")),
        visibility=Visibility.IN_CHANNEL,
    )


async def _dm_me(ctx: Context) -> Reply:
    return Reply(blocks=(Text("a private word"),), visibility=Visibility.DIRECT)


async def _staff(ctx: Context) -> Reply:
    return say("staff only, welcome")


TEST_SPECS = [
    CommandSpec("slow", "takes its time", _slow),
    CommandSpec("whoami", "who the core thinks you are", _whoami),
    CommandSpec("buttons", "a reply with a button", _buttons),
    CommandSpec("note", "a form", _note, params=(Param("text", Kind.REST, required=False),)),
    CommandSpec("slow-form", "a form, late", _slow_form),
    CommandSpec("quote", "echo member text", _quote, params=(Param("text", Kind.REST),)),
    CommandSpec("dm-me", "a DM", _dm_me),
    CommandSpec("staff", "facilitators only", _staff, role=Role.FACILITATOR),
]


@pytest.fixture
def extras() -> Extras:
    GATE.clear()
    return Extras(specs=list(TEST_SPECS), defer_after=0.5)


async def test_slash_command_is_answered_through_the_registry_ephemerally(discord_world):
    body = await discord_world.run(discord_world.slash("profile"))
    assert body["type"] == 4
    assert body["data"]["flags"] & EPHEMERAL
    embed = body["data"]["embeds"][0]
    assert "**Your profile**" in embed["description"]
    assert {"name": "Role", "value": "member", "inline": True} in embed["fields"]
    assert body["data"]["allowed_mentions"] == {"parse": []}


async def test_bad_option_value_gets_the_console_error_and_stores_nothing(discord_world):
    w = discord_world
    body = await w.run(w.slash("profile timezone", {"zone": "Europe/Berln"}))
    assert body["data"]["flags"] & EPHEMERAL
    assert body["data"]["content"].startswith(
        "Unknown time zone 'Europe/Berln'. Did you mean Europe/Berlin"
    )
    stored = await w.db.run(lambda s: s.exec(select(Member.timezone)).all())
    assert all(zone is None for zone in stored)


async def test_option_over_its_length_limit_is_refused_with_the_limit(discord_world):
    w = discord_world
    body = await w.run(w.slash("expertise remove", {"topic": "x" * 150}))
    assert body["data"]["content"].startswith("The topic is 150 characters; the limit is 100.")


async def test_option_of_the_wrong_type_gets_the_registry_error(discord_world):
    w = discord_world
    body = await w.run(w.slash("unanswered", {"days": "soon"}))
    assert "days must be a number, not 'soon'" in body["data"]["content"]


async def test_typed_options_rebuild_the_line_the_console_would_parse(discord_world):
    w = discord_world
    body = await w.run(w.slash("profile quiet", {"hours": "18:00-09:00"}))
    assert body["data"]["content"].startswith("Quiet hours set to 18:00-09:00")
    body = await w.run(w.slash("do", {"line": "profile quiet off"}))
    assert body["data"]["content"].startswith("Quiet hours are off")


async def test_command_in_a_dm_is_refused_with_a_clear_answer(discord_world, caplog):
    caplog.set_level(logging.INFO, logger="adapters.discord")
    w = discord_world
    dm_channel = w.fake.snowflake()
    body = await w.run(w.slash("profile show", guild=None, channel_id=dm_channel))
    assert body["data"]["flags"] & EPHEMERAL
    assert "work inside a server" in body["data"]["content"]
    assert any("in a DM" in r.getMessage() for r in caplog.records)


async def test_manage_server_makes_a_copbot_admin(discord_world):
    w = discord_world
    await w.run(w.slash("available", {"state": "on"}, user=w.bob))  # now copbot knows bob
    member_only = await w.run(w.slash("role", {"member": w.bob, "role": "facilitator"}))
    assert member_only["data"]["content"].startswith("Only admins can use /role")
    admin = w.fake.member(w.alice, permissions=EVERYDAY | MANAGE_GUILD)
    done = await w.run(w.slash("role", {"member": w.bob, "role": "facilitator"}, member=admin))
    assert done["data"]["content"] == "@bob is now a facilitator."


async def test_the_configured_discord_role_makes_a_facilitator(discord_world):
    w = discord_world
    plain = await w.run(w.slash("staff"))
    assert plain["data"]["content"].startswith("Only facilitators can use /staff")
    with_role = w.fake.member(w.alice, roles=(w.facilitators,))
    body = await w.run(w.slash("staff", member=with_role))
    assert body["data"]["content"] == "staff only, welcome"


async def test_slow_work_is_deferred_in_time_then_followed_up(discord_world):
    w = discord_world
    payload = w.slash("slow")
    sent = await w.fake.send_interaction(payload)
    callback = await w.fake.wait_callback(payload)
    assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert callback.at - sent < 3.0
    assert w.fake.find("PATCH", r"/webhooks/.*") == []  # nothing until the work is done
    GATE["open"].set()
    edit = await w.fake.wait_call(
        "PATCH", rf"/webhooks/{w.fake.app_id}/{payload['token']}/messages/@original"
    )
    assert edit.body["content"] == "slow done for alice"
    followup = await w.fake.wait_call("POST", rf"/webhooks/{w.fake.app_id}/{payload['token']}")
    assert followup.body["content"] == "posted for everyone"
    assert not int(followup.body.get("flags") or 0) & EPHEMERAL


async def test_button_runs_its_command_as_whoever_presses_it(discord_world):
    w = discord_world
    payload = w.slash("buttons")
    body = await w.run(payload)
    button = body["data"]["components"][0]["components"][0]
    assert button["custom_id"] == f"cop:{w.guild.id}:whoami"
    message = w.fake.response_message(payload)
    press = w.fake.click(message, button["custom_id"], user=w.bob, guild=w.guild)
    pressed = await w.run(press)
    assert pressed["data"]["content"] == f"you are {w.bob.id} as member in {w.guild.id}"
    assert pressed["data"]["flags"] & EPHEMERAL


async def test_buttons_keep_working_after_a_restart(discord_world, sqlite_db, clock):
    w = discord_world
    payload = w.slash("buttons")
    body = await w.run(payload)
    message = w.fake.response_message(payload)
    custom_id = body["data"]["components"][0]["components"][0]["custom_id"]
    await w.adapter.close()
    fresh = DiscordAdapter(w.adapter.settings, w.adapter.dispatcher, sqlite_db, clock)
    running = asyncio.create_task(fresh.start())
    try:
        await asyncio.wait_for(fresh.ready_event.wait(), 10)
        pressed = await w.run(w.fake.click(message, custom_id, user=w.alice, guild=w.guild))
        assert pressed["data"]["content"].startswith(f"you are {w.alice.id}")
    finally:
        await fresh.close()
        await asyncio.wait_for(running, 10)


async def test_a_button_in_a_dm_runs_in_the_server_it_came_from(discord_world):
    w = discord_world
    await w.run(w.slash("dm-me"))  # opens alice's DM channel
    dm_channel = w.fake.dm_channels[w.alice.id]
    message = w.fake.make_message(
        dm_channel,
        w.fake.bot.payload(),
        {
            "components": [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 2,
                            "style": 2,
                            "label": "Who",
                            "custom_id": f"cop:{w.guild.id}:whoami",
                        }
                    ],
                }
            ]
        },
    )
    pressed = await w.run(
        w.fake.click(message, f"cop:{w.guild.id}:whoami", user=w.alice, guild=None)
    )
    assert pressed["data"]["content"] == f"you are {w.alice.id} as member in {w.guild.id}"


async def test_a_button_for_another_server_is_refused(discord_world):
    w = discord_world
    other = "123456789012345678"
    message = w.fake.make_message(
        w.general,
        w.fake.bot.payload(),
        {
            "components": [
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 2, "label": "Who", "custom_id": f"cop:{other}:whoami"}
                    ],
                }
            ]
        },
    )
    pressed = await w.run(w.fake.click(message, f"cop:{other}:whoami", user=w.alice, guild=w.guild))
    assert pressed["data"]["content"] == "That button belongs to another server."


async def test_a_button_whose_question_was_deleted_says_so(discord_world):
    w = discord_world
    custom_id = f"cop:{w.guild.id}:claim 999"
    message = w.fake.make_message(
        w.general,
        w.fake.bot.payload(),
        {
            "components": [
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 1, "label": "Claim", "custom_id": custom_id}
                    ],
                }
            ]
        },
    )
    pressed = await w.run(w.fake.click(message, custom_id, user=w.bob, guild=w.guild))
    assert pressed["data"]["flags"] & EPHEMERAL
    assert pressed["data"]["content"].startswith("There is no question #999 here.")


async def test_a_form_opens_as_a_modal_and_its_submission_runs_the_command(discord_world):
    w = discord_world
    body = await w.run(w.slash("note"))
    assert body["type"] == 9
    modal = body["data"]
    assert modal["title"] == "A note"
    inputs = [row["components"][0] for row in modal["components"]]
    assert [(i["custom_id"], i["style"], i["required"], i["max_length"]) for i in inputs] == [
        ("text", 2, True, 50),
        ("mood", 1, False, 3000),
    ]
    assert inputs[1]["placeholder"] == "one of: calm, busy"
    done = await w.run(
        w.fake.submit(
            modal,
            {"text": "ship it", "mood": "calm"},
            user=w.alice,
            guild=w.guild,
            channel_id=w.general,
        )
    )
    assert done["data"]["content"] == "noted: text: ship it | mood: calm"


async def test_a_modal_submitted_empty_is_refused_and_can_be_reopened_with_its_values(
    discord_world, caplog
):
    caplog.set_level(logging.INFO, logger="adapters.discord")
    w = discord_world
    modal = (await w.run(w.slash("note")))["data"]
    submission = w.fake.submit(
        modal, {"text": "  ", "mood": "sleepy"}, user=w.alice, guild=w.guild, channel_id=w.general
    )
    refused = await w.run(submission)
    assert refused["data"]["flags"] & EPHEMERAL
    assert refused["data"]["content"] == (
        "Nothing was saved. Your note is required. Mood must be one of calm, busy."
    )
    assert any("rejected the 'note' form" in r.getMessage() for r in caplog.records)
    message = w.fake.response_message(submission)
    fix = refused["data"]["components"][0]["components"][0]
    reopened = await w.run(w.fake.click(message, fix["custom_id"], user=w.alice, guild=w.guild))
    assert reopened["type"] == 9
    values = [row["components"][0].get("value") for row in reopened["data"]["components"]]
    assert values == [None, "sleepy"]  # what was typed comes back; blanks stay blank


async def test_a_form_that_comes_too_late_for_a_modal_becomes_a_button(discord_world):
    w = discord_world
    payload = w.slash("slow-form")
    await w.fake.send_interaction(payload)
    assert (await w.fake.wait_callback(payload)).body["type"] == 5
    GATE["open"].set()
    edit = await w.fake.wait_call(
        "PATCH", rf"/webhooks/{w.fake.app_id}/{payload['token']}/messages/@original"
    )
    button = edit.body["components"][0]["components"][0]
    assert button["label"] == "Open: A note"
    assert button["custom_id"] == f"cop:{w.guild.id}:slow-form"


async def test_member_text_is_inert_and_mentions_nobody(discord_world):
    w = discord_world
    evil = "@everyone **bold** [click](http://evil.example) <@123456789012345678>"
    body = await w.run(w.slash("quote", {"text": evil}))
    data = body["data"]
    assert not int(data.get("flags") or 0) & EPHEMERAL
    assert data["allowed_mentions"] == {"parse": []}
    description = data["embeds"][0]["description"]
    assert "@\u200beveryone" in description
    assert "\\*\\*bold\\*\\*" in description
    assert "\\[click](" in description  # no masked link: the URL shows as itself
    assert "<@\u200b123456789012345678>" in description
    assert data["embeds"][0]["title"] == "Member said"


async def test_a_direct_reply_goes_to_a_dm_and_the_interaction_gets_a_note(discord_world):
    w = discord_world
    body = await w.run(w.slash("dm-me"))
    assert body["data"]["content"] == "I sent you a direct message."
    dm = w.fake.dm_channels[w.alice.id]
    posted = await w.fake.wait_call("POST", rf"/channels/{dm}/messages")
    assert posted.body["content"] == "a private word"


async def test_closed_dms_fall_back_to_an_ephemeral_answer(discord_world):
    w = discord_world
    w.fake.fail("POST", r"/channels/\d+/messages", 403, 50007)
    body = await w.run(w.slash("dm-me"))
    assert body["data"]["flags"] & EPHEMERAL
    assert "a private word" in body["data"]["content"]
    assert "direct messages are closed" in body["data"]["content"]


async def test_time_zone_option_autocompletes(discord_world):
    w = discord_world
    payload = w.slash("profile timezone", {"zone": "berl"}, focused="zone")
    body = await w.run(payload)
    assert body["type"] == 8
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in body["data"]["choices"]


async def test_a_command_discord_knows_but_copbot_does_not_asks_for_a_sync(discord_world):
    w = discord_world
    body = await w.run(w.slash("vanished"))
    assert "copbot discord sync" in body["data"]["content"]
    assert body["data"]["flags"] & EPHEMERAL
