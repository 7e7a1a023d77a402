"""The Discord ChatPort: posts, thread replies, forum posts, DMs and updates through discord.py.

- A place with a thread posts in it; Discord gives a thread started from a message the
  message's id, so a question posted earlier gets its thread created on the first reply.
- A forum channel as the place makes a forum post: titled from the reply, tagged with the forum
  tags named by ``reply.labels`` (a question's topics). Updating that post with labels (e.g. its
  topics and ``solved``) sets its tags to those labels.
- Rate limits are discord.py's business (buckets, Retry-After, the global limit). On top, posts
  take one of a few slots, so a burst of scheduled posts queues here instead of piling hundreds of
  requests onto the rate limiter at once; none fails for being early.
- A refusal (missing permission, unknown channel, closed DMs) becomes a ChatPortError whose
  message tells the member what an admin can do; the detail goes to the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from adapters.discord import translate
from adapters.discord.views import build_view
from bot.model import ChannelId, MessageId, MessageRef, Place, Reply, UserId, WorkspaceRef
from bot.ports import ChatPortError

log = logging.getLogger(__name__)
T = TypeVar("T")

CONCURRENT_SENDS = 4
RATE_LIMIT_RETRIES = 3
"""discord.py retries a 429 itself, up to five times in a row; a request that still gets one
waits its Retry-After here and goes again, so a long burst queues instead of failing."""
FORUM_TAGS_LIMIT = 5
NO_MENTIONS = discord.AllowedMentions.none()


class DiscordPort:
    def __init__(self, client: discord.Client, *, concurrency: int = CONCURRENT_SENDS) -> None:
        self.client = client
        self._concurrency = concurrency
        self._slots: asyncio.Semaphore | None = None

    @property
    def slots(self) -> asyncio.Semaphore:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._concurrency)
        return self._slots

    # --- the ChatPort -------------------------------------------------------------------------

    async def post(self, place: Place, reply: Reply) -> MessageRef:
        return await _patiently(lambda: self._post(place, reply))

    async def send_direct(self, workspace: WorkspaceRef, user: UserId, reply: Reply) -> MessageRef:
        return await _patiently(lambda: self._send_direct(workspace, user, reply))

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        await _patiently(lambda: self._update(ref, reply))

    # --- the work -----------------------------------------------------------------------------

    async def _post(self, place: Place, reply: Reply) -> MessageRef:
        self._check_connected()
        parts = translate.render(reply, place.workspace.key)
        async with self.slots:
            try:
                if place.thread:
                    message = await self._post_in_thread(place, parts)
                    return MessageRef(place, MessageId(str(message.id)))
                channel = await self._channel(int(place.channel))
                if isinstance(channel, discord.ForumChannel):
                    return await self._forum_post(place, channel, parts, reply)
                if not isinstance(channel, discord.abc.Messageable):
                    raise ChatPortError(
                        f"copbot cannot post in <#{place.channel}>: it is not a text channel.",
                        detail=f"channel {place.channel} is {type(channel).__name__}",
                    )
                message = await channel.send(**_message_kwargs(parts))
            except discord.HTTPException as error:
                raise refusal(error, place) from error
        return MessageRef(place, MessageId(str(message.id)))

    async def _send_direct(self, workspace: WorkspaceRef, user: UserId, reply: Reply) -> MessageRef:
        self._check_connected()
        parts = translate.render(reply, workspace.key)
        async with self.slots:
            try:
                dm = await self.client.create_dm(discord.Object(id=int(user)))
                message = await dm.send(**_message_kwargs(parts))
            except discord.HTTPException as error:
                raise refusal(error, None, user=user) from error
        place = Place(workspace, ChannelId(str(dm.id)), is_direct=True)
        return MessageRef(place, MessageId(str(message.id)))

    async def _update(self, ref: MessageRef, reply: Reply) -> None:
        self._check_connected()
        parts = translate.render(reply, ref.place.workspace.key)
        channel_id = int(ref.place.thread or ref.place.channel)
        forum_post = False
        if isinstance(self.client.get_channel(int(ref.place.channel)), discord.ForumChannel):
            # A forum post's starter message lives in the post (a thread with its id).
            channel_id = int(ref.place.thread or ref.message)
            forum_post = channel_id == int(ref.message)
        partial = self.client.get_partial_messageable(channel_id).get_partial_message(
            int(ref.message)
        )
        async with self.slots:
            try:
                await partial.edit(
                    content=parts.content,
                    embeds=list(parts.embeds),
                    view=build_view(parts.buttons),
                    allowed_mentions=NO_MENTIONS,
                )
                if reply.labels and forum_post:
                    await self._retag(channel_id, reply.labels)
            except discord.HTTPException as error:
                raise refusal(error, ref.place) from error

    # --- helpers ------------------------------------------------------------------------------

    def _check_connected(self) -> None:
        if self.client.user is None or self.client.is_closed():
            raise ChatPortError(
                "copbot is not connected to Discord right now; try again in a minute.",
                detail="Discord client not logged in",
            )

    async def _channel(self, channel_id: int) -> Any:
        return self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)

    async def _post_in_thread(self, place: Place, parts: translate.MessageParts) -> discord.Message:
        assert place.thread is not None
        thread = self.client.get_channel(int(place.thread))
        if isinstance(thread, discord.Thread):
            return await thread.send(**_message_kwargs(parts))
        target = self.client.get_partial_messageable(int(place.thread))
        try:
            return await target.send(**_message_kwargs(parts))
        except discord.NotFound:
            pass  # no thread yet: start one from the message it hangs off
        parent = await self._channel(int(place.channel))
        starter = await parent.fetch_message(int(place.thread))
        name = translate.thread_name(_parts_of(starter))
        created = await starter.create_thread(name=name)
        log.info("started thread %s on message %s in %s", created.id, starter.id, place.channel)
        return await created.send(**_message_kwargs(parts))

    async def _forum_post(
        self,
        place: Place,
        forum: discord.ForumChannel,
        parts: translate.MessageParts,
        reply: Reply,
    ) -> MessageRef:
        tags = _tags(forum, reply.labels)
        kwargs = _message_kwargs(parts)
        if kwargs.get("view") is None:
            kwargs.pop("view", None)
        created = await forum.create_thread(
            name=translate.thread_title(reply), applied_tags=tags, **kwargs
        )
        thread_id = MessageId(str(created.thread.id))
        # A forum post is a thread whose starter message has the thread's id.
        return MessageRef(Place(place.workspace, place.channel, thread=thread_id), thread_id)

    async def _retag(self, thread_id: int, labels: tuple[str, ...]) -> None:
        thread = await self._channel(thread_id)
        if not isinstance(thread, discord.Thread):
            return
        forum = thread.parent
        if not isinstance(forum, discord.ForumChannel):
            return
        tags = _tags(forum, labels)
        if tags:
            await thread.edit(applied_tags=tags)


async def _patiently(attempt: Callable[[], Awaitable[T]]) -> T:
    for tries in range(RATE_LIMIT_RETRIES + 1):
        try:
            return await attempt()
        except ChatPortError as error:
            limited = isinstance(error.__cause__, discord.HTTPException) and (
                error.__cause__.status == 429
            )
            if not limited or tries == RATE_LIMIT_RETRIES:
                raise
            assert isinstance(error.__cause__, discord.HTTPException)
            wait = _retry_after(error.__cause__)
            log.warning("still rate limited after discord.py's retries; waiting %.2fs", wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")


def _retry_after(error: discord.HTTPException) -> float:
    try:
        return min(float(error.response.headers.get("Retry-After", 1.0)), 60.0)
    except (TypeError, ValueError):
        return 1.0


def _tags(forum: discord.ForumChannel, labels: tuple[str, ...]) -> list[discord.ForumTag]:
    """The forum's tags named by the labels (case-insensitive); unknown labels are skipped:
    creating tags needs Manage Channels, which copbot does not ask for."""
    wanted = [label.strip().lower() for label in labels]
    by_name = {tag.name.lower(): tag for tag in forum.available_tags}
    missing = [label for label in wanted if label not in by_name]
    if missing:
        log.debug("forum %s has no tags named %s", forum.id, ", ".join(missing))
    found = [by_name[label] for label in dict.fromkeys(wanted) if label in by_name]
    return found[:FORUM_TAGS_LIMIT]


def _message_kwargs(parts: translate.MessageParts) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "content": parts.content,
        "embeds": list(parts.embeds),
        "allowed_mentions": NO_MENTIONS,
    }
    view = build_view(parts.buttons)
    if view is not None:
        kwargs["view"] = view
    return kwargs


def _parts_of(message: discord.Message) -> translate.MessageParts:
    return translate.MessageParts(message.content or None, tuple(message.embeds), ())


_REFUSALS = {
    50001: "copbot cannot see {where}: give it the View Channel permission there.",
    50013: (
        "copbot may not post in {where}: give it View Channel, Send Messages and Send Messages "
        "in Threads there (Server Settings, or the channel's permissions)."
    ),
    10003: "{where} no longer exists, or copbot cannot see it.",
    10008: "That message no longer exists (someone deleted it).",
    50007: "That member does not accept direct messages from server members.",
    40067: "That forum requires a tag copbot does not know; add a tag matching the topic.",
}


def refusal(
    error: discord.HTTPException, place: Place | None, *, user: UserId | None = None
) -> ChatPortError:
    """A Discord refusal as a ChatPortError the member can act on; the detail is for the log."""
    where = f"<#{place.thread or place.channel}>" if place is not None else "that channel"
    template = _REFUSALS.get(error.code)
    if template is None:
        message = f"Discord refused that ({error.status}): {error.text or 'no reason given'}."
    else:
        message = template.format(where=where)
    target = f"user {user}" if user else f"channel {place.channel if place else '?'}"
    detail = f"Discord {error.status} code {error.code} for {target}: {error.text}"
    log.warning("Discord refused a request: %s", detail)
    return ChatPortError(message, detail=detail)
