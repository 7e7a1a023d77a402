"""Question routing: ask, route to the few best people, claim, decline, escalate, answer, resolve.

Every step is a stored state change (a question's status, a routing attempt's status and due
time), made in one short transaction before or after talking to the platform. Nothing waits in
memory: a DM held for someone's quiet hours and an escalation due in four working hours are
rows with a due time, which ``sweep`` (run every minute by the scheduler) picks up, so routing
survives a restart and runs the same on any number of workers. Races (two claims, two
sweepers) are decided by conditional UPDATEs in storage.

People come first: never the asker, nobody away or opted out, nobody who already passed, at
most N routed questions a day each, DMs held until quiet hours end, and among similarly good
candidates the less-pinged go first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.context import Runtime
from bot.errors import Conflict, NotFound, PermissionDenied, UsageError
from bot.model import (
    Actor,
    ChannelId,
    MessageId,
    MessageRef,
    Place,
    Platform,
    Reply,
    UserId,
    WorkspaceKey,
    WorkspaceRef,
)
from bot.ports import ChatPortError
from bot.registry import MentionArg
from bot.services import lesson_messages as msg_lessons
from bot.services import lesson_search
from bot.services import routing_messages as msg
from bot.services.expert_index import ExpertIndex
from bot.services.profiles import effective_timezone, resolve_mention
from bot.services.ranking import Load, Query, RankedMember
from bot.services.topics import explicit_tags, normalise_topic, topics_in_text
from bot.timezones import after_awake_hours, quiet_hours_end
from storage.models import Member, Question, Role, RoutingAttempt, Workspace
from storage.repos import expertise as expertise_repo
from storage.repos import members
from storage.repos import questions as repo

log = logging.getLogger(__name__)

MAX_QUESTION = 3000
LATER_DELAY = timedelta(hours=2)
ESCALATION_CAP = timedelta(hours=72)
FACILITATOR_ROUND = 99
DEFLECTION_WAIT = timedelta(minutes=10)
"""How long lessons that may answer a new question are shown to its asker before it is
posted anyway (the due time is stored on the question, so the sweep posts it after a restart)."""
ACCEPTED_WEIGHT = 1.0
ANSWER_WEIGHT = 0.3


# -- identities and references ------------------------------------------------------------------


def workspace_ref(workspace: Workspace) -> WorkspaceRef:
    return WorkspaceRef(Platform(workspace.platform), WorkspaceKey(workspace.external_id))


def name_of(member: Member | None) -> str:
    if member is None:
        return "a former member"
    return member.display_name or member.user_id


def encode_ref(ref: MessageRef) -> str:
    return f"{ref.place.channel}|{ref.message}"


def decode_dm_ref(workspace: WorkspaceRef, raw: str | None) -> MessageRef | None:
    if not raw or "|" not in raw:
        return None
    channel, message = raw.split("|", 1)
    place = Place(workspace, ChannelId(channel), is_direct=True)
    return MessageRef(place=place, message=MessageId(message))


def thread_ref(workspace: WorkspaceRef, question: Question) -> MessageRef | None:
    if not question.thread_ref:
        return None
    place = Place(workspace, ChannelId(question.channel_id))
    return MessageRef(place=place, message=MessageId(question.thread_ref))


def thread_place(workspace: WorkspaceRef, question: Question) -> Place:
    return Place(
        workspace,
        ChannelId(question.channel_id),
        thread=MessageId(question.thread_ref) if question.thread_ref else None,
    )


def split_topics(value: str) -> list[str]:
    return [t for t in value.split(",") if t]


def _workspace(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    return workspace


def _question(session: Session, workspace_id: int, question_id: int) -> Question:
    question = repo.get(session, workspace_id, question_id)
    if question is None:
        raise NotFound(
            f"There is no question #{question_id} here.",
            "Type /questions to see yours, or /unanswered for the channel's open ones.",
        )
    return question


# -- asking --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewQuestion:
    id: int
    workspace: WorkspaceRef
    channel: str
    asker: str
    text: str
    topics: list[str]


def _create(
    session: Session, workspace_id: int, actor: Actor, channel: str, text: str, now: datetime
) -> NewQuestion:
    workspace = _workspace(session, workspace_id)
    tags, body = explicit_tags(text)
    if not body:
        raise UsageError("A question needs some words after its tags.", "Type: /ask [topic] text")
    known = expertise_repo.known_topics(session, workspace_id)
    aliases = expertise_repo.aliases(session, workspace_id)
    topics: dict[str, None] = {}
    for tag in tags:
        topic = normalise_topic(tag, known, aliases)
        if topic:
            topics.setdefault(topic, None)
    for topic in topics_in_text(body, known, aliases):
        topics.setdefault(topic, None)
    asker = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    question = Question(
        workspace_id=workspace_id,
        asker_member_id=asker.id,
        channel_id=workspace.questions_channel_id or channel,
        text=body,
        topics=",".join(topics),
        created_at=now,
    )
    session.add(question)
    session.flush()
    assert question.id is not None
    return NewQuestion(
        id=question.id,
        workspace=workspace_ref(workspace),
        channel=question.channel_id,
        asker=name_of(asker),
        text=body,
        topics=list(topics),
    )


def _set_thread(session: Session, question_id: int, message: str) -> None:
    question = session.get(Question, question_id)
    assert question is not None
    question.thread_ref = message
    session.add(question)


def _delete_question(session: Session, question_id: int) -> None:
    question = session.get(Question, question_id)
    if question is not None:
        session.delete(question)


@dataclass(frozen=True)
class AskResult:
    question: NewQuestion
    thread: MessageRef | None  # None while the asker looks at suggestions
    routed: list[str]  # names of members asked now
    held: list[tuple[str, datetime]]  # names and when their quiet hours end
    suggestions: tuple[lesson_search.Found, ...] = ()  # lessons that may answer it already


async def ask(rt: Runtime, workspace_id: int, actor: Actor, place: Place, text: str) -> AskResult:
    """Store the question; post it as a thread root and route it to the first candidates.

    Deflection first: when lessons or resolved questions look like answers (similarity above
    the threshold), the question is held as "suggested" and they are shown to the asker alone;
    it is posted on "Ask anyway" or by the sweep after DEFLECTION_WAIT. Nobody is pinged
    meanwhile. If the channel post fails the question is deleted again: the member gets the
    platform's message and nothing is left half-stored.
    """
    now = rt.clock.now()
    new = await rt.db.run(_create, workspace_id, actor, place.channel, text, now)
    found = await rt.db.run(_hold_if_answered, new.id, workspace_id, text, now)
    if found:
        return AskResult(question=new, thread=None, routed=[], held=[], suggestions=tuple(found))
    return await publish(rt, new)


def _hold_if_answered(
    session: Session, question_id: int, workspace_id: int, text: str, now: datetime
) -> list[lesson_search.Found]:
    found = lesson_search.suggest(session, workspace_id, text, exclude_question=question_id)
    if found:
        question = session.get(Question, question_id)
        assert question is not None
        question.status = "suggested"
        question.suggest_until = now + DEFLECTION_WAIT
        session.add(question)
    return found


async def publish(rt: Runtime, new: NewQuestion, *, delete_on_failure: bool = True) -> AskResult:
    """Post the question as a thread root and route it to the first candidates."""
    root = Place(new.workspace, ChannelId(new.channel))
    try:
        ref = await rt.port.post(root, msg.thread_root(new.id, new.asker, new.text, new.topics))
    except ChatPortError:
        if delete_on_failure:
            await rt.db.run(_delete_question, new.id)
        raise
    await rt.db.run(_set_thread, new.id, ref.message)
    routed, held = await route_round(rt, new.id, round_no=1)
    return AskResult(question=new, thread=ref, routed=routed, held=held)


def _release(session: Session, question_id: int) -> NewQuestion | None:
    """Suggested -> open, for one caller only (Ask anyway, the sweep); None if it was not
    suggested any more (deflected, or already posted by the other)."""
    changed = session.exec(
        update(Question)
        .where(col(Question.id) == question_id, col(Question.status) == "suggested")
        .values(status="open", suggest_until=None)
    )
    if changed.rowcount != 1:
        return None
    question = session.get(Question, question_id)
    assert question is not None
    session.refresh(question)
    workspace = _workspace(session, question.workspace_id)
    asker = session.get(Member, question.asker_member_id) if question.asker_member_id else None
    return NewQuestion(
        id=question_id,
        workspace=workspace_ref(workspace),
        channel=question.channel_id,
        asker=name_of(asker),
        text=question.text,
        topics=split_topics(question.topics),
    )


def _hold_again(session: Session, question_id: int, until: datetime) -> None:
    session.exec(
        update(Question)
        .where(col(Question.id) == question_id, col(Question.status) == "open")
        .values(status="suggested", suggest_until=until)
    )


async def publish_held(rt: Runtime, question_id: int) -> AskResult | None:
    """Post a question held for suggestions (Ask anyway, or its wait is over). If the post
    fails it stays held and the sweep tries again after another wait."""
    new = await rt.db.run(_release, question_id)
    if new is None:
        return None
    try:
        return await publish(rt, new, delete_on_failure=False)
    except ChatPortError:
        await rt.db.run(_hold_again, question_id, rt.clock.now() + DEFLECTION_WAIT)
        raise


# -- choosing people -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    attempt_id: int
    name: str
    due_at: datetime


def _pick_candidates(
    session: Session,
    experts: ExpertIndex,
    question_id: int,
    round_no: int,
    count: int,
    now: datetime,
) -> list[Pick]:
    """Choose up to ``count`` new people for an open question and store their attempts.

    Every member of the workspace is a candidate for the ranker (no sampled short list); the
    people rules then skip whoever must not be asked, in rank order, so the next best fills
    each gap.
    """
    question = session.get(Question, question_id)
    if question is None or question.status != "open":
        return []
    workspace = _workspace(session, question.workspace_id)
    tried = {a.member_id for a in repo.attempts(session, question_id)}
    people = {
        m.id: m
        for m in session.exec(select(Member).where(Member.workspace_id == question.workspace_id))
        if m.id not in tried and m.id != question.asker_member_id
    }
    pings = repo.load(session, workspace.id or 0, now)
    query = Query(
        text=question.text,
        at=now,
        topics=tuple(split_topics(question.topics)),
        asker=str(question.asker_member_id) if question.asker_member_id else None,
    )
    ranked = experts.rank(
        session,
        workspace,
        query,
        [str(mid) for mid in people],
        load={str(mid): Load(*pings[mid]) for mid in people if mid in pings},
        now=now,
        k=len(people),
    )
    today = repo.routed_today(session, list(people), now)
    picks: list[Pick] = []
    for candidate in ranked:
        if len(picks) >= count or candidate.base_score <= 0:
            break
        member = people[int(candidate.member)]
        if not member.available or member.routing_opt_out:
            continue
        if today.get(member.id or 0, 0) >= workspace.daily_route_cap:
            continue
        due = _deliverable_at(member, workspace, now)
        attempt = RoutingAttempt(
            workspace_id=question.workspace_id,
            question_id=question_id,
            member_id=member.id or 0,
            round=round_no,
            score=round(candidate.score, 4),
            reason=why(candidate)[:1000],
            status="queued",
            due_at=due,
        )
        session.add(attempt)
        session.flush()
        assert attempt.id is not None
        picks.append(Pick(attempt.id, name_of(member), due))
    question.escalation_round = round_no
    question.next_escalation_at = _escalation_due(session, workspace, picks, now)
    session.add(question)
    return picks


def why(candidate: RankedMember) -> str:
    """The DM's "why you", from the ranker's own reasons (the numbers behind the score)."""
    reasons = [r for r in candidate.reasons if not r.startswith("moved down")]
    return "; ".join(reasons) if reasons else "you have helped here recently"


def _deliverable_at(member: Member, workspace: Workspace, now: datetime) -> datetime:
    zone, _ = effective_timezone(member, None, workspace)
    if member.quiet_start is None or member.quiet_end is None:
        return now
    return quiet_hours_end(now, zone, member.quiet_start, member.quiet_end)


def _escalation_due(
    session: Session, workspace: Workspace, picks: list[Pick], now: datetime
) -> datetime:
    """When the round has had its chance: every picked member has had the workspace's
    escalation window of their own waking hours since their DM (capped)."""
    window = workspace.escalation_hours
    if not picks:
        return now + timedelta(hours=window)
    latest = now
    for pick in picks:
        attempt = session.get(RoutingAttempt, pick.attempt_id)
        assert attempt is not None
        member = session.get(Member, attempt.member_id)
        assert member is not None
        zone, _ = effective_timezone(member, None, workspace)
        quiet = (
            (member.quiet_start, member.quiet_end)
            if member.quiet_start is not None and member.quiet_end is not None
            else None
        )
        latest = max(latest, after_awake_hours(pick.due_at, window, zone, quiet))
    return min(latest, now + ESCALATION_CAP)


async def route_round(
    rt: Runtime, question_id: int, *, round_no: int, count: int | None = None
) -> tuple[list[str], list[tuple[str, datetime]]]:
    """Pick and notify the next people; returns (asked now, held for quiet hours)."""
    now = rt.clock.now()

    def pick(session: Session) -> list[Pick]:
        question = session.get(Question, question_id)
        if question is None:
            return []
        wanted = count or _workspace(session, question.workspace_id).route_candidates
        return _pick_candidates(session, rt.experts, question_id, round_no, wanted, now)

    picks = await rt.db.run(pick)
    routed, held = [], []
    for p in picks:
        if p.due_at <= now:
            await deliver(rt, p.attempt_id)
            routed.append(p.name)
        else:
            held.append((p.name, p.due_at))
    return routed, held


# -- delivering DMs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    workspace: WorkspaceRef
    user_id: str
    question_id: int
    asker: str
    text: str
    why: str
    thread: MessageRef | None
    reminder: bool


def _take(session: Session, attempt_id: int, now: datetime) -> Delivery | None:
    attempt = session.get(RoutingAttempt, attempt_id)
    if attempt is None:
        return None
    reminder = attempt.status == "later"
    question = session.get(Question, attempt.question_id)
    if question is None or question.status != "open":
        attempt.status = "superseded"
        session.add(attempt)
        return None
    if not repo.take_for_delivery(session, attempt_id, now):
        return None
    member = session.get(Member, attempt.member_id)
    workspace = _workspace(session, attempt.workspace_id)
    if member is None or not member.available or member.routing_opt_out:
        attempt.status = "superseded"
        session.add(attempt)
        return None
    ws = workspace_ref(workspace)
    asker = session.get(Member, question.asker_member_id) if question.asker_member_id else None
    return Delivery(
        workspace=ws,
        user_id=member.user_id,
        question_id=question.id or 0,
        asker=name_of(asker),
        text=question.text,
        why=attempt.reason or "you may know about it",
        thread=thread_ref(ws, question),
        reminder=reminder,
    )


def _delivered(session: Session, attempt_id: int, ref: MessageRef | None, now: datetime) -> None:
    attempt = session.get(RoutingAttempt, attempt_id)
    assert attempt is not None
    if ref is None:
        attempt.status = "failed"
    else:
        attempt.status = "sent"
        attempt.sent_at = now
        attempt.dm_ref = encode_ref(ref)
    session.add(attempt)


async def deliver(rt: Runtime, attempt_id: int) -> bool:
    """Send one due DM (or a reminder after Later); False when there was nothing to send."""
    now = rt.clock.now()
    delivery = await rt.db.run(_take, attempt_id, now)
    if delivery is None:
        return False
    reply = msg.expert_dm(
        delivery.question_id,
        delivery.asker,
        delivery.text,
        delivery.why,
        delivery.thread,
        reminder=delivery.reminder,
    )
    try:
        ref = await rt.port.send_direct(delivery.workspace, UserId(delivery.user_id), reply)
    except ChatPortError as error:
        log.warning(
            "could not DM %s about question %s in %s: %s",
            delivery.user_id,
            delivery.question_id,
            delivery.workspace,
            error,
        )
        await rt.db.run(_delivered, attempt_id, None, now)
        return False
    await rt.db.run(_delivered, attempt_id, ref, now)
    return True


# -- claim, decline, later -----------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    question_id: int
    claimer: str
    workspace: WorkspaceRef
    thread: MessageRef | None
    place: Place
    own_dm: MessageRef | None
    other_dms: list[MessageRef]


def _claim(
    session: Session, workspace_id: int, actor: Actor, question_id: int, now: datetime
) -> Claimed:
    question = _question(session, workspace_id, question_id)
    member = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    if question.asker_member_id == member.id:
        raise Conflict(
            f"You asked #{question_id} yourself.",
            f"When it is answered, close it with /resolve {question_id}.",
        )
    if question.status == "resolved":
        raise Conflict(f"Question #{question_id} is already resolved.")
    if question.status == "claimed":
        if question.claimed_by_member_id == member.id:
            raise Conflict(f"You already claimed #{question_id}.", "Reply in its thread.")
        holder = session.get(Member, question.claimed_by_member_id)
        raise Conflict(f"Question #{question_id} is already claimed by @{name_of(holder)}.")
    if not repo.claim(session, question_id, member.id or 0, now):
        session.refresh(question)
        holder = session.get(Member, question.claimed_by_member_id)
        raise Conflict(f"Question #{question_id} was just claimed by @{name_of(holder)}.")
    attempt = repo.attempt_for(session, question_id, member.id or 0)
    workspace = workspace_ref(_workspace(session, workspace_id))
    own_dm = None
    if attempt is None:
        attempt = RoutingAttempt(
            workspace_id=workspace_id,
            question_id=question_id,
            member_id=member.id or 0,
            round=question.escalation_round,
            reason="claimed without being asked",
            due_at=now,
        )
    own_dm = decode_dm_ref(workspace, attempt.dm_ref)
    attempt.status = "claimed"
    attempt.responded_at = now
    session.add(attempt)
    others = repo.supersede_live(session, question_id, keep_member=member.id)
    return Claimed(
        question_id=question_id,
        claimer=name_of(member),
        workspace=workspace,
        thread=thread_ref(workspace, question),
        place=thread_place(workspace, question),
        own_dm=own_dm,
        other_dms=[r for a in others if (r := decode_dm_ref(workspace, a.dm_ref))],
    )


async def claim(rt: Runtime, workspace_id: int, actor: Actor, question_id: int) -> Claimed:
    """First claim wins; the thread hears who is on it and the others' DMs say so."""
    done = await rt.db.run(_claim, workspace_id, actor, question_id, rt.clock.now())
    await _best_effort(rt.port.post(done.place, msg.thread_note(f"@{done.claimer} is on it.")))
    for ref in done.other_dms:
        await _best_effort(
            rt.port.update(ref, msg.dm_closed(done.question_id, f"claimed by @{done.claimer}."))
        )
    if done.own_dm is not None:
        await _best_effort(
            rt.port.update(
                done.own_dm, msg.dm_closed(done.question_id, "you claimed it. Thank you!")
            )
        )
    return done


