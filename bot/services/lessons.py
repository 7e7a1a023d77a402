"""Lessons learned: capture, edit, delete, marks, review, and drafts from threads and questions.

A lesson is structured (title, context, what happened, what we learned, tags) so it can be
found and read later. Members capture one in seconds: a form in Slack and Discord, one line in
the console (``/lesson title: ... | learned: ...``), or a draft copbot makes from a thread or a
resolved question, which the member edits before saving.

Consent rules, kept here in one place:
- members who turned capture off (``/profile capture off``) are never quoted nor named, both
  when a draft is made and again when it is saved;
- everyone quoted in a saved lesson is recorded as a contributor with the sentences taken from
  them, so ``/lesson unquote <id>`` removes exactly their words;
- what members write is stored verbatim and always shown as a Quote (inert: no mentions, no
  markup), and a lesson is saved whole or not at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.context import Runtime
from bot.errors import Conflict, NotFound, PermissionDenied, UsageError
from bot.model import Actor, Form, FormField, Place, Reply
from bot.services import lesson_messages
from bot.services.drafting import (
    ThreadMessage,
    draft_lesson,
    is_confirmation,
    make_title,
    split_sentences,
)
from bot.services.topics import normalise_topic
from storage.models import (
    Lesson,
    LessonContributor,
    LessonDraftRecord,
    Member,
    Question,
    Role,
    Workspace,
)
from storage.repos import expertise as expertise_repo
from storage.repos import lessons as repo
from storage.repos import members, workspaces
from storage.repos import questions as questions_repo

TITLE_LIMIT = 200
TEXT_LIMIT = 4000
MAX_TAGS = 10
FORM_LIMIT = 3000
DRAFT_TTL = timedelta(days=7)
FIELD_NAMES = ("title", "context", "happened", "learned", "tags")
REQUIRED = ("title", "learned")
_COLUMN = {"happened": "what_happened"}
_KEY = re.compile(
    r"^\s*(title|context|happened|what[ _]happened|learned|tags|draft)\s*:\s?(.*)$",
    re.IGNORECASE | re.DOTALL,
)
ONE_LINE = "/lesson title: ... | context: ... | happened: ... | learned: ... | tags: a, b"


# -- the one-line syntax ---------------------------------------------------------------------------


def parse_fields(text: str) -> dict[str, str]:
    """``title: A | learned: B`` -> {"title": "A", "learned": "B"}, values verbatim.

    A ``|`` that does not start a known field belongs to the value before it, so a lesson may
    contain pipes. ``draft: N`` comes from a form's context (a stored draft).
    """
    values: dict[str, str] = {}
    current: str | None = None
    for part in text.split("|"):
        match = _KEY.match(part)
        if match:
            key = match.group(1).lower().replace(" ", "_")
            key = "happened" if key == "what_happened" else key
            if key in values:
                raise UsageError(f"The lesson gives '{key}' twice.", f"Type: {ONE_LINE}")
            values[key] = match.group(2)
            current = key
        elif current is not None:
            values[current] += "|" + part
        elif part.strip():
            raise UsageError("A lesson is written as fields, each named.", f"Type: {ONE_LINE}")
    return {k: v.strip() for k, v in values.items()}


def tags_of(raw: str, known: set[str], aliases: dict[str, str]) -> str:
    tags: dict[str, None] = {}
    for part in re.split(r"[,;]+", raw):
        if not part.strip():
            continue
        tag = normalise_topic(part, known, aliases)
        if not tag:
            raise UsageError(
                f"'{part.strip()[:40]}' is not a tag.", "Use words like postgres, ops."
            )
        tags.setdefault(tag, None)
    if len(tags) > MAX_TAGS:
        raise UsageError(f"A lesson takes at most {MAX_TAGS} tags; you gave {len(tags)}.")
    return ",".join(tags)


def check(values: dict[str, str], *, partial: bool = False) -> None:
    """Required fields present (named when missing) and every field within its limit."""
    if not partial:
        missing = [name for name in REQUIRED if not values.get(name, "").strip()]
        if missing:
            raise UsageError(
                f"A lesson needs a {' and a '.join(missing)} field.",
                f"Add {' | '.join(f'{m}: ...' for m in missing)}; the whole syntax: {ONE_LINE}",
            )
    else:
        empty = [name for name in REQUIRED if name in values and not values[name].strip()]
        if empty:
            raise UsageError(f"A lesson's {' and '.join(empty)} cannot be empty.")
    for name, value in values.items():
        limit = TITLE_LIMIT if name == "title" else TEXT_LIMIT
        if name in FIELD_NAMES and len(value) > limit:
            raise UsageError(
                f"The {name} is {len(value):,} characters; the limit is {limit:,}.",
                "Shorten it and try again.",
            )


# -- forms -----------------------------------------------------------------------------------------


def lesson_form(
    *,
    title: str = "",
    context: str = "",
    happened: str = "",
    learned: str = "",
    tags: str = "",
    form_context: str = "",
    command: str = "lesson",
    heading: str = "Capture a lesson",
) -> Form:
    """The lesson form, optionally prefilled; the console shows its one-line syntax."""

    def clip(text: str) -> str:
        return text[:FORM_LIMIT]

    return Form(
        command=command,
        title=heading,
        fields=(
            FormField(
                "title",
                "Title",
                max_length=TITLE_LIMIT,
                initial=title[:TITLE_LIMIT],
                placeholder="Vacuum stalls on big tables",
            ),
            FormField(
                "context",
                "Context: the situation",
                multiline=True,
                required=False,
                max_length=FORM_LIMIT,
                initial=clip(context),
            ),
            FormField(
                "happened",
                "What happened or was tried",
                multiline=True,
                required=False,
                max_length=FORM_LIMIT,
                initial=clip(happened),
            ),
            FormField(
                "learned",
                "What we learned",
                multiline=True,
                max_length=FORM_LIMIT,
                initial=clip(learned),
            ),
            FormField(
                "tags",
                "Tags",
                required=False,
                max_length=300,
                initial=tags,
                placeholder="postgres, ops",
            ),
        ),
        submit_label="Save lesson",
        context=form_context,
    )


# -- saving ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    id: int
    title: str
    contributors: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # contributors who turned capture off


def _workspace(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    return workspace


def _remove_sentences(text: str, sentences: Sequence[str]) -> tuple[str, int]:
    return repo.strip_sentences(text, sentences)


def save(
    session: Session, workspace_id: int, actor: Actor, values: dict[str, str], now: datetime
) -> Saved:
    """Store a new lesson (and its contributors when it came from a draft) in one go."""
    draft_id = values.pop("draft", None)
    check(values)
    author = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    known = expertise_repo.known_topics(session, workspace_id)
    aliases = expertise_repo.aliases(session, workspace_id)
    tags = tags_of(values.get("tags", ""), known, aliases)
    payload: dict = {}
    if draft_id is not None:
        record = _draft(session, workspace_id, author, draft_id)
        payload = json.loads(record.payload)
        session.delete(record)
    fields = {k: values.get(k, "") for k in ("title", "context", "happened", "learned")}
    quotes: dict[str, list[str]] = payload.get("quotes", {})
    contributors: dict[int, tuple[Member, list[str]]] = {}
    removed: list[str] = []
    for user_id, sentences in quotes.items():
        person = members.get(session, workspace_id, user_id)
        if person is None or person.id == author.id:
            continue
        if not person.capture_quotes:  # turned capture off since the draft was made
            for name in ("context", "happened", "learned"):
                fields[name], _ = _remove_sentences(fields[name], sentences)
            removed.append(person.display_name or person.user_id)
            continue
        kept = [s for s in sentences if any(s in fields[n] for n in fields)]
        if kept:
            contributors[person.id or 0] = (person, kept)
    check(fields)
    lesson = Lesson(
        workspace_id=workspace_id,
        author_member_id=author.id,
        title=fields["title"],
        context=fields["context"],
        what_happened=fields["happened"],
        learned=fields["learned"],
        tags=tags,
        source_link=payload.get("source_link"),
        source_question_id=payload.get("question_id"),
        review_at=now + timedelta(days=_workspace(session, workspace_id).lesson_review_days),
        created_at=now,
        updated_at=now,
    )
    session.add(lesson)
    session.flush()
    for member_id, (_person, kept) in contributors.items():
        session.add(
            LessonContributor(
                workspace_id=workspace_id,
                lesson_id=lesson.id or 0,
                member_id=member_id,
                quoted="\n".join(kept)[:8000],
            )
        )
    return Saved(
        id=lesson.id or 0,
        title=lesson.title,
        contributors=[p.display_name or p.user_id for p, _ in contributors.values()],
        removed=removed,
    )


def _draft(session: Session, workspace_id: int, author: Member, raw: str) -> LessonDraftRecord:
    try:
        draft_id = int(raw.strip().lstrip("#"))
    except ValueError:
        raise UsageError(f"'{raw[:20]}' is not a draft number.") from None
    record = repo.draft(session, workspace_id, draft_id)
    if record is None or record.member_id != author.id:
        raise NotFound(
            "That draft is gone (saved already, or older than a week).",
            "Draft it again, or type the lesson: " + ONE_LINE,
        )
    return record


# -- reading, editing, deleting --------------------------------------------------------------------


def get_lesson(session: Session, workspace_id: int, lesson_id: int) -> Lesson:
    lesson = repo.get(session, workspace_id, lesson_id)
    if lesson is None:
        raise NotFound(f"There is no lesson #{lesson_id} here.", "Find one with /lessons <words>.")
    return lesson


@dataclass(frozen=True)
class View:
    lesson: Lesson
    author: str
    contributors: list[str]
    can_edit: bool


def view(session: Session, workspace_id: int, actor: Actor, role: Role, lesson_id: int) -> View:
    lesson = get_lesson(session, workspace_id, lesson_id)
    me = members.get(session, workspace_id, actor.user_id)
    author = session.get(Member, lesson.author_member_id) if lesson.author_member_id else None
    return View(
        lesson=lesson,
        author=(author.display_name or author.user_id) if author else "a former member",
        contributors=[
            m.display_name or m.user_id
            for c, m in repo.contributors(session, lesson_id)
            if c.unquoted_at is None
        ],
        can_edit=_may_edit(lesson, me, role),
    )


def _may_edit(lesson: Lesson, me: Member | None, role: Role) -> bool:
    is_author = me is not None and lesson.author_member_id == me.id
    return is_author or role.rank >= Role.FACILITATOR.rank


def _editable(
    session: Session, workspace_id: int, actor: Actor, role: Role, lesson_id: int, verb: str
) -> tuple[Lesson, Member]:
    lesson = get_lesson(session, workspace_id, lesson_id)
    me = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    if not _may_edit(lesson, me, role):
        raise PermissionDenied(
            f"Only the author of lesson #{lesson_id} or a facilitator can {verb} it.",
            f"Think it is wrong? Mark it: /lesson outdated {lesson_id}",
        )
    return lesson, me


def edit(
    session: Session,
    workspace_id: int,
    actor: Actor,
    role: Role,
    lesson_id: int,
    values: dict[str, str],
    now: datetime,
) -> Lesson:
    """Change the fields given; an edit by the author or a facilitator counts as a review."""
    lesson, me = _editable(session, workspace_id, actor, role, lesson_id, "edit")
    values.pop("draft", None)
    if not any(k in values for k in FIELD_NAMES):
        raise UsageError(
            "Name the fields to change.", f"Type: /lesson edit {lesson_id} learned: ..."
        )
    check(values, partial=True)
    if "tags" in values:
        known = expertise_repo.known_topics(session, workspace_id)
        aliases = expertise_repo.aliases(session, workspace_id)
        lesson.tags = tags_of(values["tags"], known, aliases)
    for name in ("title", "context", "happened", "learned"):
        if name in values:
            setattr(lesson, _COLUMN.get(name, name), values[name])
    _mark_reviewed(session, lesson, now)
    lesson.updated_at = now
    session.add(lesson)
    repo.audit(session, lesson, "edited", me.id, now)
    return lesson


def delete(
    session: Session, workspace_id: int, actor: Actor, role: Role, lesson_id: int, now: datetime
) -> str:
    """Delete a lesson; an audit entry keeps who did it and when (not the text)."""
    lesson, me = _editable(session, workspace_id, actor, role, lesson_id, "delete")
    repo.audit(session, lesson, "deleted", me.id, now)
    title = lesson.title
    session.delete(lesson)
    return title


def edit_form(
    session: Session, workspace_id: int, actor: Actor, role: Role, lesson_id: int
) -> Form:
    lesson, _me = _editable(session, workspace_id, actor, role, lesson_id, "edit")
    return lesson_form(
        title=lesson.title,
        context=lesson.context,
        happened=lesson.what_happened,
        learned=lesson.learned,
        tags=lesson.tags.replace(",", ", "),
        form_context=str(lesson_id),
        command="lesson edit",
        heading=f"Edit lesson #{lesson_id}",
    )


# -- marks, review, unquote ------------------------------------------------------------------------


def mark(
    session: Session, workspace_id: int, actor: Actor, lesson_id: int, kind: str, now: datetime
) -> Lesson:
    lesson = get_lesson(session, workspace_id, lesson_id)
    me = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    if kind == "helpful" and lesson.author_member_id == me.id:
        raise Conflict(f"You wrote lesson #{lesson_id}.", "Others' marks are what count.")
    if not repo.add_mark(session, lesson, me.id or 0, kind, now):
        raise Conflict(
            f"You already marked lesson #{lesson_id} {kind}.", "Each member counts once."
        )
    return lesson


def _mark_reviewed(session: Session, lesson: Lesson, now: datetime) -> None:
    days = _workspace(session, lesson.workspace_id).lesson_review_days
    lesson.review_at = now + timedelta(days=days)
    repo.clear_outdated(session, lesson)


def _reviewer(session: Session, lesson: Lesson, me: Member, role: Role) -> bool:
    if lesson.author_member_id == me.id or role.rank >= Role.FACILITATOR.rank:
        return True
    tags = {t for t in lesson.tags.split(",") if t}
    return bool(tags & repo.expert_topics(session, me.id or 0))


def review_queue(
    session: Session, workspace_id: int, actor: Actor, role: Role, now: datetime
) -> list[Lesson]:
    """Lessons marked outdated or past their review date that this member should look at:
    their own, those on topics they know, and (facilitators) all."""
    me = members.get(session, workspace_id, actor.user_id)
    if me is None:
        return []
    return [
        lesson
        for lesson in repo.due_for_review(session, workspace_id, now)
        if _reviewer(session, lesson, me, role)
    ]


def reviewed(
    session: Session, workspace_id: int, actor: Actor, role: Role, lesson_id: int, now: datetime
) -> Lesson:
    lesson = get_lesson(session, workspace_id, lesson_id)
    me = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    if not _reviewer(session, lesson, me, role):
        raise PermissionDenied(
            f"Lesson #{lesson_id} is reviewed by its author, experts on its tags or facilitators."
        )
    _mark_reviewed(session, lesson, now)
    lesson.updated_at = now
    session.add(lesson)
    return lesson


@dataclass(frozen=True)
class Unquoted:
    lesson_id: int
    removed: int
    kept: int
    author_user: str | None


def unquote(
    session: Session, workspace_id: int, actor: Actor, lesson_id: int, now: datetime
) -> Unquoted:
    """Take a contributor's words out of a lesson; it goes back to its author for review."""
    lesson = get_lesson(session, workspace_id, lesson_id)
    me = members.get(session, workspace_id, actor.user_id)
    row = repo.contribution(session, lesson_id, me.id or 0) if me else None
    if row is None or row.unquoted_at is not None:
        raise Conflict(f"Lesson #{lesson_id} does not quote you.", "Nothing to remove.")
    sentences = [s for s in row.quoted.split("\n") if s]
    removed = 0
    for column in ("context", "what_happened", "learned"):
        text, count = _remove_sentences(getattr(lesson, column), sentences)
        setattr(lesson, column, text)
        removed += count
    row.unquoted_at = now
    row.quoted = ""
    lesson.review_at = now  # its author should look at what is left
    lesson.updated_at = now
    session.add_all([row, lesson])
    repo.audit(session, lesson, "unquoted", me.id if me else None, now)
    author = session.get(Member, lesson.author_member_id) if lesson.author_member_id else None
    return Unquoted(
        lesson_id=lesson_id,
        removed=removed,
        kept=len(sentences) - removed,
        author_user=author.user_id if author and author.id != (me.id if me else None) else None,
    )


