"""What a message in a thread means, decided once in the core for every platform."""

from sqlmodel import select

from bot.model import MessageId, Place
from bot.services.thread_messages import on_reaction, on_thread_message
from storage.models import Answer, PromptPost, ReflectionResponse, Workspace
from tests.fakes.commands import actor, command
from tests.fakes.community import Community, reply_text


def _town(dispatcher, port) -> Community:
    return Community(dispatcher, port)


async def _asked(town: Community) -> Place:
    await town.run("bob", "/expertise add postgres")
    await town.run("alice", "/ask [postgres] why does vacuum stall?")
    root = town.port.sent[0]
    return Place(root.place.workspace, root.place.channel, thread=root.ref.message)


async def test_a_reply_in_a_question_thread_is_an_answer(dispatcher, port, sqlite_db):
    town = _town(dispatcher, port)
    thread = await _asked(town)
    out = await on_thread_message(dispatcher.runtime, actor("bob"), thread, "idle txns", "m1")
    assert out == []
    answers = sqlite_db.run_sync(lambda s: [a.text for a in s.exec(select(Answer))])
    assert answers == ["idle txns"]
    assert any("@bob answered your question #1" in reply_text(r) for r in town.dms_to("alice"))


async def test_the_askers_thanks_offers_solved_once_and_to_them_only(dispatcher, port):
    town = _town(dispatcher, port)
    thread = await _asked(town)
    await on_thread_message(dispatcher.runtime, actor("bob"), thread, "idle txns", "m1")
    sent_before = len(port.sent)
    offer = await on_thread_message(
        dispatcher.runtime, actor("alice"), thread, "thanks, that worked!", "m2"
    )
    assert len(offer) == 1 and any("resolve 1" in a.command for a in offer[0].actions)
    assert len(port.sent) == sent_before  # nobody else hears about it
    again = await on_thread_message(dispatcher.runtime, actor("alice"), thread, "thanks!", "m3")
    assert again == []


async def test_the_askers_check_mark_reaction_offers_solved(dispatcher, port):
    town = _town(dispatcher, port)
    thread = await _asked(town)
    assert await on_reaction(dispatcher.runtime, actor("bob"), thread, "✅") == []
    offer = await on_reaction(dispatcher.runtime, actor("alice"), thread, "white_check_mark")
    assert len(offer) == 1


async def test_a_reply_in_a_prompt_thread_is_a_reflection_answer(dispatcher, sqlite_db):
    await dispatcher.handle(command("/available on", actor("carol")))  # the workspace exists

    def post(session):
        ws = session.exec(select(Workspace)).one()
        row = PromptPost(
            workspace_id=ws.id, channel_id="general", prompt_id="p1", text="What?", message_ref="77"
        )
        session.add(row)

    sqlite_db.run_sync(post)
    who = actor("carol")
    place = Place(who.workspace, "general", thread=MessageId("77"))
    assert await on_thread_message(dispatcher.runtime, who, place, "I learned X", "m9") == []
    texts = sqlite_db.run_sync(lambda s: [r.text for r in s.exec(select(ReflectionResponse))])
    assert texts == ["I learned X"]


async def test_chat_in_any_other_thread_stores_nothing(dispatcher, sqlite_db):
    who = actor("carol")
    place = Place(who.workspace, "random", thread=MessageId("5"))
    assert await on_thread_message(dispatcher.runtime, who, place, "lunch?", "m1") == []
    assert sqlite_db.run_sync(lambda s: s.exec(select(Answer)).all()) == []
    assert sqlite_db.run_sync(lambda s: s.exec(select(ReflectionResponse)).all()) == []


async def test_a_check_mark_on_the_answer_itself_finds_its_question(dispatcher, port):
    town = _town(dispatcher, port)
    thread = await _asked(town)
    await on_thread_message(dispatcher.runtime, actor("bob"), thread, "idle txns", "m42")
    channel_only = Place(thread.workspace, thread.channel)  # as Slack names a reaction's target
    offer = await on_reaction(dispatcher.runtime, actor("alice"), channel_only, "✅", "m42")
    assert len(offer) == 1
    elsewhere = await on_reaction(dispatcher.runtime, actor("alice"), channel_only, "✅", "m-other")
    assert elsewhere == []
