"""/help is generated from the registry and shows each member what they may use; /role and
/roles let admins name facilitators."""

from sqlmodel import select

from bot.model import Items, Text
from storage.models import Member
from tests.fakes.commands import actor, command


def _all_text(reply):
    parts = []
    for block in reply.blocks:
        if isinstance(block, Text):
            parts.append(block.text)
        elif isinstance(block, Items):
            parts.extend(block.lines)
    return "\n".join(parts)


async def test_help_lists_what_a_member_may_use_and_hides_admin_commands(dispatcher):
    (reply,) = await dispatcher.handle(command("/help", actor("nina")))
    text = _all_text(reply)
    assert "/profile timezone <zone>  set your time zone" in text
    assert "/available [on|off]" in text
    assert "/role " not in text
    assert "forget-me confirm" not in text  # reachable by its button, not listed


async def test_help_for_an_admin_includes_admin_commands(dispatcher):
    (reply,) = await dispatcher.handle(command("/help", actor("root", admin=True)))
    assert "/role <member> <member|facilitator|admin>" in _all_text(reply)


async def test_help_for_one_command_shows_usage_help_and_examples(dispatcher):
    (reply,) = await dispatcher.handle(command("/help profile", actor("nina")))
    text = _all_text(reply)
    assert "/profile quiet <hours>" in text
    assert "e.g. /profile quiet 18:00-09:00" in text
    assert "the range may cross midnight" in text


async def test_help_for_an_unknown_or_forbidden_command_says_which(dispatcher):
    (reply,) = await dispatcher.handle(command("/help nosuch", actor("nina")))
    assert _all_text(reply) == "There is no command /nosuch. Type /help to see every command."
    (reply,) = await dispatcher.handle(command("/help role", actor("nina")))
    assert _all_text(reply) == "/role is for admins only."


async def test_admin_grants_facilitator_and_roles_lists_it(dispatcher, sqlite_db):
    await dispatcher.handle(command("/available on", actor("dan")))
    (reply,) = await dispatcher.handle(command("/role @dan facilitator", actor("root", admin=True)))
    assert _all_text(reply) == "@dan is now a facilitator."
    row = sqlite_db.run_sync(lambda s: s.exec(select(Member).where(Member.user_id == "dan")).one())
    assert row.role == "facilitator"
    (reply,) = await dispatcher.handle(command("/roles", actor("nina")))
    assert "@dan: facilitator" in _all_text(reply)


async def test_role_for_an_unknown_member_says_how_they_appear(dispatcher):
    (reply,) = await dispatcher.handle(command("/role @nobody admin", actor("root", admin=True)))
    assert _all_text(reply).startswith("No member called @nobody here.")
    (reply,) = await dispatcher.handle(command("/role <@U999> admin", actor("root", admin=True)))
    assert _all_text(reply).startswith("copbot does not know that member yet.")