# -- drafts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drafted:
    form: Form
    quoted: list[str]
    left_out: int  # members whose words were left out (capture off)


def _store_draft(
    session: Session,
    workspace_id: int,
    author: Member,
    quotes: dict[str, list[str]],
    now: datetime,
    *,
    source_link: str | None = None,
    question_id: int | None = None,
) -> int:
    repo.drop_old_drafts(session, author.id or 0, now - DRAFT_TTL)
    payload = {"quotes": quotes, "source_link": source_link, "question_id": question_id}
    record = LessonDraftRecord(
        workspace_id=workspace_id,
        member_id=author.id or 0,
        payload=json.dumps(payload)[:20000],
        created_at=now,
    )
    session.add(record)
    session.flush()
    return record.id or 0


def _excluded(session: Session, workspace_id: int, user_ids: set[str]) -> set[str]:
    """User ids and display names of the given members who turned capture off."""
    names: set[str] = set()
    for user_id in user_ids:
        person = members.get(session, workspace_id, user_id)
        if person is not None and not person.capture_quotes:
            names.add(person.user_id)
            if person.display_name:
                names.add(person.display_name)
    return names


def draft_thread(
    session: Session,
    workspace_id: int,
    actor: Actor,
    messages: Sequence[ThreadMessage],
    now: datetime,
    source_link: str | None = None,
) -> Drafted:
    """A prefilled form from a thread's messages (authors are platform user ids)."""
    authors = {m.author for m in messages}
    excluded = _excluded(session, workspace_id, authors)
    draft = draft_lesson(
        messages,
        asker=messages[0].author if messages else None,
        excluded_authors=excluded,
        known_topics=expertise_repo.known_topics(session, workspace_id),
        topic_aliases=expertise_repo.aliases(session, workspace_id),
    )
    quotes: dict[str, list[str]] = {}
    for sentence, index in zip(draft.learned, draft.learned_sources, strict=False):
        quotes.setdefault(messages[index].author, []).append(sentence)
    context_authors = {messages[i].author for i in draft.context_sources}
    for author in context_authors:
        sentences = [s for s in split_sentences(draft.context) if s]
        own = [s for s in sentences if any(s in m.text for m in messages if m.author == author)]
        if own:
            quotes.setdefault(author, []).extend(own)
    me = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    quotes.pop(actor.user_id, None)
    draft_id = _store_draft(session, workspace_id, me, quotes, now, source_link=source_link)
    form = lesson_form(
        title=draft.title,
        context=draft.context,
        learned="\n".join(draft.learned),
        tags=", ".join(draft.tags),
        form_context=f"draft: {draft_id}",
    )
    left_out = len({u for u in authors if u in excluded})
    names = [_display(session, workspace_id, u) for u in quotes]
    return Drafted(form=form, quoted=names, left_out=left_out)


