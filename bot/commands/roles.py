"""``/role`` and ``/roles``: admins decide who facilitates."""

from __future__ import annotations

from bot.context import Context
from bot.model import Items, Reply, Text, say
from bot.registry import CommandSpec, Kind, Param
from bot.services import profiles
from storage.models import Role


async def set_role(ctx: Context) -> Reply:
    role = Role(ctx.args["role"])
    member = await ctx.db.run(profiles.set_role, ctx.workspace_id, ctx.args["member"], role)
    name = member.display_name or member.user_id
    article = "an" if role.value[0] in "aeiou" else "a"
    return say(f"@{name} is now {article} {role.value}.")


async def list_roles(ctx: Context) -> Reply:
    staff = await ctx.db.run(profiles.staff, ctx.workspace_id)
    if not staff:
        return say(
            "No facilitators or admins are stored yet (platform admins are always admins). "
            "An admin can add one with /role @member facilitator."
        )
    return Reply(
        blocks=(
            Text("*Facilitators and admins*"),
            Items(tuple(f"@{m.display_name or m.user_id}: {m.role}" for m in staff)),
        )
    )


def specs() -> list[CommandSpec]:
    return [
        CommandSpec(
            "role",
            "give a member a role (admins only)",
            set_role,
            params=(
                Param("member", Kind.MENTION),
                Param("role", Kind.CHOICE, choices=tuple(r.value for r in Role)),
            ),
            role=Role.ADMIN,
            examples=("/role @dan facilitator",),
        ),
        CommandSpec("roles", "list the facilitators and admins", list_roles),
    ]
