"""Slack at the composition root: start it beside the other platforms, and print its manifest.

``run_slack`` builds the adapter on the shared core, starts the HTTP endpoints (on ``PORT``) or
the Socket Mode connection, and runs until cancelled, in the loop every platform shares. It also
wires what the core offers for Slack's thread replies (routing's answers), when the core has it.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
from collections.abc import Callable
from typing import Any

import click

from adapters.slack.app import CaptureHook, SlackAdapter, ThreadReplyHook
from adapters.slack.manifest import manifest
from adapters.slack.redact import protect_logs
from adapters.slack.server import HttpServer, SocketModeConnection, favour_the_event_loop
from bot.commands import build_registry
from bot.config import Settings
from bot.context import Runtime
from bot.dispatch import Dispatcher
from bot.model import Actor, MessageId, Place, Reply
from bot.ports import PortsByPlatform
from bot.services.drafting import ThreadMessage
from storage.repos import workspaces

log = logging.getLogger(__name__)


async def _workspace_id(runtime: Runtime, actor: Actor) -> int:
    workspace = await runtime.db.run(
        workspaces.get_or_create,
        actor.platform.value,
        actor.workspace.key,
        default_timezone=runtime.settings.default_timezone,
    )
    assert workspace.id is not None
    return workspace.id


def _feature(module: str, name: str) -> Callable[..., Any] | None:
    """A core feature's entry point, or None when this copbot does not have that feature."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def thread_reply_hook(dispatcher: Dispatcher) -> ThreadReplyHook | None:
    """Replies in a question's thread are answers, when routing is part of this copbot."""
    record = _feature("bot.services.routing", "answer_from_thread")
    if record is None:
        return None
    runtime = dispatcher.runtime

    async def hook(actor: Actor, place: Place, text: str, message: MessageId) -> object:
        workspace_id = await _workspace_id(runtime, actor)
        return await record(runtime, workspace_id, actor, place, text, message)

    return hook


def capture_hook(dispatcher: Dispatcher) -> CaptureHook | None:
    """ "Capture as lesson" drafts through the lessons feature, when it is part of this copbot."""
    draft = _feature("bot.services.lessons", "draft_from_thread")
    if draft is None:
        return None
    runtime = dispatcher.runtime

    async def hook(actor: Actor, messages: list[ThreadMessage], link: str | None) -> Reply:
        workspace_id = await _workspace_id(runtime, actor)
        return await draft(runtime, workspace_id, actor, messages, source_link=link)

    return hook


async def run_slack(
    dispatcher: Dispatcher, ports: PortsByPlatform, settings: Settings, *, host: str = "0.0.0.0"
) -> None:
    """Serve Slack until cancelled."""
    slack = settings.slack
    assert slack is not None
    protect_logs([*slack.secrets, *(settings.secret_key or "").split(",")])
    favour_the_event_loop()
    adapter = await SlackAdapter.create(
        dispatcher,
        ports,
        slack,
        secret_key=settings.secret_key,
        on_thread_reply=thread_reply_hook(dispatcher),
        on_capture=capture_hook(dispatcher),
    )
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
