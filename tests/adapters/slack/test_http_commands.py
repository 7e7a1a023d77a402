"""Signed slash commands to the running Bolt endpoint; assertions on what Slack received."""

import asyncio
import json
import logging
import time

import pytest

from bot.context import Context
from bot.model import Reply, Text, Visibility, say
from bot.registry import CommandSpec, Kind, Param


def reply_text(call) -> str:
    return json.dumps(call.params.get("blocks")) + call.params.get("text", "")


async def ask(slack, user: str, text: str, team: str = "T1", **options) -> list:
    """Send ``/cop text`` and return the response_url calls it produced."""
    before = len(slack.fake.calls_to("response_url"))
    sent = await slack.send.command(team, user, text, **options)
    assert sent.status == 200, sent.text
    await slack.settle()
    return slack.fake.calls_to("response_url")[before:]


async def test_a_command_is_answered_through_its_response_url_as_block_kit(slack):
    calls = await ask(slack, "UBOB", "help")
    assert len(calls) == 1
    body = calls[0].params
    assert body["response_type"] == "ephemeral"
    assert body["blocks"][0]["type"] == "section"
    assert "copbot" in body["blocks"][0]["text"]["text"]
    assert calls[0].team == "T1"


async def test_every_registry_command_is_reachable_through_cop(slack):
    names = sorted(spec.name for spec in slack.dispatcher.registry)
    assert {"help", "profile", "roles"} <= set(names)
    for name in names:
        forms = len(slack.fake.calls_to("views.open"))
        calls = await ask(slack, "UALICE", name)
        if not calls:  # the command answered with a form
            assert len(slack.fake.calls_to("views.open")) == forms + 1, name
            continue
        assert "There is no command" not in reply_text(calls[-1]), name


async def test_time_zone_and_admin_role_come_from_users_info(slack):
    alice = reply_text((await ask(slack, "UALICE", "profile"))[0])
    assert "Europe/Berlin (from your chat profile)" in alice
    assert "*Role*\\nadmin" in alice
    bob = reply_text((await ask(slack, "UBOB", "profile"))[0])
    assert "America/New_York" in bob and "*Role*\\nmember" in bob
    carol = reply_text((await ask(slack, "UCAROL", "profile"))[0])  # no Slack time zone
    assert "UTC (workspace default" in carol
    infos = slack.fake.calls_to("users.info")
    assert [c.params["user"] for c in infos] == ["UALICE", "UBOB", "UCAROL"]


async def test_users_info_is_cached_between_commands(slack):
    await ask(slack, "UBOB", "help")
    await ask(slack, "UBOB", "profile")
    assert len(slack.fake.calls_to("users.info")) == 1


async def test_workspace_admins_grant_roles_and_members_cannot(slack):
    await ask(slack, "UBOB", "profile timezone UTC")  # bob is known to copbot from now on
    denied = await ask(slack, "UBOB", "role <@UBOB|bob> admin")
    assert "Only admins" in reply_text(denied[0])
    granted = await ask(slack, "UALICE", "role <@UBOB|bob> facilitator")
    assert "is now a facilitator" in reply_text(granted[0])


async def test_unknown_command_and_oversized_text_get_one_clear_line(slack):
    unknown = await ask(slack, "UBOB", "frobnicate now")
    assert "There is no command /frobnicate" in reply_text(unknown[0])
    huge = await ask(slack, "UBOB", "ask " + "x" * 5000)
    assert "copbot takes at most 4,000" in reply_text(huge[0])


@pytest.mark.parametrize(
    "tamper",
    [
        {"signature": "v0=" + "0" * 64},
        {"timestamp": int(time.time()) - 600},  # signed correctly, but stale
    ],
)
async def test_bad_or_stale_signatures_get_401_and_nothing_runs(slack, tamper):
    sent = await slack.send.command("T1", "UALICE", "forget-me confirm", **tamper)
    assert sent.status == 401
    await slack.settle()
    assert slack.fake.calls == []


async def test_malformed_payloads_are_refused_without_running_anything(slack):
    signed = await slack.send.form({"payload": "{not json"})
    assert signed.status == 400
    unsigned = await slack.send.form({"payload": "{not json"}, signature="v0=bad")
    assert unsigned.status == 401
    await slack.settle()
    assert slack.fake.calls == []


