"""Finding what the community already knows: ``/lessons <query>`` and deflection at ``/ask``.

Both go through :func:`storage.search.search` (the database's own full-text index, the same
behaviour on SQLite and PostgreSQL) and then do two things the database cannot do alike:

- Ranking by the community's marks: a lesson marked helpful rises a little, one marked outdated
  sinks, applied to the best candidates the index returned (``CANDIDATES`` of them).
- A similarity between 0 and 1 that means the same on both databases, for the deflection
  threshold: the share of the question's weight (BM25's idf of each word in this workspace,
  headline words twice) whose words the candidate contains, as the index matches them (its own
  stemming). Database scores (bm25, ts_rank) are on different scales, so a threshold on them
  would behave differently per database.

``SIMILARITY_THRESHOLD`` was chosen on real data: see ``bench/lessons.py deflection``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

from sqlmodel import Session

from bot.errors import UsageError
from bot.registry import MentionArg
from bot.services.profiles import resolve_mention
from bot.services.topics import clean_topic
from storage import search as fts
from storage.models import Answer, Lesson, Member, Question
from storage.repos import lessons as repo

SIMILARITY_THRESHOLD = 0.65
"""Suggest a lesson or question at /ask only from this similarity up (see the bench)."""
MAX_SUGGESTIONS = 3
CANDIDATES = 15
HELPFUL_BOOST = 0.15
OUTDATED_FACTOR = 0.8
SNIPPET = 160

_FILTER = re.compile(r"(?i)(?<!\S)(tag|author|since):(\S*)")


@dataclass(frozen=True, slots=True)
class Found:
    """One result as members see it."""

    kind: str  # lesson or question
    id: int
    title: str
    snippet: str
    tags: tuple[str, ...]
    author: str
    when: datetime
    score: float
    similarity: float
    helpful: int = 0
    outdated: int = 0

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class Query:
    """What ``/lessons`` was asked: words and filters."""

    text: str
    tag: str | None = None
    author: MentionArg | None = None
    since: datetime | None = None

    @property
    def has_filters(self) -> bool:
        return bool(self.tag or self.author or self.since)


def parse_query(raw: str) -> Query:
    """``vacuum tag:postgres author:@bob since:2026-01-01`` -> words and filters.

    Filter values are checked here so a bad one gets a one-line reply, never a database error.
    """
    tag = author = since = None
    for key, value in _FILTER.findall(raw or ""):
        key = key.lower()
        if key == "tag":
            tag = clean_topic(value)
            if not tag:
                raise UsageError(f"'{value[:40]}' is not a tag.", "For example: tag:postgres")
        elif key == "author":
            name = value.lstrip("@")
            match = re.fullmatch(r"<@!?([A-Za-z0-9_.-]+)(?:\|[^>]*)?>", value)
            if match:
                author = MentionArg(match.group(1), by_id=True)
            elif re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", name):
                author = MentionArg(name, by_id=False)
            else:
                raise UsageError(f"'{value[:40]}' is not a member.", "For example: author:@bob")
        else:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise UsageError(
                    f"'{value[:40]}' is not a date.", "Use since:YYYY-MM-DD, e.g. since:2026-01-01"
                ) from None
            since = datetime.combine(day, time(), tzinfo=UTC)
    words = _FILTER.sub(" ", raw or "")
    return Query(text=" ".join(words.split()), tag=tag, author=author, since=since)


# -- similarity ------------------------------------------------------------------------------------


def similarity(plan: fts.Plan, contained: set[str]) -> float:
    """Share of the query's weight (idf x headline) whose words the document contains."""
    total = found = 0.0
    for term in plan.terms.all:
        weight = plan.idf(term) * plan.terms.weight(term)
        total += weight
        if term in contained:
            found += weight
    return found / total if total else 0.0


