"""discord.ui pieces: buttons that keep working after a restart, and forms as modals.

A button's custom id is ``cop:<guild id>:<command>`` (see translate.action_id). One DynamicItem
class matches every such id and is registered once at start-up, so a button posted last month,
before a restart, in a channel or in a DM, still runs its command as the person who presses it.
Views are sent already stopped: discord.py then keeps no per-message state in memory, and the
dynamic item alone routes the clicks.

A form becomes a ui.Modal. Discord closes a modal on submit, so a submission with errors is
answered with the errors and a button that reopens the modal with what the member typed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.translate import ACTION_ID, Button, InputSpec, modal_title
from bot.model import Form, WorkspaceKey

if TYPE_CHECKING:
    from adapters.discord.respond import Responder

log = logging.getLogger(__name__)

FORM_TIMEOUT = 15 * 60
"""How long an open modal (and a "fix the form" button) is remembered; Discord never says when
a member dismisses one, so it cannot be kept forever."""

SubmitHandler = Callable[[discord.Interaction, Form, dict[str, str]], Awaitable[None]]


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ACTION_ID):
    """Any copbot button: pressing it runs its command, in its workspace, as the presser."""

    def __init__(
        self,
        custom_id: str,
        *,
        label: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ) -> None:
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        match = ACTION_ID.fullmatch(custom_id)
        assert match is not None
        self.workspace = WorkspaceKey(match["workspace"])
        self.command = match["command"]

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> ActionButton:
        button = item if isinstance(item, discord.ui.Button) else None
        return cls(
            match.string,
            label=button.label if button else None,
            style=button.style if button else discord.ButtonStyle.secondary,
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        responder: Responder = interaction.client.copbot_responder  # type: ignore[attr-defined]
        await responder.on_button(interaction, self.workspace, self.command)


def build_view(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    """The buttons as a view, or None; stopped, so discord.py stores nothing per message."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(ActionButton(button.custom_id, label=button.label, style=button.style))
    view.stop()
    return view


class FormModal(discord.ui.Modal):
    """A Form as a Discord modal; its submission goes back through ``on_form``."""

    def __init__(self, form: Form, inputs: tuple[InputSpec, ...], on_form: SubmitHandler) -> None:
        super().__init__(title=modal_title(form), timeout=FORM_TIMEOUT)
        self.form = form
        self._on_form = on_form
        self.inputs: dict[str, discord.ui.TextInput[Any]] = {}
        for spec in inputs:
            text_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=spec.label,
                custom_id=spec.name,
                style=discord.TextStyle.paragraph if spec.multiline else discord.TextStyle.short,
                required=spec.required,
                max_length=max(1, spec.max_length),
                default=spec.default or None,
                placeholder=spec.placeholder or None,
            )
            self.inputs[spec.name] = text_input
            self.add_item(text_input)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        values = {name: text_input.value or "" for name, text_input in self.inputs.items()}
        await self._on_form(interaction, self.form, values)

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        log.error("bug in the %r form's submission", self.form.command, exc_info=error)
        if not interaction.response.is_done():
            await interaction.response.send_message(
                "Sorry, something went wrong on copbot's side and nothing was saved; "
                "please try again.",
                ephemeral=True,
            )


def with_values(form: Form, values: Mapping[str, str]) -> Form:
    """The same form, prefilled with what the member typed last time."""
    fields = tuple(
        replace(f, initial=(values.get(f.name) or "").strip() or f.initial) for f in form.fields
    )
    return replace(form, fields=fields)


class ReopenFormView(discord.ui.View):
    """One button that reopens a form with the member's values, after a rejected submission."""

    def __init__(self, modal_factory: Callable[[], FormModal]) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self._modal_factory = modal_factory

    @discord.ui.button(label="Fix the form", style=discord.ButtonStyle.primary)
    async def reopen(
        self, interaction: discord.Interaction, _button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_modal(self._modal_factory())
