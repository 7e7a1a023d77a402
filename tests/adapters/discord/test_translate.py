"""Pure translation: Discord facts to neutral ones and Replies to message parts, no network."""

from __future__ import annotations

from dataclasses import dataclass

import discord
import pytest

from adapters.discord import translate
from bot.errors import UsageError
from bot.model import (
    Action,
    ActionStyle,
    ChannelId,
    Fields,
    Form,
    FormField,
    Items,
    Link,
    MessageId,
    MessageRef,
    Place,
    Quote,
    Reply,
    Text,
)
from bot.registry import CommandSpec, Kind, Param

WS = translate.workspace_ref(111111111111111111)


async def _noop(ctx):  # pragma: no cover - never run
    raise AssertionError


@dataclass
class FakeRole:
    id: int
    name: str


def test_facilitator_role_matches_by_id_or_by_name_in_any_case():
    roles = [FakeRole(5, "Facilitators"), FakeRole(6, "Members")]
    assert translate.is_facilitator(roles, "facilitators")
    assert translate.is_facilitator(roles, "5")
    assert not translate.is_facilitator(roles, "moderators")
    assert not translate.is_facilitator(roles, None)


def test_manage_server_makes_a_platform_admin_and_the_role_a_facilitator():
    who = translate.actor(
        WS,
        user_id=42,
        display_name="dan",
        manage_guild=False,
        roles=[FakeRole(5, "Facilitators")],
        facilitator_role="Facilitators",
    )
    assert (who.user_id, who.platform_admin, who.platform_facilitator) == ("42", False, True)
    boss = translate.actor(WS, user_id=1, display_name="eve", manage_guild=True)
    assert boss.platform_admin and not boss.platform_facilitator


def test_a_thread_is_its_parent_channel_plus_the_thread():
    place = translate.place(WS, channel_id=900, parent_id=800, is_thread=True)
    assert place == Place(WS, ChannelId("800"), thread=MessageId("900"))
    assert translate.place(WS, channel_id=800) == Place(WS, ChannelId("800"))


SPEC = CommandSpec(
    "profile quiet",
    "quiet hours",
    _noop,
    params=(
        Param("member", Kind.MENTION, required=False),
        Param("zone", Kind.TIMEZONE, required=False),
        Param("note", Kind.REST, required=False),
    ),
)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, ("profile", "quiet")),
        ({"member": "<@42>"}, ("profile", "quiet <@42>")),
        ({"zone": "Europe/Berlin"}, ("profile", 'quiet "" Europe/Berlin')),
        ({"zone": "New York"}, ("profile", 'quiet "" "New York"')),
        ({"note": "a b  c"}, ("profile", 'quiet "" "" a b  c')),
        ({"member": "", "zone": None, "note": "x"}, ("profile", 'quiet "" "" x')),
    ],
)
def test_options_become_the_line_a_member_would_type(values, expected):
    assert translate.command_words(SPEC, values) == expected


def test_an_option_with_quotes_and_spaces_cannot_be_written_as_one_word():
    with pytest.raises(UsageError, match="cannot contain quotation marks"):
        translate.command_words(SPEC, {"zone": 'say "hi" there'})


def test_a_one_line_reply_is_plain_content():
    parts = translate.render(Reply(blocks=(Text("Your time zone is *Europe/Berlin*."),)), WS.key)
    assert parts.content == "Your time zone is **Europe/Berlin**."
    assert parts.embeds == () and parts.buttons == ()


def test_a_reply_with_member_text_is_an_embed_whose_quote_is_inert():
    evil = "@here hi **there** [x](http://evil) <@&123456789012345678>\n# big"
    parts = translate.render(
        Reply(blocks=(Text("*Question #3*"), Quote(evil, author="@m*al*lory"))), WS.key
    )
    [embed] = parts.embeds
    assert embed.title == "Question #3"
    assert embed.description == (
        "**@m\\*al\\*lory** wrote:\n"
        "> @\u200bhere hi \\*\\*there\\*\\* \\[x](http://evil) <@\u200b&123456789012345678>\n"
        "> \\# big"
    )


