"""The ``/cop`` app-command group, generated from the command registry.

Each registry command becomes a subcommand with typed options (a member picker for a mention,
an integer with its bounds, a fixed choice list, autocomplete for time zones, topics, tags and
prompt sets). When it is invoked, the options are written back into the line a member would
type (``profile quiet 18:00-09:00``) and that line goes through the registry's own parser, so
Discord accepts exactly what the console and Slack accept and answers with the same errors.

How names map (Discord allows ``/cop <group> <subcommand>`` and 25 entries per level):

- a command whose first word has no other commands: ``/cop <name>`` (``/cop roles``);
- a word with several commands: a group, ``/cop profile timezone``; the command named by the
  word alone becomes ``/cop profile show`` when it takes no options, ``/cop lessons run ...``
  when it does; a third word joins the second with a hyphen;
- Discord allows 25 entries under ``/cop``: groups always get one; single commands fill the
  rest, members' commands first, and the others move to ``/cop more <name>``;
- ``/cop do <line>`` runs any copbot command as typed, including hidden ones (reached by
  buttons) and any the limits left out.

Changing the registry changes these commands: run ``copbot discord sync`` afterwards.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

import discord
from discord import app_commands

from adapters.discord import translate
from adapters.discord.suggest import Suggest, timezone_suggestions
from bot.errors import UserError
from bot.registry import CommandSpec, Kind, Param, Registry

if TYPE_CHECKING:
    from adapters.discord.respond import Responder

log = logging.getLogger(__name__)

ROOT = "cop"
CATCH_ALL = "do"
MORE = "more"
BASE_WITHOUT_OPTIONS = "show"
BASE_WITH_OPTIONS = "run"
CAPTURE_MENU = "Capture as lesson"
LEVEL_LIMIT = 25
OPTIONS_LIMIT = 25
DESCRIPTION_LIMIT = 100
CHOICES_LIMIT = 25
STRING_OPTION_LIMIT = 6000
DEFAULT_TEXT_LIMIT = 4000
_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


@dataclass(frozen=True, slots=True)
class Option:
    """One Discord option standing for one registry parameter."""

    name: str  # as Discord shows it
    param: Param


@dataclass(frozen=True, slots=True)
class Entry:
    """Where one registry command lives under ``/cop``."""

    path: tuple[str, ...]  # e.g. ("profile", "timezone") for /cop profile timezone
    spec: CommandSpec
    options: tuple[Option, ...]


def discord_name(raw: str) -> str | None:
    """A registry word as a Discord command or option name, or None when it cannot be one."""
    name = re.sub(r"[^-_a-z0-9]+", "-", raw.strip().lower()).strip("-")[:32]
    return name if _NAME.match(name) else None


def plan(registry: Registry) -> tuple[list[Entry], list[str]]:
    """Decide every command's Discord path; returns the entries and the commands left out
    (with why), which stay reachable through ``/cop do``.

    Discord allows 25 entries under ``/cop`` and no deeper nesting than ``/cop group command``.
    Groups (a word with several commands) always sit under ``/cop``; single commands fill the
    remaining places, members' commands first, and the rest go under ``/cop more``.
    """
    left_out: list[str] = []
    by_group: dict[str, list[CommandSpec]] = {}
    for spec in registry:
        if spec.hidden:
            continue
        by_group.setdefault(spec.group, []).append(spec)
    groups: list[tuple[str, list[CommandSpec]]] = []
    singles: list[tuple[str, CommandSpec]] = []
    for group, specs in sorted(by_group.items()):
        head = discord_name(group)
        if head is None or head in (CATCH_ALL, MORE):
            left_out.extend(f"/{s.name} (no valid Discord name)" for s in specs)
        elif len(specs) == 1 and specs[0].name == group:
            singles.append((head, specs[0]))
        else:
            groups.append((head, specs))
    entries: list[Entry] = []
    room = LEVEL_LIMIT - 1  # /cop do
    for head, specs in groups[:room]:
        entries.extend(_group_entries(head, specs, left_out))
    for _head, specs in groups[room:]:
        left_out.extend(f"/{s.name} (more than {LEVEL_LIMIT} entries under /cop)" for s in specs)
    room -= min(len(groups), room)
    singles.sort(key=lambda item: (item[1].role.rank, item[0]))
    if len(singles) > room:
        room -= 1  # /cop more
        overflow = singles[room:]
        singles = singles[:room]
        for head, spec in overflow[:LEVEL_LIMIT]:
            entries.append(_entry((MORE, head), spec, left_out))
        left_out.extend(
            f"/{spec.name} (more than {LEVEL_LIMIT} entries under /cop more)"
            for _head, spec in overflow[LEVEL_LIMIT:]
        )
    entries.extend(_entry((head,), spec, left_out) for head, spec in singles)
    return entries, left_out


def _group_entries(head: str, specs: list[CommandSpec], left_out: list[str]) -> list[Entry]:
    entries: list[Entry] = []
    used: set[str] = set()
    for spec in specs:
        sub = _sub_name(spec, spec.group, used)
        if sub is None or len(used) >= LEVEL_LIMIT:
            left_out.append(f"/{spec.name} (no free name under /cop {head})")
            continue
        used.add(sub)
        entries.append(_entry((head, sub), spec, left_out))
    return entries


def _sub_name(spec: CommandSpec, group: str, used: set[str]) -> str | None:
    if spec.name == group:
        preferred = BASE_WITH_OPTIONS if spec.params else BASE_WITHOUT_OPTIONS
        for candidate in (preferred, f"{preferred}-{group}"[:32]):
            if candidate not in used:
                return candidate
        return None
    name = discord_name("-".join(spec.name.split()[1:]))
    return name if name is not None and name not in used else None


def _entry(path: tuple[str, ...], spec: CommandSpec, left_out: list[str]) -> Entry:
    options: list[Option] = []
    for param in spec.params[:OPTIONS_LIMIT]:
        name = discord_name(param.name)
        if name is None or any(o.name == name for o in options):
            left_out.append(f"/{spec.name}: option {param.name!r} has no valid Discord name")
            continue
        options.append(Option(name, param))
    return Entry(path, spec, tuple(options))


# --- building the tree --------------------------------------------------------------------------


def annotation(param: Param) -> Any:
    """The Python type discord.py turns into the option's Discord type and limits."""
    base: Any
    match param.kind:
        case Kind.INT:
            if param.minimum is None and param.maximum is None:
                base = int
            else:
                base = app_commands.Range[int, param.minimum, param.maximum]
        case Kind.MENTION:
            base = discord.User
        case _:
            limit = param.max_length or (
                DEFAULT_TEXT_LIMIT if param.kind in (Kind.REST, Kind.WORD) else 100
            )
            base = app_commands.Range[str, None, min(limit, STRING_OPTION_LIMIT)]
    return base if param.required else Optional[base]  # noqa: UP045 - discord.py reads typing


