"""The ``/cop`` tree generated from the registry: paths, typed options, Discord's limits."""

from __future__ import annotations

import re

import discord
import pytest

from adapters.discord.commands import CATCH_ALL, MORE, build_tree, plan
from adapters.discord.suggest import complete_list, rank, timezone_suggestions
from adapters.discord.translate import workspace_ref
from bot.commands import build_registry
from bot.registry import CommandSpec, Kind, Param, Registry
from storage.models import Role


async def _noop(ctx):  # pragma: no cover - never run
    raise AssertionError


def _spec(name: str, *params: Param, role: Role = Role.MEMBER) -> CommandSpec:
    return CommandSpec(name, f"does {name}", _noop, params=params, role=role)


async def _payload(registry: Registry) -> dict:
    client = discord.Client(intents=discord.Intents.none())
    tree = build_tree(client, registry, None)
    [cop] = [c for c in tree.get_commands() if c.name == "cop"]
    return cop.to_dict(tree)


def test_every_visible_registry_command_gets_a_discord_path():
    registry = build_registry()
    entries, left_out = plan(registry)
    assert left_out == []
    visible = {s.name for s in registry if not s.hidden}
    assert {e.spec.name for e in entries} == visible
    assert len({e.path for e in entries}) == len(entries)


def test_a_word_with_several_commands_is_a_group_and_its_bare_command_gets_a_name():
    registry = Registry(
        [
            _spec("lessons", Param("query", Kind.REST)),
            _spec("lessons review"),
            _spec("profile"),
            _spec("profile timezone", Param("zone", Kind.TIMEZONE)),
            _spec("stats digest now"),
            _spec("roles"),
        ]
    )
    paths = {e.spec.name: e.path for e in plan(registry)[0]}
    assert paths == {
        "lessons": ("lessons", "run"),
        "lessons review": ("lessons", "review"),
        "profile": ("profile", "show"),
        "profile timezone": ("profile", "timezone"),
        "stats digest now": ("stats", "digest-now"),
        "roles": ("roles",),
    }


def test_beyond_25_entries_member_commands_stay_on_top_and_the_rest_move_to_more():
    singles = [_spec(f"member{n:02}") for n in range(20)]
    staff = [_spec(f"staff{n}", role=Role.ADMIN) for n in range(5)]
    group = [_spec("g a"), _spec("g b")]
    entries, left_out = plan(Registry([*singles, *staff, *group]))
    paths = {e.spec.name: e.path for e in entries}
    assert left_out == []
    assert paths["g a"] == ("g", "a")
    assert all(paths[s.name] == (s.name,) for s in singles)
    top = {p[0] for p in paths.values()} | {CATCH_ALL}
    assert len(top) <= 25
    assert sum(p[0] == MORE for p in paths.values()) >= 2
    assert {paths[f"staff{n}"][0] for n in range(3, 5)} == {MORE}


async def test_options_are_typed_with_their_limits():
    registry = Registry(
        [
            _spec(
                "pick",
                Param("who", Kind.MENTION),
                Param("count", Kind.INT, minimum=1, maximum=9),
                Param("mode", Kind.CHOICE, choices=("on", "off")),
                Param("zone", Kind.TIMEZONE, required=False),
                Param("text", Kind.REST, required=False, max_length=300),
            )
        ]
    )
    payload = await _payload(registry)
    [pick] = [o for o in payload["options"] if o["name"] == "pick"]
    options = {o["name"]: o for o in pick["options"]}
    assert options["who"]["type"] == 6 and options["who"]["required"]
    assert (
        options["count"]["type"],
        options["count"]["min_value"],
        options["count"]["max_value"],
    ) == (4, 1, 9)
    assert [c["value"] for c in options["mode"]["choices"]] == ["on", "off"]
    assert options["zone"]["autocomplete"] and not options["zone"]["required"]
    assert (options["text"]["type"], options["text"]["max_length"]) == (3, 300)


async def test_the_whole_tree_fits_discord_rules():
    payload = await _payload(build_registry())
    name = re.compile(r"^[-_a-z0-9]{1,32}$")

    def walk(node: dict, depth: int) -> None:
        assert name.match(node["name"]), node["name"]
        assert 1 <= len(node["description"]) <= 100
        children = node.get("options", [])
        assert len(children) <= 25
        for child in children:
            if child["type"] in (1, 2):
                assert depth < 2
                walk(child, depth + 1)
            else:
                assert name.match(child["name"])
                assert 1 <= len(child["description"]) <= 100

    walk(payload, 0)
    assert any(o["name"] == CATCH_ALL for o in payload["options"])


@pytest.mark.parametrize(
    ("current", "first"),
    [("berl", "Europe/Berlin"), ("america/new", "America/New_York"), ("UTC", "UTC")],
)
async def test_time_zones_autocomplete_from_what_was_typed(current, first):
    found = await timezone_suggestions(workspace_ref(1), current)
    assert found[0] == first and len(found) <= 25


def test_lists_complete_their_last_item_and_skip_those_already_given():
    topics = ["postgres", "kubernetes", "kafka", "python"]
    assert complete_list(topics, "postgres, k") == ["postgres, kubernetes", "postgres, kafka"]
    assert complete_list(topics, "py") == ["python"]
    assert rank(["Europe/Berlin", "Berlin"], "berl") == ["Berlin", "Europe/Berlin"]
