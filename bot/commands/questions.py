"""Question commands: /ask, /claim, /decline, /later, /answer, /resolve, /questions, /unanswered."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.context import Context
from bot.model import Items, Link, Reply, Text, say
from bot.registry import CommandSpec, Kind, Param
from bot.services import lesson_messages, routing
from storage.repos import members
from storage.repos import questions as repo

QUESTION_ID = Param("id", Kind.INT, minimum=1, help="the question's number, e.g. 12")


async def ask(ctx: Context) -> Reply:
    result = await routing.ask(
        ctx.runtime, ctx.workspace_id, ctx.actor, ctx.place, ctx.args["question"]
    )
    q = result.question
    if result.suggestions:  # deflection: the asker sees what may answer it before anyone is asked
        wait = int(routing.DEFLECTION_WAIT.total_seconds() // 60)
        return lesson_messages.suggestions(q.id, result.suggestions, wait)
    assert result.thread is not None
    where = f"#{q.channel}"
    lines = [f"Your question #{q.id} is posted in {where}."]
    asked = len(result.routed) + len(result.held)
    if asked:
        about = f" who know {', '.join(q.topics)}" if q.topics else ""
        lines.append(f"I asked {asked} member{'s' if asked != 1 else ''}{about} to look at it.")
        if result.held:
            lines.append(f"{len(result.held)} of them will see it when their quiet hours end.")
    else:
        lines.append(
            "Nobody here has declared or shown expertise on it yet, so it waits in the channel "
            "for anyone; facilitators hear about it if it stays unclaimed."
        )
    lines.append(f"Close it with /resolve {q.id} when you have your answer.")
    return Reply(blocks=(Text(" ".join(lines)), Link("Thread", result.thread)))


async def claim(ctx: Context) -> Reply:
    done = await routing.claim(ctx.runtime, ctx.workspace_id, ctx.actor, ctx.args["id"])
    blocks: list[Text | Link] = [
        Text(f"You're on question #{done.question_id}. Reply in its thread.")
    ]
    if done.thread is not None:
        blocks.append(Link("Thread", done.thread))
    return Reply(blocks=tuple(blocks))


async def decline(ctx: Context) -> Reply:
    done = await routing.decline(ctx.runtime, ctx.workspace_id, ctx.actor, ctx.args["id"])
    return say(f"Thanks for saying so: question #{done.question_id} goes to someone else.")


async def later(ctx: Context) -> Reply:
    done = await routing.later(ctx.runtime, ctx.workspace_id, ctx.actor, ctx.args["id"])
    assert done.until is not None
    wait = done.until - ctx.runtime.clock.now()
    hours = max(round(wait / timedelta(hours=1), 1), 0.1)
    return say(f"I'll remind you about question #{done.question_id} in {hours:g} hours.")


async def answer(ctx: Context) -> Reply:
    done = await routing.answer(
        ctx.runtime, ctx.workspace_id, ctx.actor, ctx.args["id"], ctx.args["text"]
    )
    return say(f"Your answer to question #{done.question_id} is in its thread. Thank you!")


async def resolve(ctx: Context) -> Reply:
    done = await routing.resolve(
        ctx.runtime, ctx.workspace_id, ctx.actor, ctx.role, ctx.args["id"], ctx.args["answerer"]
    )
    thanks = f" Thanks to @{done.accepted}." if done.accepted else ""
    reply = say(f"Question #{done.question_id} is resolved.{thanks}")
    if done.by_asker:  # a button to keep what was learned (prefilled from question and answer)
        return Reply(
            blocks=reply.blocks, actions=lesson_messages.capture_offer(done.question_id).actions
        )
    return reply


def _age(ctx: Context, created) -> str:  # noqa: ANN001 - a datetime
    delta = ctx.runtime.clock.now() - created
    if delta < timedelta(hours=1):
        return f"{max(int(delta.total_seconds() // 60), 0)}m"
    if delta < timedelta(days=2):
        return f"{int(delta.total_seconds() // 3600)}h"
    return f"{delta.days}d"


async def my_questions(ctx: Context) -> Reply:
    def load(session: Session) -> list[tuple[int, str, str, object, int]]:
        member = members.get(session, ctx.workspace_id, ctx.actor.user_id)
        if member is None:
            return []
        rows = repo.asked_by(session, member.id or 0)
        counts = repo.answer_counts(session, [q.id or 0 for q in rows])
        return [(q.id or 0, q.text, q.status, q.created_at, counts.get(q.id or 0, 0)) for q in rows]

    rows = await ctx.db.run(load)
    if not rows:
        return say("You have no open questions. Ask one with /ask <question>.")
    lines = tuple(
        f"#{qid} ({status}, {_age(ctx, created)} old, {n} answer{'s' if n != 1 else ''}) "
        f"{routing_clip(text)}"
        for qid, text, status, created, n in rows
    )
    return Reply(blocks=(Text("*Your open questions*"), Items(lines)))


async def waiting(ctx: Context) -> Reply:
    def load(session: Session) -> list[tuple[int, str, object, str]]:
        member = members.get(session, ctx.workspace_id, ctx.actor.user_id)
        if member is None:
            return []
        return [
            (q.id or 0, q.text, q.created_at, a.status)
            for q, a in repo.waiting_for(session, member.id or 0)
        ]

    rows = await ctx.db.run(load)
    if not rows:
        return say("No routed questions are waiting for you. Thank you for helping!")
    lines = tuple(
        f"#{qid} ({_age(ctx, created)} old{', snoozed' if status == 'later' else ''}) "
        f"{routing_clip(text)}"
        for qid, text, created, status in rows
    )
    return Reply(
        blocks=(
            Text("*Questions waiting for you*"),
            Items(lines),
            Text("Take one with /claim <id>, or pass with /decline <id>."),
        )
    )


def routing_clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def unanswered(ctx: Context) -> Reply:
    days = ctx.args["days"] or 30
    since = ctx.runtime.clock.now() - timedelta(days=days)

    def load(session: Session) -> list[tuple[int, str, str, object, int]]:
        rows = repo.open_in_channel(session, ctx.workspace_id, ctx.place.channel, since)
        counts = repo.answer_counts(session, [q.id or 0 for q in rows])
        return [(q.id or 0, q.text, q.status, q.created_at, counts.get(q.id or 0, 0)) for q in rows]

    rows = await ctx.db.run(load)
    if not rows:
        return say(f"No open questions in #{ctx.place.channel} from the last {days} days.")
    lines = tuple(
        f"#{qid} ({_age(ctx, created)} old, {status}, {n} answer{'s' if n != 1 else ''}) "
        f"{routing_clip(text)}"
        for qid, text, status, created, n in rows
    )
    return Reply(
        blocks=(
            Text(f"*Open questions in #{ctx.place.channel}*, oldest first"),
            Items(lines),
            Text("Take one with /claim <id>."),
        )
    )


def specs() -> list[CommandSpec]:
    return [
        CommandSpec(
            "ask",
            "ask the community a question; copbot finds the people who know",
            ask,
            params=(Param("question", Kind.REST, max_length=routing.MAX_QUESTION),),
            help="Lead with [tags] to name topics; copbot also finds known topics in the text.",
            examples=("/ask [postgres] why does autovacuum stall on big tables?",),
        ),
        CommandSpec("claim", "take a question: you'll answer it", claim, params=(QUESTION_ID,)),
        CommandSpec("decline", "pass on a question routed to you", decline, params=(QUESTION_ID,)),
        CommandSpec(
            "later", "be reminded of a routed question in two hours", later, params=(QUESTION_ID,)
        ),
        CommandSpec(
            "answer",
            "answer a question (in Slack or Discord, just reply in its thread)",
            answer,
            params=(QUESTION_ID, Param("text", Kind.REST, max_length=routing.MAX_QUESTION)),
            examples=("/answer 12 Long-running transactions hold back vacuum.",),
        ),
        CommandSpec(
            "resolve",
            "close your question, naming whose answer solved it",
            resolve,
            params=(QUESTION_ID, Param("answerer", Kind.MENTION, required=False)),
            help="The asker or a facilitator can resolve; the named answerer gets the credit.",
            examples=("/resolve 12 @bob",),
        ),
        CommandSpec("questions", "list your open questions", my_questions),
        CommandSpec(
            "questions waiting",
            "list the questions routed to you that wait for an answer",
            waiting,
        ),
        CommandSpec(
            "unanswered",
            "list this channel's open questions, oldest first",
            unanswered,
            params=(Param("days", Kind.INT, required=False, minimum=1, maximum=3650),),
            examples=("/unanswered", "/unanswered 7"),
        ),
    ]
