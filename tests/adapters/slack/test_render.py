"""Reply -> Block Kit: member text is inert, copbot's formatting survives, Slack's limits hold."""

import json

import pytest

from adapters.slack import render
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
    Platform,
    Quote,
    Reply,
    Text,
    Visibility,
    WorkspaceKey,
    WorkspaceRef,
)

WS = WorkspaceRef(Platform.SLACK, WorkspaceKey("T1"))


def texts(blocks) -> str:
    return json.dumps(blocks)


@pytest.mark.parametrize(
    "member_text",
    [
        "<!channel> everyone look",
        "<!here|here> ping",
        "<@U0ADMIN> you too",
        "<!subteam^S123|@oncall> page",
        "<https://evil.example|click me>",
        "a & b < c > d",
    ],
)
def test_quoted_member_text_cannot_mention_or_link(member_text):
    blocks = render.render_blocks(Reply(blocks=(Quote(member_text, author="<!everyone>"),)))
    section = blocks[0]["text"]
    assert section["verbatim"] is True
    body = section["text"]
    assert "<!" not in body and "<@" not in body and "<http" not in body
    assert "&lt;" in body or "&amp;" in body


def test_quote_renders_as_a_quotation_with_author_escaped():
    blocks = render.render_blocks(Reply(blocks=(Quote("line one\n> two", author="bob"),)))
    assert blocks[0]["text"]["text"] == "*bob* wrote:\n> line one\n> &gt; two"


def test_copbots_own_bold_and_code_survive_but_angle_brackets_are_escaped():
    blocks = render.render_blocks(Reply(blocks=(Text("*Your profile* use `/cop help <command>`"),)))
    assert blocks[0]["text"]["text"] == "*Your profile* use `/cop help &lt;command&gt;`"


def test_fallback_text_is_escaped_because_slack_parses_it_for_mentions():
    payload = render.message(Reply(blocks=(Quote("<!channel> hi"),)))
    assert payload["text"] == "&lt;!channel&gt; hi"


def test_fields_are_split_into_sections_of_ten():
    pairs = tuple((f"label {i}", f"value {i}") for i in range(23))
    blocks = render.render_blocks(Reply(blocks=(Fields(pairs),)))
    assert [len(b["fields"]) for b in blocks] == [10, 10, 3]
    assert blocks[0]["fields"][0]["text"] == "*label 0*\nvalue 0"


def test_items_become_bullets_and_long_text_is_split_under_3000_characters():
    blocks = render.render_blocks(Reply(blocks=(Items(tuple("x" * 100 for _ in range(80))),)))
    assert len(blocks) > 1
    assert all(len(b["text"]["text"]) <= render.SECTION_LIMIT for b in blocks)
    assert blocks[0]["text"]["text"].startswith("• xxx")


def test_buttons_carry_the_command_and_style():
    reply = Reply(
        blocks=(Text("Sure?"),),
        actions=(
            Action("Claim", "claim 12", ActionStyle.PRIMARY),
            Action("Delete my data", "forget-me confirm", ActionStyle.DANGER),
            Action("Later", "later 12"),
        ),
    )
    actions = render.render_blocks(reply)[-1]
    assert actions["type"] == "actions"
    assert [(e["action_id"], e["value"], e.get("style")) for e in actions["elements"]] == [
        ("cop:0", "claim 12", "primary"),
        ("cop:1", "forget-me confirm", "danger"),
        ("cop:2", "later 12", None),
    ]


def test_a_message_never_has_more_than_fifty_blocks_and_keeps_its_buttons():
    reply = Reply(blocks=tuple(Text(f"line {i}") for i in range(80)), actions=(Action("Go", "go"),))
    blocks = render.message(reply)["blocks"]
    assert len(blocks) == render.MESSAGE_BLOCK_LIMIT
    assert blocks[-1]["type"] == "actions"
    assert blocks[-2]["type"] == "context"


def test_link_uses_the_permalink_or_names_the_channel():
    ref = MessageRef(Place(WS, ChannelId("C1")), MessageId("1700000000.000001"))
    reply = Reply(blocks=(Link("Thread", ref),))
    with_link = render.render_blocks(reply, {ref: "https://t1.slack.com/archives/C1/p1"})
    assert with_link[0]["text"]["text"] == "<https://t1.slack.com/archives/C1/p1|Thread>"
    without = render.render_blocks(reply)
    assert without[0]["text"]["text"] == "Thread: in <#C1>"


def test_form_becomes_a_modal_with_one_input_per_field():
    form = Form(
        command="lesson",
        title="Capture a lesson learned today",
        fields=(
            FormField("title", "Title", max_length=200, initial="Vacuum stalls"),
            FormField("learned", "What we learned", multiline=True, placeholder="The fix"),
            FormField("kind", "Kind", options=("tip", "gotcha"), initial="gotcha"),
            FormField("tags", "Tags", required=False, max_length=9000),
        ),
        submit_label="Save",
    )
    view = render.modal(form, '{"c":"lesson"}')
    assert view["type"] == "modal" and view["callback_id"] == render.FORM_CALLBACK
    assert len(view["title"]["text"]) <= render.MODAL_TITLE_LIMIT
    assert view["private_metadata"] == '{"c":"lesson"}'
    inputs = {b["block_id"]: b for b in view["blocks"]}
    assert inputs["f:title"]["element"]["initial_value"] == "Vacuum stalls"
    assert inputs["f:title"]["element"]["max_length"] == 200
    assert inputs["f:learned"]["element"]["multiline"] is True
    assert inputs["f:kind"]["element"]["type"] == "static_select"
    assert inputs["f:kind"]["element"]["initial_option"]["value"] == "gotcha"
    assert inputs["f:tags"]["optional"] is True
    assert inputs["f:tags"]["element"]["max_length"] == render.INPUT_LIMIT


def test_modal_metadata_over_slacks_limit_is_refused():
    form = Form(command="x", title="X", fields=(FormField("a", "A"),))
    with pytest.raises(ValueError):
        render.modal(form, "x" * 3001)


def test_home_view_joins_replies_with_dividers():
    view = render.home_view([Reply(blocks=(Text("one"),)), Reply(blocks=(Text("two"),))])
    assert view["type"] == "home"
    assert [b["type"] for b in view["blocks"]] == ["section", "divider", "section"]


def test_visibility_does_not_change_blocks():
    a = render.message(Reply(blocks=(Text("hi"),), visibility=Visibility.IN_CHANNEL))
    b = render.message(Reply(blocks=(Text("hi"),)))
    assert a == b


def test_a_stored_member_mention_reads_as_a_name_and_pings_nobody():
    blocks = render.render_blocks(Reply(blocks=(Quote("ask <@U0BOB|bob> or <@U0ANN>"),)))
    assert blocks[0]["text"]["text"] == "> ask @bob or @U0ANN"
