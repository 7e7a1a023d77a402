"""The ChatPort over slack_sdk's AsyncWebClient: posts, DMs, updates, and the adapter's replies.

- One client per workspace: the configured bot token, or (OAuth) the installation's decrypted
  token from the store, refreshed with slack_sdk's token rotator when it is about to expire.
  Clients share one aiohttp session and carry slack_sdk's retry handlers: 429 answers are
  retried after their Retry-After, dropped connections once or twice.
- Posting is paced per channel (about one message a second, with a short burst), so 200
  scheduled prompts at once go out steadily instead of tripping Slack's limits; different
  channels do not wait for each other.
- Every refusal (channel_not_found, not_in_channel, missing_scope, is_archived...) becomes a
  ChatPortError with a sentence for the member and a log line, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import render
from adapters.slack.errors import to_port_error
from adapters.slack.translate import workspace
from bot.model import (
    ChannelId,
    MessageId,
    MessageRef,
    Place,
    Reply,
    UserId,
    WorkspaceRef,
)
from bot.ports import ChatPortError

log = logging.getLogger(__name__)

CHANNEL_RATE = 1.0  # messages a second, per channel, sustained
CHANNEL_BURST = 3  # messages a channel may take at once before pacing starts
WORKSPACE_CONCURRENCY = 10  # Web API calls in flight per workspace
CLIENT_TTL = 300.0
ROTATION_MINUTES = 120


def retry_handlers() -> list[AsyncRetryHandler]:
    """slack_sdk's own handlers: rate limits (Retry-After) and connection errors."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
    ]


class ChannelPacer:
    """A token bucket per (workspace, channel): ``await wait(key)`` before each post.

    Time and sleeping are injected so tests drive a burst of 200 posts without waiting.
    """

    def __init__(
        self,
        rate: float = CHANNEL_RATE,
        burst: int = CHANNEL_BURST,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._rate, self._burst = rate, float(burst)
        self._now, self._sleep = monotonic, sleep
        self._next_free: dict[tuple[str, str], float] = {}

    def _reserve(self, key: tuple[str, str]) -> float:
        """Take the next slot for ``key``; how long to wait for it."""
        now = self._now()
        interval = 1.0 / self._rate
        # The bucket is full when next_free lies ``burst`` intervals in the past or more.
        earliest = now - (self._burst - 1) * interval
        slot = max(self._next_free.get(key, earliest), earliest)
        self._next_free[key] = slot + interval
        if len(self._next_free) > 10_000:
            self._forget_idle(now)
        return max(0.0, slot - now)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, t in self._next_free.items() if t < now]:
            del self._next_free[key]

    async def wait(self, team: str, channel: str) -> float:
        delay = self._reserve((team, channel))
        if delay > 0:
            await self._sleep(delay)
        return delay


@dataclass
class _Cached:
    client: AsyncWebClient
    until: float


class Clients:
    """The Web API client for each workspace."""

    def __init__(
        self,
        base: AsyncWebClient,
        *,
        store: AsyncInstallationStore | None = None,
        rotator: AsyncTokenRotator | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = base
        self._store = store
        self._rotator = rotator
        self._now = monotonic
        self._cache: dict[str, _Cached] = {}
        self._limits: dict[str, asyncio.Semaphore] = {}

    def limit(self, team: str) -> asyncio.Semaphore:
        return self._limits.setdefault(team, asyncio.Semaphore(WORKSPACE_CONCURRENCY))

    def with_token(self, token: str | None) -> AsyncWebClient:
        return AsyncWebClient(
            token=token,
            base_url=self.base.base_url,
            timeout=self.base.timeout,
            session=self.base.session,
            logger=self.base.logger,
            retry_handlers=retry_handlers(),
        )

    async def for_team(self, team: str) -> AsyncWebClient:
        if self._store is None:
            return self.base
        cached = self._cache.get(team)
        if cached is not None and cached.until > self._now():
            return cached.client
        bot = await self._store.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            raise ChatPortError(
                "copbot is not installed in that Slack workspace any more.",
                detail=f"no installation for team {team}",
            )
        if self._rotator is not None and bot.bot_refresh_token:
            refreshed = await self._rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATION_MINUTES
            )
            if refreshed is not None:
                await self._store.async_save_bot(refreshed)
                bot = refreshed
                log.info("refreshed the bot token of Slack workspace %s", team)
        client = self.with_token(bot.bot_token)
        until = self._now() + CLIENT_TTL
        if bot.bot_token_expires_at:
            until = min(until, self._now() + bot.bot_token_expires_at - time.time() - 60)
        self._cache[team] = _Cached(client, until)
        return client

    def forget(self, team: str) -> None:
        self._cache.pop(team, None)


