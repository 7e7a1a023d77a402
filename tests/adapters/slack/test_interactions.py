"""Buttons and modals through the Bolt endpoint: clicks and forms reach the same commands."""

import json
import logging

from bot.context import Context
from bot.model import Action, ActionStyle, Form, FormField, Reply, Text, say
from bot.registry import CommandSpec, Kind, Param


def body_text(call) -> str:
    return json.dumps(call.params.get("blocks")) + str(call.params.get("text", ""))


async def test_a_button_runs_its_command_as_the_presser_and_replaces_the_ephemeral(slack):
    await slack.send.command("T1", "UBOB", "profile quiet 18:00-09:00")
    await slack.settle()  # each command runs after its ack; the next must see the data
    await slack.send.command("T1", "UBOB", "forget-me")
    await slack.settle()
    offer = slack.fake.calls_to("response_url")[-1].params
    button = offer["blocks"][-1]["elements"][0]
    assert (button["value"], button["style"]) == ("forget-me confirm", "danger")

    sent = await slack.send.click(
        "T1", "UBOB", button["value"], action_id=button["action_id"], ephemeral=True
    )
    assert sent.status == 200
    await slack.settle()
    done = slack.fake.calls_to("response_url")[-1].params
    assert done["replace_original"] is True
    assert "deleted" in body_text(slack.fake.calls_to("response_url")[-1]).lower()
    await slack.send.command("T1", "UBOB", "profile")
    await slack.settle()
    assert "none (set with" in body_text(slack.fake.calls_to("response_url")[-1])


async def test_a_double_click_delivered_four_times_runs_once(slack):
    presses = []

    async def claim(ctx: Context) -> Reply:
        presses.append(ctx.args["id"])
        return say(f"claimed {ctx.args['id']}")

    slack.dispatcher.registry.register(
        CommandSpec("grab", "grab", claim, params=(Param("id", Kind.INT),))
    )
    payload = slack.send.click_payload("T1", "UBOB", "grab 12", message_ts="1700000000.000777")
    for _ in range(4):
        payload["trigger_id"] = payload["trigger_id"] + "x"  # a fresh click each time
        assert (await slack.send.interaction(payload)).status == 200
    await slack.settle()
    assert presses == [12]
    # Someone else pressing the same button is another press.
    await slack.send.click("T1", "UALICE", "grab 12", message_ts="1700000000.000777")
    await slack.settle()
    assert presses == [12, 12]


async def test_an_unknown_action_id_gets_a_clear_answer_and_a_log_line(slack, caplog):
    with caplog.at_level(logging.WARNING):
        sent = await slack.send.click("T1", "UBOB", "whatever", action_id="legacy_button")
        await slack.settle()
    assert sent.status == 200
    assert "not one copbot knows" in body_text(slack.fake.calls_to("response_url")[-1])
    assert "unknown Slack action id 'legacy_button'" in caplog.text


def register_form_command(slack, seen: list):
    form = Form(
        command="note",
        title="Leave a note",
        fields=(
            FormField("title", "Title", max_length=20),
            FormField("body", "Body", multiline=True, required=False),
        ),
        context="ctx-7",
    )

    async def note(ctx: Context) -> Reply:
        text = ctx.args["text"]
        if not text:
            return Reply(blocks=(Text("Fill in the form"),), form=form)
        seen.append((ctx.actor.user_id, ctx.place.channel, text))
        return say(f"Noted: {text}")

    slack.dispatcher.registry.register(
        CommandSpec("note", "note", note, params=(Param("text", Kind.REST, required=False),))
    )


async def opened_view(slack) -> dict:
    return (await slack.fake.wait_for("views.open"))[-1].params["view"]


async def test_a_reply_with_a_form_opens_a_modal_and_its_submission_runs_the_command(slack):
    seen = []
    register_form_command(slack, seen)
    await slack.send.command("T1", "UBOB", "note", channel="C0NOTES")
    await slack.settle()
    view = await opened_view(slack)
    assert view["title"]["text"] == "Leave a note"
    assert slack.fake.calls_to("response_url") == []  # the form replaced the text reply
    view = slack.fake.views[
        slack.fake.calls_to("views.open")[-1].params["view"] and next(iter(slack.fake.views))
    ]
    sent = await slack.send.submit("T1", "UBOB", view, {"f:title": "Hello", "f:body": "a | b"})
    assert sent.status == 200 and sent.text == ""
    await slack.settle()
    assert seen == [("UBOB", "C0NOTES", "ctx-7 | title: Hello | body: a / b")]
    answer = slack.fake.calls_to("response_url")[-1]
    assert "Noted" in body_text(answer)  # through the slash command's response_url