async def _best_effort(awaitable: object) -> None:
    """A follow-up message (thread note, DM update) failing must not undo a stored change."""
    try:
        await awaitable  # type: ignore[misc]
    except ChatPortError as error:
        log.warning("follow-up message failed: %s", error)


@dataclass(frozen=True)
class Responded:
    question_id: int
    dm: MessageRef | None
    still_open: bool
    until: datetime | None = None


def _respond(
    session: Session,
    workspace_id: int,
    actor: Actor,
    question_id: int,
    status: str,
    now: datetime,
) -> Responded:
    question = _question(session, workspace_id, question_id)
    member = members.get(session, workspace_id, actor.user_id)
    attempt = repo.attempt_for(session, question_id, member.id or 0) if member else None
    if attempt is None or member is None:
        raise Conflict(f"Question #{question_id} was not routed to you.", "Nothing to do.")
    if question.status == "resolved":
        raise Conflict(f"Question #{question_id} is already resolved.")
    if question.status == "claimed" and question.claimed_by_member_id != member.id:
        holder = session.get(Member, question.claimed_by_member_id)
        raise Conflict(f"Question #{question_id} is already claimed by @{name_of(holder)}.")
    if attempt.status == "declined":
        raise Conflict(f"You already passed on #{question_id}.")
    if attempt.status == "claimed":
        raise Conflict(f"You claimed #{question_id}.", "Reply in its thread when you can.")
    workspace = _workspace(session, workspace_id)
    until = None
    attempt.responded_at = now
    attempt.status = status
    if status == "later":
        remind = now + LATER_DELAY
        zone, _ = effective_timezone(member, actor, workspace)
        if member.quiet_start is not None and member.quiet_end is not None:
            remind = quiet_hours_end(remind, zone, member.quiet_start, member.quiet_end)
        attempt.due_at = until = remind
    session.add(attempt)
    return Responded(
        question_id=question_id,
        dm=decode_dm_ref(workspace_ref(workspace), attempt.dm_ref),
        still_open=question.status == "open",
        until=until,
    )