def _display(session: Session, workspace_id: int, user_id: str) -> str:
    person = members.get(session, workspace_id, user_id)
    return (person.display_name or person.user_id) if person else user_id


def draft_question(
    session: Session, workspace_id: int, actor: Actor, role: Role, question_id: int, now: datetime
) -> Drafted:
    """A form prefilled from a resolved question and its accepted answer."""
    question = questions_repo.get(session, workspace_id, question_id)
    if question is None:
        raise NotFound(f"There is no question #{question_id} here.")
    me = members.get_or_create(session, workspace_id, actor.user_id, actor.display_name)
    if question.asker_member_id != me.id and role.rank < Role.FACILITATOR.rank:
        raise PermissionDenied(
            f"The asker of #{question_id} captures its lesson.", "Capture your own: /lesson"
        )
    if question.status != "resolved":
        raise Conflict(f"Question #{question_id} is not resolved yet.")
    asker = session.get(Member, question.asker_member_id) if question.asker_member_id else None
    answer = None
    answerer = None
    for row, person in questions_repo.answers(session, question_id):
        if row.id == question.accepted_answer_id:
            answer, answerer = row, person
    left_out = 0
    learned = ""
    quotes: dict[str, list[str]] = {}
    if answer is not None and answerer is not None and not answerer.capture_quotes:
        left_out = 1
    elif answer is not None:
        learned = answer.text
        if answerer is not None and answerer.id != me.id:
            quotes[answerer.user_id] = [answer.text]
    headline = question.text.split("\n", 1)[0]
    sentences = split_sentences(headline) or [headline]
    title = make_title(max(sentences, key=lambda s: ("?" in s, len(s))))
    if asker is not None and asker.id != me.id:
        quotes.setdefault(asker.user_id, []).append(question.text)
    draft_id = _store_draft(session, workspace_id, me, quotes, now, question_id=question_id)
    form = lesson_form(
        title=title,
        context=question.text,
        learned=learned,
        tags=question.topics.replace(",", ", "),
        form_context=f"draft: {draft_id}",
    )
    return Drafted(
        form=form, quoted=[_display(session, workspace_id, u) for u in quotes], left_out=left_out
    )


