"""The admin's explicit steps: the invite link, and registering ``/cop`` with Discord.

Both are CLI commands (``copbot discord invite``, ``copbot discord sync [--guild ID]``), never
part of start-up: registering commands is rate limited, global registration takes up to an hour
to reach every server, and an admin should decide when members see a change.
"""

from __future__ import annotations

import discord

from adapters.discord.client import point_at
from adapters.discord.commands import build_tree
from bot.discord_settings import DiscordSettings
from bot.registry import Registry

SCOPES = ("bot", "applications.commands")
LEAST_PERMISSIONS = discord.Permissions(
    view_channel=True,  # see the channels it is asked to post in
    send_messages=True,  # post questions, prompts and digests
    send_messages_in_threads=True,  # reply in a question's thread
    create_public_threads=True,  # start a question's thread on its first reply
    embed_links=True,  # questions, lessons and profiles are embeds
    read_message_history=True,  # name a thread after its message; read threads for lessons
)
"""What copbot needs and nothing more: no Manage, no Mention Everyone, no Administrator.
Editing its own messages and the tags of its own forum posts needs no extra permission."""


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=LEAST_PERMISSIONS, scopes=SCOPES)


async def sync_commands(
    settings: DiscordSettings, registry: Registry, guild_id: int | None = None
) -> list[str]:
    """Register the ``/cop`` commands globally, or in one server (which shows them at once).

    Logs in over REST only (no gateway connection) and returns the registered names.
    """
    point_at(settings.api_url)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(settings.token)
        tree = build_tree(client, registry, None, capture=_unused_capture)
        if guild_id is None:
            synced = await tree.sync()
        else:
            guild = discord.Object(id=guild_id)
            tree.copy_global_to(guild=guild)
            synced = await tree.sync(guild=guild)
    finally:
        await client.close()
    return [command.name for command in synced]


async def _unused_capture(_interaction: discord.Interaction, _message: discord.Message) -> None:
    """Only the menu's name and type are registered; the running adapter handles it."""