async def decline(rt: Runtime, workspace_id: int, actor: Actor, question_id: int) -> Responded:
    """Not me: the DM says thanks, and the next candidate is asked in this member's place."""
    done = await rt.db.run(_respond, workspace_id, actor, question_id, "declined", rt.clock.now())
    if done.dm is not None:
        await _best_effort(
            rt.port.update(done.dm, msg.dm_closed(question_id, "you passed. Thanks for saying so."))
        )
    if done.still_open:
        current = await rt.db.run(lambda s: s.get(Question, question_id).escalation_round)  # type: ignore[union-attr]
        await route_round(rt, question_id, round_no=max(current, 1), count=1)
    return done


async def later(rt: Runtime, workspace_id: int, actor: Actor, question_id: int) -> Responded:
    """Later: a reminder comes back in two hours (or when quiet hours end)."""
    return await rt.db.run(_respond, workspace_id, actor, question_id, "later", rt.clock.now())


# -- answers and resolution ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answered:
    question_id: int
    answer_id: int
    answerer: str
    place: Place
    asker: Member | None
    first_from_answerer: bool
    workspace: WorkspaceRef
    thread: MessageRef | None


def _answer(
    session: Session,
    workspace_id: int,
    actor: Actor,
    question_id: int,
    text: str,
    message_ref: str | None,
    now: datetime,
) -> Answered:
    from storage.models import Answer

    question = _question(session, workspace_id, question_id)
    if question.status == "resolved":
        raise Conflict(f"Question #{question_id} is already resolved.")
    member = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    if question.asker_member_id == member.id:
        raise Conflict(
            f"You asked #{question_id}: add details in its thread,",
            f"or close it with /resolve {question_id}.",
        )
    previous = [a for a, m in repo.answers(session, question_id) if a.member_id == member.id]
    answer = Answer(
        workspace_id=workspace_id,
        question_id=question_id,
        member_id=member.id,
        text=text,
        message_ref=message_ref,
        created_at=now,
    )
    session.add(answer)
    if question.first_answer_at is None:
        question.first_answer_at = now
    # Someone is helping: stop escalating, and drop DMs not yet sent.
    question.next_escalation_at = None
    for attempt in repo.attempts(session, question_id):
        if attempt.status == "queued":
            attempt.status = "superseded"
            session.add(attempt)
        elif attempt.member_id == member.id and attempt.status in ("sent", "later"):
            attempt.status = "answered"
            attempt.responded_at = now
            session.add(attempt)
    session.add(question)
    session.flush()
    workspace = workspace_ref(_workspace(session, workspace_id))
    asker = session.get(Member, question.asker_member_id) if question.asker_member_id else None
    return Answered(
        question_id=question_id,
        answer_id=answer.id or 0,
        answerer=name_of(member),
        place=thread_place(workspace, question),
        asker=asker,
        first_from_answerer=not previous,
        workspace=workspace,
        thread=thread_ref(workspace, question),
    )


