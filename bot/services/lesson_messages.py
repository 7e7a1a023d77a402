"""The words of lessons: cards, search results, deflection suggestions, capture offers.

Everything a member wrote (titles, lesson text, snippets) travels in Quote blocks, which every
adapter renders inert, so markdown or ``@here`` typed into a lesson pings and formats nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.model import Action, ActionStyle, Block, Quote, Reply, Text, Visibility

if TYPE_CHECKING:
    from bot.services.lesson_search import Found
    from bot.services.lessons import Drafted, View

CLIP = 600


def clip(text: str, limit: int = CLIP) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day(when: datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _label(kind: str, ref: int) -> str:
    return f"Lesson #{ref}" if kind == "lesson" else f"Question #{ref}"


def result_head(position: int | None, found: Found) -> Text:
    parts = [f"*{_label(found.kind, found.id)}*"]
    if found.tags:
        parts.append(", ".join(found.tags))
    parts.append(f"@{found.author}")
    parts.append(day(found.when))
    if found.helpful:
        parts.append(f"{found.helpful} found it helpful")
    if found.outdated:
        parts.append(f"{found.outdated} marked it outdated")
    prefix = f"{position}. " if position is not None else ""
    return Text(prefix + " · ".join(parts))


def results(heading: str, found: Sequence[Found], *, footer: str = "") -> Reply:
    blocks: list[Block] = [Text(heading)]
    for position, item in enumerate(found, start=1):
        blocks.append(result_head(position, item))
        blocks.append(Quote(clip(item.title, 200)))
        if item.snippet and item.snippet != item.title:
            blocks.append(Quote(item.snippet))
    if footer:
        blocks.append(Text(footer))
    actions = tuple(
        Action(f"Open lesson #{item.id}", f"lesson show {item.id}")
        for item in found[:3]
        if item.kind == "lesson"
    )
    return Reply(blocks=tuple(blocks), actions=actions, summary=heading)


def card(view: View) -> Reply:
    lesson = view.lesson
    head = [f"*Lesson #{lesson.id}*"]
    if lesson.tags:
        head.append(lesson.tags.replace(",", ", "))
    head += [f"by @{view.author}", day(lesson.created_at)]
    if lesson.helpful_count:
        head.append(f"{lesson.helpful_count} found it helpful")
    if lesson.outdated_count:
        head.append(f"{lesson.outdated_count} marked it outdated")
    blocks: list[Block] = [Text(" · ".join(head)), Quote(lesson.title)]
    for label, text in (
        ("Context", lesson.context),
        ("What happened", lesson.what_happened),
        ("What we learned", lesson.learned),
    ):
        if text:
            blocks += [Text(f"*{label}*"), Quote(clip(text, 3000))]
    if view.contributors:
        blocks.append(Text("With words from " + ", ".join(f"@{c}" for c in view.contributors)))
    if lesson.source_link:
        blocks.append(Text(f"Source: `{clip(lesson.source_link, 300)}`"))
    actions = [
        Action("Helpful", f"lesson helpful {lesson.id}", ActionStyle.PRIMARY),
        Action("Outdated", f"lesson outdated {lesson.id}"),
    ]
    if view.can_edit:
        actions.append(Action("Edit", f"lesson edit {lesson.id}"))
    return Reply(blocks=tuple(blocks), actions=tuple(actions), summary=f"Lesson #{lesson.id}")


def draft_reply(drafted: Drafted) -> Reply:
    lines = ["Here is a draft lesson from that conversation: edit it, then save."]
    if drafted.quoted:
        lines.append(
            "It quotes " + ", ".join(f"@{n}" for n in drafted.quoted) + "; each of them can "
            "remove their words later with /lesson unquote <id>."
        )
    if drafted.left_out:
        lines.append(
            f"Words of {drafted.left_out} member{'s' if drafted.left_out != 1 else ''} "
            "who turned capture off are left out."
        )
    return Reply(blocks=(Text(" ".join(lines)),), form=drafted.form, summary="Draft lesson")


def suggestions(question_id: int, found: Sequence[Found], wait_minutes: int) -> Reply:
    """Shown to the asker only, before anyone is asked."""
    blocks: list[Block] = [
        Text(
            f"Before I ask anyone: {'this' if len(found) == 1 else 'these'} may already answer "
            f"your question #{question_id}."
        )
    ]
    for item in found:
        blocks.append(result_head(None, item))
        blocks.append(Quote(clip(item.title, 200)))
        if item.snippet and item.snippet != item.title:
            blocks.append(Quote(item.snippet))
    blocks.append(
        Text(
            "Press *This answers it* and I close your question without pinging anyone, or "
            f"*Ask anyway*. If you do neither, I post it in {wait_minutes} minutes."
        )
    )
    actions = [
        Action(
            f"This answers it ({_label(item.kind, item.id).lower()})",
            f"deflect {question_id} {item.ref}",
        )
        for item in found
    ]
    actions.append(Action("Ask anyway", f"ask-anyway {question_id}", ActionStyle.PRIMARY))
    return Reply(
        blocks=tuple(blocks),
        actions=tuple(actions),
        summary=f"Your question #{question_id} may already be answered",
    )


def capture_offer(question_id: int, *, direct: bool = False) -> Reply:
    return Reply(
        blocks=(
            Text(
                f"Question #{question_id} is resolved. Capture what you learned, so the next "
                "person finds it?"
            ),
        ),
        actions=(
            Action(
                "Capture what you learned", f"lesson capture {question_id}", ActionStyle.PRIMARY
            ),
        ),
        visibility=Visibility.DIRECT if direct else Visibility.EPHEMERAL,
        summary=f"Capture the lesson of question #{question_id}?",
    )


def posted_after_wait(question_id: int) -> Reply:
    return Reply(
        blocks=(
            Text(
                f"Nobody closed your question #{question_id} with a lesson, so I posted it and "
                "asked the people who know."
            ),
        ),
        visibility=Visibility.DIRECT,
        summary=f"Your question #{question_id} is posted",
    )


def solved_offer(question_id: int) -> Reply:
    """To the asker alone, once, after they thanked someone in the question's thread."""
    return Reply(
        blocks=(
            Text(
                f"Sounds like question #{question_id} is solved. Mark it solved, then you can "
                "capture what you learned."
            ),
        ),
        actions=(Action("Mark solved", f"resolve {question_id}", ActionStyle.PRIMARY),),
        summary=f"Is question #{question_id} solved?",
    )
