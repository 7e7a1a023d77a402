"""``/prompts ...`` (reflection schedules and the prompt library) and ``/reflect``."""

from __future__ import annotations

from bot.context import Context
from bot.model import (
    Action,
    ActionStyle,
    Form,
    FormField,
    Items,
    Reply,
    Text,
    say,
)
from bot.registry import CommandSpec, Kind, Param
from bot.scheduler import current, triggers
from bot.services import reflection
from bot.services.prompt_library import load_library
from storage.models import Role

ID = Param("id", Kind.INT, minimum=1, help="the schedule's number, as /prompts list shows it")


async def schedule(ctx: Context) -> Reply:
    request = reflection.parse_schedule_request(
        ctx.args["channel"], ctx.args["when"], ctx.actor.platform, set(load_library())
    )
    created = await ctx.db.run(
        reflection.create_schedule, ctx.workspace_id, ctx.actor, request, ctx.runtime.clock.now()
    )
    current.schedules_changed()
    row, prompt_set = created.schedule, created.prompt_set
    first = triggers.format_local(created.first_post, row.timezone)
    if created.viewer_zone != row.timezone:
        first += f" ({triggers.format_local(created.first_post, created.viewer_zone)} your time)"
    answers = (
        "Members may answer anonymously."
        if row.anonymous_allowed
        else "Answers are shown with the member's name."
    )
    if row.dm_members:
        answers += (
            " Members also get each prompt by DM (never while away or in their quiet hours); "
            f"/prompts mute {row.id} stops that for one person."
        )
    return Reply(
        blocks=(
            Text(
                f"Scheduled #{row.id}: *{prompt_set.title}* ({prompt_set.name}, "
                f"{len(prompt_set.prompts)} prompts) in {created.channel}, "
                f"{triggers.describe(row.cron)} {row.timezone} ({created.zone_source})."
            ),
            Text(f"First post: {first}."),
            Text(answers),
        ),
        actions=(
            Action("Post one now", f"prompts now {row.id}", ActionStyle.PRIMARY),
            Action("Pause", f"prompts pause {row.id}"),
        ),
        summary=f"Scheduled #{row.id}: first post {first}",
    )


async def list_schedules(ctx: Context) -> Reply:
    views = await ctx.db.run(
        reflection.list_schedules, ctx.workspace_id, ctx.actor.user_id, ctx.runtime.clock.now()
    )
    if not views:
        return say(
            "No reflection prompts are scheduled here. A facilitator can start one: "
            "/prompts schedule #channel weekly mon 09:00"
        )
    return Reply(
        blocks=(
            Text("*Reflection schedules*"),
            Items(reflection.schedule_lines(views)),
            Text("/prompts preview [set] shows what a post looks like."),
        )
    )


async def preview(ctx: Context) -> list[Reply]:
    prompt_set, custom, sample = await ctx.db.run(
        reflection.preview, ctx.workspace_id, ctx.args["set"], ctx.runtime.clock.now()
    )
    added = f", {custom} added by this workspace" if custom else ""
    others = ", ".join(sorted(set(load_library()) - {prompt_set.name}))
    return [
        Reply(
            blocks=(
                Text(
                    f"*{prompt_set.title}* ({prompt_set.name}): {len(prompt_set.prompts)} "
                    f"prompts{added}. {prompt_set.description}"
                ),
                Text(f"A post looks like this (other sets: {others}):"),
            )
        ),
        sample,
    ]


async def _status(ctx: Context, action: str) -> Reply:
    row = await ctx.db.run(
        reflection.change_status,
        ctx.workspace_id,
        ctx.args["id"],
        action,
        ctx.runtime.clock.now(),
    )
    current.schedules_changed()
    if action == "pause":
        return say(
            f"Paused #{row.id}: nothing is posted until /prompts resume {row.id}, which "
            "carries on from the same place in the set."
        )
    if action == "resume":
        upcoming = triggers.next_fire(row.cron, row.timezone, ctx.runtime.clock.now())
        when = triggers.format_local(upcoming, row.timezone) if upcoming else "never"
        return say(f"Resumed #{row.id}: the next prompt goes out {when}.")
    return say(f"Cancelled #{row.id}: no more posts. Answers already given are kept.")


async def pause(ctx: Context) -> Reply:
    return await _status(ctx, "pause")


async def resume(ctx: Context) -> Reply:
    return await _status(ctx, "resume")


async def cancel(ctx: Context) -> Reply:
    return await _status(ctx, "cancel")


async def now(ctx: Context) -> Reply:
    ref = await reflection.post_now(ctx.runtime, ctx.workspace_id, ctx.args["id"])
    return say(
        f"Posted the next prompt of #{ctx.args['id']} (message {ref.message}); "
        "its regular schedule is unchanged."
    )


async def add(ctx: Context) -> Reply:
    prompt_id, merged = await ctx.db.run(
        reflection.add_custom_prompt,
        ctx.workspace_id,
        ctx.actor,
        ctx.args["set"],
        ctx.args["text"],
        ctx.runtime.clock.now(),
    )
    return say(
        f"Added to {merged.name} as {prompt_id}; the set now has {len(merged.prompts)} prompts "
        "here. Schedules of this set reach it in their rotation."
    )


