"""Member profiles: time zone, quiet hours, availability, opt-outs, roles, forgetting.

Functions here take a session and run inside the caller's unit of work; they never talk to a
platform. A member row is only created when the member stores something, so merely asking for
help leaves no personal data behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlmodel import Session, select

from bot.errors import NotFound, UsageError
from bot.model import Actor
from bot.registry import MentionArg
from storage.models import Expertise, Member, Role, Workspace, utcnow
from storage.repos import members


@dataclass(frozen=True, slots=True)
class ProfileView:
    display_name: str
    timezone: str
    timezone_source: str  # "you", "platform", "workspace default"
    quiet: tuple[time, time] | None
    available: bool
    routing: bool
    capture_quotes: bool
    role: Role
    expertise: tuple[tuple[str, str], ...]  # (topic, source)
    stored: bool


def effective_timezone(
    member: Member | None, actor: Actor | None, workspace: Workspace
) -> tuple[str, str]:
    """The zone to use for a member, and where it came from."""
    if member is not None and member.timezone:
        return member.timezone, "you"
    if actor is not None and actor.timezone:
        return actor.timezone, "platform"
    return workspace.default_timezone, "workspace default"


def view(session: Session, workspace_id: int, actor: Actor) -> ProfileView:
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    member = members.get(session, workspace_id, actor.user_id)
    zone, source = effective_timezone(member, actor, workspace)
    role = Role(member.role) if member else Role.MEMBER
    if actor.platform_admin:
        role = Role.ADMIN
    expertise: tuple[tuple[str, str], ...] = ()
    if member is not None:
        rows = session.exec(
            select(Expertise.topic, Expertise.source)
            .where(Expertise.member_id == member.id)
            .order_by(Expertise.source, Expertise.topic)
        ).all()
        expertise = tuple((topic, source) for topic, source in rows)
    quiet = None
    if member is not None and member.quiet_start is not None and member.quiet_end is not None:
        quiet = (member.quiet_start, member.quiet_end)
    return ProfileView(
        display_name=(member.display_name if member else "") or actor.display_name,
        timezone=zone,
        timezone_source=source,
        quiet=quiet,
        available=member.available if member else True,
        routing=not member.routing_opt_out if member else True,
        capture_quotes=member.capture_quotes if member else True,
        role=role,
        expertise=expertise,
        stored=member is not None,
    )


def _touch(session: Session, workspace_id: int, actor: Actor) -> Member:
    member = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    member.updated_at = utcnow()
    session.add(member)
    return member


def set_timezone(session: Session, workspace_id: int, actor: Actor, zone: str) -> None:
    _touch(session, workspace_id, actor).timezone = zone


def set_quiet(
    session: Session, workspace_id: int, actor: Actor, hours: tuple[time, time] | None
) -> None:
    member = _touch(session, workspace_id, actor)
    member.quiet_start, member.quiet_end = hours if hours else (None, None)


def set_available(session: Session, workspace_id: int, actor: Actor, available: bool) -> None:
    _touch(session, workspace_id, actor).available = available


def set_routing(session: Session, workspace_id: int, actor: Actor, routing: bool) -> None:
    _touch(session, workspace_id, actor).routing_opt_out = not routing


def set_capture(session: Session, workspace_id: int, actor: Actor, capture: bool) -> None:
    _touch(session, workspace_id, actor).capture_quotes = capture


def resolve_mention(session: Session, workspace_id: int, mention: MentionArg) -> Member:
    """The member a mention names, or a NotFound saying how to name them."""
    if mention.by_id:
        member = members.get(session, workspace_id, mention.value)
        if member is None:
            raise NotFound(
                "copbot does not know that member yet.",
                "They appear once they have used copbot in this workspace.",
            )
        return member
    found = members.find_by_name(session, workspace_id, mention.value)
    if not found:
        raise NotFound(
            f"No member called @{mention.value} here.",
            "They appear once they have used copbot in this workspace.",
        )
    if len(found) > 1:
        raise UsageError(
            f"More than one member is called @{mention.value}.", "Mention them with the picker."
        )
    return found[0]


def set_role(session: Session, workspace_id: int, mention: MentionArg, role: Role) -> Member:
    member = resolve_mention(session, workspace_id, mention)
    member.role = role.value
    member.updated_at = utcnow()
    session.add(member)
    return member


def staff(session: Session, workspace_id: int) -> list[Member]:
    return members.with_role_at_least(session, workspace_id, Role.FACILITATOR)
