"""The Slack adapter: Bolt's AsyncApp and its listeners.

How a request is handled (the platform's rules):

1. Bolt verifies the signature (bad or stale: 401, nothing runs) and authorizes the workspace.
2. The listener acknowledges at once and starts the core in a background task. The app runs with
   ``process_before_response=True``: Bolt then awaits the listener inline and answers Slack as
   soon as it returns, instead of starting it in a task and polling for the ack every 10 ms
   (``AsyncioListenerRunner``), a floor every request would otherwise pay.
   ``bench/slack_http.py`` measures both.
3. In the task: the delivery is checked against the database of deliveries already seen (Slack's
   retries and double clicks run the core once, across workers), the member is looked up
   (users.info: name, time zone, workspace admin), the payload becomes a neutral Command, the
   dispatcher answers, and ``answer.py`` sends the Replies back as Block Kit.

Nothing here knows any particular command: the registry's commands, buttons (an Action is a
command string) and forms all work without changes here. What the core offers for thread
replies and for "Capture as lesson" comes in as hooks from the composition root.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import capture, home, render, translate
from adapters.slack.answer import Answerer, Answers
from adapters.slack.crypto import TokenCipher
from adapters.slack.identity import Directory, person_from_user
from adapters.slack.manifest import ASK_CALLBACK, BOT_SCOPES, CAPTURE_CALLBACK, INSTALL_PATH
from adapters.slack.port import ChannelPacer, Clients, SlackPort, retry_handlers
from adapters.slack.seen import DOUBLE_CLICK_TTL, SeenDeliveries
from adapters.slack.store import DatabaseStateStore, EncryptedInstallationStore
from adapters.slack.translate import FormMeta
from bot.dispatch import Dispatcher
from bot.errors import UserError
from bot.model import Actor, Command, Form, MessageId, Place, Platform, Reply, say
from bot.ports import ChatPortError, PortsByPlatform
from bot.services.capture import ChatMessage, draft_from_thread
from bot.services.drafting import ThreadMessage
from bot.slack_settings import SlackSettings

log = logging.getLogger(__name__)

ThreadReplyHook = Callable[[Actor, Place, str, MessageId], Awaitable[object]]
ReactionHook = Callable[[Actor, Place, str, MessageId], Awaitable[object]]
"""A member reacted (emoji name) to a message in a channel; wired at the composition root."""
"""What the core offers for a member's reply in a thread (e.g. routing's answers):
(who, where with the thread, the text, the reply's message id)."""
CaptureHook = Callable[[Actor, list[ThreadMessage], str | None], Awaitable[Reply]]
"""What the core offers for "Capture as lesson": (who, the thread's messages with user ids as
authors, a link to the thread) -> a reply whose form is the prefilled lesson."""

CONCURRENT_WORK = 16
"""Background tasks running the core at once; the others wait their turn. Fewer runnable tasks
keep the event loop's queue short, so new requests are acknowledged promptly under load."""
MAX_BACKLOG = 1000
"""Work started after acks and not finished yet, beyond which new slash commands are answered
"busy" at once and events are refused with 503 (Slack redelivers them later): a saturated
worker then answers late by seconds, not minutes. More load calls for more workers."""
BUSY = "copbot is very busy right now and could not take that. Please try again in a minute."
NOT_INSTALLED = (
    "copbot is not installed in this workspace (or its installation was removed). "
    "A workspace admin can install it again from copbot's /slack/install page."
)
CAPTURE_TITLE = "Capture as lesson"


class SlackAdapter:
    """Build inside the running loop (``await SlackAdapter.create(...)``); ``close()`` ends it."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        ports: PortsByPlatform,
        settings: SlackSettings,
        *,
        secret_key: str | None = None,
        on_thread_reply: ThreadReplyHook | None = None,
        on_capture: CaptureHook | None = None,
        on_reaction: ReactionHook | None = None,
        process_before_response: bool = True,
        pacer: ChannelPacer | None = None,
        max_backlog: int = MAX_BACKLOG,
        concurrent_work: int = CONCURRENT_WORK,
    ) -> None:
        self.dispatcher = dispatcher
        self.runtime = dispatcher.runtime
        self.settings = settings
        self.on_thread_reply = on_thread_reply
        self.on_capture = on_capture
        self.on_reaction = on_reaction
        self.max_backlog = max_backlog
        self.shed = 0  # requests refused because the backlog was full
        self.session = aiohttp.ClientSession()
        self.web_client = AsyncWebClient(
            token=settings.bot_token if settings.mode != "oauth" else None,
            base_url=settings.api_url,
            session=self.session,
            retry_handlers=retry_handlers(),
        )
        self.store: EncryptedInstallationStore | None = None
        self.state_store: DatabaseStateStore | None = None
        rotator: AsyncTokenRotator | None = None
        if settings.mode == "oauth":
            if not secret_key or not settings.client_id or not settings.client_secret:
                raise ValueError("OAuth needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and a key")
            engine = self.runtime.db.engine
            self.store = EncryptedInstallationStore(
                settings.client_id, engine, TokenCipher(secret_key)
            )
            self.state_store = DatabaseStateStore(engine)
            rotator = AsyncTokenRotator(
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                client=self.web_client,
            )
        self.clients = Clients(self.web_client, store=self.store, rotator=rotator)
        self.port = SlackPort(self.clients, self.session, pacer)
        self.answers = Answers(self.port)
        ports.add(Platform.SLACK, self.port)
        self.seen = SeenDeliveries(self.runtime.db, self.runtime.clock)
        self.directory = Directory()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(concurrent_work)
        self.app = self._build_app(process_before_response)

    @classmethod
    async def create(cls, *args: Any, **kwargs: Any) -> SlackAdapter:
        """The adapter, built inside the running event loop (its HTTP session needs one)."""
        return cls(*args, **kwargs)

    async def close(self, timeout: float = 10.0) -> None:
        """Let running work finish (up to ``timeout``), then close the HTTP session."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        await self.session.close()

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until no background work is left (tests and benchmarks)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=deadline - loop.time())

    # Building the Bolt app --------------------------------------------------------------------

    def _build_app(self, process_before_response: bool) -> AsyncApp:
        s = self.settings
        options: dict[str, Any] = {
            "name": "copbot",
            "client": self.web_client,
            "signing_secret": s.signing_secret or "",
            "process_before_response": process_before_response,
            "user_facing_authorize_error_message": NOT_INSTALLED,
        }
        if s.mode == "oauth":
            assert self.store is not None and s.client_id and s.client_secret
            options["authorize"] = AsyncInstallationStoreAuthorize(
                logger=logging.getLogger("slack_bolt.authorize"),
                installation_store=self.store,
                client_id=s.client_id,
                client_secret=s.client_secret,
                bot_only=True,
                cache_enabled=True,  # auth.test once per token, not on every request
                client=self.web_client,
            )
            options["installation_store"] = self.store
            options["oauth_settings"] = AsyncOAuthSettings(
                client_id=s.client_id,
                client_secret=s.client_secret,
                scopes=list(BOT_SCOPES),
                user_scopes=[],
                install_path=INSTALL_PATH,
                installation_store=self.store,
                installation_store_bot_only=True,
                state_store=self.state_store,
            )
        app = AsyncApp(**options)
        app.command(re.compile(r"^/"))(self._on_command)
        app.action(re.compile(rf"^{render.ACTION_PREFIX}\d+$"))(self._on_button)
        app.action(re.compile(r".*"))(self._on_unknown_action)
        app.view_submission(render.FORM_CALLBACK)(self._on_submission)
        app.shortcut(CAPTURE_CALLBACK)(self._on_capture_shortcut)
        app.shortcut(ASK_CALLBACK)(self._on_ask_shortcut)
        app.shortcut(re.compile(r".*"))(self._on_unknown_shortcut)
        app.event("app_home_opened")(self._on_home_opened)
        app.event("message")(self._on_message)
        app.event("user_change")(self._on_user_change)
        app.event("reaction_added")(self._on_reaction_added)
        app.event("app_uninstalled")(self._on_uninstalled)
        app.event("tokens_revoked")(self._on_tokens_revoked)
        app.error(self._on_error)
        return app

    # Background work ---------------------------------------------------------------------------

    def _full(self, what: str) -> bool:
        """True when the backlog is full; one refusal in a thousand is logged."""
        if len(self._tasks) < self.max_backlog:
            return False
        if self.shed % 1000 == 0:
            log.warning(
                "Slack %s refused: %d tasks are still running (add workers, or raise the "
                "backlog); %d refused so far",
                what,
                len(self._tasks),
                self.shed,
            )
        self.shed += 1
        return True

    def _spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``work`` after the ack; keep a reference so it is neither lost nor collected."""
        task = asyncio.create_task(self._guarded(work, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            async with self._slots:
                await work
        except Exception:
            log.exception("Slack %s failed after it was acknowledged (ref %s)", what, _ref())

    async def _actor(self, team: str, user: str, fallback_name: str = "") -> Actor:
        client = await self.clients.for_team(team)
        person = await self.directory.person(client, team, user, fallback_name=fallback_name)
        return translate.actor(
            team, user, name=person.name, timezone=person.timezone, admin=person.admin
        )

    # Listeners: each acknowledges first, then hands the work to a task -------------------------

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        if self._full("slash command"):
            await ack(text=BUSY)
            return
        await ack()
        self._spawn(self._run_command(body), "slash command")

    async def _on_button(self, ack: AsyncAck, body: dict[str, Any], action: dict) -> None:
        await ack()
        self._spawn(self._run_button(body, action), "button")

    async def _on_unknown_action(self, ack: AsyncAck, body: dict[str, Any], action: dict) -> None:
        await ack()
        log.warning("unknown Slack action id %r from %s", action.get("action_id"), _who(body))
        reply = say("That button is not one copbot knows (any more). Try /cop help.")
        self._spawn(self._tell_only(body, reply), "unknown action")

    async def _on_submission(self, ack: AsyncAck, body: dict[str, Any], view: dict) -> None:
        try:
            meta = FormMeta.load(view.get("private_metadata") or "")
        except (ValueError, KeyError, TypeError):
            await ack()
            log.warning("a Slack form came back without readable metadata from %s", _who(body))
            reply = say("That form could not be read; please open it again.")
            self._spawn(self._tell_only(body, reply), "form")
            return
        values, picked = translate.submitted_values(view.get("state") or {})
        errors = translate.field_errors(meta, values)
        if meta.pick_place and not picked:
            errors[render.PLACE_BLOCK] = "Choose where to post."
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        self._spawn(self._run_submission(body, view, meta, values, picked), "form")

    async def _on_capture_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._run_capture(body), "capture shortcut")

    async def _on_ask_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._run_ask(body), "ask shortcut")

    async def _on_unknown_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        log.warning("unknown Slack shortcut %r from %s", body.get("callback_id"), _who(body))

    async def _on_home_opened(self, ack: AsyncAck, body: dict, event: dict) -> BoltResponse | None:
        if self._full("event"):
            return BoltResponse(status=503, body="")  # Slack delivers it again later
        await ack()
        if event.get("tab", "home") == "home":
            self._spawn(self._run_home(body, event), "home tab")
        return None

    async def _on_message(self, ack: AsyncAck, body: dict, event: dict) -> BoltResponse | None:
        reply = translate.thread_reply(event) if self.on_thread_reply is not None else None
        if reply is not None and self._full("event"):
            return BoltResponse(status=503, body="")  # Slack delivers it again later
        await ack()
        if reply is not None:
            self._spawn(self._run_thread_reply(body, reply), "thread reply")
        return None

    async def _on_reaction_added(self, ack: AsyncAck, body: dict, event: dict) -> None:
        await ack()
        item = event.get("item") or {}
        if self.on_reaction is not None and item.get("type") == "message" and event.get("user"):
            self._spawn(self._run_reaction(body, event, item), "reaction")

    async def _on_user_change(self, ack: AsyncAck, body: dict, event: dict) -> None:
        await ack()
        user = event.get("user") or {}
        team = user.get("team_id") or body.get("team_id")
        if team and user.get("id"):
            self.directory.remember(str(team), str(user["id"]), person_from_user(user))

    async def _on_uninstalled(self, ack: AsyncAck, body: dict, context: Any) -> None:
        await ack()
        team = str(body.get("team_id") or context.team_id)
        if self.store is not None:
            await AsyncTokenRevocationListeners(self.store).handle_app_uninstalled_events(context)
        self._forget(team)
        log.info(
            "Slack workspace %s uninstalled copbot: its installation and tokens are deleted; "
            "its community data stays until an admin purges it (/cop admin purge)",
            team,
        )

    async def _on_tokens_revoked(
        self, ack: AsyncAck, body: dict, event: dict, context: Any
    ) -> None:
        await ack()
        team = str(body.get("team_id") or context.team_id)
        if self.store is not None:
            await AsyncTokenRevocationListeners(self.store).handle_tokens_revoked_events(
                event, context
            )
        self._forget(team)
        log.info("Slack revoked copbot's tokens in workspace %s; they are deleted", team)
        if self.store is None:
            log.warning(
                "SLACK_BOT_TOKEN no longer works in workspace %s: reinstall the app and set "
                "the new token",
                team,
            )

    async def _on_error(self, error: Exception, body: dict) -> None:
        log.error("Slack listener error (ref %s) for %s", _ref(), _who(body), exc_info=error)

    def _forget(self, team: str) -> None:
        self.clients.forget(team)
        self.directory.forget_team(team)

    # The work, after the ack --------------------------------------------------------------------

    async def _run_command(self, body: dict[str, Any]) -> None:
        team, user = str(body["team_id"]), str(body["user_id"])
        if not await self.seen.first_time(team, f"cmd:{body.get('trigger_id') or _ref()}"):
            return
        who = await self._actor(team, user, str(body.get("user_name", "")))
        command = translate.slash_command(body, who)
        to = Answerer(
            team,
            user,
            command.place,
            response_url=body.get("response_url"),
            trigger_id=body.get("trigger_id"),
        )
        if await self._ask_with_form(command, to):
            return
        await self.answers.deliver(await self.dispatcher.handle(command), to)

    async def _run_button(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        team, user = translate.team_of(body), str(body["user"]["id"])
        key = translate.click_key(body, action)
        if not await self.seen.first_time(team, key, DOUBLE_CLICK_TTL):
            return
        who = await self._actor(team, user, str(body["user"].get("username", "")))
        where = translate.action_place(body)
        command = translate.button_command(
            str(action.get("value", "")), who, where or translate.dm_place(team, user)
        )
        container = body.get("container") or {}
        to = Answerer(
            team,
            user,
            where,
            response_url=body.get("response_url"),
            trigger_id=body.get("trigger_id"),
            replace_original=bool(container.get("is_ephemeral")),
        )
        if await self._ask_with_form(command, to):
            return
        await self.answers.deliver(await self.dispatcher.handle(command), to)
        if (body.get("view") or {}).get("type") == "home":
            await self._publish_home(team, who)

    async def _run_submission(
        self,
        body: dict[str, Any],
        view: dict[str, Any],
        meta: FormMeta,
        values: dict[str, str],
        picked: str | None,
    ) -> None:
        team, user = translate.team_of(body), str(body["user"]["id"])
        if not await self.seen.first_time(team, f"view:{view.get('id') or _ref()}"):
            return
        who = await self._actor(team, user, str(body["user"].get("username", "")))
        channel = picked or meta.channel
        where = translate.place(team, channel, meta.thread) if channel else None
        response_url = meta.response_url
        for entry in body.get("response_urls") or []:  # the picked channel's, when one was
            if entry.get("channel_id") == picked:
                response_url = entry.get("response_url")
        command = Command(
            name=meta.command,
            text=meta.text(values),
            actor=who,
            place=where or translate.dm_place(team, user),
        )
        to = Answerer(
            team, user, where, response_url=response_url, trigger_id=body.get("trigger_id")
        )
        await self.answers.deliver(await self.dispatcher.handle(command), to)

    async def _run_home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        team, user = translate.team_of(body), str(event["user"])
        if not await self.seen.first_time(team, f"event:{body.get('event_id') or _ref()}"):
            return
        await self._publish_home(team, await self._actor(team, user))

    async def _publish_home(self, team: str, who: Actor) -> None:
        replies = await home.replies(self.dispatcher, who, translate.dm_place(team, who.user_id))
        links = await self.port.permalinks(team, render.links_in(replies))
        # A refusal is logged by the port; the tab then keeps its previous content.
        with contextlib.suppress(ChatPortError):
            await self.port.publish_home(team, who.user_id, render.home_view(replies, links))

    async def _run_thread_reply(self, body: dict[str, Any], reply: translate.ThreadReply) -> None:
        assert self.on_thread_reply is not None
        team = translate.team_of(body)
        if not await self.seen.first_time(team, f"event:{body.get('event_id') or _ref()}"):
            return
        who = await self._actor(team, reply.user)
        where = translate.place(team, reply.channel, reply.thread_ts)
        try:
            await self.on_thread_reply(who, where, reply.text, MessageId(reply.ts))
        except (UserError, ChatPortError) as error:
            log.info("a thread reply in %s was not taken as an answer: %s", team, error)

    async def _run_reaction(
        self, body: dict[str, Any], event: dict[str, Any], item: dict[str, Any]
    ) -> None:
        assert self.on_reaction is not None
        team = translate.team_of(body)
        if not await self.seen.first_time(team, f"event:{body.get('event_id') or _ref()}"):
            return
        who = await self._actor(team, str(event["user"]))
        where = translate.place(team, str(item.get("channel", "")), None)
        try:
            await self.on_reaction(
                who, where, str(event.get("reaction", "")), MessageId(str(item.get("ts", "")))
            )
        except (UserError, ChatPortError) as error:
            log.info("a reaction in %s was not acted on: %s", team, error)

    # Forms ---------------------------------------------------------------------------------------

    async def _ask_with_form(self, command: Command, to: Answerer) -> bool:
        """A command typed or clicked without its required parameters (``/cop ask``, the
        "Ask a question" button, ``/cop prompts schedule``) opens a form asking for them
        instead of a usage line; False when the command needs no form."""
        try:
            spec, rest = self.dispatcher.registry.resolve(command.name, command.text)
        except UserError:
            return False
        if rest or not to.trigger_id or not any(p.required for p in spec.params):
            return False
        where = to.place
        in_channel = where is not None and not where.is_direct
        form = translate.spec_form(spec)
        meta = FormMeta.of(
            form,
            by_position=True,
            channel=where.channel if where is not None and in_channel else None,
            thread=where.thread if where is not None else None,
            response_url=to.response_url,
            pick_place=not in_channel,
        )
        try:
            view = render.modal(form, meta.dump(), pick_place=meta.pick_place)
            await self.port.open_view(to.team, to.trigger_id, view)
        except ChatPortError as error:
            await self.answers.tell(to, say(error.user_message))
        return True

    async def form_for(
        self, name: str, who: Actor, where: Place
    ) -> tuple[Form | None, bool, list[Reply]]:
        """The form a command offers: the core's own (a reply with a form, asked with no text),
        else one built from the command's parameters (``by_position``), else None with the
        core's answer (e.g. "There is no command /lesson")."""
        replies = await self.dispatcher.handle(Command(name=name, text="", actor=who, place=where))
        for reply in replies:
            if reply.form is not None:
                return reply.form, False, replies
        spec = self.dispatcher.registry.get(name)
        if spec is not None and spec.params:
            return translate.spec_form(spec), True, replies
        return None, False, replies

    # Shortcuts -----------------------------------------------------------------------------------

    async def _run_ask(self, body: dict[str, Any]) -> None:
        """Global shortcut "Ask the community": the ask form, with a channel to post in."""
        team, user = translate.team_of(body), str(body["user"]["id"])
        trigger = str(body.get("trigger_id", ""))
        if not await self.seen.first_time(team, f"shortcut:{trigger or _ref()}"):
            return
        who = await self._actor(team, user, str(body["user"].get("username", "")))
        form, by_position, replies = await self.form_for("ask", who, translate.dm_place(team, user))
        try:
            if form is None:
                view = render.notice_modal("Ask the community", replies)
            else:
                meta = FormMeta.of(form, by_position=by_position, pick_place=True)
                view = render.modal(form, meta.dump(), pick_place=True)
            await self.port.open_view(team, trigger, view)
        except ChatPortError as error:
            await self.answers.tell(Answerer(team, user, None), say(error.user_message))

    async def _run_capture(self, body: dict[str, Any]) -> None:
        """Message shortcut "Capture as lesson": read the thread, draft, open the lesson form.

        The loading modal opens first, because the trigger expires in 3 seconds and reading a
        long thread may take longer; the form then replaces it.
        """
        team, user = translate.team_of(body), str(body["user"]["id"])
        trigger = str(body.get("trigger_id", ""))
        if not await self.seen.first_time(team, f"shortcut:{trigger or _ref()}"):
            return
        channel = str((body.get("channel") or {}).get("id", ""))
        message = body.get("message") or {}
        root = str(message.get("thread_ts") or message.get("ts") or "")
        to = Answerer(team, user, None, response_url=body.get("response_url"))
        try:
            loading = render.notice_modal(CAPTURE_TITLE, [say("Reading the thread…")])
            view_id = await self.port.open_view(team, trigger, loading)
        except ChatPortError as error:
            await self.answers.tell(to, say(error.user_message))
            return
        try:
            view = await self._capture_view(body, team, user, channel, root)
        except (ChatPortError, UserError) as error:
            text = error.user_message if isinstance(error, ChatPortError) else error.line()
            view = render.notice_modal(CAPTURE_TITLE, [say(text)])
        except Exception:
            ref = _ref()
            log.exception("capturing a lesson failed in workspace %s (ref %s)", team, ref)
            sorry = say(f"Sorry, that went wrong on copbot's side (ref {ref}).")
            view = render.notice_modal(CAPTURE_TITLE, [sorry])
        try:
            await self.port.update_view(team, view_id, view)
        except ChatPortError as error:
            await self.answers.tell(to, say(error.user_message))

    async def _capture_view(
        self, body: dict[str, Any], team: str, user: str, channel: str, root: str
    ) -> dict[str, Any]:
        who = await self._actor(team, user, str(body["user"].get("username", "")))
        raw = await self.port.thread(team, channel, root)
        messages = await self._chat_messages(team, raw)
        link = await self.port.permalink(team, channel, root)
        form, by_position, replies = await self._lesson_form(who, channel, root, messages, link)
        if form is None:
            return render.notice_modal(CAPTURE_TITLE, replies)
        meta = FormMeta.of(
            form,
            by_position=by_position,
            channel=channel,
            thread=root,
            response_url=body.get("response_url"),
        )
        intro = next((r for r in replies if r.form is form), None)
        return render.modal(form, meta.dump(), intro=Reply(blocks=intro.blocks) if intro else None)

    async def _lesson_form(
        self, who: Actor, channel: str, root: str, messages: list[ChatMessage], link: str | None
    ) -> tuple[Form | None, bool, list[Reply]]:
        """The lessons feature's own draft form when it offers one (``on_capture``); else any
        lesson form the registry offers, prefilled from the core's drafter."""
        if self.on_capture is not None:
            thread = [ThreadMessage(author=m.user_id, text=m.text, at=m.at) for m in messages]
            reply = await self.on_capture(who, thread, link)
            return reply.form, False, [reply]
        draft = await draft_from_thread(self.runtime, who.workspace, messages)
        where = translate.place(who.workspace.key, channel, root)
        form, by_position, replies = await self.form_for("lesson", who, where)
        if form is None:
            return None, False, [*replies, capture.draft_reply(draft)]
        return capture.prefill(form, draft, link), by_position, replies

    async def _chat_messages(self, team: str, raw: Sequence[dict]) -> list[ChatMessage]:
        """Slack messages as the core's ChatMessages, with members' names for their ids."""
        names = {}
        for uid in sorted(capture.user_ids(raw)):
            names[uid] = (await self._actor(team, uid)).display_name
        return capture.chat_messages(raw, names)

    async def _tell_only(self, body: dict[str, Any], reply: Reply) -> None:
        team, user = translate.team_of(body), str((body.get("user") or {}).get("id", ""))
        if user:
            to = Answerer(team, user, None, response_url=body.get("response_url"))
            await self.answers.tell(to, reply)


def _who(body: dict[str, Any]) -> str:
    user = body.get("user_id") or (body.get("user") or {}).get("id") or "?"
    try:
        team = translate.team_of(body)
    except ValueError:
        team = "?"
    return f"user {user} in workspace {team}"


def _ref() -> str:
    return uuid.uuid4().hex[:8]
