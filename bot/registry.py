"""One command registry for every adapter: names, argument grammar, help text, required role.

The console, Slack's ``/cop`` and Discord's ``/cop`` group all resolve and parse through here, so
the three accept exactly the same syntax and give the same errors, and ``/help`` is generated
from the same specs rather than written by hand.

A command name may have words (``profile timezone``): the longest registered name that the typed
words start with wins, so ``/profile timezone Europe/Berlin`` reaches ``profile timezone`` and
``/profile`` alone reaches ``profile``.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import time
from typing import TYPE_CHECKING, Any

from bot.errors import UsageError
from bot.timezones import parse_time_range, resolve_timezone, suggest_timezones
from storage.models import Role

if TYPE_CHECKING:
    from bot.context import Context
    from bot.model import Reply

Handler = Callable[["Context"], Awaitable["Reply | list[Reply]"]]

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_MENTION = re.compile(r"^<@!?([A-Za-z0-9_.-]+)(?:\|[^>]*)?>$|^@([A-Za-z0-9_.-]+)$")


class Kind(enum.Enum):
    WORD = "word"
    REST = "rest"  # everything left, verbatim (a question, a lesson)
    CHOICE = "choice"
    INT = "int"
    TIMEZONE = "timezone"
    TIME_RANGE = "time_range"  # 18:00-09:00, or "off"
    MENTION = "mention"  # <@U123>, <@U123|name>, <@!123>, @name


@dataclass(frozen=True, slots=True)
class MentionArg:
    """A member named in a command; ``by_id`` when the platform gave an id, else a name."""

    value: str
    by_id: bool


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind = Kind.WORD
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""

    def usage(self) -> str:
        label = "|".join(self.choices) if self.kind is Kind.CHOICE else self.name
        if self.kind is Kind.REST and self.kind is not Kind.CHOICE:
            label = f"{self.name}..."
        return f"<{label}>" if self.required else f"[{label}]"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    summary: str
    handler: Handler
    params: tuple[Param, ...] = ()
    role: Role = Role.MEMBER
    help: str = ""
    examples: tuple[str, ...] = ()
    hidden: bool = False  # reachable (e.g. by a button) but not listed in /help

    def usage(self) -> str:
        return " ".join([f"/{self.name}", *(p.usage() for p in self.params)])

    @property
    def group(self) -> str:
        return self.name.split(" ", 1)[0]


@dataclass(frozen=True, slots=True)
class Parsed:
    spec: CommandSpec
    args: dict[str, Any] = field(default_factory=dict)


class Registry:
    """The set of commands copbot understands."""

    def __init__(self, specs: Iterable[CommandSpec] = ()) -> None:
        self._specs: dict[str, CommandSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: CommandSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"command {spec.name!r} registered twice")
        rest = [p for p in spec.params if p.kind is Kind.REST]
        if rest and spec.params[-1] is not rest[0]:
            raise ValueError(f"{spec.name}: a rest parameter must come last")
        self._specs[spec.name] = spec

    def __iter__(self) -> Iterable[CommandSpec]:  # type: ignore[override]
        return iter(sorted(self._specs.values(), key=lambda s: s.name))

    def get(self, name: str) -> CommandSpec | None:
        return self._specs.get(name)

    def groups(self) -> list[str]:
        return sorted({s.group for s in self._specs.values() if not s.hidden})

    def in_group(self, group: str) -> list[CommandSpec]:
        return sorted(
            (s for s in self._specs.values() if s.group == group and not s.hidden),
            key=lambda s: s.name,
        )

    def resolve(self, name: str, text: str) -> tuple[CommandSpec, str]:
        """Find the spec for ``/name text`` and return it with the text left for its params."""
        name = name.strip().lstrip("/").lower()
        if not name:
            raise UsageError("That is an empty command.", "Type /help to see what copbot can do.")
        words = text.split()
        best: CommandSpec | None = self._specs.get(name)
        consumed = 0
        for n in range(1, len(words) + 1):
            candidate = " ".join([name, *(w.lower() for w in words[:n])])
            if candidate in self._specs:
                best, consumed = self._specs[candidate], n
            elif not any(s.startswith(candidate + " ") for s in self._specs):
                break
        if best is None:
            raise UsageError(f"There is no command /{name}.", self._did_you_mean(name))
        skipped = re.match(rf"\s*(?:\S+\s*){{{consumed}}}", text) if consumed else None
        remainder = text[skipped.end() :] if skipped else text
        return best, remainder.strip()

    def parse(self, name: str, text: str) -> Parsed:
        spec, remainder = self.resolve(name, text)
        return Parsed(spec=spec, args=parse_args(spec, remainder))

    def _did_you_mean(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.groups(), n=1, cutoff=0.6)
        if close:
            return f"Did you mean /{close[0]}? Type /help to see every command."
        return "Type /help to see what copbot can do."


def parse_args(spec: CommandSpec, text: str) -> dict[str, Any]:
    """Turn the text after a command's name into typed values, or raise a UsageError."""
    args: dict[str, Any] = {}
    remaining = text.strip()
    for param in spec.params:
        if param.kind is Kind.REST:
            value = remaining.strip()
            remaining = ""
        else:
            match = _TOKEN.match(remaining)
            if match is None:
                value = ""
            else:
                value = match.group(1) if match.group(1) is not None else match.group(2)
                remaining = remaining[match.end() :].strip()
        if not value:
            if param.required:
                raise UsageError(f"/{spec.name} needs {param.usage()}.", f"Type: {spec.usage()}")
            args[param.name] = None
            continue
        args[param.name] = convert(spec, param, value)
    if remaining:
        raise UsageError(
            f"/{spec.name} does not take '{_clip(remaining)}'.", f"Type: {spec.usage()}"
        )
    return args


