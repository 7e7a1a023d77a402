"""The /lessons and /lesson command syntax: filters, listings, bad input answered in one line."""

import pytest

from bot.commands import build_registry
from bot.context import Runtime
from bot.dispatch import Dispatcher
from tests.fakes.chat import RecordingPort
from tests.fakes.community import Community


@pytest.fixture
def town(sqlite_db, clock, settings) -> Community:
    runtime = Runtime(db=sqlite_db, port=RecordingPort(), clock=clock, settings=settings)
    return Community(Dispatcher(build_registry(), runtime), runtime.port)


async def lessons(town: Community) -> None:
    await town.run(
        "bob",
        "/lesson title: Vacuum stalls on big tables | learned: kill idle transactions "
        "| tags: postgres",
    )
    await town.run(
        "carol", "/lesson title: Friday deploys | learned: deploy on Tuesdays | tags: ops"
    )


async def test_search_shows_snippet_tags_author_and_date(town):
    await lessons(town)
    out = await town.run("alice", "/lessons vacuum")
    assert "Lesson #1* · postgres · @bob · 2026-03-02" in out
    assert "kill idle transactions" in out and "Friday" not in out


@pytest.mark.parametrize(
    ("query", "found", "absent"),
    [
        ("tag:ops", "Friday deploys", "Vacuum"),
        ("author:@bob", "Vacuum", "Friday"),
        ("deploy author:carol since:2026-01-01", "Friday deploys", "Vacuum"),
        ("vacuum tag:ops", None, "Vacuum"),
    ],
)
async def test_filters(town, query, found, absent):
    await lessons(town)
    out = await town.run("alice", f"/lessons {query}")
    if found:
        assert found in out
    assert absent not in out


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("since:yesterday", "is not a date"),
        ("since:2026-13-45", "is not a date"),
        ("author:@nobody", "No member called @nobody"),
        ("tag:!!!", "is not a tag"),
        ('"', "no words to look for"),
        ("* NEAR OR", "Nothing in the lessons"),
        ("vacuum NEAR OR *", "Vacuum stalls"),
        ("...", "no words to look for"),
        ("how to", "no words to look for"),
        ("", "What are you looking for?"),
    ],
)
async def test_bad_or_empty_queries_get_one_clear_line(town, query, expected):
    await lessons(town)
    out = await town.run("alice", f"/lessons {query}")
    assert expected in out
    assert "Traceback" not in out and "fts5" not in out.lower()


async def test_recent_and_top(town):
    await lessons(town)
    assert "No lesson has been marked helpful" in await town.run("alice", "/lessons top")
    await town.run("alice", "/lesson helpful 2")
    top = await town.run("alice", "/lessons top")
    assert "Friday deploys" in top and "Vacuum" not in top
    recent = await town.run("alice", "/lessons recent")
    assert recent.index("Vacuum") > 0 and "Friday deploys" in recent


async def test_unknown_lesson_ids_and_bad_numbers(town):
    assert "There is no lesson #7 here" in await town.run("alice", "/lesson show 7")
    assert "must be a number" in await town.run("alice", "/lesson helpful seven")


async def test_help_lists_the_lesson_commands(town):
    out = await town.run("alice", "/help lesson")
    assert "/lesson" in out