async def answer(
    rt: Runtime,
    workspace_id: int,
    actor: Actor,
    question_id: int,
    text: str,
    *,
    message_ref: str | None = None,
    post_in_thread: bool = True,
) -> Answered:
    """Record an answer. Typed answers are posted in the thread; replies an adapter saw in the
    thread are already there (``post_in_thread=False``). The asker hears about the first
    answer from each member, with a Solved-by button."""
    done = await rt.db.run(
        _answer, workspace_id, actor, question_id, text, message_ref, rt.clock.now()
    )
    if post_in_thread:
        await rt.port.post(done.place, msg.answer_in_thread(question_id, done.answerer, text))
    if done.first_from_answerer and done.asker is not None:
        await _best_effort(
            rt.port.send_direct(
                done.workspace,
                UserId(done.asker.user_id),
                msg.answer_to_asker(question_id, done.answerer, text, done.thread),
            )
        )
    return done


async def answer_from_thread(
    rt: Runtime, workspace_id: int, actor: Actor, place: Place, text: str, message: str
) -> Answered | None:
    """An adapter saw a reply in some thread: if the thread is a question's, record an answer.

    Replies by the asker, in threads that are not questions, or on resolved questions are
    ignored quietly: the member did nothing wrong by chatting in a thread.
    """
    if place.thread is None:
        return None

    def find(session: Session) -> int | None:
        row = session.exec(
            select(Question.id).where(
                Question.workspace_id == workspace_id,
                Question.channel_id == place.channel,
                Question.thread_ref == place.thread,
            )
        ).first()
        return row

    question_id = await rt.db.run(find)
    if question_id is None:
        return None
    try:
        return await answer(
            rt, workspace_id, actor, question_id, text, message_ref=message, post_in_thread=False
        )
    except Conflict:
        return None


