"""The ChatPort over slack_sdk against the fake: retries, pacing, refusals, DMs, updates."""

import logging
from types import SimpleNamespace

import pytest
from slack_sdk.http_retry import builtin_async_handlers

from adapters.slack.port import ChannelPacer
from bot.model import (
    ChannelId,
    Link,
    MessageId,
    MessageRef,
    Place,
    Platform,
    Quote,
    Reply,
    Text,
    UserId,
    WorkspaceKey,
    WorkspaceRef,
)
from bot.ports import ChatPortError

T1 = WorkspaceRef(Platform.SLACK, WorkspaceKey("T1"))


def place(channel: str = "C0GENERAL", thread: str | None = None) -> Place:
    return Place(T1, ChannelId(channel), thread=MessageId(thread) if thread else None)


@pytest.fixture
def no_jitter(monkeypatch):
    """slack_sdk adds up to a second of jitter to Retry-After; tests cannot wait for it."""
    monkeypatch.setattr(builtin_async_handlers, "random", SimpleNamespace(random=lambda: 0.0))


async def test_post_to_a_thread_returns_a_ref_the_core_can_update(slack):
    port = slack.adapter.port
    ref = await port.post(place(thread="1700000000.000001"), Reply(blocks=(Text("hello"),)))
    posted = slack.fake.calls_to("chat.postMessage")[0]
    assert posted.params["thread_ts"] == "1700000000.000001"
    assert posted.params["channel"] == "C0GENERAL"
    assert posted.token == "xoxb-t1-fake"
    await port.update(ref, Reply(blocks=(Text("claimed by @bob"),)))
    updated = slack.fake.calls_to("chat.update")[0].params
    assert (updated["channel"], updated["ts"]) == ("C0GENERAL", ref.message)
    assert "claimed by @bob" in updated["blocks"][0]["text"]["text"]


async def test_a_dm_goes_to_the_members_user_id_and_its_ref_names_the_dm_channel(slack):
    ref = await slack.adapter.port.send_direct(T1, UserId("UBOB"), Reply(blocks=(Text("hi"),)))
    assert slack.fake.calls_to("chat.postMessage")[0].params["channel"] == "UBOB"
    assert ref.place.channel == "DUBOB" and ref.place.is_direct


async def test_quotes_posted_by_the_port_are_inert(slack):
    await slack.adapter.port.post(place(), Reply(blocks=(Quote("<!channel> <@U1> @here"),)))
    params = slack.fake.calls_to("chat.postMessage")[0].params
    assert "<!channel>" not in params["text"] and "<@U1>" not in str(params["blocks"])


async def test_links_become_permalinks(slack):
    ref = MessageRef(place("C0Q"), MessageId("1700000000.000009"))
    await slack.adapter.port.post(place(), Reply(blocks=(Link("Thread", ref),)))
    block = slack.fake.calls_to("chat.postMessage")[0].params["blocks"][0]
    assert block["text"]["text"] == "<https://t1.slack.com/archives/C0Q/p1700000000000009|Thread>"


async def test_a_rate_limited_post_is_retried_after_retry_after(slack, no_jitter):
    slack.fake.rate_limit("chat.postMessage", retry_after=0, times=2)
    ref = await slack.adapter.port.post(place(), Reply(blocks=(Text("eventually"),)))
    assert ref.message
    assert len(slack.fake.calls_to("chat.postMessage")) == 3


async def test_rate_limiting_that_does_not_stop_becomes_a_clear_error(slack, no_jitter):
    slack.fake.rate_limit("chat.postMessage", retry_after=0, times=10)
    with pytest.raises(ChatPortError) as caught:
        await slack.adapter.port.post(place(), Reply(blocks=(Text("never"),)))
    assert "slow down" in caught.value.user_message


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("channel_not_found", "/invite @copbot"),
        ("not_in_channel", "/invite @copbot"),
        ("is_archived", "archived"),
        ("missing_scope", "reinstall"),
        ("invalid_auth", "reinstall"),
        ("some_new_error", "some_new_error"),
    ],
)
async def test_refusals_become_chat_port_errors_with_a_log_line(slack, caplog, error, says):
    slack.fake.fail("chat.postMessage", error)
    with caplog.at_level(logging.WARNING), pytest.raises(ChatPortError) as caught:
        await slack.adapter.port.post(place("C0X"), Reply(blocks=(Text("x"),)))
    assert says in caught.value.user_message
    assert f"Slack chat.postMessage failed in workspace T1 channel C0X: {error}" in caplog.text


async def test_burst_pacing_per_channel_without_waiting_for_real():
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = ChannelPacer(rate=1.0, burst=3, monotonic=lambda: now[0], sleep=sleep)
    waits = [await pacer.wait("T1", "C1") for _ in range(200)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:6] == [1.0, 2.0, 3.0]
    assert waits[-1] == pytest.approx(197.0)  # 200 prompts in one channel: about one a second
    assert await pacer.wait("T1", "C2") == 0.0  # other channels do not wait
    assert await pacer.wait("T2", "C1") == 0.0  # nor other workspaces
    now[0] = 1000.0
    assert await pacer.wait("T1", "C1") == 0.0  # an idle channel has its burst back
