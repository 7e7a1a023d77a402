"""Weekly reflection: schedules, posting prompts, answers, mutes and prompts sent by DM.

A schedule (``prompt_schedule``) posts the next prompt of its set to a channel at its due
times; the job that does it (``run_schedule``) claims the due time first, so a post happens at
most once however many processes or restarts are involved (``storage/repos/scheduled_runs``).
Rotation walks the set in a stable per-schedule order without repeats until every prompt was
used; the used ids live on the schedule row, so pausing, resuming and restarting keep the place.
Templated prompts are filled from the workspace's last seven days and fall back to a plain
prompt when the week has nothing to draw on (``prompt_library.pick_prompt``).

Members answer in the post's thread or with ``/reflect``; answers are stored attributed, or
anonymous where the schedule allows it (anonymous to the community: copbot keeps the member
link only so that ``/forget-me`` can delete the answer). ``lesson_source`` hands an answer to
the lessons feature, which turns it into a lesson.

A schedule with ``dm_members`` also sends the prompt to each member by DM: never while they are
away or have muted the schedule, and never in their quiet hours (held until those end, then sent
by the ``deliver_due_dms`` sweep).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from bot.channels import channel_label, parse_channel
from bot.context import Runtime
from bot.errors import Conflict, NotFound, UsageError
from bot.model import (
    Action,
    ActionStyle,
    Actor,
    ChannelId,
    MessageId,
    MessageRef,
    Place,
    Platform,
    Quote,
    Reply,
    Text,
    UserId,
    Visibility,
    WorkspaceRef,
)
from bot.ports import ChatPortError
from bot.scheduler import triggers
from bot.services import profiles, stats
from bot.services.prompt_library import (
    MAX_TEXT_LENGTH,
    PickedPrompt,
    PromptLibraryError,
    PromptSet,
    WeeklyActivity,
    apply_custom_prompts,
    load_library,
    make_inert,
    next_in_rotation,
    pick_prompt,
)
from bot.timezones import in_quiet_hours, quiet_hours_end, resolve_timezone
from storage.models import (
    CustomPrompt,
    Member,
    PromptDelivery,
    PromptMute,
    PromptPost,
    PromptSchedule,
    ReflectionResponse,
    Workspace,
)
from storage.repos import members, scheduled_runs

log = logging.getLogger(__name__)

ACTIVE, PAUSED, CANCELLED = "active", "paused", "cancelled"
DEFAULT_SET = "weekly-reflection"
CUSTOM_PREFIX = "custom-"
MAX_ANSWER_LENGTH = 3000
ACTIVITY_WINDOW = timedelta(days=7)
ANONYMOUS_WORDS = ("anonymous", "anonymously", "anon")
DM_BATCH = 500


# The library as one workspace sees it ------------------------------------------------------------


def custom_entries(session: Session, workspace_id: int) -> list[dict[str, object]]:
    rows = session.exec(
        select(CustomPrompt)
        .where(CustomPrompt.workspace_id == workspace_id)
        .order_by(col(CustomPrompt.id))
    ).all()
    return [
        {"set": row.set_name, "id": f"{CUSTOM_PREFIX}{row.id}", "text": row.text}
        | ({"follow_up": row.follow_up} if row.follow_up else {})
        for row in rows
    ]


def library_for(session: Session, workspace_id: int) -> dict[str, PromptSet]:
    """The shipped sets with this workspace's own prompts merged in."""
    library = load_library()
    entries = [e for e in custom_entries(session, workspace_id) if e["set"] in library]
    try:
        return apply_custom_prompts(library, entries)
    except PromptLibraryError as error:  # a stored prompt the library no longer accepts
        log.warning("ignoring custom prompts of workspace %s: %s", workspace_id, error)
        return library


def known_set(library: Mapping[str, PromptSet], name: str) -> PromptSet:
    found = library.get(name.lower())
    if found is None:
        raise NotFound(
            f"There is no prompt set '{_clip(name)}'.",
            f"The sets are: {', '.join(sorted(library))}.",
        )
    if not any(not prompt.is_templated for prompt in found.prompts):
        raise UsageError(
            f"The set {found.name} has no plain prompt to fall back on in a quiet week.",
            f"Add one with /prompts add {found.name} <text>.",
        )
    return found


