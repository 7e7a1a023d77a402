"""Admin configuration: /config and /topic alias. Only admins configure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from bot.context import Context
from bot.errors import UsageError
from bot.model import Fields, Items, Reply, Text, say
from bot.registry import CommandSpec, Kind, Param
from bot.services.topics import clean_topic
from bot.timezones import resolve_timezone
from storage.models import Role, Workspace
from storage.repos import expertise as expertise_repo


@dataclass(frozen=True)
class Setting:
    key: str
    column: str
    label: str
    minimum: float
    maximum: float
    kind: type = int


SETTINGS = (
    Setting("candidates", "route_candidates", "experts asked per question", 1, 10),
    Setting("daily-cap", "daily_route_cap", "routed questions per member per day", 1, 50),
    Setting(
        "escalation-hours", "escalation_hours", "working hours before escalating", 0.25, 168, float
    ),
    Setting(
        "half-life", "expertise_half_life_days", "days for learned expertise to halve", 7, 3650
    ),
    Setting("review-days", "lesson_review_days", "days before a lesson is due for review", 7, 3650),
)
BY_KEY = {s.key: s for s in SETTINGS}


async def show(ctx: Context) -> Reply:
    workspace = await ctx.db.run(lambda s: s.get(Workspace, ctx.workspace_id))
    pairs = [
        (
            "questions-channel",
            f"#{workspace.questions_channel_id}"
            if workspace.questions_channel_id
            else "(where /ask is typed)",
        ),
        ("timezone", workspace.default_timezone),
    ]
    pairs += [(s.key, f"{getattr(workspace, s.column):g} ({s.label})") for s in SETTINGS]
    return Reply(
        blocks=(
            Text("*Workspace settings*"),
            Fields(tuple(pairs)),
            Text("Change one with /config set <setting> <value>, e.g. /config set candidates 4."),
        )
    )


async def set_value(ctx: Context) -> Reply:
    key, raw = ctx.args["setting"], ctx.args["value"]

    def apply(session: Session) -> str:
        workspace = session.get(Workspace, ctx.workspace_id)
        assert workspace is not None
        if key == "questions-channel":
            channel = _channel(raw)
            workspace.questions_channel_id = channel
            session.add(workspace)
            return (
                f"Questions now go to #{channel}."
                if channel
                else "Questions now stay where /ask is typed."
            )
        if key == "timezone":
            zone = resolve_timezone(raw)
            if zone is None:
                raise UsageError(
                    f"Unknown time zone '{raw[:40]}'.",
                    "For example: /config timezone Europe/Berlin",
                )
            workspace.default_timezone = zone
            session.add(workspace)
            return f"The workspace time zone is now {zone}."
        setting = BY_KEY[key]
        try:
            value = setting.kind(raw)
        except ValueError:
            raise UsageError(f"{key} takes a number, not '{raw[:40]}'.") from None
        if not setting.minimum <= value <= setting.maximum:
            raise UsageError(f"{key} must be between {setting.minimum:g} and {setting.maximum:g}.")
        setattr(workspace, setting.column, value)
        session.add(workspace)
        return f"{key} is now {value:g} ({setting.label})."

    return say(await ctx.db.run(apply))


def _channel(raw: str) -> str | None:
    """``#questions``, ``<#C123|questions>`` or ``<#123>`` -> the channel id; ``none`` -> None."""
    if raw.lower() in ("none", "off", "here"):
        return None
    match = re.fullmatch(r"<#([A-Za-z0-9]+)(?:\|[^>]*)?>|#?([\w.-]{1,80})", raw.strip())
    if match is None:
        raise UsageError(
            f"'{raw[:40]}' is not a channel.", "For example: /config questions-channel #questions"
        )
    return match.group(1) or match.group(2)


async def alias(ctx: Context) -> Reply:
    alias_name, topic = clean_topic(ctx.args["alias"]), clean_topic(ctx.args["topic"])
    if not alias_name or not topic or alias_name == topic:
        raise UsageError(
            "An alias and its topic must be two different topics.",
            "Type: /topic alias k8s kubernetes",
        )
    await ctx.db.run(expertise_repo.set_alias, ctx.workspace_id, alias_name, topic)
    return say(
        f"'{alias_name}' now means '{topic}'; existing expertise under '{alias_name}' moved."
    )


async def topics(ctx: Context) -> Reply:
    def load(session: Session) -> tuple[dict[str, int], dict[str, str]]:
        return (
            expertise_repo.topic_counts(session, ctx.workspace_id),
            expertise_repo.aliases(session, ctx.workspace_id),
        )

    counts, aliases = await ctx.db.run(load)
    if not counts:
        return say("No topics yet. Members declare them with /expertise add.")
    lines = [
        f"{topic}: {n} member{'s' if n != 1 else ''}"
        for topic, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:40]
    ]
    lines += [f"{a} = {t}" for a, t in sorted(aliases.items())]
    return Reply(blocks=(Text("*Topics in this workspace*"), Items(tuple(lines))))


def specs() -> list[CommandSpec]:
    keys = ("questions-channel", "timezone", *BY_KEY)
    return [
        CommandSpec("config", "show the workspace settings (admins)", show, role=Role.ADMIN),
        CommandSpec(
            "config set",
            "change a workspace setting (admins)",
            set_value,
            params=(Param("setting", Kind.CHOICE, choices=keys), Param("value")),
            role=Role.ADMIN,
            examples=("/config set candidates 4", "/config set questions-channel #questions"),
        ),
        CommandSpec(
            "topic alias",
            "make one topic name mean another (admins)",
            alias,
            params=(Param("alias"), Param("topic")),
            role=Role.ADMIN,
            examples=("/topic alias k8s kubernetes",),
        ),
        CommandSpec("topics", "list the topics this community knows about", topics),
    ]