async def draft_from_thread(
    rt: Runtime,
    workspace_id: int,
    actor: Actor,
    messages: Sequence[ThreadMessage],
    *,
    source_link: str | None = None,
) -> Reply:
    """For Slack's message shortcut and Discord's message menu: the draft as a form to edit.

    Members with capture off are neither quoted nor named; an empty thread (or one only they
    wrote) is an :class:`~bot.services.drafting.EmptyThreadError`, a one-line reply.
    """
    drafted = await rt.db.run(
        draft_thread, workspace_id, actor, list(messages), rt.clock.now(), source_link
    )
    return lesson_messages.draft_reply(drafted)


async def draft_for(
    rt: Runtime,
    actor: Actor,
    messages: Sequence[ThreadMessage],
    *,
    source_link: str | None = None,
) -> Reply:
    """:func:`draft_from_thread` for an adapter, which knows the actor but not the workspace's
    row id: Slack's message shortcut and Discord's message menu both come in here."""
    workspace_id = await rt.db.run(_workspace_row, actor, rt.settings.default_timezone)
    return await draft_from_thread(rt, workspace_id, actor, messages, source_link=source_link)


def _workspace_row(session: Session, actor: Actor, default_timezone: str) -> int:
    workspace = workspaces.get_or_create(
        session, actor.platform.value, actor.workspace.key, default_timezone=default_timezone
    )
    assert workspace.id is not None
    return workspace.id


