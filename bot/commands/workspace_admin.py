"""``/admin purge`` and ``/admin facilitator add|remove``: a workspace admin's housekeeping."""

from __future__ import annotations

from bot.context import Context
from bot.model import Action, ActionStyle, Items, Reply, Text, say
from bot.registry import CommandSpec, Kind, Param
from bot.services import profiles, purge
from storage.models import Role

MEMBER = Param("member", Kind.MENTION, help="the member, e.g. @dan")


async def purge_offer(ctx: Context) -> Reply:
    data = await ctx.db.run(purge.summary, ctx.workspace_id)
    return Reply(
        blocks=(
            Text("*This deletes all of this workspace's data in copbot:*"),
            Items(data.lines),
            Text(
                "It cannot be undone; copbot stays installed and starts afresh. "
                "To go ahead type /admin purge confirm."
            ),
        ),
        actions=(Action("Delete everything", "admin purge confirm", ActionStyle.DANGER),),
    )


async def purge_confirm(ctx: Context) -> Reply:
    data = await ctx.db.run(purge.purge, ctx.workspace_id)
    return Reply(
        blocks=(
            Text("Deleted all of this workspace's data in copbot:"),
            Items(data.lines),
        )
    )


async def facilitator_add(ctx: Context) -> Reply:
    member = await ctx.db.run(
        profiles.set_role, ctx.workspace_id, ctx.args["member"], Role.FACILITATOR
    )
    return say(f"@{member.display_name or member.user_id} is now a facilitator.")


async def facilitator_remove(ctx: Context) -> Reply:
    member = await ctx.db.run(profiles.set_role, ctx.workspace_id, ctx.args["member"], Role.MEMBER)
    return say(f"@{member.display_name or member.user_id} is a member again (not a facilitator).")


def specs() -> list[CommandSpec]:
    return [
        CommandSpec(
            "admin purge",
            "delete all of this workspace's data in copbot, after a confirmation (admins)",
            purge_offer,
            role=Role.ADMIN,
        ),
        CommandSpec(
            "admin purge confirm",
            "delete all of this workspace's data now",
            purge_confirm,
            role=Role.ADMIN,
            hidden=True,
        ),
        CommandSpec(
            "admin facilitator add",
            "make a member a facilitator (admins)",
            facilitator_add,
            params=(MEMBER,),
            role=Role.ADMIN,
            examples=("/admin facilitator add @dan",),
        ),
        CommandSpec(
            "admin facilitator remove",
            "make a facilitator a member again (admins)",
            facilitator_remove,
            params=(MEMBER,),
            role=Role.ADMIN,
        ),
    ]