async def test_the_ack_does_not_wait_for_the_core(slack):
    release = asyncio.Event()

    async def slow(ctx: Context) -> Reply:
        await release.wait()
        return say("done at last")

    slack.dispatcher.registry.register(CommandSpec("slow", "takes its time", slow))
    sent = await slack.send.command("T1", "UBOB", "slow")
    assert sent.status == 200 and sent.text == ""
    assert slack.fake.calls_to("response_url") == []
    release.set()
    await slack.settle()
    assert "done at last" in reply_text(slack.fake.calls_to("response_url")[0])


async def test_a_delivery_repeated_four_times_runs_once(slack):
    runs = []

    async def count(ctx: Context) -> Reply:
        runs.append(ctx.actor.user_id)
        return say("counted")

    slack.dispatcher.registry.register(CommandSpec("count", "counts", count))
    fields = slack.send.command_fields("T1", "UBOB", "count", trigger_id="trig.same")
    for _ in range(4):
        assert (await slack.send.form(fields)).status == 200
    await slack.settle()
    assert runs == ["UBOB"]
    assert len(slack.fake.calls_to("response_url")) == 1


async def test_in_channel_and_direct_replies_go_where_they_say(slack):
    async def both(ctx: Context) -> list[Reply]:
        return [
            Reply(blocks=(Text("for everyone"),), visibility=Visibility.IN_CHANNEL),
            Reply(blocks=(Text("just for you"),), visibility=Visibility.DIRECT),
        ]

    slack.dispatcher.registry.register(CommandSpec("both", "both", both))
    calls = await ask(slack, "UBOB", "both", channel="C0RANDOM")
    assert calls[0].params["response_type"] == "in_channel"
    assert "for everyone" in reply_text(calls[0])
    dm = slack.fake.calls_to("chat.postMessage")
    assert dm[0].params["channel"] == "UBOB" and "just for you" in reply_text(dm[0])


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("channel_not_found", "can't see that channel"),
        ("not_in_channel", "/invite @copbot"),
        ("missing_scope", "missing a permission it needs (chat:write)"),
        ("is_archived", "archived"),
    ],
)
async def test_a_slack_refusal_mid_action_tells_the_member_and_logs_a_line(
    slack, caplog, error, says
):
    async def announce(ctx: Context) -> Reply:
        await ctx.port.post(ctx.place, say("Hear ye", visibility=Visibility.IN_CHANNEL))
        return say("Announced.")

    slack.dispatcher.registry.register(
        CommandSpec("announce", "post", announce, params=(Param("what", Kind.REST, False),))
    )
    slack.fake.fail("chat.postMessage", error, needed="chat:write")
    with caplog.at_level(logging.WARNING):
        calls = await ask(slack, "UBOB", "announce", channel="C0LOCKED")
    text = reply_text(calls[0])
    assert says in text and "Announced" not in text
    assert any(error in r.getMessage() and "C0LOCKED" in r.getMessage() for r in caplog.records), (
        caplog.text
    )
    assert "Traceback" not in caplog.text


async def test_a_full_backlog_answers_busy_at_once_and_refuses_events_for_redelivery(slack):
    release = asyncio.Event()

    async def slow(ctx: Context) -> Reply:
        await release.wait()
        return say("done")

    slack.dispatcher.registry.register(CommandSpec("slow", "slow", slow))
    slack.adapter.max_backlog = 1
    assert (await slack.send.command("T1", "UBOB", "slow")).status == 200
    busy = await slack.send.command("T1", "UALICE", "help")
    assert busy.status == 200 and "very busy" in busy.text
    event = {
        "type": "message",
        "channel": "C1",
        "user": "UBOB",
        "text": "an answer",
        "ts": "2.0",
        "thread_ts": "1.0",
    }
    refused = await slack.send.event("T1", event, event_id="Ev0BUSY")
    assert refused.status == 503  # Slack delivers it again later
    release.set()
    await slack.settle()
    again = await slack.send.event("T1", event, event_id="Ev0BUSY", retry_num=1)
    assert again.status == 200
    await slack.settle()
    assert len(slack.thread_replies) == 1  # the redelivery was taken, once
