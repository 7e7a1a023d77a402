"""``/stats [days]`` and the weekly community digest (``/stats digest ...``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.channels import parse_channel
from bot.context import Context
from bot.errors import NotFound, UsageError
from bot.model import Actor, Reply, Text, say
from bot.registry import CommandSpec, Kind, Param
from bot.scheduler import current, triggers
from bot.services import profiles, stats
from bot.timezones import resolve_timezone
from storage.models import Role, Workspace
from storage.repos import members


def _zone(session: Session, workspace_id: int, actor: Actor) -> str:
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    member = members.get(session, workspace_id, actor.user_id)
    return profiles.effective_timezone(member, actor, workspace)[0]


def _figures(
    session: Session, workspace_id: int, actor: Actor, days: int, now: datetime
) -> tuple[stats.CommunityStats, str]:
    return stats.compute(session, workspace_id, now, days), _zone(session, workspace_id, actor)


async def show(ctx: Context) -> Reply:
    days = ctx.args["days"] or 7
    figures, zone = await ctx.db.run(
        _figures, ctx.workspace_id, ctx.actor, days, ctx.runtime.clock.now()
    )
    heading = f"*Community health*: {stats.period_words(figures, zone)}"
    return Reply(blocks=stats.stats_blocks(figures, heading), summary=heading)


def _digest_status(session: Session, workspace_id: int, now: datetime) -> str | None:
    digest = stats.digest_for(session, workspace_id)
    if digest is None or digest.status == "cancelled":
        return None
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    where = stats.channel_of(workspace, digest.channel_id)
    return f"The digest goes to {where}, {stats.digest_description(digest, now)}."


def _set_digest(session: Session, ctx: Context, text: str) -> tuple[str, str]:
    words = triggers.tokenize(text)
    if not words:
        raise UsageError("Which channel?", "Type: /stats digest #channel weekly fri 16:00")
    channel = parse_channel(words[0], ctx.actor.platform)
    parsed = triggers.parse_when(words[1:])
    zone = None
    for word in parsed.rest:
        zone = resolve_timezone(word)
        if zone is None:
            raise UsageError(
                f"Unknown time zone '{word[:40]}'.", "Use an IANA name such as Europe/Berlin."
            )
    now = ctx.runtime.clock.now()
    zone = zone or _zone(session, ctx.workspace_id, ctx.actor)
    first = triggers.check_cron(parsed.cron, zone, now)
    member = members.get_or_create(
        session, ctx.workspace_id, ctx.actor.user_id, ctx.actor.display_name
    )
    digest = stats.set_digest(session, ctx.workspace_id, channel, parsed.cron, zone, member.id, now)
    workspace = session.get(Workspace, ctx.workspace_id)
    assert workspace is not None
    return (
        f"The community digest goes to {stats.channel_of(workspace, digest.channel_id)}, "
        f"{triggers.describe(digest.cron)} {zone}, with a chart of the last 12 weeks.",
        f"First digest: {triggers.format_local(first, zone)}.",
    )


async def digest(ctx: Context) -> Reply:
    text = ctx.args["when"]
    if not text:
        status = await ctx.db.run(_digest_status, ctx.workspace_id, ctx.runtime.clock.now())
        return say(
            status or "No digest is scheduled. Type: /stats digest #channel weekly fri 16:00 [zone]"
        )
    lines = await ctx.db.run(_set_digest, ctx, text)
    current.schedules_changed()
    return Reply(blocks=tuple(Text(line) for line in lines))


async def digest_off(ctx: Context) -> Reply:
    found = await ctx.db.run(
        stats.set_digest_status, ctx.workspace_id, "cancelled", ctx.runtime.clock.now()
    )
    current.schedules_changed()
    if found is None:
        return say("No digest was scheduled here.")
    return say("The weekly digest is off. /stats digest #channel weekly fri 16:00 starts it again.")


async def digest_now(ctx: Context) -> Reply:
    plan = await ctx.db.run(stats.plan_digest_now, ctx.workspace_id, ctx.runtime.clock.now())
    if plan is None:
        raise NotFound(
            "No digest is scheduled here, so copbot does not know where to post it.",
            "Schedule it first: /stats digest #channel weekly fri 16:00",
        )
    error = await stats.publish_digest(ctx.runtime, plan)
    if error:
        return say(error)
    return say("Posted the community digest; its regular schedule is unchanged.")


def specs() -> list[CommandSpec]:
    return [
        CommandSpec(
            "stats",
            "community health: questions, answers, lessons, reflection",
            show,
            params=(Param("days", Kind.INT, required=False, minimum=1, maximum=365),),
            help="Over the last 7 days unless you give a number of days.",
            examples=("/stats", "/stats 30"),
        ),
        CommandSpec(
            "stats digest",
            "post a weekly community digest with a chart to a channel",
            digest,
            params=(Param("when", Kind.REST, required=False, max_length=300),),
            role=Role.FACILITATOR,
            help="Without arguments: where and when the digest is posted.",
            examples=(
                "/stats digest #general weekly fri 16:00",
                '/stats digest #leads cron "0 8 * * 1" Europe/Berlin',
            ),
        ),
        CommandSpec(
            "stats digest off",
            "stop the weekly digest",
            digest_off,
            role=Role.FACILITATOR,
        ),
        CommandSpec(
            "stats digest now",
            "post the community digest now",
            digest_now,
            role=Role.FACILITATOR,
        ),
    ]