def test_fields_items_and_links_render_natively_within_limits():
    ref = MessageRef(Place(WS, ChannelId("800")), MessageId("900"))
    reply = Reply(
        blocks=(
            Fields((("Time zone", "UTC"), ("Expertise", "x" * 2000))),
            Items(("one", "two")),
            Link("Thread", ref),
        )
    )
    [embed] = translate.render(reply, WS.key).embeds
    assert embed.description == (
        f"• one\n• two\n[Thread](https://discord.com/channels/{WS.key}/800/900)"
    )
    assert embed.fields[0].name == "Time zone" and embed.fields[0].inline
    assert len(embed.fields[1].value) == translate.FIELD_VALUE_LIMIT
    assert embed.fields[1].value.endswith("…")


def test_buttons_carry_the_workspace_and_the_command_they_run():
    reply = Reply(
        blocks=(Text("q"),),
        actions=(Action("Claim", "claim 12", ActionStyle.PRIMARY), Action("Later", "later 12")),
    )
    buttons = translate.render(reply, WS.key).buttons
    assert [(b.label, b.custom_id, b.style) for b in buttons] == [
        ("Claim", f"cop:{WS.key}:claim 12", discord.ButtonStyle.primary),
        ("Later", f"cop:{WS.key}:later 12", discord.ButtonStyle.secondary),
    ]
    assert translate.parse_action_id(f"cop:{WS.key}:claim 12") == (WS.key, "claim 12")
    assert translate.parse_action_id("something-else") is None


def test_an_action_too_long_for_a_custom_id_is_offered_as_a_command_to_type():
    long_command = "resolve 12 " + "@x" * 60
    parts = translate.render(
        Reply(blocks=(Text("q"),), actions=(Action("Go", long_command),)), WS.key
    )
    assert parts.buttons == ()
    assert f"`/cop do {long_command}`" in (parts.content or "")


def test_form_errors_name_each_field_that_is_wrong():
    form = Form(
        command="note",
        title="Note",
        fields=(
            FormField("text", "Text", max_length=5),
            FormField("mood", "Mood", required=False, options=("calm",)),
            FormField("who", "Who"),
        ),
    )
    assert translate.form_errors(form, {"text": "too long", "mood": "CALM", "who": " "}) == [
        "Text is 8 characters; the limit is 5.",
        "Who is required.",
    ]


def test_a_form_with_more_fields_than_a_modal_holds_is_shown_as_its_syntax():
    fields = tuple(FormField(f"f{n}", f"Field {n}") for n in range(6))
    form = Form(command="big", title="Big", fields=fields)
    assert translate.modal_inputs(form) is None
    assert translate.form_usage(form).startswith("Big: type `/cop do big f0: ... | f1: ...")


def test_modal_inputs_respect_discord_limits():
    form = Form(
        command="c",
        title="A title far longer than the forty-five characters Discord allows",
        fields=(FormField("t", "L" * 60, max_length=9000, initial="i" * 5000),),
    )
    [spec] = translate.modal_inputs(form)
    assert len(translate.modal_title(form)) == translate.MODAL_TITLE_LIMIT
    assert (len(spec.label), spec.max_length, len(spec.default)) == (45, 4000, 4000)


def test_a_forum_post_title_is_the_summary_and_the_start_of_the_question():
    reply = Reply(
        blocks=(Text("*Question #7* from @alice"), Quote("why does\nvacuum stall? " * 20)),
        summary="Question #7 from @alice",
    )
    title = translate.thread_title(reply)
    assert title.startswith("Question #7 from @alice: why does vacuum stall?")
    assert len(title) == translate.THREAD_NAME_LIMIT


def test_jump_urls_for_channel_and_dm_messages():
    channel = MessageRef(Place(WS, ChannelId("8")), MessageId("9"))
    dm = MessageRef(Place(WS, ChannelId("7"), is_direct=True), MessageId("9"))
    assert translate.jump_url(channel) == f"https://discord.com/channels/{WS.key}/8/9"
    assert translate.jump_url(dm) == "https://discord.com/channels/@me/7/9"