# -- searching -------------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def snippet(body: str, terms: Sequence[str], limit: int = SNIPPET) -> str:
    """A window of ``body`` around the first query word it contains (or its start)."""
    flat = " ".join(body.split())
    lowered = flat.lower()
    starts = [i for t in terms if (i := lowered.find(t)) >= 0]
    if not starts or min(starts) < limit // 2:
        return _clip(flat, limit)
    start = flat.rfind(" ", 0, min(starts) - limit // 3) + 1
    return "…" + _clip(flat[start:], limit - 1)


def _tags(value: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in value.split(",") if t.strip())


def _name(member: Member | None) -> str:
    if member is None:
        return "a former member"
    return member.display_name or member.user_id


def _lesson_found(
    lesson: Lesson, author: Member | None, plan: fts.Plan, score: float, contained: set[str]
) -> Found:
    body = "\n".join(p for p in (lesson.learned, lesson.context, lesson.what_happened) if p)
    return Found(
        kind="lesson",
        id=lesson.id or 0,
        title=lesson.title,
        snippet=snippet(lesson.learned or body, plan.terms.all),
        tags=_tags(lesson.tags),
        author=_name(author),
        when=lesson.created_at,
        score=score * _marks_factor(lesson.helpful_count, lesson.outdated_count),
        similarity=similarity(plan, contained),
        helpful=lesson.helpful_count,
        outdated=lesson.outdated_count,
    )


def _question_found(
    question: Question,
    answer: Answer | None,
    people: dict[int, Member],
    plan: fts.Plan,
    score: float,
    contained: set[str],
) -> Found:
    headline, _, rest = question.text.partition("\n")
    answer_text = answer.text if answer else ""
    answerer = people.get(answer.member_id or 0) if answer else None
    asker = people.get(question.asker_member_id or 0)
    return Found(
        kind="question",
        id=question.id or 0,
        title=headline,
        snippet=snippet(answer_text or rest, plan.terms.all),
        tags=_tags(question.topics),
        author=_name(answerer) if answer else _name(asker),
        when=question.resolved_at or question.created_at,
        score=score,
        similarity=similarity(plan, contained),
    )


def _marks_factor(helpful: int, outdated: int) -> float:
    return (1.0 + HELPFUL_BOOST * math.log1p(helpful)) * OUTDATED_FACTOR**outdated


def run(
    session: Session,
    workspace_id: int,
    text: str,
    *,
    filters: fts.Filters | None = None,
    limit: int = 5,
    with_similarity: bool = False,
) -> tuple[list[Found], fts.Plan]:
    """Search and return the best ``limit`` results as members see them, with the plan."""
    result = fts.search(session, workspace_id, text, filters=filters, limit=max(CANDIDATES, limit))
    lesson_ids = [h.ref_id for h in result.hits if h.kind == "lesson"]
    question_ids = [h.ref_id for h in result.hits if h.kind == "question"]
    lessons = repo.many(session, workspace_id, lesson_ids)
    questions = repo.questions_with_answers(session, workspace_id, question_ids)
    people = repo.members_by_id(
        session,
        [lesson.author_member_id for lesson in lessons.values()]
        + [q.asker_member_id for q, _ in questions.values()]
        + [a.member_id for _, a in questions.values() if a is not None],
    )
    found: list[Found] = []
    for hit in result.hits:
        if hit.kind == "lesson" and hit.ref_id in lessons:
            lesson = lessons[hit.ref_id]
            author = people.get(lesson.author_member_id or 0)
            found.append(_lesson_found(lesson, author, result.plan, hit.score, set()))
        elif hit.kind == "question" and hit.ref_id in questions:
            question, answer = questions[hit.ref_id]
            found.append(_question_found(question, answer, people, result.plan, hit.score, set()))
    if result.plan.mode != "recent":
        found.sort(key=lambda f: -f.score)
    found = found[:limit]
    if with_similarity:
        hits = [fts.Hit(f.kind, f.id, f.score) for f in found]
        contained = fts.terms_in(session, hits, result.plan.terms.all)
        found = [
            replace(
                f,
                similarity=similarity(result.plan, contained[fts.doc_key(f.kind, f.id)]),
            )
            for f in found
        ]
    return found, result.plan


def find(
    session: Session, workspace_id: int, query: Query, *, limit: int = 5
) -> tuple[list[Found], fts.Plan | None]:
    """``/lessons <query>``: words and filters; filters alone list matching lessons."""
    member_id = None
    if query.author is not None:
        member_id = resolve_mention(session, workspace_id, query.author).id
    filters = fts.Filters(tag=query.tag, member_id=member_id, since=query.since)
    if not fts.terms_of(query.text):
        if not query.has_filters:
            return [], fts.Plan(fts.Terms())  # mode "none": nothing searchable was typed
        rows = repo.filtered(
            session,
            workspace_id,
            tag=query.tag,
            author_id=member_id,
            since=query.since,
            limit=limit,
        )
        return listing(session, rows), None
    found, plan = run(session, workspace_id, query.text, filters=filters, limit=limit)
    return found, plan


def listing(session: Session, rows: Sequence[Lesson]) -> list[Found]:
    """Lessons (recent, top, filtered) as results, without a query."""
    people = repo.members_by_id(session, [lesson.author_member_id for lesson in rows])
    plan = fts.Plan(fts.Terms())
    return [
        _lesson_found(lesson, people.get(lesson.author_member_id or 0), plan, 0.0, set())
        for lesson in rows
    ]


def suggest(
    session: Session, workspace_id: int, text: str, *, exclude_question: int | None = None
) -> list[Found]:
    """What to show an asker before routing: up to three results above the threshold."""
    found, _plan = run(session, workspace_id, text, limit=10, with_similarity=True)
    good = [
        f
        for f in found
        if f.similarity >= SIMILARITY_THRESHOLD
        and not (f.kind == "question" and f.id == exclude_question)
        and f.outdated == 0
    ]
    return good[:MAX_SUGGESTIONS]
