"""Shortcuts: "Capture as lesson" on a message, "Ask the community" from anywhere."""

import json

from bot.context import Context
from bot.model import Reply, say
from bot.registry import CommandSpec, Kind, Param

CHANNEL, ROOT = "C0HELP", "1700000000.000100"
FIX = (
    "Run `SELECT pid, xact_start FROM pg_stat_activity` and end the long-running "
    "transaction that holds back the xmin horizon."
)
QUESTION = "Autovacuum never finishes on our 2TB events table, what should I check?"


def thread(fake) -> dict:
    fake.add_thread(
        CHANNEL,
        ROOT,
        [
            ("UCAROL", QUESTION, ROOT),
            ("UBOB", f"<@UCAROL> {FIX}", "1700000000.000200"),
            ("UCAROL", "thanks <@UBOB>, that worked!", "1700000000.000300"),
        ],
    )
    return {
        "type": "message",
        "user": "UBOB",
        "text": FIX,
        "ts": "1700000000.000200",
        "thread_ts": ROOT,
    }


async def capture(slack, message: dict, user: str = "UALICE") -> dict:
    sent = await slack.send.message_shortcut(
        "T1", user, CHANNEL, message, callback="cop_capture_lesson"
    )
    assert sent.status == 200 and sent.text == ""
    await slack.settle()
    opened = slack.fake.calls_to("views.open")
    assert "Reading the thread" in json.dumps(opened[-1].params["view"])
    return slack.fake.calls_to("views.update")[-1].params["view"]


def initial_values(view: dict) -> dict[str, str]:
    return {
        b["block_id"]: b["element"].get("initial_value", "")
        for b in view["blocks"]
        if b["type"] == "input"
    }


async def test_capture_opens_the_lessons_own_draft_and_saving_it_credits_the_helper(
    slack_wired,
):
    slack = slack_wired
    view = await capture(slack, thread(slack.fake))
    replies = slack.fake.calls_to("conversations.replies")[0].params
    assert (replies["channel"], replies["ts"]) == (CHANNEL, ROOT)
    assert view["callback_id"] == "cop_form"
    fields = initial_values(view)
    assert "Autovacuum" in fields["f:title"]
    assert "pg_stat_activity" in fields["f:learned"]
    assert "<@" not in fields["f:learned"]  # mentions read as names
    intro = json.dumps(view["blocks"][0])
    assert "It quotes" in intro and "BOB" in intro.upper()  # the helper is told he is quoted

    submitted = await slack.send.submit("T1", "UALICE", slack.fake.last_view(), fields)
    assert submitted.status == 200 and submitted.text == ""
    await slack.settle()
    saved = json.dumps(slack.fake.calls_to("response_url")[-1].params)
    assert "Saved lesson #" in saved


async def test_members_who_turned_capture_off_are_never_quoted(slack_wired):
    slack = slack_wired
    await slack.send.command("T1", "UBOB", "profile capture off")
    await slack.settle()
    view = await capture(slack, thread(slack.fake))
    assert "pg_stat_activity" not in json.dumps(view)
    assert "bob" not in json.dumps(view).lower()


async def test_without_the_lessons_hook_any_lesson_form_is_prefilled_by_the_drafter(slack):
    view = await capture(slack, thread(slack.fake))
    fields = initial_values(view)
    assert "Autovacuum" in fields["f:title"] and "pg_stat_activity" in fields["f:learned"]
    await slack.send.command("T1", "UBOB", "profile capture off")
    await slack.settle()
    hidden = await capture(slack, thread(slack.fake))
    assert "pg_stat_activity" not in json.dumps(hidden) and "bob" not in json.dumps(hidden)


async def test_without_a_lesson_command_the_draft_is_shown_and_nothing_is_lost(slack):
    for name in [s.name for s in slack.dispatcher.registry if s.name.startswith("lesson")]:
        slack.dispatcher.registry._specs.pop(name)  # as in a copbot without lessons
    view = await capture(slack, thread(slack.fake))
    text = json.dumps(view)
    assert view["callback_id"] == "cop_notice"
    assert "There is no command /lesson" in text and "pg_stat_activity" in text


async def test_capture_where_copbot_is_not_in_the_channel_says_how_to_fix_it(slack):
    slack.fake.not_member.add(CHANNEL)
    view = await capture(slack, thread(slack.fake))
    assert "/invite @copbot" in json.dumps(view)


async def test_ask_the_community_opens_the_ask_form_with_a_channel_picker(slack):
    sent = await slack.send.global_shortcut("T1", "UBOB", callback="cop_ask")
    assert sent.status == 200
    await slack.settle()
    view = slack.fake.calls_to("views.open")[0].params["view"]
    ids = [b.get("block_id") for b in view["blocks"] if b["type"] == "input"]
    assert ids == ["f:question", "cop_place"]
    question = next(b for b in view["blocks"] if b.get("block_id") == "f:question")
    assert question["element"]["multiline"] is True
    picker = view["blocks"][-1]["element"]
    assert picker["type"] == "conversations_select" and picker["response_url_enabled"]


async def test_submitting_ask_runs_it_in_the_picked_channel(slack):
    asked = []

    async def fake_ask(ctx: Context) -> Reply:
        asked.append((ctx.place.channel, ctx.args["question"]))
        return say("Asked.")

    slack.dispatcher.registry._specs.pop("ask", None)
    slack.dispatcher.registry.register(
        CommandSpec("ask", "ask", fake_ask, params=(Param("question", Kind.REST),))
    )
    await slack.send.global_shortcut("T1", "UBOB", callback="cop_ask")
    await slack.settle()
    url = slack.fake.response_url("T1")
    await slack.send.submit(
        "T1",
        "UBOB",
        slack.fake.last_view(),
        {"f:question": "why does vacuum stall?", "cop_place": "C0QUESTIONS"},
        response_urls=[
            {
                "block_id": "cop_place",
                "action_id": "v",
                "channel_id": "C0QUESTIONS",
                "response_url": url,
            }
        ],
    )
    await slack.settle()
    assert asked == [("C0QUESTIONS", "why does vacuum stall?")]
    assert "Asked." in json.dumps(slack.fake.calls_to("response_url")[-1].params)


async def test_ask_form_without_a_channel_gets_an_inline_error(slack):
    await slack.send.global_shortcut("T1", "UBOB", callback="cop_ask")
    await slack.settle()
    sent = await slack.send.submit("T1", "UBOB", slack.fake.last_view(), {"f:question": "why?"})
    assert json.loads(sent.text)["errors"] == {"cop_place": "Choose where to post."}
