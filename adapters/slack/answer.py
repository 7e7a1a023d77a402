"""Answering the person who acted: where each of the core's replies goes, and what happens
when Slack refuses on the way.

Through the interaction's response_url when there is one (it works in channels the bot is not
in, and answers ephemerally), otherwise as an ephemeral message in the channel, a post, or a DM;
a reply with a form opens a modal with the interaction's trigger. A refusal (not_in_channel,
an expired trigger...) is told to the person in the most reliable way left, and logged.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.slack import render, translate
from adapters.slack.port import SlackPort
from adapters.slack.translate import FormMeta
from bot.model import Form, Place, Reply, UserId, Visibility, say
from bot.ports import ChatPortError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answerer:
    """Where the answers to one person's request go."""

    team: str
    user: str
    place: Place | None  # the channel (and thread) it happened in; None in a view
    response_url: str | None = None
    trigger_id: str | None = None
    replace_original: bool = False  # a click on an ephemeral message: answer in its place


class Answers:
    """Sends replies to the person who acted, through the port."""

    def __init__(self, port: SlackPort) -> None:
        self.port = port

    async def deliver(self, replies: Sequence[Reply], to: Answerer) -> None:
        """Send the core's replies to the person who acted; a refusal on the way tells them."""
        trigger = to.trigger_id
        replace = to.replace_original
        for reply in replies:
            if reply.form is not None:
                if trigger:
                    await self.open_form(reply.form, to, trigger)
                    trigger = None  # a trigger opens one view
                    continue
                reply = dataclasses.replace(
                    reply, blocks=(*reply.blocks, *say(render.form_usage(reply.form)).blocks)
                )
            if not reply.blocks and not reply.actions:
                continue
            try:
                await self.send(reply, dataclasses.replace(to, replace_original=replace))
            except ChatPortError as error:
                await self.tell(to, say(error.user_message))
            replace = False

    async def open_form(self, form: Form, to: Answerer, trigger: str) -> None:
        where = to.place
        meta = FormMeta.of(
            form,
            channel=where.channel if where and not where.is_direct else None,
            thread=where.thread if where else None,
            response_url=to.response_url,
        )
        dump = meta.dump()
        if len(dump) > render.METADATA_LIMIT:
            dump = dataclasses.replace(meta, response_url=None).dump()
        try:
            await self.port.open_view(to.team, trigger, render.modal(form, dump))
        except ChatPortError as error:
            await self.tell(to, say(error.user_message))

    async def send(self, reply: Reply, to: Answerer) -> None:
        workspace = translate.workspace(to.team)
        if reply.visibility is Visibility.DIRECT or to.place is None:
            await self.port.send_direct(workspace, UserId(to.user), reply)
            return
        in_channel = reply.visibility is Visibility.IN_CHANNEL
        if to.response_url:
            await self.port.respond(
                to.team,
                to.response_url,
                reply,
                in_channel=in_channel,
                replace_original=to.replace_original and not in_channel,
            )
        elif in_channel or to.place.is_direct:
            await self.port.post(to.place, reply)
        else:
            await self.port.ephemeral(to.place, to.user, reply)

    async def tell(self, to: Answerer, reply: Reply) -> None:
        """A last-resort answer (an error on the way): response_url, else a DM, else the log."""
        attempts: list[Callable[[], Awaitable[Any]]] = []
        if to.response_url:
            attempts.append(lambda: self.port.respond(to.team, to.response_url or "", reply))
        attempts.append(
            lambda: self.port.send_direct(translate.workspace(to.team), UserId(to.user), reply)
        )
        for attempt in attempts:
            try:
                await attempt()
                return
            except ChatPortError:
                continue
        log.warning("could not tell %s in workspace %s: %s", to.user, to.team, reply.fallback_text)
