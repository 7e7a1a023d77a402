"""Answering interactions: every one within Discord's 3 seconds, whatever the core is doing.

An interaction (slash command, button, form submission, context menu) becomes a neutral
Command and goes to the dispatcher as a task. If the replies are ready within ``defer_after``
seconds they are the interaction's response (the cheapest path: one request); otherwise the
interaction is deferred ("copbot is thinking...") and the replies follow through the
interaction webhook, which stays valid for 15 minutes. The gateway loop is never held: the
dispatcher's storage work runs in worker threads, and discord.py runs each callback as a task.

Replies go where their visibility says: ephemeral (only the actor sees it), in the channel, or
as a DM (with a short ephemeral note so the interaction is still answered). A reply with a form
opens a modal when it can still be the response; after a deferral it cannot, so the member gets
a button that opens it instead. Every message goes out with no allowed mentions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from typing import Any

import discord

from adapters.discord import translate
from adapters.discord.views import FormModal, ReopenFormView, build_view, with_values
from bot.dispatch import Dispatcher
from bot.model import (
    Action,
    ActionStyle,
    Actor,
    Command,
    Form,
    Place,
    Reply,
    Text,
    UserId,
    Visibility,
    WorkspaceKey,
    WorkspaceRef,
    say,
)
from bot.ports import ChatPort, ChatPortError

log = logging.getLogger(__name__)

DEFER_AFTER = 2.0
"""Seconds to wait for the core before deferring; Discord allows 3 from the interaction's
creation, and the gateway and the callback request need some of that."""
NO_MENTIONS = discord.AllowedMentions.none()
GUILD_NEEDED = (
    "copbot's commands work inside a server: run this in one of its channels (a DM has no "
    "community to ask)."
)


@dataclass
class _Answer:
    """How far the response to one interaction has got."""

    interaction: discord.Interaction
    deferred: bool = False
    original_pending: bool = False  # deferred and the "thinking" message not replaced yet
    sent: int = 0
    dm_notes: list[str] = field(default_factory=list)


class Responder:
    """Turns interactions into Commands and replies into Discord responses."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        port: ChatPort,
        *,
        facilitator_role: str | None = None,
        defer_after: float = DEFER_AFTER,
    ) -> None:
        self.dispatcher = dispatcher
        self.port = port
        self.facilitator_role = facilitator_role
        self.defer_after = defer_after

    # --- who and where ------------------------------------------------------------------------

    def actor(self, interaction: discord.Interaction, workspace: WorkspaceRef) -> Actor:
        user = interaction.user
        in_guild = interaction.guild_id is not None and str(interaction.guild_id) == workspace.key
        roles = user.roles if in_guild and isinstance(user, discord.Member) else ()
        return translate.actor(
            workspace,
            user_id=user.id,
            display_name=user.display_name,
            manage_guild=in_guild and interaction.permissions.manage_guild,
            roles=roles,
            facilitator_role=self.facilitator_role,
        )

    def place(self, interaction: discord.Interaction, workspace: WorkspaceRef) -> Place:
        channel = interaction.channel
        channel_id = interaction.channel_id or 0
        if isinstance(channel, discord.Thread):
            return translate.place(
                workspace, channel_id=channel.id, parent_id=channel.parent_id, is_thread=True
            )
        is_direct = isinstance(channel, discord.DMChannel) or interaction.guild_id is None
        return translate.place(workspace, channel_id=channel_id, is_direct=is_direct)

    def command(
        self, interaction: discord.Interaction, workspace: WorkspaceRef, name: str, text: str
    ) -> Command:
        return Command(
            name=name,
            text=text,
            actor=self.actor(interaction, workspace),
            place=self.place(interaction, workspace),
        )

    # --- entry points -------------------------------------------------------------------------

    async def on_command(self, interaction: discord.Interaction, name: str, text: str) -> None:
        """A slash command (or the context menu) in a guild."""
        if interaction.guild_id is None:
            log.info("refused /cop %s from user %s in a DM", name, interaction.user.id)
            await self.tell(interaction, GUILD_NEEDED)
            return
        workspace = translate.workspace_ref(interaction.guild_id)
        await self.run(interaction, self.command(interaction, workspace, name, text))

    async def on_button(
        self, interaction: discord.Interaction, workspace_key: WorkspaceKey, line: str
    ) -> None:
        """A copbot button: its command runs in its own workspace as the presser."""
        if interaction.guild_id is not None and str(interaction.guild_id) != workspace_key:
            log.warning(
                "button for workspace %s pressed in guild %s by %s; refused",
                workspace_key,
                interaction.guild_id,
                interaction.user.id,
            )
            await self.tell(interaction, "That button belongs to another server.")
            return
        workspace = translate.workspace_ref(int(workspace_key))
        name, _, text = line.partition(" ")
        await self.run(interaction, self.command(interaction, workspace, name, text))

    async def on_form(
        self,
        interaction: discord.Interaction,
        form: Form,
        values: dict[str, str],
        workspace: WorkspaceRef,
    ) -> None:
        """A submitted modal: checked here first, so a bad one stores nothing at all."""
        errors = translate.form_errors(form, values)
        if errors:
            log.info(
                "rejected the %r form from %s in %s: %s",
                form.command,
                interaction.user.id,
                workspace,
                "; ".join(errors),
            )
            fixed = with_values(form, values)
            await interaction.response.send_message(
                "Nothing was saved. " + " ".join(errors),
                ephemeral=True,
                view=ReopenFormView(lambda: self.modal(fixed, workspace)),
                allowed_mentions=NO_MENTIONS,
            )
            return
        command = self.command(interaction, workspace, form.command, form.to_text(values))
        await self.run(interaction, command)

    def modal(self, form: Form, workspace: WorkspaceRef) -> FormModal:
        inputs = translate.modal_inputs(form)
        assert inputs is not None

        async def submitted(
            interaction: discord.Interaction, form: Form, values: dict[str, str]
        ) -> None:
            await self.on_form(interaction, form, values, workspace)

        return FormModal(form, inputs, submitted)

    # --- running and answering ----------------------------------------------------------------

    async def run(self, interaction: discord.Interaction, command: Command) -> None:
        """Dispatch ``command`` and answer ``interaction`` with its replies, in time."""
        again = " ".join(part for part in (command.name, command.text) if part)
        await self.run_work(
            interaction, command.actor, self.dispatcher.handle(command), again=again
        )

    async def run_work(
        self,
        interaction: discord.Interaction,
        actor: Actor,
        work: Awaitable[list[Reply]],
        *,
        again: str | None = None,
    ) -> None:
        """Await ``work`` (which must not raise) and answer with its replies, deferring first
        when it takes longer than ``defer_after``. ``again`` is the command that would produce
        the same replies, for a form that can no longer open as the response."""
        answer = _Answer(interaction)
        task = asyncio.ensure_future(work)
        try:
            replies = await asyncio.wait_for(asyncio.shield(task), timeout=self.defer_after)
        except TimeoutError:
            answer.deferred = await self._defer(interaction)
            answer.original_pending = answer.deferred
            replies = await task
        try:
            await self.deliver(answer, actor, replies, again)
        except discord.HTTPException as error:
            log.warning(
                "Discord refused the answer to %r for %s in %s: %s %s",
                again or "an interaction",
                actor.user_id,
                actor.workspace,
                error.status,
                error.text,
            )

    async def _defer(self, interaction: discord.Interaction) -> bool:
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as error:
            log.warning("could not defer interaction %s: %s", interaction.id, error)
            return False
        return True

    async def deliver(
        self, answer: _Answer, actor: Actor, replies: list[Reply], again: str | None
    ) -> None:
        workspace = actor.workspace
        for reply in replies:
            if reply.form is not None:
                can_open = not answer.interaction.response.is_done() and answer.sent == 0
                if can_open and await self._open_form(answer.interaction, reply.form, workspace):
                    answer.sent += 1
                    continue
                reply = self._form_as_message(reply, reply.form, workspace.key, again)
            if reply.visibility is Visibility.DIRECT:
                if await self._direct(actor, reply):
                    answer.dm_notes.append(reply.fallback_text)
                    continue
                note = Text("(Your direct messages are closed, so here it is.)")
                reply = replace(reply, blocks=(*reply.blocks, note))
            await self._send(answer, reply, workspace.key)
        if answer.sent == 0:
            line = "I sent you a direct message." if answer.dm_notes else "Done."
            await self._send(answer, say(line), workspace.key)

    async def _send(self, answer: _Answer, reply: Reply, workspace: WorkspaceKey) -> None:
        interaction = answer.interaction
        parts = translate.render(reply, workspace)
        ephemeral = reply.visibility is not Visibility.IN_CHANNEL
        view = build_view(parts.buttons)
        kwargs: dict[str, Any] = {
            "content": parts.content,
            "embeds": list(parts.embeds),
            "allowed_mentions": NO_MENTIONS,
        }
        if view is not None:
            kwargs["view"] = view
        if not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
        elif answer.original_pending:
            answer.original_pending = False
            if ephemeral:
                await interaction.edit_original_response(**kwargs)
            else:
                await interaction.edit_original_response(
                    content="Posted in the channel.", embeds=[], allowed_mentions=NO_MENTIONS
                )
                await interaction.followup.send(ephemeral=False, wait=True, **kwargs)
        else:
            await interaction.followup.send(ephemeral=ephemeral, wait=True, **kwargs)
        answer.sent += 1

    async def _direct(self, actor: Actor, reply: Reply) -> bool:
        try:
            await self.port.send_direct(actor.workspace, UserId(actor.user_id), reply)
        except ChatPortError as error:
            log.info("could not DM %s in %s: %s", actor.user_id, actor.workspace, error)
            return False
        return True

    async def _open_form(
        self, interaction: discord.Interaction, form: Form, workspace: WorkspaceRef
    ) -> bool:
        if translate.modal_inputs(form) is None:
            log.warning(
                "the %r form has %d fields; a Discord modal holds %d, so it is shown as text",
                form.command,
                len(form.fields),
                translate.MODAL_FIELDS_LIMIT,
            )
            return False
        await interaction.response.send_modal(self.modal(form, workspace))
        return True

    def _form_as_message(
        self, reply: Reply, form: Form, workspace: WorkspaceKey, again: str | None
    ) -> Reply:
        """A form that can no longer be a modal: a button that asks again, or its syntax."""
        fits = again is not None and translate.action_id(workspace, again) is not None
        if fits and again is not None and translate.modal_inputs(form) is not None:
            action = Action(f"Open: {form.title}"[:80], again, ActionStyle.PRIMARY)
            return replace(reply, form=None, actions=(action, *reply.actions))
        return replace(reply, form=None, blocks=(*reply.blocks, Text(translate.form_usage(form))))

    async def tell(self, interaction: discord.Interaction, line: str) -> None:
        """One line only the actor sees, as the response or, once answered, a follow-up."""
        if interaction.response.is_done():
            await interaction.followup.send(line, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                line, ephemeral=True, allowed_mentions=NO_MENTIONS
            )

    async def apologise(self, interaction: discord.Interaction, error: BaseException) -> str:
        """An unexpected failure in the adapter itself: log it with a reference, say sorry."""
        ref = uuid.uuid4().hex[:8]
        log.error(
            "bug in the Discord adapter (ref %s) handling interaction %s from %s",
            ref,
            interaction.id,
            interaction.user.id,
            exc_info=error,
        )
        with contextlib.suppress(discord.HTTPException):
            await self.tell(
                interaction,
                "Sorry, something went wrong on copbot's side and nothing was changed. "
                f"It has been logged (ref {ref}); please try again.",
            )
        return ref

    def bug_reply(self, error: BaseException, what: str) -> Reply:
        """Core code outside the dispatcher failed: log it with a reference, say sorry."""
        ref = uuid.uuid4().hex[:8]
        log.error("bug while %s (ref %s)", what, ref, exc_info=error)
        return say(
            "Sorry, something went wrong on copbot's side and nothing was changed. "
            f"It has been logged (ref {ref}); please try again."
        )
