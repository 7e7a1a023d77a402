"""Slack at the composition root: start it beside the other platforms, and print its manifest.

``run_slack`` builds the adapter on the shared core, starts the HTTP endpoints (on ``PORT``) or
the Socket Mode connection, and runs until cancelled, in the loop every platform shares. It also
wires what the core offers for Slack's thread replies (routing's answers), when the core has it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import click

from adapters.slack.app import CaptureHook, ReactionHook, SlackAdapter, ThreadReplyHook
from adapters.slack.manifest import manifest
from adapters.slack.port import SlackPort
from adapters.slack.redact import protect_logs
from adapters.slack.server import HttpServer, SocketModeConnection, favour_the_event_loop
from bot.commands import build_registry
from bot.config import Settings
from bot.context import Runtime
from bot.dispatch import Dispatcher
from bot.model import Actor, MessageId, Place, Reply
from bot.ports import PortsByPlatform
from bot.services import lessons
from bot.services.drafting import ThreadMessage
from bot.services.thread_messages import on_reaction, on_thread_message

log = logging.getLogger(__name__)


def thread_reply_hook(
    runtime: Runtime, to_author: Callable[[Actor, Place, Reply], Awaitable[None]]
) -> ThreadReplyHook:
    """A thread message goes to the core's one entry point (an answer, a reflection, or the
    asker's thanks); whatever it says back is for the author alone."""

    async def hook(actor: Actor, place: Place, text: str, message: MessageId) -> object:
        for reply in await on_thread_message(runtime, actor, place, text, message):
            await to_author(actor, place, reply)
        return None

    return hook


def reaction_hook(
    runtime: Runtime, to_author: Callable[[Actor, Place, Reply], Awaitable[None]]
) -> ReactionHook:
    """A reaction goes to the core (the asker's check mark offers "solved"); the offer is for
    the author alone."""

    async def hook(actor: Actor, place: Place, emoji: str, message: MessageId) -> object:
        for reply in await on_reaction(runtime, actor, place, emoji, message):
            await to_author(actor, place, reply)
        return None

    return hook


def capture_hook(dispatcher: Dispatcher) -> CaptureHook:
    """ "Capture as lesson" drafts through the lessons feature."""
    runtime = dispatcher.runtime

    async def hook(actor: Actor, messages: list[ThreadMessage], link: str | None) -> Reply:
        return await lessons.draft_for(runtime, actor, messages, source_link=link)

    return hook


async def run_slack(
    dispatcher: Dispatcher, ports: PortsByPlatform, settings: Settings, *, host: str = "0.0.0.0"
) -> None:
    """Serve Slack until cancelled."""
    slack = settings.slack
    assert slack is not None
    protect_logs([*slack.secrets, *(settings.secret_key or "").split(",")])
    favour_the_event_loop()
    slack_port: list[SlackPort] = []  # set once the adapter exists, before any event arrives

    async def ephemeral_to_author(actor: Actor, place: Place, reply: Reply) -> None:
        await slack_port[0].ephemeral(place, actor.user_id, reply)

    adapter = await SlackAdapter.create(
        dispatcher,
        ports,
        slack,
        secret_key=settings.secret_key,
        on_thread_reply=thread_reply_hook(dispatcher.runtime, ephemeral_to_author),
        on_capture=capture_hook(dispatcher),
        on_reaction=reaction_hook(dispatcher.runtime, ephemeral_to_author),
    )
    slack_port.append(adapter.port)
    server: HttpServer | SocketModeConnection
    if slack.mode == "socket":
        assert slack.app_token is not None
        server = SocketModeConnection(adapter, slack.app_token)
        await server.start()
    else:
        server = HttpServer(adapter)
        await server.start(host, slack.port)
        if slack.mode == "oauth":
            log.info("Install copbot in a workspace at http(s)://<this host>/slack/install")
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
        await adapter.close()


@click.group("slack")
def slack_cli() -> None:
    """Slack: the app manifest to create copbot's Slack app from."""


@slack_cli.command("manifest")
@click.option("--url", help="copbot's public base URL, e.g. https://copbot.example.org")
@click.option("--socket", is_flag=True, help="Socket Mode: no public URL needed.")
@click.option("--token-rotation", is_flag=True, help="Turn on Slack's token rotation (OAuth).")
@click.option("--name", default="copbot", show_default=True, help="The app's name in Slack.")
def manifest_command(url: str | None, socket: bool, token_rotation: bool, name: str) -> None:
    """Print the app manifest (JSON) to paste into Slack's "Create an app > From a manifest"."""
    if not socket and not url:
        raise click.UsageError(
            "give --url https://your-host (where Slack reaches copbot's PORT), or --socket "
            "for Socket Mode"
        )
    if url and not url.startswith(("https://", "http://")):
        raise click.UsageError("--url must start with https://")
    commands = [spec.name for spec in build_registry()]
    data = manifest(
        url=url, socket_mode=socket, commands=commands, name=name, token_rotation=token_rotation
    )
    click.echo(json.dumps(data, indent=2))