# -- after thanks in a thread ----------------------------------------------------------------------

CHECK_MARKS = frozenset({"✅", "✔️", "✔", "white_check_mark", "heavy_check_mark"})


def _offer_once(
    session: Session, workspace_id: int, actor: Actor, place: Place, now: datetime
) -> int | None:
    me = members.get(session, workspace_id, actor.user_id)
    if me is None or place.thread is None:
        return None
    question = session.exec(
        select(Question).where(
            Question.workspace_id == workspace_id,
            Question.channel_id == place.channel,
            Question.thread_ref == place.thread,
        )
    ).first()
    if question is None or question.asker_member_id != me.id:
        return None
    changed = session.exec(
        update(Question)
        .where(
            col(Question.id) == question.id,
            col(Question.status).in_(("open", "claimed")),
            col(Question.capture_offered_at).is_(None),
        )
        .values(capture_offered_at=now)
    )
    return question.id if changed.rowcount == 1 else None


async def offer_after_thanks(
    rt: Runtime, workspace_id: int, actor: Actor, place: Place, text: str
) -> Reply | None:
    """An adapter saw a message or a check-mark reaction (``text`` = the emoji) in a thread.

    When it is the question's asker thanking someone ("thanks, that worked"), the asker alone is
    offered, ephemerally and only once per question, to mark it solved; resolving then offers
    to capture the lesson. Anyone else, or any other message, gets nothing: nobody is pinged.
    """
    if text.strip() not in CHECK_MARKS and not is_confirmation(text):
        return None
    qid = await rt.db.run(_offer_once, workspace_id, actor, place, rt.clock.now())
    if qid is None:
        return None
    return lesson_messages.solved_offer(qid)
