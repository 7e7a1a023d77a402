"""Member profile commands: ``/profile``, ``/available``, ``/forget-me``."""

from __future__ import annotations

from bot.context import Context
from bot.model import Action, ActionStyle, Fields, Items, Reply, Text, say
from bot.registry import CommandSpec, Kind, Param
from bot.services import profiles
from bot.timezones import format_time_range
from storage.repos import members

ON_OFF = ("on", "off")


async def show(ctx: Context) -> Reply:
    view = await ctx.db.run(profiles.view, ctx.workspace_id, ctx.actor)
    zone_note = {
        "you": "set by you",
        "platform": "from your chat profile",
        "workspace default": "workspace default; set yours with /profile timezone <zone>",
    }[view.timezone_source]
    quiet = (
        f"{format_time_range(*view.quiet)} {view.timezone}"
        if view.quiet
        else "none (set with /profile quiet 18:00-09:00)"
    )
    expertise = ", ".join(f"{topic} ({source})" for topic, source in view.expertise) or "none yet"
    return Reply(
        blocks=(
            Text(f"*Your profile*, {view.display_name}"),
            Fields(
                (
                    ("Time zone", f"{view.timezone} ({zone_note})"),
                    ("Quiet hours", quiet),
                    ("Available for questions", "yes" if view.available else "no (away)"),
                    ("Routed questions", "on" if view.routing else "off (opted out)"),
                    ("Your words in lessons", "allowed" if view.capture_quotes else "never quoted"),
                    ("Role", view.role.value),
                    ("Expertise", expertise),
                )
            ),
        )
    )


async def timezone(ctx: Context) -> Reply:
    zone = ctx.args["zone"]
    await ctx.db.run(profiles.set_timezone, ctx.workspace_id, ctx.actor, zone)
    return say(f"Your time zone is now {zone}.")


async def quiet(ctx: Context) -> Reply:
    hours = ctx.args["hours"]
    if hours == "off":
        await ctx.db.run(profiles.set_quiet, ctx.workspace_id, ctx.actor, None)
        return say("Quiet hours are off: copbot may reach you at any hour.")
    await ctx.db.run(profiles.set_quiet, ctx.workspace_id, ctx.actor, hours)
    view = await ctx.db.run(profiles.view, ctx.workspace_id, ctx.actor)
    return say(
        f"Quiet hours set to {format_time_range(*hours)} {view.timezone}: "
        "copbot holds direct messages for you until they end."
    )


async def routing(ctx: Context) -> Reply:
    on = ctx.args["state"] == "on"
    await ctx.db.run(profiles.set_routing, ctx.workspace_id, ctx.actor, on)
    if on:
        return say("Routed questions are on: copbot may ask you about questions you know about.")
    return say("Routed questions are off: copbot will never ask you to answer a question.")


async def capture(ctx: Context) -> Reply:
    on = ctx.args["state"] == "on"
    await ctx.db.run(profiles.set_capture, ctx.workspace_id, ctx.actor, on)
    if on:
        return say("Lessons drafted from threads may quote you and name you as a contributor.")
    return say("Lessons drafted from threads will never quote or name you.")


async def available(ctx: Context) -> Reply:
    state = ctx.args["state"]
    if state is None:
        view = await ctx.db.run(profiles.view, ctx.workspace_id, ctx.actor)
        now = "available" if view.available else "away"
        return say(f"You are {now} for questions. Type /available on or /available off.")
    on = state == "on"
    await ctx.db.run(profiles.set_available, ctx.workspace_id, ctx.actor, on)
    if on:
        return say("You are available: copbot may route questions to you again.")
    return say("You are away: copbot will not route questions to you until /available on.")


def _describe(data: members.PersonalData) -> tuple[str, ...]:
    parts = (
        (data.expertise, "expertise entry", "expertise entries"),
        (
            data.questions,
            "question you asked, with its answers",
            "questions you asked, with their answers",
        ),
        (data.answers, "answer you gave", "answers you gave"),
        (data.routing, "record of a question routed to you", "records of questions routed to you"),
        (data.lessons, "lesson you wrote", "lessons you wrote"),
        (data.reflections, "reflection answer", "reflection answers"),
    )
    lines = ["your profile (time zone, quiet hours, settings, role)"] if data.profile else []
    lines.extend(f"{count} {one if count == 1 else many}" for count, one, many in parts if count)
    return tuple(lines)


async def forget_me(ctx: Context) -> Reply:
    data = await ctx.db.run(members.personal_data, ctx.workspace_id, ctx.actor.user_id)
    if data.total == 0:
        return say("copbot holds no personal data about you in this workspace.")
    return Reply(
        blocks=(
            Text("This deletes everything copbot holds about you in this workspace:"),
            Items(_describe(data)),
            Text("It cannot be undone. To go ahead type /forget-me confirm."),
        ),
        actions=(Action("Delete my data", "forget-me confirm", ActionStyle.DANGER),),
    )


async def forget_me_confirm(ctx: Context) -> Reply:
    data = await ctx.db.run(members.forget, ctx.workspace_id, ctx.actor.user_id)
    if data.total == 0:
        return say("copbot holds no personal data about you in this workspace.")
    return Reply(
        blocks=(
            Text("Done. copbot deleted:"),
            Items(_describe(data)),
            Text("If you use copbot again, it starts a new profile."),
        )
    )


def specs() -> list[CommandSpec]:
    state = Param("state", Kind.CHOICE, choices=ON_OFF)
    return [
        CommandSpec("profile", "show your profile", show),
        CommandSpec(
            "profile timezone",
            "set your time zone",
            timezone,
            params=(Param("zone", Kind.TIMEZONE),),
            help="An IANA time zone name; copbot uses it for quiet hours and schedules.",
            examples=("/profile timezone Europe/Berlin",),
        ),
        CommandSpec(
            "profile quiet",
            "set the hours copbot must not message you, or turn them off",
            quiet,
            params=(Param("hours", Kind.TIME_RANGE),),
            help="24-hour local times; the range may cross midnight.",
            examples=("/profile quiet 18:00-09:00", "/profile quiet off"),
        ),
        CommandSpec(
            "profile routing",
            "allow or stop routed questions for good",
            routing,
            params=(state,),
            examples=("/profile routing off",),
        ),
        CommandSpec(
            "profile capture",
            "allow or stop lessons quoting your words",
            capture,
            params=(state,),
            examples=("/profile capture off",),
        ),
        CommandSpec(
            "available",
            "say whether you are around to answer questions",
            available,
            params=(Param("state", Kind.CHOICE, required=False, choices=ON_OFF),),
            examples=("/available off", "/available on"),
        ),
        CommandSpec(
            "forget-me",
            "delete everything copbot holds about you here",
            forget_me,
            help="Asks you to confirm first and then says what was deleted.",
        ),
        CommandSpec(
            "forget-me confirm",
            "delete your data now, without asking again",
            forget_me_confirm,
            hidden=True,
        ),
    ]
