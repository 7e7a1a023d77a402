"""Discord at the composition root: start it beside the other platforms; invite and sync.

``run_discord`` builds the adapter on the shared core, wires what the core offers (routing's
answers from thread replies, lesson drafting for "Capture as lesson"), joins its port to the
platform ports and stays connected until cancelled, in the loop every platform shares.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import click

from adapters.discord.client import (
    CapturedMessage,
    CaptureHook,
    DiscordAdapter,
    Hooks,
    ThreadReplyHook,
)
from adapters.discord.setup import invite_url, sync_commands
from bot.commands import build_registry
from bot.config import Settings
from bot.context import Runtime
from bot.discord_settings import DiscordSettings
from bot.dispatch import Dispatcher
from bot.errors import UserError
from bot.model import Actor, MessageId, Place, Platform, Reply, say
from bot.ports import PortsByPlatform
from bot.services import lessons
from bot.services.drafting import ThreadMessage
from bot.services.thread_messages import on_thread_message

log = logging.getLogger(__name__)


def thread_reply_hook(runtime: Runtime) -> ThreadReplyHook:
    """A thread message goes to the core's one entry point (an answer, a reflection, or the
    asker's thanks). Discord has no ephemeral messages outside interactions, so whatever the
    core says back reaches the author alone as a direct message."""

    async def hook(actor: Actor, place: Place, text: str, message: MessageId) -> object:
        for reply in await on_thread_message(runtime, actor, place, text, message):
            await runtime.port.send_direct(actor.workspace, actor.user_id, reply)
        return None

    return hook


def capture_hook(runtime: Runtime) -> CaptureHook:
    """ "Capture as lesson" drafts through the lessons feature, as on Slack: the draft is kept
    server-side, contributors are named, and members with capture off are never quoted."""

    async def hook(actor: Actor, place: Place, messages: Sequence[CapturedMessage]) -> list[Reply]:
        thread = [
            ThreadMessage(author=m.author_id, text=m.text, at=m.at)
            for m in messages
            if m.text.strip()
        ]
        link = messages[0].link if messages and messages[0].link else None
        try:
            return [await lessons.draft_for(runtime, actor, thread, source_link=link)]
        except UserError as error:
            return [say(error.line())]

    return hook


async def run_discord(dispatcher: Dispatcher, ports: PortsByPlatform, runtime: Runtime) -> None:
    """Serve Discord until cancelled; discord.py reconnects by itself."""
    settings = runtime.settings.discord
    assert settings is not None
    hooks = Hooks(capture=capture_hook(runtime), thread_reply=thread_reply_hook(runtime))
    adapter = DiscordAdapter(settings, dispatcher, runtime.db, runtime.clock, hooks=hooks)
    ports.add(Platform.DISCORD, adapter.port)
    try:
        await adapter.start()
    finally:
        await adapter.close()


def _discord_settings(settings: Settings) -> DiscordSettings:
    if settings.discord is None:
        raise click.ClickException(
            "DISCORD_TOKEN is not set; see config.example.env (Discord) and the README"
        )
    return settings.discord


@click.group("discord")
def discord_cli() -> None:
    """Discord: the invite link and registering /cop with Discord."""


@discord_cli.command("invite")
def invite() -> None:
    """Print the link that adds copbot to a server, with the least permissions it needs."""
    from copbot.cli import _settings

    discord = _discord_settings(_settings())
    if discord.application_id is None:
        raise click.ClickException(
            "DISCORD_APPLICATION_ID is not set; copy it from the developer portal's General "
            "Information page"
        )
    click.echo(invite_url(discord.application_id))


@discord_cli.command("sync")
@click.option("--guild", type=int, default=None, help="Register in this server only (instant).")
def sync(guild: int | None) -> None:
    """Register copbot's commands with Discord: globally, or in one server for testing."""
    from copbot.cli import _logging, _settings

    settings = _settings()
    _logging(settings)
    discord = _discord_settings(settings)
    try:
        names = asyncio.run(sync_commands(discord, build_registry(), guild))
    except Exception as error:  # login refused, no such guild, network down
        raise click.ClickException(
            f"could not register the commands: {type(error).__name__}: {error}"
        ) from None
    where = (
        f"in server {guild} (available now)"
        if guild
        else ("globally (Discord may take up to an hour to show them everywhere)")
    )
    click.echo(f"Registered {', '.join('/' + n for n in names)} {where}.")
