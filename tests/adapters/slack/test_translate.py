"""Slack payloads -> neutral values: pure, no network."""

import pytest

from adapters.slack import translate
from adapters.slack.translate import FormMeta
from bot.model import ChannelId, Form, FormField
from bot.registry import CommandSpec, Kind, Param
from tests.fakes.commands import actor


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("/cop", "", ("help", "")),
        ("/cop", "  ", ("help", "")),
        ("/cop", "profile timezone Europe/Berlin", ("profile", "timezone Europe/Berlin")),
        ("/cop", "/ask why?", ("ask", "why?")),
        ("/cop", "HELP profile", ("help", "profile")),
        ("/ask", "why does vacuum stall?", ("ask", "why does vacuum stall?")),
        ("/cop", "ask a &lt; b &amp;&amp; c &gt; d", ("ask", "a < b && c > d")),
    ],
)
def test_slash_command_name_and_text(command, text, expected):
    assert translate.split_slash(command, text) == expected


@pytest.mark.parametrize(
    ("raw", "typed"),
    [
        ("see <https://example.org/x?a=1&amp;b=2>", "see https://example.org/x?a=1&b=2"),
        ("see <https://example.org|example.org>", "see https://example.org"),
        ("in <#C123|general> please", "in #general please"),
        ("<!here> help", "@here help"),
        ("<!subteam^S1|@oncall> help", "@oncall help"),
        ("ask <@U123|bob> or <@U456>", "ask <@U123|bob> or <@U456>"),
        ("1 &lt; 2", "1 < 2"),
    ],
)
def test_slack_markup_is_undone_but_user_mentions_keep_their_ids(raw, typed):
    assert translate.from_slack_text(raw) == typed


def test_slash_command_becomes_a_command_in_its_channel():
    body = {"team_id": "T1", "channel_id": "C9", "command": "/cop", "text": "roles"}
    command = translate.slash_command(body, actor("alice"))
    assert (command.name, command.text, command.place.channel) == ("roles", "", ChannelId("C9"))
    assert not command.place.is_direct
    dm = translate.slash_command({**body, "channel_id": "D42"}, actor("alice"))
    assert dm.place.is_direct


def test_button_value_is_the_command_run_as_the_presser():
    where = translate.place("T1", "D1")
    command = translate.button_command("forget-me confirm", actor("bob"), where)
    assert (command.name, command.text, command.actor.user_id) == ("forget-me", "confirm", "bob")


def test_click_key_is_the_same_for_a_double_click_and_differs_per_person_and_message():
    def body(user, ts):
        return {"user": {"id": user}, "container": {"message_ts": ts}}

    action = {"action_id": "cop:0", "value": "claim 12"}
    assert translate.click_key(body("U1", "1.1"), action) == translate.click_key(
        body("U1", "1.1"), action
    )
    assert translate.click_key(body("U1", "1.1"), action) != translate.click_key(
        body("U2", "1.1"), action
    )
    assert translate.click_key(body("U1", "1.1"), action) != translate.click_key(
        body("U1", "1.2"), action
    )


def test_team_of_reads_every_payload_shape():
    assert translate.team_of({"team_id": "T1"}) == "T1"
    assert translate.team_of({"team": {"id": "T2"}}) == "T2"
    assert translate.team_of({"user": {"team_id": "T3"}}) == "T3"
    with pytest.raises(ValueError):
        translate.team_of({})


@pytest.mark.parametrize(
    ("event", "reported"),
    [
        ({"channel": "C1", "user": "U1", "text": "yes", "ts": "2.0", "thread_ts": "1.0"}, True),
        ({"channel": "C1", "user": "U1", "text": "top", "ts": "1.0"}, False),
        ({"channel": "C1", "user": "U1", "text": "root", "ts": "1.0", "thread_ts": "1.0"}, False),
        (
            {"channel": "C1", "bot_id": "B1", "user": "U9", "ts": "2.0", "thread_ts": "1.0"},
            False,
        ),
        (
            {"channel": "C1", "subtype": "message_changed", "ts": "2.0", "thread_ts": "1.0"},
            False,
        ),
        (
            {
                "channel": "D1",
                "channel_type": "im",
                "user": "U1",
                "ts": "2.0",
                "thread_ts": "1.0",
            },
            False,
        ),
    ],
)
def test_only_members_replies_inside_threads_are_reported(event, reported):
    assert (translate.thread_reply(event) is not None) is reported


def test_metadata_round_trips_and_builds_the_forms_command_text():
    form = Form(
        command="lesson",
        title="Lesson",
        fields=(FormField("title", "Title"), FormField("tags", "Tags", required=False)),
        context="42",
    )
    meta = FormMeta.of(form, channel="C1", thread="1.0", response_url="https://r")
    loaded = FormMeta.load(meta.dump())
    assert loaded == meta
    assert loaded.text({"title": "Vacuum | stalls", "tags": ""}) == "42 | title: Vacuum / stalls"


def test_positional_form_text_quotes_words_with_spaces_except_the_last():
    spec = CommandSpec(
        "role",
        "give a role",
        handler=None,  # type: ignore[arg-type]
        params=(Param("member", Kind.MENTION), Param("role", Kind.CHOICE, choices=("admin",))),
    )
    form = translate.spec_form(spec)
    assert [f.name for f in form.fields] == ["member", "role"]
    assert form.fields[1].options == ("admin",)
    meta = FormMeta.of(form, by_position=True)
    assert meta.text({"member": "@dan smith", "role": "admin"}) == '"@dan smith" admin'


def test_empty_required_fields_and_overlong_values_get_inline_errors():
    meta = FormMeta(command="x", fields=(("title", True, 10), ("tags", False, 5)))
    errors = translate.field_errors(meta, {"title": "   ", "tags": "toolong"})
    assert errors == {
        "f:title": "This field is required.",
        "f:tags": "At most 5 characters, please (7 now).",
    }
    assert translate.field_errors(meta, {"title": "ok"}) == {}


def test_submitted_values_read_inputs_selects_and_the_channel_picker():
    state = {
        "values": {
            "f:question": {"v": {"type": "plain_text_input", "value": "why?"}},
            "f:kind": {"v": {"type": "static_select", "selected_option": {"value": "tip"}}},
            "f:empty": {"v": {"type": "plain_text_input", "value": None}},
            "cop_place": {"v": {"type": "conversations_select", "selected_conversation": "C7"}},
        }
    }
    values, picked = translate.submitted_values(state)
    assert values == {"question": "why?", "kind": "tip", "empty": ""}
    assert picked == "C7"
