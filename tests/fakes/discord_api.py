"""A fake Discord on loopback: the gateway websocket and the REST routes copbot uses.

discord.py connects to it for real: its REST base (``DISCORD_API_URL``) points here, and the
gateway address this server returns from ``GET /gateway/bot`` points discord.py's websocket
here too. The fake speaks the real shapes (HELLO, IDENTIFY, READY, heartbeats, GUILD_CREATE,
dispatches with sequence numbers, zlib-stream compression when asked for; interaction callbacks
with ``with_response``, webhooks, channel messages, threads and forum posts) and records every
REST call and every gateway frame it receives, so tests assert on what Discord would have seen.

It binds port 0 and is driven from the test: ``await fake.send_interaction(...)`` dispatches an
INTERACTION_CREATE and ``await fake.wait_for(...)`` waits for the bot's answer (no sleeps).
Failures are injected per route: ``fake.fail("POST", r"/channels/\\d+/messages", 403, 50013)``
answers like Discord does when the bot lacks a permission; status 429 answers with Retry-After.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
API_PREFIX = "/api/v10"

# Channel types, as Discord numbers them.
TEXT, DM, PUBLIC_THREAD, FORUM = 0, 1, 11, 15
# Permission bits the fake uses in member payloads.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
EVERYDAY = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 38)  # view, send, history, send in threads


@dataclass
class Call:
    """One REST request as the fake received it."""

    method: str
    path: str  # without /api/v10
    query: dict[str, str]
    body: Any
    at: float

    def matches(self, method: str, pattern: str) -> bool:
        return self.method == method and re.fullmatch(pattern, self.path) is not None


@dataclass
class Failure:
    method: str
    pattern: str
    status: int
    code: int
    message: str
    times: int
    retry_after: float = 0.05


@dataclass
class Bucket:
    """A Discord rate-limit bucket: ``limit`` requests per ``window`` seconds, announced in the
    X-RateLimit headers of every matching response, as Discord does."""

    method: str
    pattern: str
    limit: int
    window: float
    name: str
    used: int = 0
    reset_at: float = 0.0
    refused: int = 0

    def take(self, now: float) -> tuple[bool, dict[str, str]]:
        if now >= self.reset_at:
            self.used, self.reset_at = 0, now + self.window
        allowed = self.used < self.limit
        if allowed:
            self.used += 1
        else:
            self.refused += 1
        reset_after = max(self.reset_at - now, 0.001)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - self.used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.name,
        }
        return allowed, headers


@dataclass
class FakeUser:
    id: int
    name: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    channels: dict[int, dict[str, Any]] = field(default_factory=dict)
    roles: dict[int, dict[str, Any]] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": list(self.roles.values()),
            "channels": [c for c in self.channels.values() if c["type"] != PUBLIC_THREAD],
            "threads": [c for c in self.channels.values() if c["type"] == PUBLIC_THREAD],
            "members": [],
            "voice_states": [],
            "presences": [],
            "member_count": 2,
            "large": False,
            "unavailable": False,
            "joined_at": _iso(time.time()),
            "system_channel_id": None,
            "application_id": None,
        }


class _Session:
    """One gateway connection (one shard)."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self.seq = 0
        self.shard: tuple[int, int] = (0, 1)
        self.identified = asyncio.Event()
        self.session_id = ""
        self._zlib = zlib.compressobj() if compress else None
        self._lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        async with self._lock:
            if self.ws.closed:
                return
            if self._zlib is not None:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        await self.send({"op": 0, "t": event, "s": self.seq, "d": data})