@dataclass(frozen=True)
class Resolved:
    question_id: int
    accepted: str | None
    place: Place
    closed_dms: list[MessageRef]
    asker_user: str | None = None  # offered "Capture what you learned"
    by_asker: bool = False
    root: MessageRef | None = None  # the question's channel message, shown as resolved
    root_reply: Reply | None = None


def _resolve(
    session: Session,
    workspace_id: int,
    actor: Actor,
    role: Role,
    question_id: int,
    mention: MentionArg | None,
    now: datetime,
) -> Resolved:
    question = _question(session, workspace_id, question_id)
    member = members.get(session, workspace_id, actor.user_id)
    is_asker = member is not None and question.asker_member_id == member.id
    if not is_asker and role.rank < Role.FACILITATOR.rank:
        raise PermissionDenied(
            f"Only the asker or a facilitator can resolve #{question_id}.",
            "If you answered it, the asker can press Solved-by on your answer.",
        )
    if question.status == "resolved":
        raise Conflict(f"Question #{question_id} is already resolved.")
    answers = repo.answers(session, question_id)
    accepted: tuple[object, Member | None] | None = None
    if mention is not None:
        named = resolve_mention(session, workspace_id, mention)
        theirs = [(a, m) for a, m in answers if a.member_id == named.id]
        if not theirs:
            raise UsageError(
                f"@{name_of(named)} has not answered #{question_id}.",
                f"Type /resolve {question_id} to close it without crediting anyone.",
            )
        accepted = theirs[-1]
    elif question.claimed_by_member_id is not None:
        theirs = [(a, m) for a, m in answers if a.member_id == question.claimed_by_member_id]
        accepted = theirs[-1] if theirs else None
    elif len({a.member_id for a, _ in answers}) == 1:
        accepted = answers[-1]
    workspace = _workspace(session, workspace_id)
    half_life = workspace.expertise_half_life_days
    topics = split_topics(question.topics)
    accepted_member = accepted[1] if accepted else None
    credited: set[int] = set()
    for _answer_row, m in answers:
        if m is None or m.id in credited:
            continue
        credited.add(m.id or 0)
        weight = (
            ACCEPTED_WEIGHT if accepted_member and m.id == accepted_member.id else ANSWER_WEIGHT
        )
        for topic in topics:
            expertise_repo.learn(session, workspace_id, m.id or 0, topic, weight, now, half_life)
    question.status = "resolved"
    question.resolved_at = now
    question.resolved_by_member_id = member.id if member else None
    question.accepted_answer_id = accepted[0].id if accepted else None  # type: ignore[attr-defined]
    question.next_escalation_at = None
    session.add(question)
    closed = repo.supersede_live(session, question_id)
    ws = workspace_ref(workspace)
    asker = session.get(Member, question.asker_member_id) if question.asker_member_id else None
    return Resolved(
        question_id=question_id,
        accepted=name_of(accepted_member) if accepted_member else None,
        place=thread_place(ws, question),
        closed_dms=[r for a in closed if (r := decode_dm_ref(ws, a.dm_ref))],
        asker_user=asker.user_id if asker else None,
        by_asker=is_asker,
        root=thread_ref(ws, question),
        root_reply=msg.thread_root(
            question_id,
            name_of(asker),
            question.text,
            split_topics(question.topics),
            resolved_by=name_of(member) if member else actor.display_name,
            accepted=name_of(accepted_member) if accepted_member else None,
        ),
    )


