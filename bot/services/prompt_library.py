"""The reflection prompt library: load, validate, customise, render and rotate prompts.

Prompts are data (``prompts/*.yaml``) so facilitators can review and extend them without
reading Python; this module is the gate that data passes through. Validation is strict and
fails loudly at load time, naming the file and the prompt id, because a typo in a YAML file
should break a test run, not a Monday-morning post to forty channels.

Everything here is pure apart from reading the files: the scheduler owns time, storage owns
which prompts a channel has seen, and adapters own posting. That keeps rotation and rendering
deterministic and testable without a clock or a database.

Templated prompts draw on the week's activity (``requires`` names the kinds they need). The
placeholder vocabulary is fixed by :data:`PLACEHOLDERS`; values come from members, so they are
made inert (no mentions, no angle-bracket markup, bounded length) before being inserted.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import string
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType

import yaml

MAX_TEXT_LENGTH = 1000
"""Longest prompt text or follow-up, in characters: a prompt is a question, not an essay."""
MAX_ID_LENGTH = 64

TITLE_LIMIT = 80
"""Longest question or lesson title inserted into a prompt; longer ones are cut with '…'."""
NAME_LIMIT = 40
"""Longest display name or topic inserted into a prompt."""

_ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PACKAGE = "prompts"
_SUFFIX = ".yaml"

# Activity kinds a templated prompt may require; each is a field of WeeklyActivity.
RESOLVED_QUESTIONS = "resolved_questions"
UNANSWERED_QUESTIONS = "unanswered_questions"
NEW_LESSONS = "new_lessons"
TOP_HELPERS = "top_helpers"
ACTIVITIES: frozenset[str] = frozenset(
    {RESOLVED_QUESTIONS, UNANSWERED_QUESTIONS, NEW_LESSONS, TOP_HELPERS}
)

PLACEHOLDERS: Mapping[str, str] = MappingProxyType(
    {
        # resolved_questions: the first usable resolved question (callers order by salience)
        "member": RESOLVED_QUESTIONS,  # display name of whoever resolved it
        "question": RESOLVED_QUESTIONS,  # its title
        "resolved_count": RESOLVED_QUESTIONS,  # how many questions were resolved this week
        # unanswered_questions: the topic with the most unanswered questions
        "topic": UNANSWERED_QUESTIONS,
        "count": UNANSWERED_QUESTIONS,  # unanswered questions in that topic
        "unanswered_total": UNANSWERED_QUESTIONS,  # unanswered questions across all topics
        # new_lessons: the first usable new lesson
        "lesson": NEW_LESSONS,  # its title
        "lesson_count": NEW_LESSONS,  # how many lessons were added this week
        # top_helpers: the member who helped most
        "helper": TOP_HELPERS,  # display name
        "helper_answers": TOP_HELPERS,  # how many answers they gave
    }
)
"""Every placeholder a template may use, mapped to the activity kind that supplies it.

A template must list in ``requires`` exactly the kinds its placeholders come from, so the
renderer knows when a week has nothing to draw on, and a reader of the YAML can see it too.
"""

_SET_KEYS = frozenset({"name", "title", "description", "prompts"})
_PROMPT_KEYS = frozenset({"id", "text", "follow_up", "requires"})
_CUSTOM_KEYS = _PROMPT_KEYS | {"set"}


class PromptLibraryError(ValueError):
    """A prompt set or a custom prompt is malformed.

    The message always starts with the source (file path or "custom prompts") and, when the
    problem belongs to one prompt, its id, so the person fixing it knows where to look.
    """

    def __init__(self, source: str, problem: str, prompt_id: str | None = None) -> None:
        where = f"{source}: prompt {prompt_id!r}" if prompt_id else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.prompt_id = prompt_id
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Prompt:
    """One prompt. ``requires`` is empty for a plain prompt, whose ``text`` is shown as written."""

    id: str
    text: str
    follow_up: str | None = None
    requires: tuple[str, ...] = ()

    @property
    def is_templated(self) -> bool:
        """Whether the text has placeholders, i.e. may render as None in a quiet week."""
        return bool(self.requires)


@dataclass(frozen=True, slots=True)
class PromptSet:
    """A named, ordered collection of prompts; the order is the default rotation order."""

    name: str
    title: str
    description: str
    prompts: tuple[Prompt, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """The ids in file order: what rotation walks and what storage records."""
        return tuple(prompt.id for prompt in self.prompts)

    def get(self, prompt_id: str) -> Prompt | None:
        """The prompt with this id, or None: ids stored in history may outlive the prompt."""
        for prompt in self.prompts:
            if prompt.id == prompt_id:
                return prompt
        return None


# Loading -----------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys, which PyYAML otherwise silently overwrites."""


