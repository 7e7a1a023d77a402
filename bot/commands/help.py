"""``/help`` and ``/help <command>``, generated from the registry."""

from __future__ import annotations

from bot.context import Context
from bot.errors import UsageError
from bot.model import Items, Reply, Text
from bot.registry import CommandSpec, Kind, Param, Registry


def help_spec(registry: Registry) -> CommandSpec:
    async def handle(ctx: Context) -> Reply:
        topic = ctx.args.get("command")
        if topic:
            return _one(registry, ctx, topic)
        return _all(registry, ctx)

    return CommandSpec(
        name="help",
        summary="see what copbot can do, or how to use one command",
        params=(Param("command", Kind.REST, required=False),),
        handler=handle,
        examples=("/help", "/help profile"),
    )


def _visible(spec: CommandSpec, ctx: Context) -> bool:
    return ctx.role.rank >= spec.role.rank


def _all(registry: Registry, ctx: Context) -> Reply:
    lines = []
    for group in registry.groups():
        specs = [s for s in registry.in_group(group) if _visible(s, ctx)]
        lines.extend(f"{s.usage()}  {s.summary}" for s in specs)
    return Reply(
        blocks=(
            Text("*copbot* helps this community ask, answer, reflect and keep what it learns."),
            Items(tuple(lines)),
            Text("Type /help <command> for details, e.g. /help profile."),
        )
    )


def _one(registry: Registry, ctx: Context, topic: str) -> Reply:
    group = topic.strip().lstrip("/").split()[0].lower()
    specs = [s for s in registry.in_group(group) if _visible(s, ctx)]
    if not specs:
        hidden = registry.in_group(group)
        if hidden:
            raise UsageError(f"/{group} is for {hidden[0].role.value}s only.")
        raise UsageError(f"There is no command /{group}.", "Type /help to see every command.")
    blocks: list[Text | Items] = []
    for spec in specs:
        blocks.append(Text(f"{spec.usage()}  {spec.summary}"))
        details = ([spec.help] if spec.help else []) + [f"e.g. {e}" for e in spec.examples]
        if details:
            blocks.append(Items(tuple(details)))
    return Reply(blocks=tuple(blocks))