async def test_empty_required_fields_get_inline_errors_and_nothing_runs(slack):
    seen = []
    register_form_command(slack, seen)
    await slack.send.command("T1", "UBOB", "note")
    await slack.settle()
    await opened_view(slack)
    view = slack.fake.last_view()
    sent = await slack.send.submit("T1", "UBOB", view, {"f:title": "   "})
    assert sent.status == 200
    assert json.loads(sent.text) == {
        "response_action": "errors",
        "errors": {"f:title": "This field is required."},
    }
    too_long = await slack.send.submit("T1", "UBOB", view, {"f:title": "x" * 21})
    assert "At most 20 characters" in too_long.text
    await slack.settle()
    assert seen == []


async def test_a_form_submitted_twice_runs_once(slack):
    seen = []
    register_form_command(slack, seen)
    await slack.send.command("T1", "UBOB", "note")
    await slack.settle()
    await opened_view(slack)
    view = slack.fake.last_view()
    for _ in range(3):
        await slack.send.submit("T1", "UBOB", view, {"f:title": "Once"})
    await slack.settle()
    assert len(seen) == 1


async def test_a_form_with_unreadable_metadata_is_answered_not_crashed(slack):
    sent = await slack.send.submit(
        "T1",
        "UBOB",
        {
            "id": "V1",
            "type": "modal",
            "callback_id": "cop_form",
            "private_metadata": "{",
            "blocks": [],
        },
        {},
    )
    assert sent.status == 200
    await slack.settle()
    dm = slack.fake.calls_to("chat.postMessage")[-1]
    assert dm.params["channel"] == "UBOB" and "could not be read" in body_text(dm)


async def test_an_expired_trigger_tells_the_member_instead_of_failing_silently(slack):
    register_form_command(slack, [])
    slack.fake.fail("views.open", "expired_trigger_id")
    await slack.send.command("T1", "UBOB", "note")
    await slack.settle()
    told = slack.fake.calls_to("response_url")[-1]
    assert "took too long" in body_text(told)


async def test_buttons_in_a_reply_keep_working_from_a_dm(slack):
    async def offer(ctx: Context) -> Reply:
        return Reply(
            blocks=(Text("Pick"),), actions=(Action("Yes", "help profile", ActionStyle.PRIMARY),)
        )

    slack.dispatcher.registry.register(CommandSpec("offer", "offer", offer))
    await slack.send.command("T1", "UBOB", "offer")
    await slack.settle()
    button = slack.fake.calls_to("response_url")[-1].params["blocks"][-1]["elements"][0]
    await slack.send.click("T1", "UBOB", button["value"], channel="DBOB")
    await slack.settle()
    assert "/profile" in body_text(slack.fake.calls_to("response_url")[-1])


async def test_a_command_typed_without_its_parameters_opens_a_form_for_them(slack):
    seen = []

    async def shout(ctx: Context) -> Reply:
        seen.append((ctx.place.channel, ctx.args["who"], ctx.args["what"]))
        return say("Shouted.")

    slack.dispatcher.registry.register(
        CommandSpec(
            "shout",
            "shout",
            shout,
            params=(Param("who", Kind.WORD), Param("what", Kind.REST, max_length=50)),
        )
    )
    await slack.send.command("T1", "UBOB", "shout", channel="C0LOUD")
    await slack.settle()
    view = (await slack.fake.wait_for("views.open"))[-1].params["view"]
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["f:who", "f:what"]  # no channel picker needed
    assert inputs[1]["element"]["multiline"] and inputs[1]["element"]["max_length"] == 50
    await slack.send.submit(
        "T1", "UBOB", slack.fake.last_view(), {"f:who": "team lead", "f:what": "ship it"}
    )
    await slack.settle()
    assert seen == [("C0LOUD", "team lead", "ship it")]
    assert "Shouted." in body_text(slack.fake.calls_to("response_url")[-1])
