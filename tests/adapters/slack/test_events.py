"""Events API deliveries: thread replies, the App Home tab, profile changes, retries."""

import json


def reply_event(ts: str = "1700000001.000200", **extra) -> dict:
    return {
        "type": "message",
        "channel": "C0QUESTIONS",
        "channel_type": "channel",
        "user": "UBOB",
        "text": "Try `VACUUM (VERBOSE)` &amp; check &lt;locks&gt;",
        "ts": ts,
        "thread_ts": "1700000000.000100",
        "event_ts": ts,
        **extra,
    }


async def test_a_thread_reply_reaches_the_core_hook_once_even_when_delivered_four_times(slack):
    for retry in (None, 1, 2, 3):
        sent = await slack.send.event("T1", reply_event(), event_id="Ev0REPLY", retry_num=retry)
        assert sent.status == 200
    await slack.settle()
    assert len(slack.thread_replies) == 1
    who, where, text, message = slack.thread_replies[0]
    assert (who.user_id, who.display_name, who.timezone) == ("UBOB", "bob", "America/New_York")
    assert (where.channel, where.thread) == ("C0QUESTIONS", "1700000000.000100")
    assert text == "Try `VACUUM (VERBOSE)` & check <locks>"
    assert message == "1700000001.000200"


async def test_top_level_messages_bots_and_edits_are_not_answers(slack):
    await slack.send.event("T1", {**reply_event(), "thread_ts": None})
    await slack.send.event("T1", reply_event(bot_id="B0OTHER"))
    await slack.send.event("T1", reply_event(subtype="message_changed"))
    await slack.settle()
    assert slack.thread_replies == []


async def test_opening_the_app_home_publishes_the_members_home(slack):
    event = {"type": "app_home_opened", "user": "UBOB", "channel": "D0BOB", "tab": "home"}
    sent = await slack.send.event("T1", event, event_id="Ev0HOME")
    assert sent.status == 200
    await slack.send.event("T1", event, event_id="Ev0HOME", retry_num=1)
    await slack.settle()
    published = slack.fake.calls_to("views.publish")
    assert len(published) == 1
    assert published[0].params["user_id"] == "UBOB"
    view = published[0].params["view"]
    assert view["type"] == "home"
    assert "copbot" in json.dumps(view["blocks"])
    assert "routed questions are waiting for you" in json.dumps(view["blocks"])


async def test_the_messages_tab_does_not_republish_home(slack):
    event = {"type": "app_home_opened", "user": "UBOB", "channel": "D0BOB", "tab": "messages"}
    await slack.send.event("T1", event)
    await slack.settle()
    assert slack.fake.calls_to("views.publish") == []


async def test_user_change_updates_the_members_slack_time_zone_at_once(slack):
    await slack.send.command("T1", "UBOB", "profile")
    await slack.settle()
    changed = {
        "type": "user_change",
        "user": {
            "id": "UBOB",
            "team_id": "T1",
            "name": "bob",
            "tz": "Asia/Kolkata",
            "is_admin": False,
            "profile": {"display_name": "bobby"},
        },
    }
    await slack.send.event("T1", changed)
    await slack.send.command("T1", "UBOB", "profile")
    await slack.settle()
    latest = json.dumps(slack.fake.calls_to("response_url")[-1].params["blocks"])
    assert "Asia/Kolkata (from your chat profile)" in latest and "bobby" in latest
    assert len(slack.fake.calls_to("users.info")) == 1  # the event replaced the cache entry


async def test_the_home_tab_shows_the_members_things_and_its_buttons_open_forms(slack):
    await slack.send.command("T1", "UBOB", "expertise add postgres")
    await slack.settle()
    await slack.send.event("T1", {"type": "app_home_opened", "user": "UBOB", "tab": "home"})
    await slack.settle()
    view = slack.fake.calls_to("views.publish")[-1].params["view"]
    text = json.dumps(view["blocks"])
    assert "postgres" in text  # the member's expertise
    buttons = {
        e["text"]["text"]: e["value"]
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert buttons["Ask a question"] == "ask"

    home = slack.fake.last_view()
    await slack.send.click("T1", "UBOB", "ask", view=home)
    await slack.settle()
    form = slack.fake.calls_to("views.open")[-1].params["view"]
    assert [b["block_id"] for b in form["blocks"] if b["type"] == "input"] == [
        "f:question",
        "cop_place",
    ]
