"""The error boundary: user mistakes get one-line hints, bugs an apology; nothing half-stored."""

import logging

import pytest
from sqlmodel import select

from bot.commands import build_registry
from bot.context import Runtime
from bot.dispatch import MAX_COMMAND_TEXT, Dispatcher
from bot.model import Text, Visibility
from bot.ports import ChatPortError
from bot.registry import CommandSpec, Registry
from storage.models import Member, Role
from storage.repos import members
from tests.fakes.commands import actor, command


def _text(replies):
    assert len(replies) == 1
    reply = replies[0]
    assert reply.visibility is Visibility.EPHEMERAL
    return "\n".join(b.text for b in reply.blocks if isinstance(b, Text))


async def test_unknown_command_gets_one_line_pointing_at_help(dispatcher):
    text = _text(await dispatcher.handle(command("/frobnicate now")))
    assert text == "There is no command /frobnicate. Type /help to see what copbot can do."


async def test_empty_command_gets_a_hint_not_an_error(dispatcher):
    text = _text(await dispatcher.handle(command("/")))
    assert "empty command" in text and "/help" in text


async def test_oversized_command_is_refused_and_nothing_is_stored(dispatcher, sqlite_db):
    huge = "x" * 20_000
    text = _text(await dispatcher.handle(command(f"/profile timezone {huge}")))
    assert f"That is {len('timezone ') + 20_000:,} characters" in text
    assert f"at most {MAX_COMMAND_TEXT:,}" in text
    assert sqlite_db.run_sync(lambda s: s.exec(select(Member)).all()) == []


async def test_member_without_the_role_is_refused_with_their_role_named(dispatcher):
    text = _text(await dispatcher.handle(command("/role @bob facilitator", actor("carol"))))
    assert text.startswith("Only admins can use /role; you are a member here.")


async def _boom_after_write(ctx):
    def write_then_fail(session):
        members.get_or_create(session, ctx.workspace_id, ctx.actor.user_id, "half")
        session.flush()
        raise RuntimeError("database went away mid-command")

    await ctx.db.run(write_then_fail)


def _dispatcher_with(spec, sqlite_db, port, clock, settings):
    registry = Registry([spec])
    return Dispatcher(registry, Runtime(db=sqlite_db, port=port, clock=clock, settings=settings))


async def test_a_bug_is_logged_with_context_and_the_member_sees_an_apology_with_a_ref(
    sqlite_db, port, clock, settings, caplog
):
    spec = CommandSpec("boom", "fails", _boom_after_write)
    dispatcher = _dispatcher_with(spec, sqlite_db, port, clock, settings)
    with caplog.at_level(logging.ERROR, logger="bot.dispatch"):
        text = _text(await dispatcher.handle(command("/boom")))
    assert text.startswith("Sorry, something went wrong on copbot's side and nothing was changed.")
    assert "Traceback" not in text and "RuntimeError" not in text
    ref = text.split("(ref ")[1].split(")")[0]
    record = caplog.records[-1]
    assert ref in record.getMessage()
    assert "workspace slack:T1" in record.getMessage() and "user alice" in record.getMessage()
    assert record.exc_info is not None


async def test_a_failing_command_leaves_no_half_stored_state(sqlite_db, port, clock, settings):
    spec = CommandSpec("boom", "fails", _boom_after_write)
    dispatcher = _dispatcher_with(spec, sqlite_db, port, clock, settings)
    await dispatcher.handle(command("/boom"))
    assert sqlite_db.run_sync(lambda s: s.exec(select(Member)).all()) == []


async def test_platform_refusal_reaches_the_member_as_its_safe_message(
    sqlite_db, port, clock, settings
):
    async def post_somewhere(ctx):
        raise ChatPortError("copbot is not in #secret; invite it first.", detail="not_in_channel")

    spec = CommandSpec("post", "posts", post_somewhere)
    dispatcher = _dispatcher_with(spec, sqlite_db, port, clock, settings)
    text = _text(await dispatcher.handle(command("/post")))
    assert text == "copbot is not in #secret; invite it first."


async def test_platform_admin_is_admin_whatever_is_stored(dispatcher, sqlite_db):
    boss = actor("root", admin=True)
    await dispatcher.handle(command("/profile timezone UTC", actor("bob")))
    text = _text(await dispatcher.handle(command("/role @bob facilitator", boss)))
    assert text == "@bob is now a facilitator."


@pytest.mark.parametrize("line", ["/help", "/profile", "/forget-me", "/roles", "/available"])
async def test_read_only_commands_store_no_personal_data(dispatcher, sqlite_db, line):
    await dispatcher.handle(command(line, actor("lurker")))
    stored = sqlite_db.run_sync(lambda s: s.exec(select(Member)).all())
    assert stored == []


async def test_workspaces_are_kept_apart(dispatcher, sqlite_db):
    await dispatcher.handle(command("/profile timezone Asia/Tokyo", actor("sam", workspace="T1")))
    await dispatcher.handle(command("/profile timezone Europe/Paris", actor("sam", workspace="T2")))
    rows = sqlite_db.run_sync(lambda s: s.exec(select(Member).order_by(Member.id)).all())
    assert [r.timezone for r in rows] == ["Asia/Tokyo", "Europe/Paris"]
    assert rows[0].workspace_id != rows[1].workspace_id


def test_every_registered_command_has_a_summary_and_a_valid_role():
    for spec in build_registry():
        assert spec.summary, spec.name
        assert isinstance(spec.role, Role)
