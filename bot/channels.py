"""Channels named in commands, in each platform's own syntax, and named back in replies.

A member types ``#general``; what reaches copbot depends on the platform: the console passes
``#general`` as typed, Slack escapes it to ``<#C0123ABC|general>`` (or ``<#C0123ABC>``), Discord
to ``<#123456789012345678>``. copbot stores the platform's channel id and writes it back in the
platform's mention syntax, which Slack and Discord show as a link to the channel.
"""

from __future__ import annotations

import re

from bot.errors import UsageError
from bot.model import ChannelId, Platform

_SLACK = re.compile(r"^<#([A-Z0-9]{2,30})(?:\|[^>]*)?>$")
_DISCORD = re.compile(r"^<#(\d{5,25})>$")
_PLAIN = re.compile(r"^#([\w.-]{1,80})$")


def parse_channel(token: str, platform: Platform) -> ChannelId:
    """The channel id in a mention, or a UsageError saying how to name a channel."""
    token = token.strip()
    if platform is Platform.SLACK:
        match = _SLACK.match(token)
        if match:
            return ChannelId(match.group(1))
    elif platform is Platform.DISCORD:
        match = _DISCORD.match(token)
        if match:
            return ChannelId(match.group(1))
    else:
        match = _PLAIN.match(token)
        if match:
            return ChannelId(match.group(1))
        raise UsageError(
            f"'{_clip(token)}' is not a channel.", "Name it with a # in front, e.g. #general."
        )
    if _PLAIN.match(token):
        raise UsageError(
            f"copbot cannot find the channel {_clip(token)}.",
            "Type # and pick the channel from the list, so the platform sends its id.",
        )
    raise UsageError(
        f"'{_clip(token)}' is not a channel.", "Type # and pick the channel from the list."
    )


def channel_label(platform: Platform | str, channel: str) -> str:
    """How to name a channel in a reply on its platform."""
    match Platform(platform):
        case Platform.SLACK:
            return f"<#{channel}>"
        case Platform.DISCORD:
            return f"<#{channel}>"
        case _:
            return f"#{channel}"


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