def describe(param: Param) -> str:
    if param.help:
        text = param.help
    else:
        text = {
            Kind.WORD: f"the {param.name}",
            Kind.REST: f"the {param.name}, as you would type it",
            Kind.CHOICE: "one of " + ", ".join(param.choices),
            Kind.INT: f"a number ({param.name})",
            Kind.TIMEZONE: "a time zone, e.g. Europe/Berlin",
            Kind.TIME_RANGE: "24-hour times like 18:00-09:00, or off",
            Kind.MENTION: "a member",
        }[param.kind]
    return _clip(text, DESCRIPTION_LIMIT)


Invoke = Callable[[discord.Interaction, Entry, dict[str, Any]], Awaitable[None]]


def make_command(
    entry: Entry, invoke: Invoke, suggesters: Mapping[str, Suggest]
) -> app_commands.Command[Any, ..., Any]:
    """One registry command as an app command whose signature is its options."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await invoke(interaction, entry, values)

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for option in entry.options:
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation(option.param),
                default=inspect.Parameter.empty if option.param.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        o.name: describe(o.param) for o in entry.options
    }
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    completers: dict[str, Callable[..., Any]] = {}
    for option in entry.options:
        param = option.param
        if param.kind is Kind.CHOICE and len(param.choices) <= CHOICES_LIMIT:
            choices[option.name] = [app_commands.Choice(name=c, value=c) for c in param.choices]
        elif param.kind is Kind.CHOICE:
            completers[option.name] = _completer(_from_choices(param.choices))
        elif param.kind is Kind.TIMEZONE:
            completers[option.name] = _completer(timezone_suggestions)
        elif param.name in suggesters:
            completers[option.name] = _completer(suggesters[param.name])
    if choices:
        callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    if completers:
        callback.__discord_app_commands_param_autocomplete__ = completers  # type: ignore[attr-defined]
    return app_commands.Command(
        name=entry.path[-1],
        description=_clip(entry.spec.summary or entry.spec.name, DESCRIPTION_LIMIT),
        callback=callback,
    )


def _from_choices(values: tuple[str, ...]) -> Suggest:
    async def suggest(_workspace: Any, current: str) -> list[str]:
        return [v for v in values if current.lower() in v.lower()]

    return suggest


def _completer(suggest: Suggest) -> Callable[..., Any]:
    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        try:
            found = await suggest(translate.workspace_ref(interaction.guild_id), current)
        except Exception:
            log.exception("autocomplete failed for %r", current[:100])
            return []
        return [
            app_commands.Choice(name=_clip(value, 100), value=value[:100])
            for value in found[:CHOICES_LIMIT]
        ]

    return complete


class CopTree(app_commands.CommandTree):
    """The command tree, with one error handler that always answers the member."""

    responder: Responder

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        if isinstance(error, app_commands.TransformerError):
            log.info("bad option value from %s: %s", interaction.user.id, error)
            await self.responder.tell(
                interaction,
                f"'{_clip(str(error.value), 40)}' is not a valid {error.type.name} here; "
                "pick one from the list or type it again.",
            )
            return
        if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
            log.warning(
                "Discord sent a command copbot no longer has (%s); run `copbot discord sync`",
                error,
            )
            await self.responder.tell(
                interaction,
                "copbot's commands have changed since they were registered; ask an admin to "
                "run `copbot discord sync`. Meanwhile `/cop do` takes any command as text.",
            )
            return
        cause = error.__cause__ or error
        await self.responder.apologise(interaction, cause)


def build_tree(
    client: discord.Client,
    registry: Registry,
    responder: Responder | None,
    *,
    suggesters: Mapping[str, Suggest] | None = None,
    capture: Callable[[discord.Interaction, discord.Message], Awaitable[None]] | None = None,
) -> CopTree:
    """The ``/cop`` group (and the "Capture as lesson" menu) on a new command tree.

    ``responder`` may be None only to register the commands (``copbot discord sync``)."""
    tree = CopTree(client)
    if responder is not None:
        tree.responder = responder
    entries, left_out = plan(registry)
    for line in left_out:
        log.warning("not a Discord subcommand (still reachable with /cop do): %s", line)
    root = app_commands.Group(
        name=ROOT, description="copbot: ask, share and learn with your community", guild_only=True
    )
    groups: dict[str, app_commands.Group] = {}

    async def invoke(
        interaction: discord.Interaction, entry: Entry, values: dict[str, Any]
    ) -> None:
        assert responder is not None
        by_param = {o.param.name: _plain(values.get(o.name)) for o in entry.options}
        try:
            name, text = translate.command_words(entry.spec, by_param)
        except UserError as error:
            await responder.tell(interaction, error.line())
            return
        await responder.on_command(interaction, name, text)

    for entry in entries:
        command = make_command(entry, invoke, suggesters or {})
        if len(entry.path) == 1:
            root.add_command(command)
            continue
        group = groups.get(entry.path[0])
        if group is None:
            about = "more copbot commands" if entry.path[0] == MORE else f"{entry.path[0]} commands"
            group = app_commands.Group(
                name=entry.path[0], description=_clip(about, DESCRIPTION_LIMIT), parent=root
            )
            groups[entry.path[0]] = group
        group.add_command(command)

    async def run_line(
        interaction: discord.Interaction, line: app_commands.Range[str, 1, DEFAULT_TEXT_LIMIT]
    ) -> None:
        assert responder is not None
        name, _, text = line.strip().removeprefix("/").removeprefix("cop ").partition(" ")
        await responder.on_command(interaction, name, text)

    run_line.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        "line": "any copbot command as you would type it, e.g. profile quiet 18:00-09:00"
    }
    root.add_command(
        app_commands.Command(
            name=CATCH_ALL, description="run any copbot command as typed text", callback=run_line
        )
    )
    tree.add_command(root)
    if capture is not None:

        async def capture_menu(interaction: discord.Interaction, message: discord.Message) -> None:
            await capture(interaction, message)

        menu = app_commands.ContextMenu(name=CAPTURE_MENU, callback=capture_menu)
        menu.guild_only = True
        tree.add_command(menu)
    return tree


def _plain(value: Any) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, discord.abc.User):
        return translate.mention(value.id)
    if isinstance(value, int):
        return value
    return str(value)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