def add_custom_prompt(
    session: Session, workspace_id: int, actor: Actor, set_name: str, text: str, now: datetime
) -> tuple[str, PromptSet]:
    """Store a facilitator's prompt in a set; validated exactly like a shipped prompt."""
    library = load_library()
    prompt_set = known_set(library, set_name)
    text = " ".join(text.split())
    if not text:
        raise UsageError("The prompt is empty.", f"Type: /prompts add {prompt_set.name} <text>")
    if len(text) > MAX_TEXT_LENGTH:
        raise UsageError(
            f"That prompt is {len(text):,} characters; the limit is {MAX_TEXT_LENGTH:,}.",
            "A prompt is one question: shorten it.",
        )
    if "{" in text or "}" in text:
        raise UsageError(
            "Prompts you add cannot contain { or }.", "Write the question without braces."
        )
    member = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    row = CustomPrompt(
        workspace_id=workspace_id,
        set_name=prompt_set.name,
        text=text,
        created_by_member_id=member.id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    merged = library_for(session, workspace_id)[prompt_set.name]
    return f"{CUSTOM_PREFIX}{row.id}", merged


# Schedules ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleRequest:
    channel_id: str
    cron: str
    zone: str | None
    set_name: str
    anonymous: bool
    dm_members: bool


def parse_schedule_request(
    channel: str, when: str, platform: Platform, set_names: set[str]
) -> ScheduleRequest:
    """``#general`` + ``weekly mon 09:00 [set] [zone] [anonymous] [dm]``, or a UsageError."""
    channel_id = parse_channel(channel, platform)
    parsed = triggers.parse_when(triggers.tokenize(when))
    set_name, zone, anonymous, dm = DEFAULT_SET, None, False, False
    for word in parsed.rest:
        lowered = word.lower()
        if lowered in set_names:
            set_name = lowered
        elif lowered in ANONYMOUS_WORDS:
            anonymous = True
        elif lowered in ("dm", "dms"):
            dm = True
        elif resolved := resolve_timezone(word):
            zone = resolved
        elif "/" in word or word[:1].isupper():
            raise UsageError(
                f"Unknown time zone '{_clip(word)}'.",
                _zone_hint(word),
            )
        else:
            raise UsageError(
                f"'{_clip(word)}' is neither a prompt set nor a time zone.",
                f"Sets: {', '.join(sorted(set_names))}; zones look like Europe/Berlin.",
            )
    return ScheduleRequest(channel_id, parsed.cron, zone, set_name, anonymous, dm)


def _zone_hint(word: str) -> str:
    from bot.timezones import suggest_timezones

    near = suggest_timezones(word)
    if near:
        return f"Did you mean {', '.join(near)}?"
    return "Use an IANA name such as Europe/Berlin or America/New_York."


@dataclass(frozen=True, slots=True)
class ScheduleCreated:
    schedule: PromptSchedule
    prompt_set: PromptSet
    first_post: datetime
    zone_source: str
    channel: str
    viewer_zone: str  # the facilitator's own zone, to say the first post in their time too


def create_schedule(
    session: Session, workspace_id: int, actor: Actor, request: ScheduleRequest, now: datetime
) -> ScheduleCreated:
    """Validate everything, then store the schedule; nothing is stored when anything is wrong."""
    workspace = _workspace(session, workspace_id)
    prompt_set = known_set(library_for(session, workspace_id), request.set_name)
    member = members.get(session, workspace_id, actor.user_id)
    viewer_zone, source = profiles.effective_timezone(member, actor, workspace)
    if request.zone:
        zone, source = request.zone, "as you asked"
    else:
        zone = viewer_zone
        source = {"you": "your time zone", "platform": "your time zone"}.get(
            source, "the workspace's time zone"
        )
    first = triggers.check_cron(request.cron, zone, now)
    if member is None:
        member = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    schedule = PromptSchedule(
        workspace_id=workspace_id,
        channel_id=request.channel_id,
        set_name=prompt_set.name,
        cron=request.cron,
        timezone=zone,
        anonymous_allowed=request.anonymous,
        dm_members=request.dm_members,
        created_by_member_id=member.id,
        created_at=now,
        updated_at=now,
    )
    session.add(schedule)
    session.flush()
    return ScheduleCreated(
        schedule,
        prompt_set,
        first,
        source,
        channel_label(workspace.platform, request.channel_id),
        viewer_zone,
    )


def get_schedule(session: Session, workspace_id: int, schedule_id: int) -> PromptSchedule:
    schedule = session.get(PromptSchedule, schedule_id)
    if schedule is None or schedule.workspace_id != workspace_id:
        raise NotFound(
            f"There is no reflection schedule #{schedule_id} here.",
            "/prompts list shows this workspace's schedules.",
        )
    return schedule


def change_status(
    session: Session, workspace_id: int, schedule_id: int, action: str, now: datetime
) -> PromptSchedule:
    """``pause``, ``resume`` or ``cancel``; the rotation place is kept in every case."""
    schedule = get_schedule(session, workspace_id, schedule_id)
    if schedule.status == CANCELLED:
        raise Conflict(
            f"Schedule #{schedule_id} was cancelled.",
            "Make a new one with /prompts schedule #channel weekly mon 09:00.",
        )
    wanted = {"pause": PAUSED, "resume": ACTIVE, "cancel": CANCELLED}[action]
    if schedule.status == wanted:
        raise Conflict(
            f"Schedule #{schedule_id} is already {'active' if wanted == ACTIVE else wanted}."
        )
    schedule.status = wanted
    schedule.revision += 1
    schedule.updated_at = now
    session.add(schedule)
    return schedule


def set_mute(
    session: Session, workspace_id: int, actor: Actor, schedule_id: int, muted: bool
) -> PromptSchedule:
    schedule = get_schedule(session, workspace_id, schedule_id)
    member = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    existing = session.exec(
        select(PromptMute).where(
            PromptMute.schedule_id == schedule_id, PromptMute.member_id == member.id
        )
    ).first()
    if muted and existing is None:
        assert member.id is not None
        session.add(
            PromptMute(workspace_id=workspace_id, schedule_id=schedule_id, member_id=member.id)
        )
    elif not muted and existing is not None:
        session.delete(existing)
    return schedule


@dataclass(frozen=True, slots=True)
class ScheduleView:
    id: int
    channel: str
    set_name: str
    set_size: int
    used: int
    when: str
    zone: str
    status: str
    next_post: datetime | None
    last_post: datetime | None
    anonymous: bool
    dm_members: bool
    muted: bool


def list_schedules(
    session: Session, workspace_id: int, viewer: str, now: datetime
) -> list[ScheduleView]:
    """Every schedule that is not cancelled, with its next post time."""
    workspace = _workspace(session, workspace_id)
    library = library_for(session, workspace_id)
    member = members.get(session, workspace_id, viewer)
    muted: set[int] = set()
    if member is not None:
        muted = set(
            session.exec(select(PromptMute.schedule_id).where(PromptMute.member_id == member.id))
        )
    last = dict(
        session.exec(
            select(PromptPost.schedule_id, func.max(PromptPost.posted_at))
            .where(PromptPost.workspace_id == workspace_id)
            .group_by(PromptPost.schedule_id)
        ).all()
    )
    views = []
    for schedule in session.exec(
        select(PromptSchedule)
        .where(PromptSchedule.workspace_id == workspace_id, PromptSchedule.status != CANCELLED)
        .order_by(col(PromptSchedule.id))
    ):
        assert schedule.id is not None
        prompt_set = library.get(schedule.set_name)
        used = [u for u in schedule.used_prompt_ids.split(",") if u]
        views.append(
            ScheduleView(
                id=schedule.id,
                channel=channel_label(workspace.platform, schedule.channel_id),
                set_name=schedule.set_name,
                set_size=len(prompt_set.prompts) if prompt_set else 0,
                used=len(used),
                when=triggers.describe(schedule.cron),
                zone=schedule.timezone,
                status=schedule.status,
                next_post=(
                    triggers.next_fire(schedule.cron, schedule.timezone, now)
                    if schedule.status == ACTIVE
                    else None
                ),
                last_post=last.get(schedule.id),
                anonymous=schedule.anonymous_allowed,
                dm_members=schedule.dm_members,
                muted=schedule.id in muted,
            )
        )
    return views


# Posting -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostPlan:
    """A prompt chosen and recorded, ready to go out; enough to undo it if the platform refuses."""

    run_id: int | None
    post_id: int
    schedule_id: int
    place: Place
    reply: Reply
    rotation_before: str
    rotation_after: str
    dm_members: bool = False


def prompt_reply(
    prompt_set: PromptSet,
    picked: PickedPrompt,
    schedule: PromptSchedule,
    *,
    channel: str | None = None,
) -> Reply:
    """The post: the set's title, the prompt, its follow-up, and how to answer.

    ``channel`` is set for the DM copy, which says where the conversation happens.
    """
    return _prompt_message(
        prompt_set.title,
        picked.prompt.id,
        picked.text,
        picked.prompt.follow_up,
        schedule,
        channel=channel,
    )


def _prompt_message(
    title: str,
    prompt_id: str,
    text: str,
    follow_up: str | None,
    schedule: PromptSchedule,
    *,
    channel: str | None = None,
) -> Reply:
    if prompt_id.startswith(CUSTOM_PREFIX):
        text = make_inert(text, MAX_TEXT_LENGTH)  # a facilitator's words: no mentions, no markup
    blocks: list[Text] = [Text(f"*{title}*"), Text(text)]
    if follow_up:
        blocks.append(Text(follow_up))
    how = "Answer in this thread, or type /reflect followed by your answer."
    if channel is not None:
        how = f"Posted in {channel}. Answer there, or reply here with /reflect and your answer."
    if schedule.anonymous_allowed:
        how += " To answer anonymously: /reflect anonymous followed by your answer."
    blocks.append(Text(how))
    actions = [Action("Answer", "reflect", ActionStyle.PRIMARY)]
    if channel is not None:
        actions.append(Action("Mute these prompts", f"prompts mute {schedule.id}"))
    return Reply(
        blocks=tuple(blocks),
        actions=tuple(actions),
        visibility=Visibility.IN_CHANNEL if channel is None else Visibility.DIRECT,
        summary=f"{title}: {text}",
    )


def _prepare(
    session: Session,
    schedule: PromptSchedule,
    workspace: Workspace,
    now: datetime,
    run_id: int | None,
) -> PostPlan | None:
    """Pick the next prompt, advance the rotation, record the post: one transaction."""
    assert schedule.id is not None and workspace.id is not None
    prompt_set = library_for(session, workspace.id).get(schedule.set_name)
    if prompt_set is None:
        log.warning("schedule #%s names the missing set %r", schedule.id, schedule.set_name)
        return None
    used = [u for u in schedule.used_prompt_ids.split(",") if u]
    seed = f"schedule-{schedule.id}"
    activity = WeeklyActivity()
    upcoming = prompt_set.get(next_in_rotation(prompt_set.ids, used, seed=seed).prompt_id)
    if upcoming is not None and upcoming.is_templated:  # only a template needs the week's data
        activity = stats.weekly_activity(session, workspace.id, now - ACTIVITY_WINDOW, now)
    picked = pick_prompt(prompt_set, used, activity, seed=seed)
    if picked is None:
        log.warning("schedule #%s: no prompt of %s can be posted", schedule.id, prompt_set.name)
        return None
    before = schedule.used_prompt_ids
    after = picked.prompt.id if picked.new_cycle else ",".join([*used, picked.prompt.id])
    schedule.used_prompt_ids = after
    session.add(schedule)
    post = PromptPost(
        workspace_id=workspace.id,
        schedule_id=schedule.id,
        channel_id=schedule.channel_id,
        prompt_id=picked.prompt.id,
        text=picked.text[:2000],
        posted_at=now,
    )
    session.add(post)
    session.flush()
    assert post.id is not None
    if schedule.dm_members:
        _plan_deliveries(session, schedule, workspace, post.id, now)
    return PostPlan(
        run_id=run_id,
        post_id=post.id,
        schedule_id=schedule.id,
        place=Place(workspace=_ref(workspace), channel=ChannelId(schedule.channel_id)),
        reply=prompt_reply(prompt_set, picked, schedule),
        rotation_before=before,
        rotation_after=after,
        dm_members=schedule.dm_members,
    )


def _claim_scheduled(
    session: Session, schedule_id: int, now: datetime, grace_seconds: int
) -> PostPlan | None:
    schedule = session.get(PromptSchedule, schedule_id)
    if schedule is None or schedule.status != ACTIVE:
        return None  # paused or cancelled since the job was planned: nothing to post
    slot = triggers.latest_fire(
        schedule.cron, schedule.timezone, now, timedelta(seconds=grace_seconds + 60)
    )
    if slot is None:
        log.warning("schedule #%s ran with no due time in its grace period; skipped", schedule_id)
        return None
    run = scheduled_runs.claim(session, schedule.workspace_id, f"prompt:{schedule_id}", slot, now)
    if run is None:
        log.info("schedule #%s due %s was already posted; not posting it again", schedule_id, slot)
        return None
    workspace = _workspace(session, schedule.workspace_id)
    plan = _prepare(session, schedule, workspace, now, run.id)
    if plan is None:
        assert run.id is not None
        scheduled_runs.finish(session, run.id, "skipped", "no prompt to post", now)
    return plan


def _claim_now(session: Session, workspace_id: int, schedule_id: int, now: datetime) -> PostPlan:
    schedule = get_schedule(session, workspace_id, schedule_id)
    if schedule.status == CANCELLED:
        raise Conflict(f"Schedule #{schedule_id} was cancelled, so it posts nothing.")
    plan = _prepare(session, schedule, _workspace(session, workspace_id), now, None)
    if plan is None:
        raise Conflict(f"Schedule #{schedule_id} has no prompt it can post.")
    return plan


def _record_posted(session: Session, plan: PostPlan, message: str, now: datetime) -> None:
    session.exec(
        update(PromptPost)
        .where(col(PromptPost.id) == plan.post_id)
        .values(message_ref=message)
        .execution_options(synchronize_session=False)  # nothing loaded to keep in step
    )
    if plan.run_id is not None:
        scheduled_runs.finish(session, plan.run_id, "posted", "", now)


def _revert(session: Session, plan: PostPlan, reason: str, now: datetime) -> None:
    """The platform refused: forget the post and give the prompt back to the rotation."""
    session.exec(delete(PromptDelivery).where(col(PromptDelivery.post_id) == plan.post_id))
    session.exec(delete(PromptPost).where(col(PromptPost.id) == plan.post_id))
    session.exec(
        update(PromptSchedule)
        .where(
            col(PromptSchedule.id) == plan.schedule_id,
            col(PromptSchedule.used_prompt_ids) == plan.rotation_after,
        )
        .values(used_prompt_ids=plan.rotation_before)
    )
    if plan.run_id is not None:
        scheduled_runs.finish(session, plan.run_id, "failed", reason, now)


def _release(session: Session, plan: PostPlan, now: datetime) -> None:
    """The job stopped before posting: undo the post record and free the due time."""
    _revert(session, plan, "", now)
    if plan.run_id is not None:
        scheduled_runs.release(session, plan.run_id)


async def publish(runtime: Runtime, plan: PostPlan) -> MessageRef:
    """Post a prepared prompt and send the DMs that are due; ChatPortError if refused."""
    try:
        ref = await runtime.port.post(plan.place, plan.reply)
    except ChatPortError as error:
        await runtime.db.run(_revert, plan, error.user_message, runtime.clock.now())
        raise
    await runtime.db.run(_record_posted, plan, ref.message, runtime.clock.now())
    if plan.dm_members:
        await deliver_due_dms(runtime, post_id=plan.post_id)
    return ref


async def run_schedule(runtime: Runtime, schedule_id: int, *, grace_seconds: int) -> None:
    """The prompt job: claim this due time, pick and post the prompt (at most once).

    Stopped (cancelled) before the post was handed to the platform, the job gives the due time
    back, so the next leader's catch-up posts it; stopped during the platform call, it keeps
    the claim: the post may be out already, and a double post is worse than a missing one.
    """
    claiming = asyncio.ensure_future(
        runtime.db.run(_claim_scheduled, schedule_id, runtime.clock.now(), grace_seconds)
    )
    try:
        plan = await asyncio.shield(claiming)
    except asyncio.CancelledError:
        plan = await claiming
        if plan is not None:
            await runtime.db.run(_release, plan, runtime.clock.now())
        raise
    if plan is None:
        return
    try:
        await publish(runtime, plan)
    except ChatPortError as error:
        log.warning(
            "could not post the prompt of schedule #%s to channel %s: %s",
            schedule_id,
            plan.place.channel,
            error,
        )


async def post_now(runtime: Runtime, workspace_id: int, schedule_id: int) -> MessageRef:
    """``/prompts now <id>``: the schedule's next prompt, at once, outside its due times."""
    plan = await runtime.db.run(_claim_now, workspace_id, schedule_id, runtime.clock.now())
    return await publish(runtime, plan)


def preview(
    session: Session, workspace_id: int, set_name: str | None, now: datetime
) -> tuple[PromptSet, int, Reply]:
    """A set's size, how many prompts this workspace added, and its first post as it would
    look this week (templated prompts filled in from the last seven days)."""
    library = library_for(session, workspace_id)
    prompt_set = known_set(library, set_name or DEFAULT_SET)
    activity = stats.weekly_activity(session, workspace_id, now - ACTIVITY_WINDOW, now)
    picked = pick_prompt(prompt_set, (), activity)
    assert picked is not None  # known_set guarantees a plain prompt
    sample = PromptSchedule(id=0, workspace_id=workspace_id, channel_id="", cron="", timezone="UTC")
    reply = prompt_reply(prompt_set, picked, sample)
    custom = sum(1 for p in prompt_set.prompts if p.id.startswith(CUSTOM_PREFIX))
    return prompt_set, custom, Reply(blocks=reply.blocks, visibility=Visibility.EPHEMERAL)


# Prompts by direct message -----------------------------------------------------------------------


def _member_zone(member: Member, workspace: Workspace) -> str:
    return member.timezone or workspace.default_timezone


def _plan_deliveries(
    session: Session, schedule: PromptSchedule, workspace: Workspace, post_id: int, now: datetime
) -> None:
    """One delivery per member who wants it: none while away or muted; held in quiet hours."""
    muted = set(
        session.exec(select(PromptMute.member_id).where(PromptMute.schedule_id == schedule.id))
    )
    for member in session.exec(select(Member).where(Member.workspace_id == workspace.id)):
        if member.id in muted or not member.available:
            continue
        due = now
        if member.quiet_start is not None and member.quiet_end is not None:
            due = quiet_hours_end(
                now, _member_zone(member, workspace), member.quiet_start, member.quiet_end
            )
        assert member.id is not None and workspace.id is not None
        session.add(
            PromptDelivery(
                workspace_id=workspace.id, post_id=post_id, member_id=member.id, due_at=due
            )
        )


@dataclass(frozen=True, slots=True)
class _Direct:
    delivery_id: int
    workspace: WorkspaceRef
    user: UserId
    reply: Reply


def _take_due(session: Session, now: datetime, post_id: int | None) -> list[_Direct]:
    """Claim the deliveries due now (a conditional update: one sender per delivery), and
    re-check each member at this moment: away or muted since -> skipped; quiet hours changed
    -> held again; a newer prompt of the same schedule went out -> skipped as stale."""
    query = select(PromptDelivery.id).where(
        PromptDelivery.status == "pending", col(PromptDelivery.due_at) <= now
    )
    if post_id is not None:
        query = query.where(PromptDelivery.post_id == post_id)
    due_ids = list(session.exec(query.order_by(col(PromptDelivery.due_at)).limit(DM_BATCH)))
    taken: list[_Direct] = []
    for delivery_id in due_ids:
        claimed = session.exec(
            update(PromptDelivery)
            .where(col(PromptDelivery.id) == delivery_id, col(PromptDelivery.status) == "pending")
            .values(status="sending")
        )
        if claimed.rowcount != 1:
            continue
        delivery = session.get(PromptDelivery, delivery_id)
        assert delivery is not None
        direct = _check_delivery(session, delivery, now)
        if direct is not None:
            taken.append(direct)
    return taken


def _check_delivery(session: Session, delivery: PromptDelivery, now: datetime) -> _Direct | None:
    member = session.get(Member, delivery.member_id)
    post = session.get(PromptPost, delivery.post_id)
    workspace = session.get(Workspace, delivery.workspace_id)
    schedule = session.get(PromptSchedule, post.schedule_id) if post and post.schedule_id else None
    if member is None or post is None or workspace is None or schedule is None:
        return _skip(session, delivery, "gone")
    newer = session.exec(
        select(func.count())
        .select_from(PromptPost)
        .where(PromptPost.schedule_id == schedule.id, col(PromptPost.id) > post.id)
    ).one()
    if newer:
        return _skip(session, delivery, "a newer prompt went out first")
    if not member.available:
        return _skip(session, delivery, "away")
    muted = session.exec(
        select(PromptMute.id).where(
            PromptMute.schedule_id == schedule.id, PromptMute.member_id == member.id
        )
    ).first()
    if muted is not None:
        return _skip(session, delivery, "muted")
    zone = _member_zone(member, workspace)
    quiet = member.quiet_start, member.quiet_end
    if quiet[0] is not None and quiet[1] is not None and in_quiet_hours(now, zone, *quiet):
        delivery.status = "pending"
        delivery.due_at = quiet_hours_end(now, zone, *quiet)
        session.add(delivery)
        return None
    prompt_set = library_for(session, delivery.workspace_id).get(schedule.set_name)
    prompt = prompt_set.get(post.prompt_id) if prompt_set else None
    reply = _prompt_message(
        prompt_set.title if prompt_set else "Reflection",
        post.prompt_id,
        post.text,
        prompt.follow_up if prompt else None,
        schedule,
        channel=channel_label(workspace.platform, post.channel_id),
    )
    assert delivery.id is not None
    return _Direct(delivery.id, _ref(workspace), UserId(member.user_id), reply)


def _skip(session: Session, delivery: PromptDelivery, why: str) -> None:
    delivery.status, delivery.detail = "skipped", why
    session.add(delivery)
    return None


def _finish_delivery(session: Session, delivery_id: int, error: str, now: datetime) -> None:
    session.exec(
        update(PromptDelivery)
        .where(col(PromptDelivery.id) == delivery_id)
        .values(
            status="skipped" if error else "sent",
            detail=error[:200],
            sent_at=None if error else now,
        )
    )


async def deliver_due_dms(runtime: Runtime, *, post_id: int | None = None) -> int:
    """Send the prompt DMs that are due (the minute sweep; also right after a post)."""
    sent = 0
    due = await runtime.db.run(_take_due, runtime.clock.now(), post_id)
    for direct in due:
        error = ""
        try:
            await runtime.port.send_direct(direct.workspace, direct.user, direct.reply)
            sent += 1
        except ChatPortError as refusal:
            error = refusal.user_message
            log.warning("could not DM a prompt to %s: %s", direct.user, refusal)
        await runtime.db.run(_finish_delivery, direct.delivery_id, error, runtime.clock.now())
    return sent


# Answers ----------------------------------------------------------------------------------------


def current_post(session: Session, workspace_id: int, actor: Actor, place: Place) -> PromptPost:
    """The prompt an answer belongs to: the thread's, the channel's latest, or (in a DM) the
    latest sent to this member."""
    if place.thread:
        in_thread = session.exec(
            select(PromptPost).where(
                PromptPost.workspace_id == workspace_id,
                PromptPost.channel_id == place.channel,
                PromptPost.message_ref == place.thread,
            )
        ).first()
        if in_thread is not None:
            return in_thread
    if place.is_direct:
        member = members.get(session, workspace_id, actor.user_id)
        found = None
        if member is not None:
            found = session.exec(
                select(PromptPost)
                .join(PromptDelivery, col(PromptDelivery.post_id) == PromptPost.id)
                .where(PromptDelivery.member_id == member.id, PromptDelivery.status == "sent")
                .order_by(col(PromptDelivery.sent_at).desc())
            ).first()
        if found is None:
            raise NotFound(
                "copbot has not sent you a reflection prompt to answer.",
                "Answer a prompt in its channel with /reflect <your answer>.",
            )
        return found
    found = session.exec(
        select(PromptPost)
        .where(PromptPost.workspace_id == workspace_id, PromptPost.channel_id == place.channel)
        .order_by(col(PromptPost.posted_at).desc(), col(PromptPost.id).desc())
    ).first()
    if found is None:
        raise NotFound(
            "There is no reflection prompt in this channel yet.",
            "A facilitator can schedule one: /prompts schedule #channel weekly mon 09:00.",
        )
    return found


def answer_form_context(
    session: Session, workspace_id: int, actor: Actor, place: Place
) -> tuple[str, bool]:
    """The prompt being answered and whether it may be answered anonymously (for the form)."""
    post = current_post(session, workspace_id, actor, place)
    schedule = session.get(PromptSchedule, post.schedule_id) if post.schedule_id else None
    return post.text, bool(schedule and schedule.anonymous_allowed)


def split_answer(text: str) -> tuple[str, bool]:
    """``anonymous my answer`` -> (``my answer``, True); a form's ``answer: ...`` unwrapped."""
    text = text.strip()
    anonymous = False
    if text.lower().startswith("answer:"):
        fields = dict(
            part.split(":", 1) for part in text.split(" | ") if ":" in part
        )  # a submitted form: "answer: ... | anonymous: yes"
        anonymous = fields.get("anonymous", "").strip().lower() in ("yes", "true", "on")
        text = fields.get("answer", "").strip()
        return text, anonymous
    first, _, rest = text.partition(" ")
    if first.lower().rstrip(":,") in ANONYMOUS_WORDS:
        return rest.strip(), True
    return text, anonymous


@dataclass(frozen=True, slots=True)
class AnswerPlan:
    response_id: int
    post_id: int
    anonymous: bool
    echo_place: Place | None
    echo: Reply


def record_answer(
    session: Session,
    workspace_id: int,
    actor: Actor,
    place: Place,
    text: str,
    anonymous: bool,
    now: datetime,
) -> AnswerPlan:
    if not text:
        raise UsageError("Your answer is empty.", "Type /reflect followed by your answer.")
    if len(text) > MAX_ANSWER_LENGTH:
        raise UsageError(
            f"Your answer is {len(text):,} characters; the limit is {MAX_ANSWER_LENGTH:,}.",
            "Shorten it, or split it into two answers.",
        )
    post = current_post(session, workspace_id, actor, place)
    schedule = session.get(PromptSchedule, post.schedule_id) if post.schedule_id else None
    if anonymous and not (schedule and schedule.anonymous_allowed):
        raise UsageError(
            "Answers to this prompt are shown with your name: anonymous answers are off.",
            "Type /reflect followed by your answer, or ask a facilitator to allow anonymity.",
        )
    member = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    assert post.id is not None and member.id is not None
    response = ReflectionResponse(
        workspace_id=workspace_id,
        post_id=post.id,
        member_id=member.id,
        anonymous=anonymous,
        text=text,
        created_at=now,
    )
    session.add(response)
    session.flush()
    assert response.id is not None
    workspace = _workspace(session, workspace_id)
    echo_place = None
    if post.message_ref:
        echo_place = Place(
            workspace=_ref(workspace),
            channel=ChannelId(post.channel_id),
            thread=MessageId(post.message_ref),
        )
    author = None if anonymous else (member.display_name or member.user_id)
    echo = Reply(
        blocks=(Quote(text, author=author or "anonymous"),),
        visibility=Visibility.IN_CHANNEL,
        summary="A reflection answer" if anonymous else f"{author} answered the prompt",
    )
    return AnswerPlan(response.id, post.id, anonymous, echo_place, echo)


def _record_echo(session: Session, response_id: int, message: str) -> None:
    session.exec(
        update(ReflectionResponse)
        .where(col(ReflectionResponse.id) == response_id)
        .values(message_ref=message)
    )


async def answer(
    runtime: Runtime, workspace_id: int, actor: Actor, place: Place, text: str
) -> AnswerPlan:
    """Store an answer and show it in the prompt's thread (without the name when anonymous)."""
    body, anonymous = split_answer(text)
    plan = await runtime.db.run(
        record_answer, workspace_id, actor, place, body, anonymous, runtime.clock.now()
    )
    if plan.echo_place is not None:
        try:
            ref = await runtime.port.post(plan.echo_place, plan.echo)
        except ChatPortError as error:
            log.warning(
                "stored reflection answer %s but could not show it: %s", plan.response_id, error
            )
        else:
            await runtime.db.run(_record_echo, plan.response_id, ref.message)
    return plan


# For the lessons feature ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LessonSource:
    """What a lesson made from a reflection answer needs.

    ``author_member_id`` is None for an anonymous answer, and ``may_quote`` is False when the
    answer is anonymous or its author chose ``/profile capture off``: the lesson must then
    paraphrase and credit nobody.
    """

    response_id: int
    workspace_id: int
    prompt_text: str
    answer_text: str
    author_member_id: int | None
    may_quote: bool
    channel_id: str
    prompt_message_ref: str | None
    answer_message_ref: str | None
    answered_at: datetime
    lesson_id: int | None


def lesson_source(session: Session, workspace_id: int, response_id: int) -> LessonSource:
    response = session.get(ReflectionResponse, response_id)
    if response is None or response.workspace_id != workspace_id:
        raise NotFound(f"There is no reflection answer #{response_id} here.")
    post = session.get(PromptPost, response.post_id)
    assert post is not None
    member = session.get(Member, response.member_id) if response.member_id else None
    return LessonSource(
        response_id=response_id,
        workspace_id=workspace_id,
        prompt_text=post.text,
        answer_text=response.text,
        author_member_id=None if response.anonymous else response.member_id,
        may_quote=not response.anonymous and member is not None and member.capture_quotes,
        channel_id=post.channel_id,
        prompt_message_ref=post.message_ref,
        answer_message_ref=response.message_ref,
        answered_at=response.created_at,
        lesson_id=response.lesson_id,
    )


def link_lesson(session: Session, workspace_id: int, response_id: int, lesson_id: int) -> None:
    """Remember that a lesson was made from this answer (so it is not offered twice)."""
    response = session.get(ReflectionResponse, response_id)
    if response is None or response.workspace_id != workspace_id:
        raise NotFound(f"There is no reflection answer #{response_id} here.")
    response.lesson_id = lesson_id
    session.add(response)


def answers_for_post(session: Session, workspace_id: int, post_id: int) -> list[ReflectionResponse]:
    return list(
        session.exec(
            select(ReflectionResponse)
            .where(
                ReflectionResponse.workspace_id == workspace_id,
                ReflectionResponse.post_id == post_id,
            )
            .order_by(col(ReflectionResponse.id))
        )
    )


# Helpers ----------------------------------------------------------------------------------------


def _workspace(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    return workspace


def _ref(workspace: Workspace) -> WorkspaceRef:
    return stats.workspace_ref(workspace)


def schedule_lines(views: list[ScheduleView]) -> tuple[str, ...]:
    lines = []
    for view in views:
        if view.status == ACTIVE and view.next_post is not None:
            state = f"next {triggers.format_local(view.next_post, view.zone)}"
        elif view.status == ACTIVE:
            state = "never fires again"
        else:
            state = "paused (/prompts resume " + str(view.id) + ")"
        extras = []
        if view.anonymous:
            extras.append("anonymous answers allowed")
        if view.dm_members:
            extras.append("also by DM")
        if view.muted:
            extras.append("muted by you")
        extra = f"; {', '.join(extras)}" if extras else ""
        lines.append(
            f"#{view.id} {view.set_name} in {view.channel}: {view.when} ({view.zone}); {state}; "
            f"prompt {min(view.used + 1, view.set_size)} of {view.set_size}{extra}"
        )
    return tuple(lines)


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
