"""The registry resolves names, parses arguments and fails with a hint, alike on every adapter."""

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import build_registry
from bot.errors import UsageError
from bot.registry import CommandSpec, Kind, MentionArg, Param, Registry


async def _noop(ctx):  # pragma: no cover - never called here
    raise AssertionError


def test_longest_registered_name_wins():
    registry = build_registry()
    spec, rest = registry.resolve("profile", "timezone Europe/Berlin")
    assert spec.name == "profile timezone"
    assert rest == "Europe/Berlin"
    spec, rest = registry.resolve("profile", "")
    assert spec.name == "profile"
    assert rest == ""


def test_subcommand_words_are_case_insensitive_and_whitespace_tolerant():
    spec, rest = build_registry().resolve("/Profile", "  TIMEZONE\t Asia/Tokyo ")
    assert spec.name == "profile timezone"
    assert rest == "Asia/Tokyo"


def test_unknown_command_suggests_the_closest_one():
    with pytest.raises(UsageError) as caught:
        build_registry().resolve("profle", "")
    assert "Did you mean /profile?" in caught.value.line()


def test_missing_argument_names_it_and_shows_usage():
    with pytest.raises(UsageError) as caught:
        build_registry().parse("profile", "timezone")
    assert caught.value.line() == ("/profile timezone needs <zone>. Type: /profile timezone <zone>")


def test_extra_words_are_refused_not_ignored():
    with pytest.raises(UsageError, match="does not take 'now please'"):
        build_registry().parse("available", "off now please")


def test_time_range_crossing_midnight_parses():
    parsed = build_registry().parse("profile", "quiet 18:00-09:00")
    assert parsed.args["hours"] == (time(18, 0), time(9, 0))


@pytest.mark.parametrize("bad", ["25:00-03:00", "18:00-18:00", "evening", "18:61-09:00"])
def test_bad_time_ranges_are_refused_with_an_example(bad):
    with pytest.raises(UsageError, match="18:00-09:00"):
        build_registry().parse("profile", f"quiet {bad}")


def test_time_zone_is_canonicalised_and_misspellings_get_suggestions():
    registry = build_registry()
    assert registry.parse("profile", "timezone america/new_york").args["zone"] == (
        "America/New_York"
    )
    with pytest.raises(UsageError, match="Did you mean Europe/Berlin"):
        registry.parse("profile", "timezone Europe/Berln")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U123ABC>", MentionArg("U123ABC", by_id=True)),
        ("<@U123ABC|bob>", MentionArg("U123ABC", by_id=True)),
        ("<@!80351110224678912>", MentionArg("80351110224678912", by_id=True)),
        ("@bob", MentionArg("bob", by_id=False)),
    ],
)
def test_mentions_from_every_platform_parse_to_the_same_shape(text, expected):
    parsed = build_registry().parse("role", f"{text} facilitator")
    assert parsed.args["member"] == expected
    assert parsed.args["role"] == "facilitator"


def test_rest_parameter_keeps_the_text_verbatim_and_enforces_its_limit():
    spec = CommandSpec("ask", "ask", _noop, params=(Param("question", Kind.REST, max_length=20),))
    registry = Registry([spec])
    assert registry.parse("ask", '  why  "this"?  ').args["question"] == 'why  "this"?'
    with pytest.raises(UsageError, match="21 characters; the limit is 20"):
        registry.parse("ask", "x" * 21)


def test_quoted_words_are_one_argument():
    spec = CommandSpec("cron", "c", _noop, params=(Param("expr"), Param("zone", Kind.TIMEZONE)))
    parsed = Registry([spec]).parse("cron", '"0 9 * * 1" UTC')
    assert parsed.args == {"expr": "0 9 * * 1", "zone": "UTC"}


def test_integer_bounds_are_checked():
    spec = CommandSpec("n", "n", _noop, params=(Param("days", Kind.INT, minimum=1, maximum=90),))
    registry = Registry([spec])
    assert registry.parse("n", "#12").args["days"] == 12
    with pytest.raises(UsageError, match="at most 90"):
        registry.parse("n", "91")
    with pytest.raises(UsageError, match="must be a number"):
        registry.parse("n", "soon")


def test_a_name_registered_twice_is_a_programming_error():
    spec = CommandSpec("x", "x", _noop)
    with pytest.raises(ValueError, match="registered twice"):
        Registry([spec, spec])


def test_rest_parameter_must_come_last():
    with pytest.raises(ValueError, match="must come last"):
        Registry([CommandSpec("x", "x", _noop, params=(Param("a", Kind.REST), Param("b")))])


@given(name=st.text(max_size=30), text=st.text(max_size=200))
def test_parsing_arbitrary_input_only_ever_raises_usage_errors(name, text):
    registry = build_registry()
    try:
        registry.parse(name, text)
    except UsageError as error:
        assert error.line().strip()