def convert(spec: CommandSpec, param: Param, value: str) -> Any:
    """Check and convert one argument; the error says what to type instead."""
    usage = f"Type: {spec.usage()}"
    if param.max_length is not None and len(value) > param.max_length:
        raise UsageError(
            f"The {param.name} is {len(value):,} characters; the limit is {param.max_length:,}.",
            "Shorten it and try again.",
        )
    match param.kind:
        case Kind.WORD | Kind.REST:
            return value
        case Kind.CHOICE:
            lowered = value.lower()
            if lowered not in param.choices:
                raise UsageError(
                    f"'{_clip(value)}' is not one of {', '.join(param.choices)}.", usage
                )
            return lowered
        case Kind.INT:
            try:
                number = int(value.lstrip("#"))
            except ValueError:
                raise UsageError(
                    f"{param.name} must be a number, not '{_clip(value)}'.", usage
                ) from None
            if param.minimum is not None and number < param.minimum:
                raise UsageError(f"{param.name} must be at least {param.minimum}.", usage)
            if param.maximum is not None and number > param.maximum:
                raise UsageError(f"{param.name} must be at most {param.maximum}.", usage)
            return number
        case Kind.TIMEZONE:
            zone = resolve_timezone(value)
            if zone is None:
                near = suggest_timezones(value)
                hint = f"Did you mean {', '.join(near)}?" if near else "For example: "
                example = "" if near else "/profile timezone Europe/Berlin or America/New_York"
                raise UsageError(f"Unknown time zone '{_clip(value)}'.", hint + example)
            return zone
        case Kind.TIME_RANGE:
            if value.lower() == "off":
                return "off"
            parsed: tuple[time, time] | None = parse_time_range(value)
            if parsed is None:
                raise UsageError(
                    f"'{_clip(value)}' is not a time range.",
                    f"Use 24-hour times, e.g. /{spec.name} 18:00-09:00, or 'off'.",
                )
            return parsed
        case Kind.MENTION:
            found = _MENTION.match(value)
            if found is None:
                raise UsageError(f"'{_clip(value)}' is not a member.", f"Mention them: {usage}")
            if found.group(1):
                return MentionArg(found.group(1), by_id=True)
            return MentionArg(found.group(2), by_id=False)
    raise AssertionError(param.kind)


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
