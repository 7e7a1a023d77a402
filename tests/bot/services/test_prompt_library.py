"""The prompt library: shipped data is valid, bad data is refused loudly, rendering is inert,
and rotation walks a set without repeats."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

import pytest

from bot.services.prompt_library import (
    ACTIVITIES,
    MAX_TEXT_LENGTH,
    NAME_LIMIT,
    PLACEHOLDERS,
    TITLE_LIMIT,
    HelperTally,
    NewLesson,
    Prompt,
    PromptLibraryError,
    PromptSet,
    ResolvedQuestion,
    UnansweredTopic,
    WeeklyActivity,
    apply_custom_prompts,
    load_library,
    load_prompt_set,
    make_inert,
    merge_custom_prompts,
    next_in_rotation,
    pick_prompt,
    render_prompt,
    rotation_order,
)

SHIPPED_SETS = {"weekly-reflection", "retrospective", "introductions", "show-and-tell"}

BUSY_WEEK = WeeklyActivity(
    resolved_questions=(ResolvedQuestion(title="Flaky CI on arm64", resolver="Priya"),),
    unanswered_questions=(
        UnansweredTopic(topic="kubernetes", count=2),
        UnansweredTopic(topic="terraform", count=5),
    ),
    new_lessons=(NewLesson(title="Pin your base images"),),
    top_helpers=(HelperTally(name="Sam", answers=3), HelperTally(name="Ana", answers=7)),
)


def write_set(directory: Path, name: str, body: str) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def templated(text: str, *requires: str, prompt_id: str = "t") -> Prompt:
    return Prompt(id=prompt_id, text=text, requires=requires)


# The shipped library -----------------------------------------------------------------------------


def test_shipped_library_loads_every_set_with_metadata():
    library = load_library()

    assert set(library) == SHIPPED_SETS
    for name, prompt_set in library.items():
        assert prompt_set.name == name
        assert prompt_set.title.strip()
        assert prompt_set.description.strip()


def test_weekly_reflection_has_at_least_forty_distinct_plain_prompts():
    weekly = load_library()["weekly-reflection"]
    plain_texts = {" ".join(p.text.casefold().split()) for p in weekly.prompts if not p.requires}

    assert len(plain_texts) >= 40


def test_weekly_reflection_has_templates_covering_every_activity_kind():
    weekly = load_library()["weekly-reflection"]
    templates = [prompt for prompt in weekly.prompts if prompt.is_templated]

    assert len(templates) >= 4
    assert {kind for prompt in templates for kind in prompt.requires} == ACTIVITIES


def test_every_shipped_set_has_unique_ids_and_at_least_ten_prompts():
    for prompt_set in load_library().values():
        assert len(prompt_set.prompts) >= 10, prompt_set.name
        assert len(set(prompt_set.ids)) == len(prompt_set.ids), prompt_set.name


def test_every_shipped_prompt_renders_in_a_busy_week_without_leftover_braces():
    for prompt_set in load_library().values():
        for prompt in prompt_set.prompts:
            text = render_prompt(prompt, BUSY_WEEK)
            assert text is not None, prompt.id
            assert "{" not in text and "}" not in text, prompt.id
            assert len(text) <= MAX_TEXT_LENGTH + 2 * TITLE_LIMIT, prompt.id


def test_shipped_library_is_cached_but_each_caller_gets_its_own_dict():
    first = load_library()
    first.pop("weekly-reflection")
    second = load_library()

    assert "weekly-reflection" in second
    assert second["retrospective"] is load_library()["retrospective"]


def test_library_loads_from_a_zipped_package_as_in_an_installed_wheel(tmp_path: Path):
    archive = tmp_path / "copbot.whl"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("prompts/__init__.py", "")
        bundle.writestr(
            "prompts/tiny.yaml",
            "name: tiny\ntitle: Tiny\ndescription: One prompt.\n"
            "prompts:\n  - id: only\n    text: Only question?\n",
        )

    library = load_library(zipfile.Path(archive, "prompts/"))

    assert library["tiny"].prompts == (Prompt(id="only", text="Only question?"),)


# Malformed sets are refused ---------------------------------------------------------------------


GOOD_HEADER = """\
name: bad
title: Bad
description: A set used to check validation.
prompts:
"""


@pytest.mark.parametrize(
    ("prompts_yaml", "prompt_id", "problem"),
    [
        pytest.param(
            "  - {id: twice, text: First}\n  - {id: twice, text: Second}\n",
            "twice",
            "duplicate id",
            id="duplicate-id",
        ),
        pytest.param(
            "  - id: ghost\n    requires: [resolved_questions]\n"
            "    text: '{member} met {ghost} this week.'\n",
            "ghost",
            "unknown placeholders ['ghost']",
            id="unknown-placeholder",
        ),
        pytest.param("  - id: blank\n    text: '   '\n", "blank", "text", id="empty-text"),
        pytest.param("  - id: none\n", "none", "text is missing", id="missing-text"),
        pytest.param(
            f"  - id: essay\n    text: '{'x' * (MAX_TEXT_LENGTH + 1)}'\n",
            "essay",
            f"limit is {MAX_TEXT_LENGTH}",
            id="text-too-long",
        ),
        pytest.param(
            "  - id: typo\n    text: Fine?\n    folow_up: Oops\n",
            "typo",
            "unknown keys ['folow_up']",
            id="unknown-key",
        ),
        pytest.param(
            "  - id: no-requires\n    text: '{member} did well.'\n",
            "no-requires",
            "no requires",
            id="placeholder-without-requires",
        ),
        pytest.param(
            "  - id: wrong-kind\n    requires: [new_lessons]\n    text: '{member} did well.'\n",
            "wrong-kind",
            "need ['resolved_questions']",
            id="placeholder-from-unlisted-activity",
        ),
        pytest.param(
            "  - id: attr\n    requires: [resolved_questions]\n"
            "    text: '{member.__class__} did well.'\n",
            "attr",
            "bare name",
            id="attribute-access-placeholder",
        ),
        pytest.param(
            "  - id: unused\n    requires: [top_helpers]\n    text: Who helped?\n",
            "unused",
            "uses none of their placeholders",
            id="requires-without-placeholder",
        ),
        pytest.param(
            "  - id: kind\n    requires: [gossip]\n    text: '{member}?'\n",
            "kind",
            "unknown activity ['gossip']",
            id="unknown-activity",
        ),
        pytest.param(
            "  - id: Not_A_Slug\n    text: Fine?\n",
            "Not_A_Slug",
            "lowercase slug",
            id="bad-id",
        ),
        pytest.param(
            "  - id: same-a\n    text: Same question?\n"
            "  - id: same-b\n    text: same   QUESTION?\n",
            "same-b",
            "same text as prompt 'same-a'",
            id="duplicate-text",
        ),
        pytest.param(
            "  - id: keys\n    text: First?\n    text: Second?\n",
            None,
            "duplicate key 'text'",
            id="duplicate-yaml-key",
        ),
        pytest.param(
            "  - id: number\n    text: 42\n",
            "number",
            "must be text, not int",
            id="non-string-text",
        ),
    ],
)
def test_malformed_prompt_is_refused_naming_file_and_id(
    tmp_path: Path, prompts_yaml: str, prompt_id: str | None, problem: str
):
    (tmp_path / "bad.yaml").write_text(GOOD_HEADER + prompts_yaml, encoding="utf-8")

    with pytest.raises(PromptLibraryError) as caught:
        load_library(tmp_path)

    message = str(caught.value)
    assert "bad.yaml" in message
    assert problem in message
    if prompt_id is not None:
        assert caught.value.prompt_id == prompt_id
        assert repr(prompt_id) in message


def test_a_good_set_next_to_a_bad_one_does_not_hide_the_error(tmp_path: Path):
    write_set(
        tmp_path,
        "good",
        "name: good\ntitle: G\ndescription: D\nprompts:\n  - {id: ok, text: Fine}\n",
    )
    write_set(
        tmp_path,
        "bad",
        GOOD_HEADER + "  - {id: dup, text: A}\n  - {id: dup, text: B}\n",
    )

    with pytest.raises(PromptLibraryError, match=r"bad\.yaml: prompt 'dup': duplicate id"):
        load_library(tmp_path)


def test_set_name_must_match_its_file_name(tmp_path: Path):
    write_set(tmp_path, "weekly", GOOD_HEADER + "  - {id: ok, text: Fine}\n")

    with pytest.raises(PromptLibraryError, match=r"weekly\.yaml: name 'bad' must match"):
        load_library(tmp_path)


def test_unknown_top_level_key_is_refused(tmp_path: Path):
    write_set(tmp_path, "bad", "owner: me\n" + GOOD_HEADER + "  - {id: ok, text: Fine}\n")

    with pytest.raises(PromptLibraryError, match=r"bad\.yaml: unknown keys \['owner'\]"):
        load_library(tmp_path)


def test_invalid_yaml_is_reported_with_the_file(tmp_path: Path):
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")

    with pytest.raises(PromptLibraryError, match=r"broken\.yaml: is not valid YAML"):
        load_library(tmp_path)


def test_yml_extension_is_refused_because_it_would_not_ship(tmp_path: Path):
    (tmp_path / "extra.yml").write_text(GOOD_HEADER, encoding="utf-8")

    with pytest.raises(PromptLibraryError, match=r"extra\.yml: rename to \.yaml"):
        load_library(tmp_path)


def test_directory_without_sets_is_refused(tmp_path: Path):
    (tmp_path / "README.md").write_text("nothing here", encoding="utf-8")

    with pytest.raises(PromptLibraryError, match="contains no"):
        load_library(tmp_path)


def test_single_set_file_loads_and_strips_folded_text(tmp_path: Path):
    path = write_set(
        tmp_path,
        "solo",
        """\
        name: solo
        title: Solo
        description: >-
          One set.
        prompts:
          - id: folded
            text: >
              A question written
              over two lines?
            follow_up: Go on.
        """,
    )

    prompt_set = load_prompt_set(path)

    assert prompt_set.get("folded") == Prompt(
        id="folded", text="A question written over two lines?", follow_up="Go on."
    )
    assert prompt_set.get("missing") is None


# Rendering ---------------------------------------------------------------------------------------


def test_templated_prompt_renders_with_the_weeks_activity():
    prompt = templated(
        "{member} resolved '{question}' this week ({resolved_count} in total).",
        "resolved_questions",
    )
    activity = WeeklyActivity(
        resolved_questions=(
            ResolvedQuestion(title="How do we rotate secrets?", resolver="Dana"),
            ResolvedQuestion(title="Why is the build slow?", resolver="Lee"),
        )
    )

    assert render_prompt(prompt, activity) == (
        "Dana resolved 'How do we rotate secrets?' this week (2 in total)."
    )


def test_templated_prompt_returns_none_in_a_quiet_week():
    prompt = templated("{count} questions about {topic} went unanswered.", "unanswered_questions")

    assert render_prompt(prompt, WeeklyActivity()) is None


def test_template_needing_two_activities_returns_none_when_one_is_missing():
    prompt = templated("{member} and {helper}.", "resolved_questions", "top_helpers")
    only_resolved = WeeklyActivity(resolved_questions=(ResolvedQuestion("Q", "Dana"),))

    assert render_prompt(prompt, only_resolved) is None
    assert render_prompt(prompt, BUSY_WEEK) == "Priya and Ana."


def test_busiest_unanswered_topic_and_most_active_helper_are_chosen():
    prompt = templated(
        "{count} of {unanswered_total} unanswered are about {topic}; {helper} gave "
        "{helper_answers} answers.",
        "unanswered_questions",
        "top_helpers",
    )

    assert render_prompt(prompt, BUSY_WEEK) == (
        "5 of 7 unanswered are about terraform; Ana gave 7 answers."
    )


def test_empty_or_zero_activity_does_not_count_as_something_to_draw_on():
    activity = WeeklyActivity(
        resolved_questions=(ResolvedQuestion(title=" \n ", resolver="Dana"),),
        unanswered_questions=(UnansweredTopic(topic="python", count=0),),
        new_lessons=(NewLesson(title=""),),
        top_helpers=(HelperTally(name="Sam", answers=0),),
    )

    for kind, placeholder in [
        ("resolved_questions", "{question}"),
        ("unanswered_questions", "{topic}"),
        ("new_lessons", "{lesson}"),
        ("top_helpers", "{helper}"),
    ]:
        assert render_prompt(templated(placeholder, kind), activity) is None, kind


def test_plain_prompt_renders_as_written():
    prompt = Prompt(id="plain", text="What did you learn?")

    assert render_prompt(prompt, WeeklyActivity()) == "What did you learn?"


@pytest.mark.parametrize(
    "hostile",
    [
        "@channel look at this",
        "@here",
        "@everyone",
        "<!everyone> urgent",
        "<!here|here>",
        "<@U024BE7LH>",
        "<@&123456789012345678>",
        "<#C024BE7LR|general>",
        "<https://evil.example|totally safe>",
    ],
)
def test_injected_mentions_in_member_values_are_rendered_inert(hostile: str):
    prompt = templated("{member} resolved '{question}'.", "resolved_questions")
    activity = WeeklyActivity(
        resolved_questions=(ResolvedQuestion(title=hostile, resolver=hostile),)
    )

    text = render_prompt(prompt, activity)

    assert text is not None
    assert "<" not in text and ">" not in text
    for mention in ("@channel", "@here", "@everyone"):
        assert mention not in text
    # Nothing else is lost: undoing the disarming gives back exactly what the member wrote.
    restored = text.replace("\u200b", "").translate({ord("‹"): "<", ord("›"): ">"})
    assert restored == f"{hostile} resolved '{hostile}'."


def test_member_values_cannot_reach_the_template_engine_or_break_the_layout():
    prompt = templated("{member}: '{question}'", "resolved_questions")
    activity = WeeklyActivity(
        resolved_questions=(
            ResolvedQuestion(title="{member.__class__}\n> quoted\u202eevil", resolver="A\tB"),
        )
    )

    assert render_prompt(prompt, activity) == "A B: '{member.__class__} › quotedevil'"


def test_long_titles_are_truncated_at_a_word_with_an_ellipsis():
    title = "Why does the staging deploy keep failing " + "intermittently " * 10
    prompt = templated("'{question}'", "resolved_questions")
    activity = WeeklyActivity(resolved_questions=(ResolvedQuestion(title=title, resolver="Dana"),))

    text = render_prompt(prompt, activity)

    assert text is not None
    question = text.strip("'")
    assert len(question) <= TITLE_LIMIT
    assert question.endswith("…")
    kept = question.removesuffix("…")
    assert title.startswith(kept)
    assert title[len(kept)] == " ", "cut in the middle of a word"
    assert len(kept) > TITLE_LIMIT // 2


def test_make_inert_truncates_names_without_splitting_a_mention_guard():
    name = "@" * (NAME_LIMIT + 10)

    inert = make_inert(name, NAME_LIMIT)

    assert inert.endswith("…")
    assert inert.replace("\u200b", "") == "@" * (NAME_LIMIT - 1) + "…"
    assert "@@" not in inert


# Workspace custom prompts ------------------------------------------------------------------------


SMALL_SET = PromptSet(
    name="weekly-reflection",
    title="Weekly",
    description="Small set for merging.",
    prompts=(Prompt(id="a", text="First?"), Prompt(id="b", text="Second?")),
)


def test_custom_prompts_are_appended_and_same_id_replaces_in_place():
    merged = merge_custom_prompts(
        SMALL_SET,
        [
            {"set": "weekly-reflection", "id": "ours", "text": "Our own question?"},
            {"set": "weekly-reflection", "id": "a", "text": "First, reworded?"},
            {"set": "retrospective", "id": "elsewhere", "text": "Not for this set?"},
        ],
    )

    assert merged.ids == ("a", "b", "ours")
    assert merged.get("a") == Prompt(id="a", text="First, reworded?")
    assert SMALL_SET.get("a") == Prompt(id="a", text="First?")


def test_custom_templated_prompt_is_validated_like_a_shipped_one():
    merged = merge_custom_prompts(
        SMALL_SET,
        [
            {
                "set": "weekly-reflection",
                "id": "lesson",
                "text": "New lesson: {lesson}",
                "requires": ["new_lessons"],
            }
        ],
    )

    assert render_prompt(merged.prompts[-1], BUSY_WEEK) == "New lesson: Pin your base images"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"id": "x", "text": "Hi {nobody}", "requires": ["top_helpers"]}, "unknown placeholders"),
        ({"id": "x", "text": ""}, "text is missing or empty"),
        ({"id": "x", "text": "Second?"}, "same text as prompt 'b'"),
        ({"id": "x", "text": "Fine?", "colour": "red"}, "unknown keys ['colour']"),
    ],
)
def test_invalid_custom_prompt_is_refused_naming_source_and_id(entry: dict, problem: str):
    with pytest.raises(PromptLibraryError) as caught:
        merge_custom_prompts(
            SMALL_SET, [{"set": "weekly-reflection", **entry}], source="workspace T123"
        )

    assert str(caught.value).startswith("workspace T123: prompt 'x':")
    assert problem in str(caught.value)


def test_duplicate_custom_ids_are_refused():
    entries = [
        {"set": "weekly-reflection", "id": "mine", "text": "One?"},
        {"set": "weekly-reflection", "id": "mine", "text": "Two?"},
    ]

    with pytest.raises(PromptLibraryError, match="prompt 'mine': duplicate id"):
        merge_custom_prompts(SMALL_SET, entries)


def test_custom_prompt_for_an_unknown_set_is_refused_not_dropped():
    library = {"weekly-reflection": SMALL_SET}

    with pytest.raises(PromptLibraryError, match=r"prompt 'x': names unknown set 'weekly'"):
        apply_custom_prompts(library, [{"set": "weekly", "id": "x", "text": "Typo?"}])


def test_apply_custom_prompts_merges_into_the_named_set_only():
    library = load_library()

    merged = apply_custom_prompts(
        library, [{"set": "retrospective", "id": "our-ritual", "text": "Did we celebrate?"}]
    )

    assert merged["retrospective"].ids[-1] == "our-ritual"
    assert merged["weekly-reflection"] is library["weekly-reflection"]
    assert "our-ritual" not in library["retrospective"].ids


# Rotation ----------------------------------------------------------------------------------------


def walk(prompt_ids: tuple[str, ...], weeks: int, seed: str | None = None) -> list[str]:
    """Simulate a schedule: pick, then record the pick the way storage would."""
    used: list[str] = []
    picks: list[str] = []
    for _ in range(weeks):
        pick = next_in_rotation(prompt_ids, used, seed=seed)
        used = [pick.prompt_id] if pick.new_cycle else [*used, pick.prompt_id]
        picks.append(pick.prompt_id)
    return picks


def test_rotation_never_repeats_within_a_cycle_then_starts_a_new_one():
    ids = load_library()["weekly-reflection"].ids

    picks = walk(ids, 2 * len(ids), seed="schedule-42")

    first, second = picks[: len(ids)], picks[len(ids) :]
    assert sorted(first) == sorted(ids)
    assert sorted(second) == sorted(ids)
    assert first == second


def test_rotation_without_seed_follows_the_file_order():
    assert walk(("a", "b", "c"), 4) == ["a", "b", "c", "a"]
    assert next_in_rotation(("a", "b", "c"), ["a", "b", "c"]).new_cycle is True
    assert next_in_rotation(("a", "b", "c"), ["a"]).new_cycle is False


def test_rotation_is_deterministic_per_seed_and_differs_between_schedules():
    ids = load_library()["weekly-reflection"].ids

    assert rotation_order(ids, "channel-a") == rotation_order(ids, "channel-a")
    assert rotation_order(ids, "channel-a") != rotation_order(ids, "channel-b")
    assert sorted(rotation_order(ids, "channel-a")) == sorted(ids)


def test_adding_a_prompt_keeps_the_relative_order_of_the_others():
    ids = tuple(f"p{n}" for n in range(20))
    before = rotation_order(ids, "seed")
    after = rotation_order((*ids, "newcomer"), "seed")

    assert tuple(i for i in after if i != "newcomer") == before


def test_rotation_ignores_used_ids_of_removed_prompts():
    assert next_in_rotation(("a", "b"), ["gone", "a"]) == next_in_rotation(("a", "b"), ["a"])
    assert next_in_rotation(("a", "b"), ["gone", "a"]).prompt_id == "b"


@pytest.mark.parametrize("bad", [(), ("a", "a")])
def test_rotation_refuses_empty_or_duplicate_ids(bad: tuple[str, ...]):
    with pytest.raises(ValueError):
        next_in_rotation(bad, [])


def test_pick_prompt_skips_templates_in_a_quiet_week_and_keeps_them_for_later():
    prompt_set = PromptSet(
        name="mixed",
        title="Mixed",
        description="Templates and plain prompts.",
        prompts=(
            templated("Thanks, {helper}!", "top_helpers", prompt_id="thanks"),
            Prompt(id="plain-1", text="Plain one?"),
            Prompt(id="plain-2", text="Plain two?"),
        ),
    )

    quiet = pick_prompt(prompt_set, [], WeeklyActivity())
    busy = pick_prompt(prompt_set, ["plain-1"], BUSY_WEEK)
    exhausted = pick_prompt(prompt_set, ["plain-1", "plain-2"], WeeklyActivity())

    assert quiet is not None and (quiet.prompt.id, quiet.new_cycle) == ("plain-1", False)
    assert busy is not None and (busy.prompt.id, busy.text) == ("thanks", "Thanks, Ana!")
    assert exhausted is not None and (exhausted.prompt.id, exhausted.new_cycle) == ("plain-1", True)


def test_pick_prompt_returns_none_when_nothing_in_the_set_can_render():
    only_templates = PromptSet(
        name="t",
        title="T",
        description="D",
        prompts=(templated("{lesson}", "new_lessons"),),
    )

    assert pick_prompt(only_templates, [], WeeklyActivity()) is None


def test_placeholder_vocabulary_maps_only_to_known_activities():
    assert set(PLACEHOLDERS.values()) == ACTIVITIES
    assert {"member", "question", "count", "topic"} <= set(PLACEHOLDERS)
