"""/profile, /available and /forget-me through the dispatcher, as a member would use them."""

from datetime import time

from sqlmodel import select

from bot.model import Action, Fields, Items, Text
from storage.models import (
    Answer,
    Expertise,
    Lesson,
    Member,
    PromptPost,
    Question,
    ReflectionResponse,
)
from storage.repos import members, workspaces
from tests.fakes.commands import actor, command


def _fields(reply):
    (block,) = [b for b in reply.blocks if isinstance(b, Fields)]
    return dict(block.pairs)


def _text(reply):
    return "\n".join(
        b.text if isinstance(b, Text) else "\n".join(b.lines)
        for b in reply.blocks
        if isinstance(b, Text | Items)
    )


async def test_profile_of_a_newcomer_shows_defaults_and_how_to_change_them(dispatcher):
    (reply,) = await dispatcher.handle(command("/profile", actor("nina")))
    fields = _fields(reply)
    assert fields["Time zone"] == "UTC (workspace default; set yours with /profile timezone <zone>)"
    assert fields["Quiet hours"] == "none (set with /profile quiet 18:00-09:00)"
    assert fields["Available for questions"] == "yes"
    assert fields["Role"] == "member"


async def test_platform_time_zone_is_used_until_the_member_sets_one(dispatcher):
    nina = actor("nina", timezone="America/Chicago")
    (reply,) = await dispatcher.handle(command("/profile", nina))
    assert _fields(reply)["Time zone"] == "America/Chicago (from your chat profile)"
    await dispatcher.handle(command("/profile timezone Europe/Lisbon", nina))
    (reply,) = await dispatcher.handle(command("/profile", nina))
    assert _fields(reply)["Time zone"] == "Europe/Lisbon (set by you)"


async def test_quiet_hours_are_stored_and_shown_in_the_members_zone(dispatcher, sqlite_db):
    nina = actor("nina")
    await dispatcher.handle(command("/profile timezone Asia/Tokyo", nina))
    (reply,) = await dispatcher.handle(command("/profile quiet 22:00-07:30", nina))
    assert "22:00-07:30 Asia/Tokyo" in _text(reply)
    row = sqlite_db.run_sync(lambda s: s.exec(select(Member)).one())
    assert (row.quiet_start, row.quiet_end) == (time(22), time(7, 30))
    await dispatcher.handle(command("/profile quiet off", nina))
    row = sqlite_db.run_sync(lambda s: s.exec(select(Member)).one())
    assert (row.quiet_start, row.quiet_end) == (None, None)


async def test_available_off_and_on_toggle_and_bare_available_reports(dispatcher, sqlite_db):
    nina = actor("nina")
    (reply,) = await dispatcher.handle(command("/available off", nina))
    assert "You are away" in _text(reply)
    assert sqlite_db.run_sync(lambda s: s.exec(select(Member)).one()).available is False
    (reply,) = await dispatcher.handle(command("/available", nina))
    assert _text(reply).startswith("You are away for questions.")
    await dispatcher.handle(command("/available on", nina))
    assert sqlite_db.run_sync(lambda s: s.exec(select(Member)).one()).available is True


async def test_routing_and_capture_opt_outs_are_stored(dispatcher, sqlite_db):
    nina = actor("nina")
    await dispatcher.handle(command("/profile routing off", nina))
    await dispatcher.handle(command("/profile capture off", nina))
    row = sqlite_db.run_sync(lambda s: s.exec(select(Member)).one())
    assert row.routing_opt_out is True and row.capture_quotes is False
    (reply,) = await dispatcher.handle(command("/profile", nina))
    assert _fields(reply)["Routed questions"] == "off (opted out)"
    assert _fields(reply)["Your words in lessons"] == "never quoted"


