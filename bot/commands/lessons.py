"""Lesson commands: ``/lesson`` (capture, edit, delete, marks, unquote, review) and
``/lessons`` (search, recent, top, review queue), plus the deflection buttons of ``/ask``."""

from __future__ import annotations

import contextlib

from sqlmodel import Session

from bot.context import Context
from bot.model import Action, ActionStyle, Quote, Reply, Text, UserId, say
from bot.ports import ChatPortError
from bot.registry import CommandSpec, Kind, Param
from bot.services import deflection, lesson_messages, lesson_search, lessons
from storage.repos import lessons as repo

LESSON_ID = Param("id", Kind.INT, minimum=1, help="the lesson's number, e.g. 12")
QUESTION_ID = Param("question", Kind.INT, minimum=1, help="the question's number")
LINE_LIMIT = 20000
RESULTS = 5


async def capture(ctx: Context) -> Reply:
    text = ctx.args["fields"]
    if not text:
        return Reply(
            blocks=(Text("Capture a lesson: what happened and what we learned."),),
            form=lessons.lesson_form(),
        )
    values = lessons.parse_fields(text)
    saved = await ctx.db.run(
        lessons.save, ctx.workspace_id, ctx.actor, values, ctx.runtime.clock.now()
    )
    lines = [
        f"Saved lesson #{saved.id}. Find it with /lessons, or share it: /lesson show {saved.id}."
    ]
    if saved.contributors:
        lines.append(
            "It quotes " + ", ".join(f"@{c}" for c in saved.contributors) + ", who can remove "
            f"their words with /lesson unquote {saved.id}."
        )
    if saved.removed:
        lines.append(
            f"Words of {len(saved.removed)} member(s) who turned capture off were left out."
        )
    return Reply(
        blocks=(Text(" ".join(lines)), Quote(saved.title)),
        actions=(Action("Open", f"lesson show {saved.id}"),),
    )


async def show(ctx: Context) -> Reply:
    view = await ctx.db.run(lessons.view, ctx.workspace_id, ctx.actor, ctx.role, ctx.args["id"])
    return lesson_messages.card(view)


async def edit(ctx: Context) -> Reply:
    lesson_id, text = ctx.args["id"], (ctx.args["fields"] or "").lstrip(" |")
    if not text:
        form = await ctx.db.run(lessons.edit_form, ctx.workspace_id, ctx.actor, ctx.role, lesson_id)
        return Reply(blocks=(Text(f"Edit lesson #{lesson_id}."),), form=form)
    values = lessons.parse_fields(text)
    await ctx.db.run(
        lessons.edit,
        ctx.workspace_id,
        ctx.actor,
        ctx.role,
        lesson_id,
        values,
        ctx.runtime.clock.now(),
    )
    return say(f"Lesson #{lesson_id} is updated (and counts as reviewed).")


async def delete(ctx: Context) -> Reply:
    title = await ctx.db.run(
        lessons.delete,
        ctx.workspace_id,
        ctx.actor,
        ctx.role,
        ctx.args["id"],
        ctx.runtime.clock.now(),
    )
    return Reply(blocks=(Text(f"Deleted lesson #{ctx.args['id']}:"), Quote(title)))


async def helpful(ctx: Context) -> Reply:
    lesson = await ctx.db.run(
        lessons.mark,
        ctx.workspace_id,
        ctx.actor,
        ctx.args["id"],
        "helpful",
        ctx.runtime.clock.now(),
    )
    return say(f"Thanks: lesson #{lesson.id} now ranks a little higher.")


async def outdated(ctx: Context) -> Reply:
    lesson = await ctx.db.run(
        lessons.mark,
        ctx.workspace_id,
        ctx.actor,
        ctx.args["id"],
        "outdated",
        ctx.runtime.clock.now(),
    )
    return say(
        f"Thanks: lesson #{lesson.id} goes to its author and the experts on its topics for review."
    )


