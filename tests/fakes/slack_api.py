"""A fake Slack Web API on loopback, for tests and benchmarks.

An aiohttp server on 127.0.0.1 (port 0: the system picks a free one) that answers the Web API
methods copbot calls with the shapes Slack documents (``{"ok": true, ...}``, errors as
``{"ok": false, "error": "channel_not_found"}``, 429 with ``Retry-After``), records every call
(method, parameters, token, workspace), and serves interactions' ``response_url`` and a Socket
Mode websocket. The real slack_sdk client talks to it through its base URL (``SLACK_API_URL``),
so tests exercise the real request formats, retries and error handling.

Failures are queued per method: ``fake.fail("chat.postMessage", "not_in_channel")`` makes the
next call to that method fail once; ``fake.rate_limit("chat.postMessage", retry_after=0)``
answers it 429 once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    team: str | None

    @property
    def text(self) -> str:
        """Every piece of text in the call (fallback and blocks), for loose assertions."""
        return json.dumps({k: self.params.get(k) for k in ("text", "blocks", "view")})


@dataclass
class User:
    id: str
    name: str
    tz: str | None = "Europe/Berlin"
    admin: bool = False
    owner: bool = False


@dataclass
class Team:
    id: str
    name: str
    bot_token: str
    bot_user: str = "UCOPBOT"
    bot_id: str = "BCOPBOT"
    users: dict[str, User] = field(default_factory=dict)


@dataclass
class _Failure:
    error: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class OAuthGrant:
    team: str
    bot_token: str
    installer: str
    refresh_token: str | None = None
    expires_in: int | None = None


class FakeSlack:
    """Start with ``await FakeSlack().start()``; ``base_url`` is the SLACK_API_URL to use."""

    def __init__(self, client_id: str = "111.222", client_secret: str = "s" * 32) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.calls: list[Call] = []
        self.teams: dict[str, Team] = {}
        self.tokens: dict[str, str] = {}  # token -> team id
        self.app_tokens: set[str] = set()
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.not_member: set[str] = set()  # channels the bot is not in
        self.grants: dict[str, OAuthGrant] = {}  # code -> grant
        self.refresh: dict[str, OAuthGrant] = {}  # refresh token -> grant
        self.views: dict[str, dict[str, Any]] = {}
        self.response_urls: dict[str, str] = {}  # key -> team
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.socket: web.WebSocketResponse | None = None
        self.socket_connected = asyncio.Event()
        self.socket_acks: dict[str, dict[str, Any]] = {}
        self._ack_waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.quiet = False  # no recording (benchmarks)
        self.on_respond: Callable[[str], None] | None = None  # told each response_url key

    # Lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        assert site._server is not None
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, team: str) -> str:
        key = f"R{next(self._ids)}"
        self.response_urls[key] = team
        return f"http://127.0.0.1:{self.port}/respond/{key}"

    # Set-up ---------------------------------------------------------------------------------------

    def add_team(self, team: str, *, bot_token: str | None = None, name: str = "") -> Team:
        token = bot_token or f"xoxb-{team.lower()}-fake"
        entry = Team(id=team, name=name or f"Team {team}", bot_token=token)
        self.teams[team] = entry
        self.tokens[token] = team
        return entry

    def add_user(self, team: str, user: str, name: str = "", **options: Any) -> User:
        entry = User(id=user, name=name or user.lower(), **options)
        self.teams[team].users[user] = entry
        return entry

    def add_thread(self, channel: str, ts: str, messages: list[tuple[str, str, str]]) -> None:
        """A thread: (user, text, ts) per message, the root first."""
        self.threads[(channel, ts)] = [
            {"type": "message", "user": u, "text": t, "ts": m, "thread_ts": ts}
            for u, t, m in messages
        ]

    def grant(self, code: str, grant: OAuthGrant) -> None:
        self.grants[code] = grant

    def fail(self, method: str, error: str, *, times: int = 1, **extra: Any) -> None:
        for _ in range(times):
            self._failures[method].append(_Failure(error, extra=extra))

    def rate_limit(self, method: str, *, retry_after: int = 0, times: int = 1) -> None:
        for _ in range(times):
            self._failures[method].append(
                _Failure("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
            )

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)

    # Looking at what happened ---------------------------------------------------------------------

    def calls_to(self, method: str, team: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (team is None or c.team == team)]

    def last_view(self) -> dict[str, Any]:
        """The view (as Slack stores it, with its id) most recently opened or updated."""
        return list(self.views.values())[-1]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Poll (briefly) until ``count`` calls to ``method`` were made."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.calls_to(method)) < count:
            if loop.time() > deadline:
                made = sorted({c.method for c in self.calls})
                raise AssertionError(f"no {count} call(s) to {method}; calls made: {made}")
            await asyncio.sleep(0.005)
        return self.calls_to(method)

    # The Web API ----------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                params.update(json.loads(raw or b"{}"))
            else:
                params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        for key in ("blocks", "view", "attachments"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    @staticmethod
    def _token(request: web.Request, params: dict[str, Any]) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[len("Bearer ") :]
        token = params.get("token")
        return str(token) if token else None

    def _basic_auth(self, request: web.Request, params: dict[str, Any]) -> tuple[str, str]:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return user, password
        return str(params.get("client_id", "")), str(params.get("client_secret", ""))

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        token = self._token(request, params)
        team = self.tokens.get(token or "")
        if not self.quiet:
            self.calls.append(Call(method, params, token, team))
        queued = self._failures.get(method)
        if queued:
            failure = queued.popleft()
            body = {"ok": False, "error": failure.error, **failure.extra}
            return web.json_response(body, status=failure.status, headers=failure.headers)
        if method == "oauth.v2.access":
            return web.json_response(
                self._oauth_v2_access(params, self._basic_auth(request, params))
            )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        if method != "apps.connections.open" and team is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response(await handler(params, team, token))

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    async def _m_auth_test(self, p: dict, team: str, token: str) -> dict:
        t = self.teams[team]
        return {
            "ok": True,
            "url": f"https://{team.lower()}.slack.com/",
            "team": t.name,
            "user": "copbot",
            "team_id": team,
            "user_id": t.bot_user,
            "bot_id": t.bot_id,
            "is_enterprise_install": False,
        }

    def _channel_error(self, channel: str) -> dict | None:
        if channel in self.not_member:
            return {"ok": False, "error": "not_in_channel"}
        return None

    async def _m_chat_postMessage(self, p: dict, team: str, token: str) -> dict:
        channel = str(p["channel"])
        if error := self._channel_error(channel):
            return error
        if channel[0] in "UW":
            channel = "D" + channel  # posting to a user id lands in the app's DM with them
        ts = self._next_ts()
        t = self.teams[team]
        message = {
            "type": "message",
            "text": p.get("text", ""),
            "user": t.bot_user,
            "bot_id": t.bot_id,
            "ts": ts,
            "blocks": p.get("blocks", []),
        }
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    async def _m_chat_postEphemeral(self, p: dict, team: str, token: str) -> dict:
        if error := self._channel_error(str(p["channel"])):
            return error
        return {"ok": True, "message_ts": self._next_ts()}

    async def _m_chat_update(self, p: dict, team: str, token: str) -> dict:
        return {
            "ok": True,
            "channel": p["channel"],
            "ts": p["ts"],
            "text": p.get("text", ""),
            "message": {"text": p.get("text", ""), "blocks": p.get("blocks", [])},
        }

    async def _m_chat_getPermalink(self, p: dict, team: str, token: str) -> dict:
        ts = str(p["message_ts"]).replace(".", "")
        return {
            "ok": True,
            "channel": p["channel"],
            "permalink": f"https://{team.lower()}.slack.com/archives/{p['channel']}/p{ts}",
        }

    async def _m_users_info(self, p: dict, team: str, token: str) -> dict:
        user = self.teams[team].users.get(str(p.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "team_id": team,
                "name": user.name,
                "real_name": user.name.title(),
                "tz": user.tz,
                "tz_offset": 0,
                "is_admin": user.admin,
                "is_owner": user.owner,
                "is_primary_owner": False,
                "is_bot": False,
                "deleted": False,
                "profile": {"display_name": user.name, "real_name": user.name.title()},
            },
        }

    def _view(self, team: str, view: dict, view_id: str | None = None) -> dict:
        view_id = view_id or f"V{next(self._ids):06d}"
        stored = {
            **view,
            "id": view_id,
            "team_id": team,
            "state": {"values": {}},
            "hash": f"h{next(self._ids)}",
        }
        self.views[view_id] = stored
        return {"ok": True, "view": stored}

    async def _m_views_open(self, p: dict, team: str, token: str) -> dict:
        if not p.get("trigger_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._view(team, p["view"])

    async def _m_views_update(self, p: dict, team: str, token: str) -> dict:
        if p.get("view_id") not in self.views:
            return {"ok": False, "error": "not_found"}
        return self._view(team, p["view"], p["view_id"])

    async def _m_views_publish(self, p: dict, team: str, token: str) -> dict:
        return self._view(team, p["view"])

    async def _m_conversations_replies(self, p: dict, team: str, token: str) -> dict:
        channel = str(p["channel"])
        if error := self._channel_error(channel):
            return error
        messages = self.threads.get((channel, str(p["ts"])))
        if messages is None:
            return {"ok": False, "error": "thread_not_found"}
        return {
            "ok": True,
            "messages": messages,
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    def _oauth_v2_access(self, p: dict, credentials: tuple[str, str]) -> dict:
        """oauth.v2.access authenticates the app (client id and secret), not a workspace."""
        if credentials != (self.client_id, self.client_secret):
            return {"ok": False, "error": "invalid_client_id"}
        if p.get("grant_type") == "refresh_token":
            grant = self.refresh.pop(str(p.get("refresh_token")), None)
            if grant is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            n = next(self._ids)
            grant = OAuthGrant(
                grant.team, f"xoxb-{grant.team.lower()}-r{n}", grant.installer,
                f"xoxe-1-{grant.team.lower()}-r{n}", grant.expires_in,
            )  # fmt: skip
            self._issue(grant)
            return {
                "ok": True,
                "access_token": grant.bot_token,
                "refresh_token": grant.refresh_token,
                "expires_in": grant.expires_in,
                "token_type": "bot",
                "team": {"id": grant.team},
            }
        grant = self.grants.pop(str(p.get("code")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        self._issue(grant)
        t = self.teams[grant.team]
        body: dict[str, Any] = {
            "ok": True,
            "access_token": grant.bot_token,
            "token_type": "bot",
            "scope": "commands,chat:write,users:read,channels:history,groups:history",
            "bot_user_id": t.bot_user,
            "app_id": "ACOPBOT",
            "team": {"name": t.name, "id": t.id},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.installer},
        }
        if grant.refresh_token:
            body["refresh_token"] = grant.refresh_token
            body["expires_in"] = grant.expires_in
        return body

    def _issue(self, grant: OAuthGrant) -> None:
        team = self.teams[grant.team]
        self.tokens.pop(team.bot_token, None)
        team.bot_token = grant.bot_token
        self.tokens[grant.bot_token] = grant.team
        if grant.refresh_token:
            self.refresh[grant.refresh_token] = grant

    async def _m_apps_connections_open(self, p: dict, team: str | None, token: str) -> dict:
        if token not in self.app_tokens:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    # response_url ---------------------------------------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        team = self.response_urls.get(key)
        if team is None:
            return web.Response(status=404, text="no_active_hooks")
        if self.on_respond is not None:
            self.on_respond(key)
        if not self.quiet:
            self.calls.append(Call("response_url", await request.json(), None, team))
        queued = self._failures.get("response_url")
        if queued:
            failure = queued.popleft()
            return web.Response(status=failure.status or 404, text=failure.error)
        return web.Response(text="ok")

    # Socket Mode ----------------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.socket = ws
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "ACOPBOT"}}
        )
        self.socket_connected.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                envelope = data.get("envelope_id")
                if envelope:
                    self.socket_acks[envelope] = data
                    waiter = self._ack_waiters.pop(envelope, None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(data)
        return ws

    async def socket_deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int | None = None,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Send one envelope over the websocket; return the app's acknowledgement."""
        assert self.socket is not None, "no Socket Mode connection"
        envelope_id = f"env-{next(self._ids)}"
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._ack_waiters[envelope_id] = waiter
        envelope: dict[str, Any] = {
            "type": kind,
            "envelope_id": envelope_id,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout"
        await self.socket.send_json(envelope)
        return await asyncio.wait_for(waiter, timeout)
