"""The Slack app manifest an admin pastes into "Create an app > From a manifest".

Least privilege: copbot asks only for the scopes it uses (listed with the reason for each), no
user scopes, and no ``chat:write.public`` (it posts where it was invited; a refusal tells the
member to ``/invite @copbot``). One slash command, ``/cop``, reaches every command of the
registry; short aliases (``/ask``, ``/lesson``) are declared only for commands that exist.
The Socket Mode variant has no URLs at all, for teams with no public address.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MAIN_COMMAND = "/cop"
CAPTURE_CALLBACK = "cop_capture_lesson"
ASK_CALLBACK = "cop_ask"
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
ALIASES = {
    "ask": "Ask the community a question",
    "lesson": "Capture a lesson learned",
}

BOT_SCOPES: dict[str, str] = {
    "commands": "the /cop slash command and the two shortcuts",
    "chat:write": "replies, questions, DMs to experts, updating its own messages",
    "users:read": "workspace admins are copbot admins; members' time zones",
    "channels:history": "thread replies to questions in public channels; Capture as lesson",
    "groups:history": "the same in private channels copbot was invited to",
    "reactions:read": "an asker's check mark on an answer offers to mark the question solved",
}
BOT_EVENTS = (
    "app_home_opened",
    "app_uninstalled",
    "tokens_revoked",
    "message.channels",
    "message.groups",
    "reaction_added",
    "user_change",
)


def manifest(
    *,
    url: str | None = None,
    socket_mode: bool = False,
    commands: Iterable[str] = (),
    name: str = "copbot",
    token_rotation: bool = False,
) -> dict[str, Any]:
    """The manifest as a dict; ``url`` is the public base (https://host) of copbot's HTTP port.

    ``commands`` are the registry's command names, so the aliases match what this copbot has.
    """
    if not socket_mode and not url:
        raise ValueError("an HTTP app needs --url (the public https address of copbot)")
    base = (url or "").rstrip("/")
    events_url = f"{base}{EVENTS_PATH}"
    available = set(commands)
    slash = [
        {
            "command": MAIN_COMMAND,
            "description": "Ask, answer, reflect: every copbot command",
            "usage_hint": "help | ask <question> | lesson | profile",
            "should_escape": True,
        }
    ]
    slash += [
        {"command": f"/{alias}", "description": description, "should_escape": True}
        for alias, description in ALIASES.items()
        if alias in available
    ]
    if not socket_mode:
        for command in slash:
            command["url"] = events_url
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": list(BOT_EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": token_rotation,
    }
    oauth: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if not socket_mode:
        settings["event_subscriptions"]["request_url"] = events_url
        settings["interactivity"]["request_url"] = events_url
        oauth["redirect_urls"] = [f"{base}{REDIRECT_PATH}"]
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Questions routed to the right people, lessons kept, weekly reflection.",
            "background_color": "#2c3e50",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": slash,
            "shortcuts": [
                {
                    "name": "Capture as lesson",
                    "type": "message",
                    "callback_id": CAPTURE_CALLBACK,
                    "description": "Draft a lesson learned from this thread",
                },
                {
                    "name": "Ask the community",
                    "type": "global",
                    "callback_id": ASK_CALLBACK,
                    "description": "Ask a question; copbot finds who can answer it",
                },
            ],
        },
        "oauth_config": oauth,
        "settings": settings,
    }