async def _mute(ctx: Context, muted: bool) -> Reply:
    row = await ctx.db.run(reflection.set_mute, ctx.workspace_id, ctx.actor, ctx.args["id"], muted)
    if not muted:
        return say(f"Unmuted #{row.id}: copbot may send you its prompts again.")
    note = (
        " Its posts in the channel continue."
        if row.dm_members
        else " (It posts only in its channel, so nothing changes unless it starts sending DMs.)"
    )
    return say(
        f"Muted #{row.id} for you: copbot will not send you its prompts.{note} "
        f"/prompts unmute {row.id} undoes this."
    )


async def mute(ctx: Context) -> Reply:
    return await _mute(ctx, True)


async def unmute(ctx: Context) -> Reply:
    return await _mute(ctx, False)


async def reflect(ctx: Context) -> Reply:
    text = ctx.args["answer"]
    if not text:
        prompt, anonymous = await ctx.db.run(
            reflection.answer_form_context, ctx.workspace_id, ctx.actor, ctx.place
        )
        fields = [
            FormField(
                "answer",
                "Your answer",
                multiline=True,
                max_length=reflection.MAX_ANSWER_LENGTH,
                placeholder=prompt[:150],
            )
        ]
        if anonymous:
            fields.append(
                FormField("anonymous", "Answer anonymously?", required=False, options=("no", "yes"))
            )
        return Reply(
            blocks=(Text("Type /reflect followed by your answer."),),
            form=Form(command="reflect", title="Reflection", fields=tuple(fields)),
        )
    plan = await reflection.answer(ctx.runtime, ctx.workspace_id, ctx.actor, ctx.place, text)
    where = "in the prompt's thread" if plan.echo_place is not None else "saved"
    if plan.anonymous:
        return say(f"Thank you: your answer is {where}, without your name.")
    return say(f"Thank you: your answer is {where}.")


def specs() -> list[CommandSpec]:
    sets = "weekly-reflection (default), retrospective, introductions, show-and-tell"
    return [
        CommandSpec("prompts", "reflection prompt schedules here", list_schedules, hidden=True),
        CommandSpec(
            "prompts list",
            "the reflection schedules here, with their next post",
            list_schedules,
        ),
        CommandSpec(
            "prompts schedule",
            "post reflection prompts to a channel on a schedule",
            schedule,
            params=(
                Param("channel", help="#channel"),
                Param("when", Kind.REST, max_length=300),
            ),
            role=Role.FACILITATOR,
            help=(
                'When: weekly <days> <HH:MM>, daily <HH:MM>, or cron "m h dom mon dow" '
                "(at most hourly). Then optionally a set ("
                + sets
                + "), a time zone (default: yours), 'anonymous' to allow anonymous answers, "
                "'dm' to also send each prompt by DM outside quiet hours."
            ),
            examples=(
                "/prompts schedule #general weekly mon 09:00",
                "/prompts schedule #team weekly fri 16:30 retrospective Europe/Berlin anonymous",
                '/prompts schedule #general cron "0 9 * * 1"',
            ),
        ),
        CommandSpec(
            "prompts preview",
            "see a prompt set and what its post looks like",
            preview,
            params=(Param("set", required=False),),
            examples=("/prompts preview retrospective",),
        ),
        CommandSpec(
            "prompts pause",
            "stop a schedule for now (keeps its place)",
            pause,
            params=(ID,),
            role=Role.FACILITATOR,
            examples=("/prompts pause 3",),
        ),
        CommandSpec(
            "prompts resume",
            "restart a paused schedule where it left off",
            resume,
            params=(ID,),
            role=Role.FACILITATOR,
            examples=("/prompts resume 3",),
        ),
        CommandSpec(
            "prompts cancel",
            "end a schedule for good",
            cancel,
            params=(ID,),
            role=Role.FACILITATOR,
            examples=("/prompts cancel 3",),
        ),
        CommandSpec(
            "prompts now",
            "post a schedule's next prompt right away",
            now,
            params=(ID,),
            role=Role.FACILITATOR,
            examples=("/prompts now 3",),
        ),
        CommandSpec(
            "prompts add",
            "add your own prompt to a set for this workspace",
            add,
            params=(Param("set"), Param("text", Kind.REST, max_length=1000)),
            role=Role.FACILITATOR,
            examples=("/prompts add weekly-reflection Which review comment taught you most?",),
        ),
        CommandSpec(
            "prompts mute",
            "stop a schedule's prompts reaching you by DM",
            mute,
            params=(ID,),
            examples=("/prompts mute 3",),
        ),
        CommandSpec(
            "prompts unmute",
            "let a schedule's prompts reach you again",
            unmute,
            params=(ID,),
            examples=("/prompts unmute 3",),
        ),
        CommandSpec(
            "reflect",
            "answer this channel's reflection prompt",
            reflect,
            params=(Param("answer", Kind.REST, required=False, max_length=3100),),
            help=(
                "Answers the latest prompt in this channel (or in this thread). Start with "
                "'anonymous' where the schedule allows anonymous answers."
            ),
            examples=("/reflect Pairing on the migration taught me to read the plan first.",),
        ),
    ]