def _seed_history(session, workspace_key, who, other):
    ws = workspaces.get_or_create(session, "slack", workspace_key)
    me = members.get_or_create(session, ws.id, who, who)
    them = members.get_or_create(session, ws.id, other, other)
    session.add(Expertise(workspace_id=ws.id, member_id=me.id, topic="postgres", source="declared"))
    mine = Question(workspace_id=ws.id, asker_member_id=me.id, channel_id="q", text="mine?")
    theirs = Question(workspace_id=ws.id, asker_member_id=them.id, channel_id="q", text="theirs?")
    session.add_all([mine, theirs])
    session.flush()
    session.add(Answer(workspace_id=ws.id, question_id=mine.id, member_id=them.id, text="a1"))
    my_answer = Answer(workspace_id=ws.id, question_id=theirs.id, member_id=me.id, text="a2")
    session.add(my_answer)
    session.flush()
    theirs.accepted_answer_id = my_answer.id
    theirs.claimed_by_member_id = me.id
    session.add(Lesson(workspace_id=ws.id, author_member_id=me.id, title="t", learned="l"))
    post = PromptPost(workspace_id=ws.id, channel_id="c", prompt_id="p", text="p?")
    session.add(post)
    session.flush()
    session.add(ReflectionResponse(workspace_id=ws.id, post_id=post.id, member_id=me.id, text="r"))


async def test_forget_me_asks_first_then_deletes_and_says_what(dispatcher, sqlite_db):
    dispatcher.runtime.db.run_sync(_seed_history, "T1", "nina", "omar")
    nina = actor("nina")
    (ask,) = await dispatcher.handle(command("/forget-me", nina))
    listing = _text(ask)
    assert "1 expertise entry" in listing and "1 lesson you wrote" in listing
    assert ask.actions == (Action("Delete my data", "forget-me confirm", ask.actions[0].style),)
    assert sqlite_db.run_sync(lambda s: len(s.exec(select(Member)).all())) == 2  # nothing yet

    (done,) = await dispatcher.handle(command("/forget-me confirm", nina))
    assert _text(done).startswith("Done. copbot deleted:")

    def remaining(session):
        return {
            "members": [m.user_id for m in session.exec(select(Member))],
            "questions": [q.text for q in session.exec(select(Question))],
            "answers": [a.text for a in session.exec(select(Answer))],
            "lessons": session.exec(select(Lesson)).all(),
            "reflections": session.exec(select(ReflectionResponse)).all(),
            "accepted": [q.accepted_answer_id for q in session.exec(select(Question))],
            "claimed": [q.claimed_by_member_id for q in session.exec(select(Question))],
        }

    left = sqlite_db.run_sync(remaining)
    assert left["members"] == ["omar"]
    assert left["questions"] == ["theirs?"]  # her own question and its answer went
    assert left["answers"] == []  # her answer to omar's question went too
    assert left["lessons"] == [] and left["reflections"] == []
    assert left["accepted"] == [None] and left["claimed"] == [None]


async def test_forget_me_touches_only_that_workspace(dispatcher, sqlite_db):
    dispatcher.runtime.db.run_sync(_seed_history, "T1", "nina", "omar")
    dispatcher.runtime.db.run_sync(_seed_history, "T2", "nina", "omar")
    await dispatcher.handle(command("/forget-me confirm", actor("nina", workspace="T1")))
    names = sqlite_db.run_sync(
        lambda s: sorted((m.workspace_id, m.user_id) for m in s.exec(select(Member)))
    )
    assert [n for _, n in names].count("nina") == 1
    (reply,) = await dispatcher.handle(command("/forget-me", actor("nina", workspace="T2")))
    assert "1 expertise entry" in _text(reply)


async def test_forget_me_with_nothing_stored_says_so(dispatcher):
    (reply,) = await dispatcher.handle(command("/forget-me", actor("ghost")))
    assert _text(reply) == "copbot holds no personal data about you in this workspace."
    (reply,) = await dispatcher.handle(command("/forget-me confirm", actor("ghost")))
    assert _text(reply) == "copbot holds no personal data about you in this workspace."