async def unquote(ctx: Context) -> Reply:
    done = await ctx.db.run(
        lessons.unquote, ctx.workspace_id, ctx.actor, ctx.args["id"], ctx.runtime.clock.now()
    )
    if done.author_user:
        note = say(
            f"A contributor removed their words from your lesson #{done.lesson_id}; please look "
            f"at what is left: /lesson show {done.lesson_id}"
        )
        with contextlib.suppress(ChatPortError):  # a courtesy DM; the removal stands anyway
            await ctx.port.send_direct(ctx.actor.workspace, UserId(done.author_user), note)
    kept = f" {done.kept} sentence(s) had been edited and are no longer yours." if done.kept else ""
    return say(f"Your words are out of lesson #{done.lesson_id} ({done.removed} removed).{kept}")


async def reviewed(ctx: Context) -> Reply:
    lesson = await ctx.db.run(
        lessons.reviewed,
        ctx.workspace_id,
        ctx.actor,
        ctx.role,
        ctx.args["id"],
        ctx.runtime.clock.now(),
    )
    assert lesson.review_at is not None
    return say(
        f"Lesson #{lesson.id} is reviewed; next review {lesson_messages.day(lesson.review_at)}."
    )


async def capture_question(ctx: Context) -> Reply:
    drafted = await ctx.db.run(
        lessons.draft_question,
        ctx.workspace_id,
        ctx.actor,
        ctx.role,
        ctx.args["question"],
        ctx.runtime.clock.now(),
    )
    return lesson_messages.draft_reply(drafted)


# -- finding ---------------------------------------------------------------------------------------


async def search(ctx: Context) -> Reply:
    raw = ctx.args["query"] or ""
    query = lesson_search.parse_query(raw)
    if not query.text and not query.has_filters:
        return say(
            "What are you looking for? Type /lessons <words>, with filters tag:postgres, "
            "author:@bob, since:2026-01-01, or /lessons recent, /lessons top, /lessons review."
        )
    found, plan = await ctx.db.run(lesson_search.find, ctx.workspace_id, query, limit=RESULTS)
    if plan is not None and plan.mode == "none":
        return say(
            "That search has no words to look for: only punctuation or very common words "
            "(like 'how to'). Try the words that matter, e.g. /lessons vacuum stalls."
        )
    if not found:
        return say(
            "Nothing in the lessons or resolved questions matches that yet. "
            "When you learn it, capture it: /lesson"
        )
    footer = ""
    if plan is not None and plan.mode == "recent":
        footer = (
            "Those words are in many lessons: these are the best of the newest with all of them."
        )
    return lesson_messages.results("*Lessons and answers*", found, footer=footer)


async def recent(ctx: Context) -> Reply:
    def load(session: Session) -> list[lesson_search.Found]:
        return lesson_search.listing(session, repo.recent(session, ctx.workspace_id, RESULTS))

    found = await ctx.db.run(load)
    if not found:
        return say("No lessons yet. Capture the first: /lesson")
    return lesson_messages.results("*Recent lessons*", found)


async def top(ctx: Context) -> Reply:
    def load(session: Session) -> list[lesson_search.Found]:
        return lesson_search.listing(session, repo.top(session, ctx.workspace_id, RESULTS))

    found = await ctx.db.run(load)
    if not found:
        return say("No lesson has been marked helpful yet: /lesson helpful <id> when one helps.")
    return lesson_messages.results("*Most helpful lessons*", found)


async def review(ctx: Context) -> Reply:
    def load(session: Session) -> list[lesson_search.Found]:
        due = lessons.review_queue(
            session, ctx.workspace_id, ctx.actor, ctx.role, ctx.runtime.clock.now()
        )
        return lesson_search.listing(session, due[:10])

    found = await ctx.db.run(load)
    if not found:
        return say("Nothing to review: no lesson of yours or on your topics is outdated or due.")
    reply = lesson_messages.results(
        "*Lessons to review* (marked outdated or past their review date)",
        found,
        footer="Fix one with /lesson edit <id>, or confirm it with /lesson reviewed <id>.",
    )
    actions = tuple(
        Action(f"Still right: #{f.id}", f"lesson reviewed {f.id}", ActionStyle.PRIMARY)
        for f in found[:3]
    )
    return Reply(blocks=reply.blocks, actions=actions + reply.actions, summary=reply.summary)


