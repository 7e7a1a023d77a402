"""The console session: directives, per-line actors, and tags saying where each reply went."""

import io

import pytest

from adapters.console.app import attach_console, run_script
from bot.model import Place, Reply, Text, UserId
from copbot.serve import build_core


@pytest.fixture
def console(sqlite_db, clock, settings):
    out = io.StringIO()
    core = build_core(settings, sqlite_db, clock)
    session = attach_console(core.dispatcher, core.ports, settings.console_workspace, out)
    return session, out


async def run(console, script: str) -> str:
    session, out = console
    await run_script(session, io.StringIO(script))
    return out.getvalue()


async def test_at_prefix_runs_one_line_as_that_member(console):
    output = await run(console, "@bob /available off\n/available\n")
    lines = output.splitlines()
    assert lines[0].startswith("[ephemeral -> bob] You are away")
    assert lines[1].startswith("[ephemeral -> you] You are available for questions.")


async def test_as_switches_the_actor_and_admin_flag(console):
    output = await run(console, "/as alice admin\n/roles\n/as nina\n/role @alice member\n")
    assert "[console] You are now alice (platform admin)." in output
    assert "[ephemeral -> nina] Only admins can use /role" in output


async def test_comments_and_blank_lines_are_ignored_and_plain_text_gets_a_hint(console):
    output = await run(console, "# a comment\n\n#general also a comment\nhello there\n")
    assert output.splitlines() == [
        "[console] Commands start with / (try /help); lines starting # are comments."
    ]


async def test_in_moves_channel_and_bad_directives_show_usage(console):
    output = await run(console, "/in #questions\n/in questions\n/as\n@bad!name /help\n")
    assert "[console] You are now in #questions." in output
    assert "[console] Usage: /in #channel" in output
    assert "[console] Usage: /as NAME [admin]" in output
    assert "is not a usable name" in output


async def test_port_tags_posts_threads_and_dms(console):
    session, out = console
    place = Place(workspace=session.workspace, channel="questions")
    ref = await session.port.post(place, Reply(blocks=(Text("root"),)))
    thread = Place(workspace=place.workspace, channel=place.channel, thread=ref.message)
    await session.port.post(thread, Reply(blocks=(Text("reply"),)))
    await session.port.send_direct(place.workspace, UserId("bob"), Reply(blocks=(Text("psst"),)))
    await session.port.update(ref, Reply(blocks=(Text("root, edited"),)))
    assert out.getvalue().splitlines() == [
        "[#questions] root",
        f"[#questions thread {ref.message}] reply",
        "[DM -> bob] psst",
        f"[update #questions message {ref.message}] root, edited",
    ]


async def test_commands_that_start_like_a_directive_are_commands(console):
    output = await run(console, "/ask\n/inbox\n")
    assert "[ephemeral -> you] /ask needs <question...>." in output
    assert "There is no command /inbox." in output