class SlackPort:
    """What the core may ask of Slack, plus the adapter's own ways of answering someone."""

    def __init__(
        self,
        clients: Clients,
        session: aiohttp.ClientSession,
        pacer: ChannelPacer | None = None,
    ) -> None:
        self.clients = clients
        self._session = session
        self._pacer = pacer or ChannelPacer()
        self._permalinks: dict[MessageRef, str] = {}

    async def _call(
        self, team: str, method: str, channel: str | None, call: Callable[[AsyncWebClient], Any]
    ) -> Any:
        client = await self.clients.for_team(team)
        try:
            async with self.clients.limit(team):
                return await call(client)
        except SlackClientError as error:
            raise to_port_error(error, method=method, team=team, channel=channel) from None

    async def payload(self, team: str, reply: Reply) -> dict[str, Any]:
        links = await self.permalinks(team, render.links_in([reply]))
        return render.message(reply, links)

    # ChatPort --------------------------------------------------------------------------------

    async def post(self, place: Place, reply: Reply) -> MessageRef:
        team = place.workspace.key
        body = await self.payload(team, reply)
        await self._pacer.wait(team, place.channel)
        response = await self._call(
            team,
            "chat.postMessage",
            place.channel,
            lambda c: c.chat_postMessage(
                channel=place.channel,
                thread_ts=place.thread,
                unfurl_links=False,
                unfurl_media=False,
                **body,
            ),
        )
        posted = Place(
            workspace=place.workspace,
            channel=ChannelId(str(response.get("channel") or place.channel)),
            thread=place.thread,
            is_direct=place.is_direct,
        )
        return MessageRef(place=posted, message=MessageId(str(response["ts"])))

    async def send_direct(self, workspace: WorkspaceRef, user: UserId, reply: Reply) -> MessageRef:
        """A DM in the app's Messages tab: posting to a user id needs only chat:write."""
        place = Place(workspace=workspace, channel=ChannelId(user), is_direct=True)
        return await self.post(place, reply)

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        team = ref.place.workspace.key
        body = await self.payload(team, reply)
        await self._call(
            team,
            "chat.update",
            ref.place.channel,
            lambda c: c.chat_update(channel=ref.place.channel, ts=ref.message, **body),
        )

    # The adapter's answers to the person who acted -------------------------------------------

    async def ephemeral(self, place: Place, user: str, reply: Reply) -> None:
        team = place.workspace.key
        body = await self.payload(team, reply)
        await self._pacer.wait(team, place.channel)
        await self._call(
            team,
            "chat.postEphemeral",
            place.channel,
            lambda c: c.chat_postEphemeral(
                channel=place.channel, user=user, thread_ts=place.thread, **body
            ),
        )

    async def respond(
        self,
        team: str,
        response_url: str,
        reply: Reply,
        *,
        in_channel: bool = False,
        replace_original: bool = False,
    ) -> None:
        """Answer through an interaction's response_url: works in any channel, even ones the
        bot is not in, and is how an ephemeral answer reaches the person who acted."""
        body = await self.payload(team, reply)
        body["response_type"] = "in_channel" if in_channel else "ephemeral"
        body["replace_original"] = replace_original
        webhook = AsyncWebhookClient(
            url=response_url, session=self._session, retry_handlers=retry_handlers()
        )
        try:
            response = await webhook.send_dict(body)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("response_url failed in workspace %s: %s", team, type(error).__name__)
            raise ChatPortError("copbot could not answer there.", detail=str(error)) from None
        if response.status_code != 200:
            log.warning(
                "response_url refused in workspace %s: HTTP %s %s",
                team,
                response.status_code,
                (response.body or "")[:100],
            )
            raise ChatPortError(
                "copbot could not answer there.", detail=f"response_url {response.status_code}"
            )

    async def open_view(self, team: str, trigger_id: str, view: dict[str, Any]) -> str:
        response = await self._call(
            team, "views.open", None, lambda c: c.views_open(trigger_id=trigger_id, view=view)
        )
        return str((response.get("view") or {}).get("id", ""))

    async def update_view(self, team: str, view_id: str, view: dict[str, Any]) -> None:
        await self._call(
            team, "views.update", None, lambda c: c.views_update(view_id=view_id, view=view)
        )

    async def publish_home(self, team: str, user: str, view: dict[str, Any]) -> None:
        await self._call(
            team, "views.publish", None, lambda c: c.views_publish(user_id=user, view=view)
        )

    async def thread(self, team: str, channel: str, ts: str, limit: int = 200) -> list[dict]:
        """The messages of a thread (its root first), for capturing a lesson."""
        messages: list[dict] = []
        cursor: str | None = None
        while len(messages) < limit:
            response = await self._call(
                team,
                "conversations.replies",
                channel,
                lambda c, cur=cursor: c.conversations_replies(
                    channel=channel, ts=ts, limit=min(200, limit), cursor=cur
                ),
            )
            messages.extend(response.get("messages") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not response.get("has_more") or not cursor:
                break
        return messages[:limit]

    async def permalink(self, team: str, channel: str, ts: str) -> str | None:
        refs = await self.permalinks(
            team, [MessageRef(Place(workspace(team), ChannelId(channel)), MessageId(ts))]
        )
        return next(iter(refs.values()), None)

    async def permalinks(self, team: str, refs: Sequence[MessageRef]) -> dict[MessageRef, str]:
        """chat.getPermalink for each message a reply links to, cached; a failure just leaves
        the link out (the renderer then names the channel)."""
        found: dict[MessageRef, str] = {}
        for ref in _unique(refs):
            url = self._permalinks.get(ref)
            if url is None:
                try:
                    response = await self._call(
                        team,
                        "chat.getPermalink",
                        ref.place.channel,
                        lambda c, r=ref: c.chat_getPermalink(
                            channel=r.place.channel, message_ts=r.message
                        ),
                    )
                except ChatPortError:
                    continue
                url = str(response.get("permalink") or "")
                if not url:
                    continue
                if len(self._permalinks) > 10_000:
                    self._permalinks.clear()
                self._permalinks[ref] = url
            found[ref] = url
        return found


def _unique(refs: Iterable[MessageRef]) -> list[MessageRef]:
    return list(dict.fromkeys(refs))
