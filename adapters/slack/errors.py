"""Slack API refusals as one clear sentence for the person who acted, and one log line.

A Web API call can fail mid-action (the bot was removed from the channel, the channel was
archived, the app lacks a scope). The member who acted hears what happened and what to do; the
log gets the method, the workspace, the channel and Slack's error code, never a token.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError

from bot.ports import ChatPortError

log = logging.getLogger(__name__)

REINSTALL = (
    "copbot's installation in this workspace is no longer valid; a workspace admin needs to "
    "reinstall it."
)
MESSAGES = {
    "channel_not_found": (
        "copbot can't see that channel. If it is private, invite copbot first: /invite @copbot"
    ),
    "not_in_channel": (
        "copbot isn't in that channel yet. Invite it with /invite @copbot and try again."
    ),
    "is_archived": "That channel is archived, so copbot can't post there.",
    "missing_scope": (
        "copbot's Slack app is missing a permission it needs{needed}. A workspace admin needs "
        "to update the app (copbot slack manifest lists the scopes) and reinstall it."
    ),
    "ratelimited": "Slack is asking copbot to slow down. Please try again in a minute.",
    "expired_trigger_id": "That took too long and Slack closed the window. Please try again.",
    "msg_too_long": "That is too long for one Slack message.",
    "restricted_action": "This workspace's settings don't let copbot post there.",
    "cannot_dm_bot": "copbot can't send direct messages to other bots.",
    "user_not_found": "Slack doesn't know that member.",
    "invalid_auth": REINSTALL,
    "not_authed": REINSTALL,
    "token_revoked": REINSTALL,
    "token_expired": REINSTALL,
    "account_inactive": REINSTALL,
    "invalid_blocks": "copbot built a message Slack would not accept; it has been logged.",
}


def error_code(error: SlackClientError) -> str:
    """Slack's error code (``channel_not_found``), or the kind of failure for transport errors."""
    if isinstance(error, SlackApiError):
        response = error.response
        if response is not None and response.status_code == 429:
            return "ratelimited"
        code = response.get("error") if response is not None else None
        return str(code or "unknown_error")
    if isinstance(error, SlackRequestError):
        return "request_error"
    return type(error).__name__


def user_message(error: SlackClientError) -> str:
    code = error_code(error)
    template = MESSAGES.get(code)
    if template is None:
        return f"Slack refused that ({code}). Nothing was lost; please try again, or tell an admin."
    needed = ""
    if code == "missing_scope" and isinstance(error, SlackApiError) and error.response is not None:
        scope = error.response.get("needed")
        needed = f" ({scope})" if scope else ""
    return template.format(needed=needed)


def to_port_error(
    error: SlackClientError, *, method: str, team: str, channel: str | None = None
) -> ChatPortError:
    """Log the refusal and wrap it in the core's ChatPortError."""
    code = error_code(error)
    log.warning(
        "Slack %s failed in workspace %s%s: %s",
        method,
        team,
        f" channel {channel}" if channel else "",
        code,
    )
    return ChatPortError(user_message(error), detail=f"slack {method}: {code}")
