"""The neutral model's own behaviour: form submissions as command text, routing by platform."""

import pytest

from bot.model import (
    ChannelId,
    Form,
    FormField,
    Place,
    Platform,
    Reply,
    Text,
    UserId,
    WorkspaceKey,
    WorkspaceRef,
)
from bot.ports import ChatPortError, PortsByPlatform
from tests.fakes.chat import RecordingPort


def test_form_values_become_the_commands_one_line_syntax():
    form = Form(
        command="lesson",
        title="Capture a lesson",
        fields=(FormField("title", "Title"), FormField("learned", "Learned", multiline=True)),
    )
    text = form.to_text({"title": "Vacuum | stalls", "learned": "line one\nline two"})
    assert text == "title: Vacuum / stalls | learned: line one line two"


def test_form_context_travels_first_and_empty_fields_are_left_out():
    form = Form(command="lesson edit", title="Edit", fields=(FormField("title", "T"),), context="7")
    assert form.to_text({"title": ""}) == "7"


async def test_ports_by_platform_sends_each_call_to_its_workspaces_platform():
    slack, discord = RecordingPort(), RecordingPort()
    ports = PortsByPlatform({Platform.SLACK: slack, Platform.DISCORD: discord})
    guild = WorkspaceRef(Platform.DISCORD, WorkspaceKey("T1"))
    team = WorkspaceRef(Platform.SLACK, WorkspaceKey("T1"))
    await ports.send_direct(guild, UserId("u"), Reply(blocks=(Text("hi"),)))
    await ports.post(Place(team, ChannelId("c")), Reply(blocks=(Text("yo"),)))
    assert [s.kind for s in discord.sent] == ["direct"]
    assert [s.kind for s in slack.sent] == ["post"]


async def test_ports_by_platform_refuses_an_unconnected_platform_with_a_safe_message():
    ports = PortsByPlatform({})
    team = WorkspaceRef(Platform.SLACK, WorkspaceKey("T1"))
    with pytest.raises(ChatPortError) as caught:
        await ports.post(Place(team, ChannelId("c")), Reply(blocks=(Text("x"),)))
    assert caught.value.user_message == "copbot is not connected to slack right now."