async def resolve(
    rt: Runtime,
    workspace_id: int,
    actor: Actor,
    role: Role,
    question_id: int,
    mention: MentionArg | None,
) -> Resolved:
    """Close a question, credit the accepted answerer (and, less, the others) with learned
    expertise on its topics, and tell the thread."""
    done = await rt.db.run(
        _resolve, workspace_id, actor, role, question_id, mention, rt.clock.now()
    )
    note = (
        f"Resolved: the accepted answer is from @{done.accepted}." if done.accepted else "Resolved."
    )
    await _best_effort(rt.port.post(done.place, msg.thread_note(note)))
    if done.root is not None and done.root_reply is not None:
        # The channel message itself says resolved (and a Discord forum post gets "solved").
        await _best_effort(rt.port.update(done.root, done.root_reply))
    for ref in done.closed_dms:
        await _best_effort(rt.port.update(ref, msg.dm_closed(question_id, "resolved. Thanks!")))
    if done.asker_user and not done.by_asker:  # the asker resolving sees the offer in the reply
        offer = msg_lessons.capture_offer(question_id, direct=True)
        await _best_effort(
            rt.port.send_direct(done.place.workspace, UserId(done.asker_user), offer)
        )
    return done


# -- escalation and the sweep --------------------------------------------------------------------