class FakeDiscord:
    """The fake server. ``async with FakeDiscord() as fake:`` starts and stops it."""

    def __init__(self, *, heartbeat_interval_ms: int = 41250, recommended_shards: int = 1) -> None:
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.recommended_shards = recommended_shards
        self._ids = itertools.count(1)
        self.app_id = self.snowflake()
        self.bot = FakeUser(self.snowflake(), "copbot", bot=True)
        self.calls: list[Call] = []
        self.gateway_frames: list[dict[str, Any]] = []
        self.guilds: dict[int, FakeGuild] = {}
        self.users: dict[int, FakeUser] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.failures: list[Failure] = []
        self.buckets: list[Bucket] = []
        self._background: set[asyncio.Task[None]] = set()
        self.callback_at: dict[str, float] = {}  # interaction id -> when the callback arrived
        self._original: dict[str, int] = {}  # interaction token -> original response message id
        self._token_channels: dict[str, int] = {}  # interaction token -> its channel
        self._sessions: list[_Session] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for session in list(self._sessions):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """What ``DISCORD_API_URL`` is set to (discord.py adds the version)."""
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- the world ---------------------------------------------------------------------------

    def snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | next(self._ids)

    def add_user(self, name: str) -> FakeUser:
        user = FakeUser(self.snowflake(), name)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str = "Practice", *, owner: FakeUser | None = None) -> FakeGuild:
        owner = owner or self.add_user(f"{name}-owner")
        guild = FakeGuild(self.snowflake(), name, owner.id)
        guild.roles[guild.id] = _role(guild.id, "@everyone", EVERYDAY)
        self.guilds[guild.id] = guild
        return guild

    def add_role(self, guild: FakeGuild, name: str, permissions: int = 0) -> int:
        role_id = self.snowflake()
        guild.roles[role_id] = _role(role_id, name, permissions, position=len(guild.roles))
        return role_id

    def add_channel(
        self, guild: FakeGuild, name: str, *, kind: int = TEXT, tags: tuple[str, ...] = ()
    ) -> int:
        channel_id = self.snowflake()
        channel: dict[str, Any] = {
            "id": str(channel_id),
            "type": kind,
            "guild_id": str(guild.id),
            "name": name,
            "position": len(guild.channels),
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }
        if kind == FORUM:
            channel["available_tags"] = [
                {
                    "id": str(self.snowflake()),
                    "name": tag,
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": None,
                }
                for tag in tags
            ]
            channel["default_reaction_emoji"] = None
            channel["default_sort_order"] = None
            channel["default_forum_layout"] = 0
        guild.channels[channel_id] = channel
        return channel_id

    def channel(self, channel_id: int) -> dict[str, Any] | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        if channel_id in self.dm_channels.values():
            user_id = next(u for u, c in self.dm_channels.items() if c == channel_id)
            return self._dm_payload(channel_id, self.users[user_id])
        return None

    def tag_id(self, forum_id: int, name: str) -> str:
        forum = self.channel(forum_id)
        assert forum is not None
        return next(t["id"] for t in forum["available_tags"] if t["name"] == name)

    def member(
        self,
        user: FakeUser,
        *,
        roles: tuple[int, ...] = (),
        permissions: int = EVERYDAY,
    ) -> dict[str, Any]:
        """A member payload as interactions carry it: roles and resolved permissions."""
        return {
            "user": user.payload(),
            "nick": None,
            "roles": [str(r) for r in roles],
            "joined_at": _iso(time.time()),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "permissions": str(permissions),
        }

    # --- gateway ----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = _Session(ws, compress=request.query.get("compress") == "zlib-stream")
        self._sessions.append(session)
        await session.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                self.gateway_frames.append(frame)
                await self._on_frame(session, frame)
                async with self._changed:
                    self._changed.notify_all()
        finally:
            self._sessions.remove(session)
        return ws

    async def _on_frame(self, session: _Session, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        if op == 1:
            await session.send({"op": 11})
        elif op == 2:
            data = frame["d"]
            shard = data.get("shard") or [0, 1]
            session.shard = (int(shard[0]), int(shard[1]))
            session.session_id = f"session-{self.snowflake()}"
            mine = [g for g in self.guilds.values() if self._shard_of(g.id, session)]
            await session.dispatch(
                "READY",
                {
                    "v": 10,
                    "user": self.bot.payload(),
                    "guilds": [{"id": str(g.id), "unavailable": True} for g in mine],
                    "session_id": session.session_id,
                    "resume_gateway_url": self.gateway_url,
                    "shard": list(session.shard),
                    "application": {"id": str(self.app_id), "flags": 0},
                },
            )
            for guild in mine:
                await session.dispatch("GUILD_CREATE", guild.payload())
            session.identified.set()
        elif op == 6:
            await session.dispatch("RESUMED", {})
            session.identified.set()

    def _shard_of(self, guild_id: int, session: _Session) -> bool:
        shard_id, count = session.shard
        return (guild_id >> 22) % count == shard_id

    @property
    def identifies(self) -> list[dict[str, Any]]:
        return [f["d"] for f in self.gateway_frames if f.get("op") == 2]

    async def wait_identified(self, shards: int = 1, timeout: float = 10.0) -> None:
        await self.wait_for(
            lambda: sum(s.identified.is_set() for s in self._sessions) >= shards, timeout
        )

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None = None) -> None:
        """Send a gateway event to the shard that owns ``guild_id`` (shard 0 when none)."""
        await self.wait_identified()
        for session in self._sessions:
            owns = self._shard_of(guild_id, session) if guild_id else session.shard[0] == 0
            if owns and session.identified.is_set():
                await session.dispatch(event, data)
                return
        raise AssertionError(f"no connected shard for guild {guild_id}")

    async def join_guild(self, guild: FakeGuild) -> None:
        self.guilds[guild.id] = guild
        payload = guild.payload()
        payload.pop("unavailable")
        await self.dispatch("GUILD_CREATE", payload, guild.id)

    async def remove_guild(self, guild: FakeGuild) -> None:
        await self.dispatch("GUILD_DELETE", {"id": str(guild.id)}, guild.id)
        self.guilds.pop(guild.id, None)

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway socket as Discord does when it asks clients to resume."""
        for session in list(self._sessions):
            session.identified.clear()
            await session.ws.close(code=code)

    # --- interactions -----------------------------------------------------------------------

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user: FakeUser,
        guild: FakeGuild | None,
        channel_id: int | None,
        member: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        app_permissions: int = EVERYDAY,
    ) -> dict[str, Any]:
        interaction_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": kind,
            "data": data,
            "token": f"itoken-{interaction_id}",
            "version": 1,
            "locale": "en-US",
            "app_permissions": str(app_permissions),
            "entitlements": [],
            "attachment_size_limit": 8388608,
            "authorizing_integration_owners": {"0": str(guild.id if guild else user.id)},
            "context": 0 if guild else 1,
        }
        if guild is not None:
            payload["guild_id"] = str(guild.id)
            payload["guild_locale"] = "en-US"
            payload["guild"] = {"id": str(guild.id), "locale": "en-US", "features": []}
            payload["member"] = member or self.member(user)
        else:
            payload["user"] = user.payload()
        if channel_id is not None:
            channel = self.channel(channel_id) or self._dm_payload(channel_id, user)
            payload["channel_id"] = str(channel_id)
            payload["channel"] = channel
        if message is not None:
            payload["message"] = message
        return payload

    def slash(
        self,
        path: str,
        options: dict[str, Any] | None = None,
        *,
        user: FakeUser,
        guild: FakeGuild | None,
        channel_id: int | None,
        member: dict[str, Any] | None = None,
        focused: str | None = None,
        command: str = "cop",
    ) -> dict[str, Any]:
        """An application command (or, with ``focused``, an autocomplete) interaction.

        ``path`` is the words after the command (``"profile timezone"``); ``options`` maps option
        names to values: str (type 3), bool (5), int (4), FakeUser (6, resolved as a member).
        """
        resolved: dict[str, Any] = {}
        leaf: list[dict[str, Any]] = []
        for name, value in (options or {}).items():
            option: dict[str, Any] = {"name": name}
            if isinstance(value, FakeUser):
                option.update(type=6, value=str(value.id))
                resolved.setdefault("users", {})[str(value.id)] = value.payload()
                if guild is not None:
                    entry = self.member(value)
                    entry.pop("user")
                    resolved.setdefault("members", {})[str(value.id)] = entry
            elif isinstance(value, bool):
                option.update(type=5, value=value)
            elif isinstance(value, int):
                option.update(type=4, value=value)
            else:
                option.update(type=3, value=value)
            if name == focused:
                option["focused"] = True
            leaf.append(option)
        words = path.split()
        options_tree: list[dict[str, Any]] = leaf
        for depth, word in reversed(list(enumerate(words))):
            kind = 1 if depth == len(words) - 1 else 2
            options_tree = [{"name": word, "type": kind, "options": options_tree}]
        data: dict[str, Any] = {
            "id": str(self.app_id + 1),
            "name": command,
            "type": 1,
            "options": options_tree,
        }
        if resolved:
            data["resolved"] = resolved
        return self._interaction(
            4 if focused else 2, data, user=user, guild=guild, channel_id=channel_id, member=member
        )

    def message_command(
        self,
        name: str,
        target: dict[str, Any],
        *,
        user: FakeUser,
        guild: FakeGuild,
        channel_id: int,
        member: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A message context-menu command on ``target`` (a message payload)."""
        data = {
            "id": str(self.app_id + 2),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        return self._interaction(
            2, data, user=user, guild=guild, channel_id=channel_id, member=member
        )

    def click(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        user: FakeUser,
        guild: FakeGuild | None,
        member: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A button press on a message the bot sent (its payload as recorded by the fake)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return self._interaction(
            3,
            data,
            user=user,
            guild=guild,
            channel_id=int(message["channel_id"]),
            member=member,
            message=message,
        )

    def submit(
        self,
        modal: dict[str, Any],
        values: dict[str, str],
        *,
        user: FakeUser,
        guild: FakeGuild | None,
        channel_id: int | None,
        member: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A modal submission; ``modal`` is the data of the bot's type-9 callback."""
        rows = []
        for row in modal["components"]:
            inner = row.get("components") or [row.get("component")]
            for component in inner:
                if component and component.get("type") == 4:
                    value = values.get(component["custom_id"], "")
                    rows.append(
                        {
                            "type": 1,
                            "components": [
                                {"type": 4, "custom_id": component["custom_id"], "value": value}
                            ],
                        }
                    )
        data = {"custom_id": modal["custom_id"], "components": rows}
        return self._interaction(
            5, data, user=user, guild=guild, channel_id=channel_id, member=member
        )

    async def send_interaction(self, payload: dict[str, Any]) -> float:
        """Dispatch an INTERACTION_CREATE; returns the monotonic time it was sent."""
        guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
        if "channel_id" in payload:
            self._token_channels[payload["token"]] = int(payload["channel_id"])
        sent = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", payload, guild_id)
        return sent

    async def send_message(
        self,
        channel_id: int,
        author: FakeUser,
        content: str,
        *,
        guild: FakeGuild | None = None,
    ) -> dict[str, Any]:
        """A member posts a message (MESSAGE_CREATE); returns its payload."""
        message = self.make_message(channel_id, author.payload(), content=content)
        if guild is not None:
            message["guild_id"] = str(guild.id)
            message["member"] = {k: v for k, v in self.member(author).items() if k != "user"}
        self.messages[int(message["id"])] = message
        await self.dispatch("MESSAGE_CREATE", message, guild.id if guild else None)
        return message

    def add_thread(self, guild: FakeGuild, parent_id: int, starter_id: int, name: str) -> int:
        """A public thread started from message ``starter_id`` (so it has the same id)."""
        guild.channels[starter_id] = self._thread_payload(starter_id, parent_id, guild.id, name)
        return starter_id

    # --- waiting and looking ------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy, woken by every request the fake receives."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                while True:
                    result = predicate()
                    if result:
                        return result
                    await self._changed.wait()

    def find(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.matches(method, pattern)]

    async def wait_call(self, method: str, pattern: str, count: int = 1, timeout: float = 5.0):
        calls = await self.wait_for(
            lambda: (found := self.find(method, pattern)) and len(found) >= count and found,
            timeout,
        )
        return calls[count - 1]

    def callbacks(self, payload: dict[str, Any]) -> list[Call]:
        return self.find("POST", rf"/interactions/{payload['id']}/[^/]+/callback")

    async def wait_callback(self, payload: dict[str, Any], timeout: float = 5.0) -> Call:
        return await self.wait_call(
            "POST", rf"/interactions/{payload['id']}/[^/]+/callback", timeout=timeout
        )

    def response_message(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The message copbot's response to this interaction created (for clicking on it)."""
        return self.messages[self._original[payload["token"]]]

    def followups(self, payload: dict[str, Any]) -> list[Call]:
        return self.find("POST", rf"/webhooks/{self.app_id}/{payload['token']}")

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        code: int = 0,
        message: str = "",
        *,
        times: int = 1,
        retry_after: float = 0.05,
    ) -> None:
        """Answer the next ``times`` matching requests with an error, as Discord would."""
        self.failures.append(
            Failure(
                method,
                pattern,
                status,
                code,
                message or _MESSAGES.get(code, "Error"),
                times,
                retry_after,
            )
        )

    def rate_limit(self, method: str, pattern: str, limit: int, window: float) -> Bucket:
        """Enforce a rate-limit bucket on matching requests (headers on every answer, 429 when
        it is spent), so discord.py's own rate limiting is what a test exercises."""
        bucket = Bucket(method, pattern, limit, window, name=f"bucket-{len(self.buckets)}")
        self.buckets.append(bucket)
        return bucket

    # --- REST --------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json" and raw:
                body = json.loads(raw)
            else:
                body = raw.decode(errors="replace")
        call = Call(request.method, path, dict(request.query), body, time.monotonic())
        self.calls.append(call)
        try:
            if request.headers.get("Authorization") != f"Bot {self.token}" and not path.startswith(
                ("/interactions/", "/webhooks/")
            ):
                return _error(401, 0, "401: Unauthorized")
            limited = self._bucket_for(call)
            if limited is not None and not limited[0]:
                retry = float(limited[1]["X-RateLimit-Reset-After"])
                return _json(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": retry,
                        "global": False,
                    },
                    status=429,
                    headers={
                        **limited[1],
                        "Retry-After": str(retry),
                        "Via": "1.1 google",
                        "X-RateLimit-Scope": "user",
                    },
                )
            failure = self._failure_for(call)
            if failure is not None:
                if failure.status == 429:
                    return _json(
                        {
                            "message": "You are being rate limited.",
                            "retry_after": failure.retry_after,
                            "global": False,
                        },
                        status=429,
                        headers={
                            "Retry-After": str(failure.retry_after),
                            "Via": "1.1 google",
                            "X-RateLimit-Scope": "user",
                        },
                    )
                return _error(failure.status, failure.code, failure.message)
            response = self._route(call)
            if limited is not None:
                response.headers.update(limited[1])
            return response
        finally:
            if path.endswith("/callback"):
                self.callback_at[path.split("/")[2]] = call.at
            async with self._changed:
                self._changed.notify_all()

    token = "fake.bot.token"
    """The token the fake accepts (tests configure copbot with it)."""

    def _bucket_for(self, call: Call) -> tuple[bool, dict[str, str]] | None:
        for bucket in self.buckets:
            if call.matches(bucket.method, bucket.pattern):
                return bucket.take(time.monotonic())
        return None

    def _failure_for(self, call: Call) -> Failure | None:
        for failure in self.failures:
            if failure.times > 0 and call.matches(failure.method, failure.pattern):
                failure.times -= 1
                return failure
        return None

    def _route(self, call: Call) -> web.Response:
        method, path, body = call.method, call.path, call.body
        if method == "GET" and path == "/users/@me":
            return _json(self.bot.payload())
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(self._app_payload())
        if method == "GET" and path in ("/gateway/bot", "/gateway"):
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": self.recommended_shards,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 86_400_000,
                        "max_concurrency": 1,
                    },
                }
            )
        if m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return self._callback(m.group(2), body, call.query)
        if m := re.fullmatch(rf"/webhooks/{self.app_id}/([^/]+)/messages/@original", path):
            token = m.group(1)
            if token not in self._original:
                return _error(404, 10008, "Unknown Message")
            if method == "PATCH":
                return _json(self._edit(self._original[token], body))
            return _json(self.messages[self._original[token]])
        m = re.fullmatch(rf"/webhooks/{self.app_id}/([^/]+)", path)
        if m and method == "POST":
            flags = int((body or {}).get("flags") or 0)
            message = self.make_message(
                self._token_channels.get(m.group(1), 0),
                self.bot.payload(),
                body or {},
                flags=flags,
                webhook_id=self.app_id,
            )
            self.messages[int(message["id"])] = message
            return _json(message)
        m = re.fullmatch(rf"/webhooks/{self.app_id}/([^/]+)/messages/(\d+)", path)
        if m and method == "PATCH":
            return _json(self._edit(int(m.group(2)), body))
        if m := re.fullmatch(r"/channels/(\d+)/messages", path):
            channel_id = int(m.group(1))
            if self.channel(channel_id) is None:
                return _error(404, 10003, "Unknown Channel")
            if method == "POST":
                message = self.make_message(channel_id, self.bot.payload(), body or {})
                self._place_in_guild(message, channel_id)
                self.messages[int(message["id"])] = message
                return _json(message)
            if method == "GET":
                found = [m for m in self.messages.values() if m["channel_id"] == str(channel_id)]
                found.sort(key=lambda msg: int(msg["id"]), reverse=True)
                return _json(found[: int(call.query.get("limit", 50))])
        if m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path):
            message_id = int(m.group(2))
            if message_id not in self.messages:
                return _error(404, 10008, "Unknown Message")
            if method == "PATCH":
                return _json(self._edit(message_id, body))
            if method == "GET":
                return _json(self.messages[message_id])
        if m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", path):
            channel_id, message_id = int(m.group(1)), int(m.group(2))
            parent = self.channel(channel_id)
            if parent is None or message_id not in self.messages:
                return _error(404, 10008, "Unknown Message")
            guild = self.guilds[int(parent["guild_id"])]
            self.add_thread(guild, channel_id, message_id, body["name"])
            self._announce_thread(guild.channels[message_id])
            return _json(guild.channels[message_id], status=201)
        if m := re.fullmatch(r"/channels/(\d+)/threads", path):
            return self._forum_post(int(m.group(1)), body or {})
        if m := re.fullmatch(r"/channels/(\d+)", path):
            channel = self.channel(int(m.group(1)))
            if channel is None:
                return _error(404, 10003, "Unknown Channel")
            if method == "PATCH":
                channel.update({k: v for k, v in (body or {}).items() if k != "reason"})
            return _json(channel)
        if method == "POST" and path == "/users/@me/channels":
            user_id = int(body["recipient_id"])
            user = self.users.get(user_id) or FakeUser(user_id, f"user{user_id}")
            channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
            return _json(self._dm_payload(channel_id, user))
        if m := re.fullmatch(rf"/applications/{self.app_id}(/guilds/(\d+))?/commands", path):
            if method == "PUT":
                registered = [
                    {
                        "description": "",
                        "options": [],
                        "default_member_permissions": None,
                        "nsfw": False,
                        **cmd,
                        "id": str(self.snowflake()),
                        "application_id": str(self.app_id),
                        "version": "1",
                    }
                    for cmd in body
                ]
                return _json(registered)
            return _json([])
        return _error(404, 0, f"404: Not Found ({method} {path})")

    def _callback(self, token: str, body: dict[str, Any], query: dict[str, str]) -> web.Response:
        kind = body["type"]
        data = body.get("data") or {}
        flags = int(data.get("flags") or 0)
        interaction_id = token.removeprefix("itoken-")
        response: dict[str, Any] = {"interaction": {"id": interaction_id, "type": 2}}
        if kind in (4, 5):
            message = self.make_message(
                self._token_channels.get(token, 0),
                self.bot.payload(),
                data if kind == 4 else {},
                flags=flags,
                webhook_id=self.app_id,
            )
            self.messages[int(message["id"])] = message
            self._original[token] = int(message["id"])
            response["interaction"].update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(flags & 64),
            )
            response["resource"] = {"type": kind, "message": message}
        if "with_response" not in query:
            return web.Response(status=204)
        return _json(response)

    def _forum_post(self, forum_id: int, body: dict[str, Any]) -> web.Response:
        forum = self.channel(forum_id)
        if forum is None:
            return _error(404, 10003, "Unknown Channel")
        if forum["type"] != FORUM:
            return _error(400, 50024, "Cannot execute action on this channel type")
        guild = self.guilds[int(forum["guild_id"])]
        thread_id = self.snowflake()
        thread = self._thread_payload(thread_id, forum_id, guild.id, body["name"])
        thread["applied_tags"] = list(body.get("applied_tags") or [])
        guild.channels[thread_id] = thread
        starter = self.make_message(thread_id, self.bot.payload(), body.get("message") or {})
        starter["id"] = str(thread_id)  # a forum post's starter message has the thread's id
        self._place_in_guild(starter, thread_id)
        self.messages[thread_id] = starter
        self._announce_thread(thread)
        return _json(dict(thread, message=starter), status=201)

    def _announce_thread(self, thread: dict[str, Any]) -> None:
        """Discord tells the bot about a thread it created with a THREAD_CREATE event."""
        event = dict(thread, newly_created=True)
        task = asyncio.get_running_loop().create_task(
            self.dispatch("THREAD_CREATE", event, int(thread["guild_id"]))
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _edit(self, message_id: int, body: dict[str, Any] | None) -> dict[str, Any]:
        message = self.messages[message_id]
        for key in ("content", "embeds", "components", "flags", "allowed_mentions"):
            if body and key in body:
                message[key] = body[key]
        message["edited_timestamp"] = _iso(time.time())
        return message

    def _place_in_guild(self, message: dict[str, Any], channel_id: int) -> None:
        channel = self.channel(channel_id)
        if channel is not None and channel.get("guild_id"):
            message["guild_id"] = channel["guild_id"]

    def make_message(
        self,
        channel_id: int,
        author: dict[str, Any],
        body: dict[str, Any] | None = None,
        *,
        content: str | None = None,
        flags: int = 0,
        webhook_id: int | None = None,
    ) -> dict[str, Any]:
        body = body or {}
        message = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "type": 0,
            "content": content if content is not None else body.get("content") or "",
            "author": author,
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _iso(time.time()),
            "edited_timestamp": None,
            "flags": flags,
            "allowed_mentions": body.get("allowed_mentions"),
        }
        if webhook_id is not None:
            message["webhook_id"] = str(webhook_id)
        return message

    def _thread_payload(
        self, thread_id: int, parent_id: int, guild_id: int, name: str
    ) -> dict[str, Any]:
        return {
            "id": str(thread_id),
            "type": PUBLIC_THREAD,
            "guild_id": str(guild_id),
            "parent_id": str(parent_id),
            "owner_id": str(self.bot.id),
            "name": name,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "last_message_id": None,
            "applied_tags": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": _iso(time.time()),
                "locked": False,
            },
        }

    def _dm_payload(self, channel_id: int, user: FakeUser) -> dict[str, Any]:
        return {
            "id": str(channel_id),
            "type": DM,
            "last_message_id": None,
            "recipients": [user.payload()],
        }

    def _app_payload(self) -> dict[str, Any]:
        owner = FakeUser(self.app_id + 7, "owner")
        return {
            "id": str(self.app_id),
            "name": "copbot",
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": owner.payload(),
            "verify_key": "00",
            "flags": 0,
        }


_MESSAGES = {
    10003: "Unknown Channel",
    10008: "Unknown Message",
    50001: "Missing Access",
    50007: "Cannot send messages to this user",
    50013: "Missing Permissions",
}


def _role(role_id: int, name: str, permissions: int, position: int = 0) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with exactly ``application/json``, as Discord sends it (discord.py checks)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status=status)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()