# -- deflection buttons ----------------------------------------------------------------------------


async def deflect(ctx: Context) -> Reply:
    done = await deflection.deflect(
        ctx.runtime, ctx.workspace_id, ctx.actor, ctx.args["id"], ctx.args["answer"]
    )
    kind, _, ref = done.target.partition(":")
    return say(
        f"Glad it was already answered: question #{done.question_id} is closed and nobody was "
        f"pinged. The {kind} #{ref} counts as helpful."
    )


async def ask_anyway(ctx: Context) -> Reply:
    result = await deflection.ask_anyway(ctx.runtime, ctx.workspace_id, ctx.actor, ctx.args["id"])
    asked = len(result.routed) + len(result.held)
    who = f" and asked {asked} member{'s' if asked != 1 else ''} who may know" if asked else ""
    return say(f"Your question #{result.question.id} is posted in #{result.question.channel}{who}.")


def specs() -> list[CommandSpec]:
    one_line = lessons.ONE_LINE
    return [
        CommandSpec(
            "lesson",
            "capture a lesson learned (a form; in the console one line)",
            capture,
            params=(Param("fields", Kind.REST, required=False, max_length=LINE_LIMIT),),
            help="Title and learned are required. Tags are topics, comma-separated.",
            examples=(
                "/lesson title: Vacuum stalls on big tables | context: nightly batch | "
                "learned: long transactions hold back vacuum | tags: postgres, ops",
                one_line,
            ),
        ),
        CommandSpec("lesson show", "show a lesson", show, params=(LESSON_ID,)),
        CommandSpec(
            "lesson edit",
            "edit a lesson (its author or a facilitator)",
            edit,
            params=(LESSON_ID, Param("fields", Kind.REST, required=False, max_length=LINE_LIMIT)),
            examples=("/lesson edit 12 learned: ...",),
        ),
        CommandSpec(
            "lesson delete",
            "delete a lesson (its author or a facilitator); an audit entry remains",
            delete,
            params=(LESSON_ID,),
        ),
        CommandSpec("lesson helpful", "mark a lesson helpful", helpful, params=(LESSON_ID,)),
        CommandSpec(
            "lesson outdated",
            "mark a lesson outdated: it goes to review",
            outdated,
            params=(LESSON_ID,),
        ),
        CommandSpec(
            "lesson unquote",
            "take your words out of a lesson drafted from a conversation",
            unquote,
            params=(LESSON_ID,),
        ),
        CommandSpec(
            "lesson reviewed",
            "confirm a lesson in your review queue is still right",
            reviewed,
            params=(LESSON_ID,),
        ),
        CommandSpec(
            "lesson capture",
            "capture the lesson of your resolved question (prefilled)",
            capture_question,
            params=(QUESTION_ID,),
        ),
        CommandSpec(
            "lessons",
            "search lessons and resolved questions",
            search,
            params=(Param("query", Kind.REST, required=False, max_length=1000),),
            help="Filters: tag:postgres, author:@bob, since:2026-01-01.",
            examples=(
                "/lessons vacuum stalls tag:postgres",
                "/lessons author:@bob since:2026-01-01",
            ),
        ),
        CommandSpec("lessons recent", "the newest lessons", recent),
        CommandSpec("lessons top", "the lessons members found most helpful", top),
        CommandSpec(
            "lessons review",
            "lessons marked outdated or due for review, yours and on your topics",
            review,
        ),
        CommandSpec(
            "deflect",
            "close your question with an existing lesson or answer",
            deflect,
            params=(Param("id", Kind.INT, minimum=1), Param("answer", Kind.WORD, max_length=40)),
            hidden=True,
        ),
        CommandSpec(
            "ask-anyway",
            "post your question although lessons were suggested",
            ask_anyway,
            params=(Param("id", Kind.INT, minimum=1),),
            hidden=True,
        ),
    ]