@dataclass(frozen=True)
class StaffCall:
    workspace: WorkspaceRef
    users: list[str]
    question_id: int
    asker: str
    text: str
    hours: float
    thread: MessageRef | None


def _call_staff(session: Session, question_id: int, now: datetime) -> StaffCall | None:
    question = session.get(Question, question_id)
    if question is None or question.status != "open":
        return None
    workspace = _workspace(session, question.workspace_id)
    staff = members.with_role_at_least(session, question.workspace_id, Role.FACILITATOR)
    users = []
    for person in staff:
        if person.id == question.asker_member_id:
            continue
        if repo.attempt_for(session, question_id, person.id or 0) is None:
            session.add(
                RoutingAttempt(
                    workspace_id=question.workspace_id,
                    question_id=question_id,
                    member_id=person.id or 0,
                    round=FACILITATOR_ROUND,
                    reason="facilitator: nobody claimed it",
                    status="sent",
                    due_at=now,
                    sent_at=now,
                )
            )
        users.append(person.user_id)
    question.escalation_round = FACILITATOR_ROUND
    question.next_escalation_at = None
    session.add(question)
    ws = workspace_ref(workspace)
    asker = session.get(Member, question.asker_member_id) if question.asker_member_id else None
    return StaffCall(
        workspace=ws,
        users=users,
        question_id=question_id,
        asker=name_of(asker),
        text=question.text,
        hours=workspace.escalation_hours,
        thread=thread_ref(ws, question),
    )