def _construct_unique_mapping(
    loader: _StrictLoader, node: yaml.MappingNode
) -> dict[object, object]:
    seen: set[object] = set()
    for key_node, _value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # merge keys (<<) legitimately overlap with explicit keys
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, Hashable):
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_unique_mapping,
)


def load_library(root: Traversable | str | os.PathLike[str] | None = None) -> dict[str, PromptSet]:
    """Every prompt set under ``root``, keyed by set name; by default the shipped library.

    The shipped library is read once and cached (it cannot change while the process runs);
    an explicit ``root`` is read afresh each call, which is what tests and previews want.
    A new dict is returned each time so callers cannot mutate the cache.
    """
    if root is None:
        return dict(_load_shipped())
    return _load_directory(_as_traversable(root))


@functools.cache
def _load_shipped() -> tuple[tuple[str, PromptSet], ...]:
    # importlib.resources rather than __file__, so this also works from a zipped wheel.
    return tuple(_load_directory(resources.files(_PACKAGE)).items())


def load_prompt_set(path: Traversable | str | os.PathLike[str]) -> PromptSet:
    """Read and validate one set file; its ``name`` must match the file name."""
    entry = _as_traversable(path)
    source = str(entry)
    if not entry.name.endswith(_SUFFIX):
        raise PromptLibraryError(source, f"prompt set files must end in {_SUFFIX}")
    try:
        raw_text = entry.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PromptLibraryError(source, f"is not valid UTF-8 ({exc.reason})") from exc
    try:
        data = yaml.load(raw_text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as exc:
        raise PromptLibraryError(source, f"is not valid YAML: {exc}") from exc
    return _parse_set(data, source, expected_name=entry.name.removesuffix(_SUFFIX))


def _as_traversable(root: Traversable | str | os.PathLike[str]) -> Traversable:
    if isinstance(root, str | os.PathLike):
        return Path(root)
    return root


def _load_directory(root: Traversable) -> dict[str, PromptSet]:
    if not root.is_dir():
        raise PromptLibraryError(str(root), "is not a directory of prompt sets")
    sets: dict[str, PromptSet] = {}
    for entry in sorted(root.iterdir(), key=lambda item: item.name):
        if not entry.is_file():
            continue
        if entry.name.endswith(".yml"):
            # Only *.yaml is declared as package data: a .yml file would vanish from the wheel.
            raise PromptLibraryError(str(entry), f"rename to {_SUFFIX}; only {_SUFFIX} ships")
        if entry.name.endswith(_SUFFIX):
            prompt_set = load_prompt_set(entry)
            sets[prompt_set.name] = prompt_set
    if not sets:
        raise PromptLibraryError(str(root), f"contains no *{_SUFFIX} prompt sets")
    return sets


# Validation --------------------------------------------------------------------------------------


def _parse_set(data: object, source: str, expected_name: str) -> PromptSet:
    if not isinstance(data, dict):
        raise PromptLibraryError(
            source, "must be a mapping with name, title, description and prompts"
        )
    unknown = sorted(str(key) for key in data if key not in _SET_KEYS)
    if unknown:
        raise PromptLibraryError(source, f"unknown keys {unknown}; allowed: {sorted(_SET_KEYS)}")
    name = _required_text(data, "name", source, None)
    if name != expected_name:
        raise PromptLibraryError(
            source, f"name {name!r} must match the file name {expected_name!r}"
        )
    title = _required_text(data, "title", source, None)
    description = _required_text(data, "description", source, None)
    raw_prompts = data.get("prompts")
    if not isinstance(raw_prompts, list) or not raw_prompts:
        raise PromptLibraryError(source, "prompts must be a non-empty list")
    prompts = tuple(
        _parse_prompt(raw, source, position) for position, raw in enumerate(raw_prompts, start=1)
    )
    _check_unique(prompts, source)
    return PromptSet(name=name, title=title, description=description, prompts=prompts)


def _parse_prompt(
    raw: object, source: str, position: int, allowed: frozenset[str] = _PROMPT_KEYS
) -> Prompt:
    if not isinstance(raw, Mapping):
        raise PromptLibraryError(source, f"prompt #{position} must be a mapping with id and text")
    prompt_id = raw.get("id")
    if not isinstance(prompt_id, str) or not prompt_id:
        raise PromptLibraryError(
            source, f"prompt #{position} has no id (a slug like 'what-helped')"
        )
    if not _ID_PATTERN.fullmatch(prompt_id) or len(prompt_id) > MAX_ID_LENGTH:
        raise PromptLibraryError(
            source,
            f"id must be a lowercase slug (a-z, 0-9, single dashes) of at most {MAX_ID_LENGTH}"
            " characters",
            prompt_id,
        )
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise PromptLibraryError(
            source, f"unknown keys {unknown}; allowed: {sorted(allowed)}", prompt_id
        )
    text = _required_text(raw, "text", source, prompt_id)
    follow_up = _optional_text(raw, "follow_up", source, prompt_id)
    requires = _parse_requires(raw.get("requires"), source, prompt_id)
    _check_placeholders(text, follow_up, requires, source, prompt_id)
    return Prompt(id=prompt_id, text=text, follow_up=follow_up, requires=requires)


def _required_text(
    raw: Mapping[object, object], key: str, source: str, prompt_id: str | None
) -> str:
    value = _optional_text(raw, key, source, prompt_id)
    if value is None:
        raise PromptLibraryError(source, f"{key} is missing or empty", prompt_id)
    return value


def _optional_text(
    raw: Mapping[object, object], key: str, source: str, prompt_id: str | None
) -> str | None:
    """The stripped string under ``key``; None when absent. Blank strings count as empty."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        # YAML turns `yes`, `12` or `2024-01-01` into non-strings; quoting fixes that.
        raise PromptLibraryError(
            source, f"{key} must be text, not {type(value).__name__} (try quoting it)", prompt_id
        )
    value = value.strip()
    if not value:
        raise PromptLibraryError(source, f"{key} is missing or empty", prompt_id)
    if len(value) > MAX_TEXT_LENGTH:
        raise PromptLibraryError(
            source,
            f"{key} is {len(value)} characters; the limit is {MAX_TEXT_LENGTH}",
            prompt_id,
        )
    return value


def _parse_requires(raw: object, source: str, prompt_id: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw or not all(isinstance(kind, str) for kind in raw):
        raise PromptLibraryError(
            source, f"requires must be a non-empty list of {sorted(ACTIVITIES)}", prompt_id
        )
    unknown = sorted(kind for kind in raw if kind not in ACTIVITIES)
    if unknown:
        raise PromptLibraryError(
            source, f"requires unknown activity {unknown}; known: {sorted(ACTIVITIES)}", prompt_id
        )
    if len(set(raw)) != len(raw):
        raise PromptLibraryError(source, "requires lists an activity twice", prompt_id)
    return tuple(raw)


def _placeholders(text: str, source: str, prompt_id: str) -> list[str]:
    """The placeholder names in ``text``; anything beyond bare ``{name}`` is refused.

    Format specs, conversions and attribute or index access (``{member.__class__}``) are
    rejected so a template can only ever insert one of our prepared, inert strings.
    """
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise PromptLibraryError(
            source,
            f"has unbalanced braces ({exc}); write {{{{ or }}}} for a literal brace",
            prompt_id,
        ) from exc
    names: list[str] = []
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise PromptLibraryError(
                source,
                f"placeholder {{{field}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} must be a bare name like {{member}}",
                prompt_id,
            )
        names.append(field)
    return names


def _check_placeholders(
    text: str, follow_up: str | None, requires: tuple[str, ...], source: str, prompt_id: str
) -> None:
    if follow_up is not None and ("{" in follow_up or "}" in follow_up):
        raise PromptLibraryError(
            source, "follow_up is shown as written and cannot use placeholders or braces", prompt_id
        )
    if not requires:
        if "{" in text or "}" in text:
            raise PromptLibraryError(
                source,
                "uses braces but has no requires: placeholders only work in templated prompts"
                f" (placeholders: {sorted(PLACEHOLDERS)})",
                prompt_id,
            )
        return
    names = _placeholders(text, source, prompt_id)
    unknown = sorted({name for name in names if name not in PLACEHOLDERS})
    if unknown:
        raise PromptLibraryError(
            source,
            f"unknown placeholders {unknown}; known: {sorted(PLACEHOLDERS)}",
            prompt_id,
        )
    needed = {PLACEHOLDERS[name] for name in names}
    missing = sorted(needed - set(requires))
    if missing:
        raise PromptLibraryError(
            source, f"its placeholders need {missing} listed in requires", prompt_id
        )
    unused = sorted(set(requires) - needed)
    if unused:
        raise PromptLibraryError(
            source, f"requires {unused} but uses none of their placeholders", prompt_id
        )


def _normalised(text: str) -> str:
    return " ".join(text.casefold().split())


def _check_unique(prompts: Sequence[Prompt], source: str) -> None:
    """Ids must be unique (rotation history refers to them) and texts distinct (no padding)."""
    ids: set[str] = set()
    texts: dict[str, str] = {}
    for prompt in prompts:
        if prompt.id in ids:
            raise PromptLibraryError(
                source, "duplicate id; ids must be unique within a set", prompt.id
            )
        ids.add(prompt.id)
        key = _normalised(prompt.text)
        if key in texts:
            raise PromptLibraryError(
                source, f"has the same text as prompt {texts[key]!r}", prompt.id
            )
        texts[key] = prompt.id


# Workspace customisation -------------------------------------------------------------------------


def merge_custom_prompts(
    prompt_set: PromptSet,
    custom: Iterable[Mapping[str, object]],
    *,
    source: str = "custom prompts",
) -> PromptSet:
    """The set with a workspace's own prompts merged in; entries for other sets are ignored.

    Each entry is plain data as storage keeps it: ``set``, ``id``, ``text`` and optionally
    ``follow_up`` and ``requires``. It is validated exactly like a shipped prompt. A custom
    prompt whose id matches a shipped one replaces it in place (so a facilitator can reword a
    prompt without disturbing the rotation history); new ids are appended in the given order.
    """
    entries = [
        (position, entry)
        for position, entry in enumerate(custom, start=1)
        if _custom_set_name(entry, source, position) == prompt_set.name
    ]
    replacements: dict[str, Prompt] = {}
    for position, entry in entries:
        prompt = _parse_prompt(entry, source, position, allowed=_CUSTOM_KEYS)
        if prompt.id in replacements:
            raise PromptLibraryError(source, f"duplicate id in set {prompt_set.name!r}", prompt.id)
        replacements[prompt.id] = prompt
    if not replacements:
        return prompt_set
    merged = [replacements.pop(prompt.id, prompt) for prompt in prompt_set.prompts]
    merged.extend(replacements.values())
    _check_unique(merged, source)
    return PromptSet(
        name=prompt_set.name,
        title=prompt_set.title,
        description=prompt_set.description,
        prompts=tuple(merged),
    )


def apply_custom_prompts(
    library: Mapping[str, PromptSet],
    custom: Iterable[Mapping[str, object]],
    *,
    source: str = "custom prompts",
) -> dict[str, PromptSet]:
    """Every set with the workspace's prompts merged in; a custom prompt for a set that
    does not exist is refused rather than silently dropped."""
    entries = list(custom)
    for position, entry in enumerate(entries, start=1):
        set_name = _custom_set_name(entry, source, position)
        if set_name not in library:
            prompt_id = entry.get("id")
            raise PromptLibraryError(
                source,
                f"names unknown set {set_name!r}; known: {sorted(library)}",
                prompt_id if isinstance(prompt_id, str) else None,
            )
    return {
        name: merge_custom_prompts(prompt_set, entries, source=source)
        for name, prompt_set in library.items()
    }


def _custom_set_name(entry: object, source: str, position: int) -> str:
    if not isinstance(entry, Mapping):
        raise PromptLibraryError(source, f"custom prompt #{position} must be a mapping")
    set_name = entry.get("set")
    if not isinstance(set_name, str) or not set_name:
        prompt_id = entry.get("id")
        raise PromptLibraryError(
            source,
            f"custom prompt #{position} does not name its set",
            prompt_id if isinstance(prompt_id, str) else None,
        )
    return set_name


# Rendering ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolvedQuestion:
    """A question resolved this week: its title and who resolved it (display name)."""

    title: str
    resolver: str


@dataclass(frozen=True, slots=True)
class UnansweredTopic:
    """How many questions tagged ``topic`` are still unanswered at the end of the week."""

    topic: str
    count: int


@dataclass(frozen=True, slots=True)
class NewLesson:
    """A lesson added to the library this week."""

    title: str


@dataclass(frozen=True, slots=True)
class HelperTally:
    """A member and how many answers they gave this week."""

    name: str
    answers: int


@dataclass(frozen=True, slots=True)
class WeeklyActivity:
    """What happened in a channel this week, as the scheduler gathered it from storage.

    Field names are the activity kinds a template's ``requires`` may name. Callers list
    resolved questions and lessons most notable first; the renderer picks the first usable one,
    the busiest unanswered topic and the most active helper itself.
    """

    resolved_questions: tuple[ResolvedQuestion, ...] = ()
    unanswered_questions: tuple[UnansweredTopic, ...] = ()
    new_lessons: tuple[NewLesson, ...] = ()
    top_helpers: tuple[HelperTally, ...] = ()


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_INERT = str.maketrans({"@": "@\u200b", "<": "‹", ">": "›"})


def make_inert(value: str, limit: int) -> str:
    """Member-supplied text made safe to embed in a message the bot posts.

    Newlines and control characters become spaces (a title must not break the layout or start
    a quote block), bidi overrides are dropped (they can disguise text), the result is cut at
    a word boundary to ``limit`` characters with '…', and then mentions are disarmed: a
    zero-width space after every ``@`` stops ``@here``/``@everyone`` pinging on either
    platform, and ``<``/``>`` become look-alike angle quotes so Slack ``<!channel>``/``<@U1>``
    and Discord ``<@&role>`` markup is shown, never interpreted.
    """
    cleaned = " ".join(_CONTROL.sub(" ", _BIDI.sub("", value)).split())
    return _truncate(cleaned, limit).translate(_INERT)


def _truncate(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:  # cut at a word when that does not lose too much
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—") + "…"


def render_prompt(prompt: Prompt, activity: WeeklyActivity) -> str | None:
    """The prompt's text with this week's activity filled in, or None if it cannot be filled.

    A plain prompt renders as its text. A templated prompt renders only when every activity
    kind it requires has something usable; otherwise None, and the caller falls back to a
    plain prompt rather than posting "0 questions about  went unanswered".
    """
    if not prompt.requires:
        return prompt.text
    values: dict[str, str | int] = {}
    for kind in prompt.requires:
        found = _EXTRACTORS[kind](activity)
        if found is None:
            return None
        values.update(found)
    # Safe: validation guarantees only bare names from PLACEHOLDERS, all supplied above, and
    # str.format never re-reads braces that appear inside the inserted values.
    return prompt.text.format(**values)


def _resolved_values(activity: WeeklyActivity) -> dict[str, str | int] | None:
    for item in activity.resolved_questions:
        member = make_inert(item.resolver, NAME_LIMIT)
        question = make_inert(item.title, TITLE_LIMIT)
        if member and question:
            return {
                "member": member,
                "question": question,
                "resolved_count": len(activity.resolved_questions),
            }
    return None


def _unanswered_values(activity: WeeklyActivity) -> dict[str, str | int] | None:
    usable = [
        (item.count, make_inert(item.topic, NAME_LIMIT))
        for item in activity.unanswered_questions
        if item.count > 0
    ]
    named = [(count, topic) for count, topic in usable if topic]
    if not named:
        return None
    count, topic = max(named, key=lambda pair: pair[0])  # first listed wins a tie
    return {
        "topic": topic,
        "count": count,
        "unanswered_total": sum(count for count, _topic in usable),
    }


def _lesson_values(activity: WeeklyActivity) -> dict[str, str | int] | None:
    for item in activity.new_lessons:
        lesson = make_inert(item.title, TITLE_LIMIT)
        if lesson:
            return {"lesson": lesson, "lesson_count": len(activity.new_lessons)}
    return None


def _helper_values(activity: WeeklyActivity) -> dict[str, str | int] | None:
    named = [
        (item.answers, make_inert(item.name, NAME_LIMIT))
        for item in activity.top_helpers
        if item.answers > 0
    ]
    named = [(answers, name) for answers, name in named if name]
    if not named:
        return None
    answers, helper = max(named, key=lambda pair: pair[0])
    return {"helper": helper, "helper_answers": answers}


_EXTRACTORS = MappingProxyType(
    {
        RESOLVED_QUESTIONS: _resolved_values,
        UNANSWERED_QUESTIONS: _unanswered_values,
        NEW_LESSONS: _lesson_values,
        TOP_HELPERS: _helper_values,
    }
)


# Rotation ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RotationPick:
    """The next prompt id, and whether it opens a new cycle.

    When ``new_cycle`` is true the caller should reset the channel's used ids to just
    ``prompt_id``; otherwise it appends ``prompt_id`` to them.
    """

    prompt_id: str
    new_cycle: bool


def rotation_order(prompt_ids: Sequence[str], seed: str | None = None) -> tuple[str, ...]:
    """The order a schedule walks the set in: file order, or a stable per-seed shuffle.

    The shuffle sorts by a hash of (seed, id) rather than using ``random``, so it is identical
    across Python versions and processes, differs between schedules (seed by schedule id), and
    adding a prompt to the set slots it in without reordering the others.
    """
    if isinstance(prompt_ids, str):
        raise TypeError("prompt_ids must be a sequence of ids, not one string")
    if not prompt_ids:
        raise ValueError("a rotation needs at least one prompt id")
    if len(set(prompt_ids)) != len(prompt_ids):
        raise ValueError("prompt ids in a rotation must be unique")
    if seed is None:
        return tuple(prompt_ids)

    def key(prompt_id: str) -> tuple[str, str]:
        digest = hashlib.sha256(f"{seed}\x00{prompt_id}".encode()).hexdigest()
        return digest, prompt_id

    return tuple(sorted(prompt_ids, key=key))


def next_in_rotation(
    prompt_ids: Sequence[str], used_ids: Iterable[str], *, seed: str | None = None
) -> RotationPick:
    """The first id in rotation order not used this cycle; a new cycle once all were used.

    Ids in ``used_ids`` that are no longer in the set (a prompt was removed) are ignored.
    """
    order = rotation_order(prompt_ids, seed)
    used = set(used_ids)
    for prompt_id in order:
        if prompt_id not in used:
            return RotationPick(prompt_id=prompt_id, new_cycle=False)
    return RotationPick(prompt_id=order[0], new_cycle=True)


@dataclass(frozen=True, slots=True)
class PickedPrompt:
    """A prompt ready to post: which one, its rendered text, and the rotation bookkeeping."""

    prompt: Prompt
    text: str
    new_cycle: bool


def pick_prompt(
    prompt_set: PromptSet,
    used_ids: Iterable[str],
    activity: WeeklyActivity,
    *,
    seed: str | None = None,
) -> PickedPrompt | None:
    """The next prompt in rotation that can be rendered this week.

    A templated prompt with nothing to draw on is skipped but stays unused, so it comes up in
    a later week that has the activity. When every remaining prompt in the cycle is such a
    template, a new cycle starts. None only if no prompt in the set can render at all (a set of
    templates only, in a quiet week).
    """
    order = rotation_order(prompt_set.ids, seed)
    used = set(used_ids)
    by_id = {prompt.id: prompt for prompt in prompt_set.prompts}
    for new_cycle, candidates in (
        (False, [prompt_id for prompt_id in order if prompt_id not in used]),
        (True, list(order)),
    ):
        for prompt_id in candidates:
            prompt = by_id[prompt_id]
            text = render_prompt(prompt, activity)
            if text is not None:
                return PickedPrompt(prompt=prompt, text=text, new_cycle=new_cycle)
    return None
