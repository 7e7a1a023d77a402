"""Signed requests as Slack sends them, for driving the Bolt endpoint over loopback.

Payloads have the shapes Slack documents (slash command forms, ``payload=`` JSON for
interactions, event envelopes), and every request is signed with slack_sdk's
``SignatureVerifier`` exactly as Slack signs it, unless a test asks for a bad or stale signature.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import FakeSlack

_ids = itertools.count(1)


def next_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):06d}"


@dataclass
class Sent:
    status: int
    text: str
    elapsed: float


class SlackSender:
    """Posts signed payloads to ``url`` (the app's /slack/events)."""

    def __init__(
        self, url: str, signing_secret: str, fake: FakeSlack, session: aiohttp.ClientSession
    ) -> None:
        self.url, self.fake, self.session = url, fake, session
        self.verifier = SignatureVerifier(signing_secret)

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Sent:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature or self.verifier.generate_signature(timestamp=stamp, body=body)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": sig,
            **(headers or {}),
        }
        started = time.perf_counter()
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as r:
            text = await r.text()
        return Sent(r.status, text, time.perf_counter() - started)

    async def form(self, fields: dict[str, Any], **options: Any) -> Sent:
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded", **options)

    async def interaction(self, payload: dict[str, Any], **options: Any) -> Sent:
        return await self.form({"payload": json.dumps(payload)}, **options)

    # Slash commands -------------------------------------------------------------------------------

    def command_fields(
        self,
        team: str,
        user: str,
        text: str,
        *,
        command: str = "/cop",
        channel: str = "C0GENERAL",
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        return {
            "token": "legacy-verification-token",
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "ACOPBOT",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(team),
            "trigger_id": trigger_id or next_id("trig."),
        }

    async def command(self, team: str, user: str, text: str, **options: Any) -> Sent:
        signing = {k: options.pop(k) for k in ("timestamp", "signature", "headers") if k in options}
        return await self.form(self.command_fields(team, user, text, **options), **signing)

    # Interactions ---------------------------------------------------------------------------------

    def click_payload(
        self,
        team: str,
        user: str,
        value: str,
        *,
        action_id: str = "cop:0",
        channel: str = "C0GENERAL",
        message_ts: str = "1700000000.000001",
        ephemeral: bool = False,
        view: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
            "api_app_id": "ACOPBOT",
            "token": "legacy-verification-token",
            "trigger_id": next_id("trig."),
            "team": {"id": team, "domain": team.lower()},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b1",
                    "text": {"type": "plain_text", "text": "Button"},
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            }
            payload["channel"] = {"id": channel, "name": "general"}
            payload["message"] = {"type": "message", "ts": message_ts, "text": "copbot"}
            payload["response_url"] = self.fake.response_url(team)
        return payload

    async def click(self, team: str, user: str, value: str, **options: Any) -> Sent:
        return await self.interaction(self.click_payload(team, user, value, **options))

    async def submit(
        self, team: str, user: str, view: dict[str, Any], values: dict[str, str], **extra: Any
    ) -> Sent:
        """Submit a modal the app opened, with ``values`` by block id (``f:question``...)."""
        state: dict[str, Any] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            value = values.get(block["block_id"])
            if element["type"] == "static_select":
                chosen = {"text": {"type": "plain_text", "text": value}, "value": value}
                entry = {"type": "static_select", "selected_option": chosen if value else None}
            elif element["type"] == "conversations_select":
                entry = {"type": "conversations_select", "selected_conversation": value}
            else:
                entry = {"type": "plain_text_input", "value": value}
            state[block["block_id"]] = {element["action_id"]: entry}
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
            "api_app_id": "ACOPBOT",
            "token": "legacy-verification-token",
            "trigger_id": next_id("trig."),
            "view": {**view, "state": {"values": state}},
            "response_urls": extra.pop("response_urls", []),
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self.interaction(payload, **extra)

    async def message_shortcut(
        self, team: str, user: str, channel: str, message: dict[str, Any], *, callback: str
    ) -> Sent:
        return await self.interaction(
            {
                "type": "message_action",
                "token": "legacy-verification-token",
                "action_ts": f"{time.time():.6f}",
                "team": {"id": team, "domain": team.lower()},
                "user": {"id": user, "username": user.lower(), "team_id": team},
                "channel": {"id": channel, "name": "general"},
                "is_enterprise_install": False,
                "enterprise": None,
                "callback_id": callback,
                "trigger_id": next_id("trig."),
                "response_url": self.fake.response_url(team),
                "message_ts": message["ts"],
                "message": message,
            }
        )

    async def global_shortcut(self, team: str, user: str, *, callback: str) -> Sent:
        return await self.interaction(
            {
                "type": "shortcut",
                "token": "legacy-verification-token",
                "action_ts": f"{time.time():.6f}",
                "team": {"id": team, "domain": team.lower()},
                "user": {"id": user, "username": user.lower(), "team_id": team},
                "is_enterprise_install": False,
                "enterprise": None,
                "callback_id": callback,
                "trigger_id": next_id("trig."),
            }
        )

    # Events ------------------------------------------------------------------------------------

    def event_body(self, team: str, event: dict[str, Any], event_id: str | None = None) -> dict:
        return {
            "token": "legacy-verification-token",
            "team_id": team,
            "api_app_id": "ACOPBOT",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or next_id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": team, "user_id": "UCOPBOT", "is_bot": True, "enterprise_id": None}
            ],
            "is_ext_shared_channel": False,
        }

    async def event(
        self,
        team: str,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> Sent:
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "timeout"}
        body = json.dumps(self.event_body(team, event, event_id))
        return await self.post(body, "application/json", headers=headers)