async def escalate(rt: Runtime, question_id: int) -> None:
    """No claim in time: ask the next candidates once; after that, the facilitators."""

    def state(session: Session) -> tuple[str, int, datetime | None] | None:
        q = session.get(Question, question_id)
        return (q.status, q.escalation_round, q.next_escalation_at) if q else None

    now = rt.clock.now()
    current = await rt.db.run(state)
    if current is None:
        return
    status, round_no, due = current
    if status != "open" or due is None or due > now:
        return
    if round_no < 2:
        routed, held = await route_round(rt, question_id, round_no=round_no + 1)
        if routed or held:
            return
    call = await rt.db.run(_call_staff, question_id, now)
    if call is None:
        return
    reply = msg.facilitator_dm(call.question_id, call.asker, call.text, call.hours, call.thread)
    for user in call.users:
        await _best_effort(rt.port.send_direct(call.workspace, UserId(user), reply))


async def sweep(rt: Runtime) -> tuple[int, int]:
    """Deliver DMs whose hold has ended and escalate questions whose window passed.

    Run every minute by the scheduler (one leader), and safe to run anywhere twice: each
    delivery is taken with a conditional update. Returns (delivered, escalated)."""
    now = rt.clock.now()
    await post_due_suggested(rt, now)
    due = await rt.db.run(repo.due_attempt_ids, now)
    delivered = 0
    for attempt_id in due:
        delivered += await deliver(rt, attempt_id)
    escalating = await rt.db.run(repo.due_escalation_ids, now)
    for question_id in escalating:
        await escalate(rt, question_id)
    return delivered, len(escalating)


def _due_suggested(session: Session, now: datetime, limit: int = 200) -> list[tuple[int, str]]:
    rows = session.exec(
        select(Question.id, Member.user_id)
        .join(Member, col(Member.id) == col(Question.asker_member_id), isouter=True)
        .where(
            col(Question.status) == "suggested",
            col(Question.suggest_until).is_not(None),
            col(Question.suggest_until) <= now,
        )
        .order_by(Question.suggest_until)
        .limit(limit)
    ).all()
    return [(qid, user or "") for qid, user in rows]


async def post_due_suggested(rt: Runtime, now: datetime) -> int:
    """Questions whose asker neither closed them with a lesson nor asked anyway: post them now
    and tell the asker. Returns how many were posted."""
    posted = 0
    for question_id, asker in await rt.db.run(_due_suggested, now):
        try:
            result = await publish_held(rt, question_id)
        except ChatPortError as error:
            log.warning("could not post held question %s: %s", question_id, error)
            continue
        if result is None:
            continue
        posted += 1
        if asker:
            await _best_effort(
                rt.port.send_direct(
                    result.question.workspace,
                    UserId(asker),
                    msg_lessons.posted_after_wait(question_id),
                )
            )
    return posted
