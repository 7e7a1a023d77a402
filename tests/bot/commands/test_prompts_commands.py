"""/prompts and /reflect as a facilitator and a member meet them, through the dispatcher."""

import pytest
from sqlmodel import select

from bot.model import Platform, Quote, Text, Visibility
from bot.services.prompt_library import load_library
from storage.models import CustomPrompt, PromptSchedule, ReflectionResponse
from tests.fakes.commands import actor, command

FACILITATOR = actor("dan", admin=True, timezone="Europe/Berlin")
MEMBER = actor("bob")
CHANNEL = "<#C0GENERAL|general>"


def text_of(replies) -> str:
    lines = []
    for reply in replies:
        for block in reply.blocks:
            if isinstance(block, Text | Quote):
                lines.append(block.text)
            elif hasattr(block, "lines"):
                lines.extend(block.lines)
    return "\n".join(lines)


async def run(dispatcher, line, who=FACILITATOR, channel="C0GENERAL"):
    return await dispatcher.handle(command(line, who, channel=channel))


def schedules(dispatcher):
    return dispatcher.runtime.db.run_sync(
        lambda s: list(s.exec(select(PromptSchedule).order_by(PromptSchedule.id)))
    )


async def test_scheduling_confirms_the_first_post_in_the_facilitators_zone(dispatcher):
    replies = await run(dispatcher, f"/prompts schedule {CHANNEL} weekly mon 09:00")
    said = text_of(replies)
    assert "Scheduled #1: *Weekly reflection* (weekly-reflection" in said
    assert "in <#C0GENERAL>, every Monday at 09:00 Europe/Berlin (your time zone)." in said
    # The clock is Monday 09:00 UTC = 10:00 in Berlin, so the first post is next Monday.
    assert "First post: Mon 9 Mar 2026, 09:00 CET." in said
    assert [a.command for a in replies[0].actions] == ["prompts now 1", "prompts pause 1"]
    [row] = schedules(dispatcher)
    assert (row.channel_id, row.cron, row.timezone, row.status) == (
        "C0GENERAL",
        "0 9 * * mon",
        "Europe/Berlin",
        "active",
    )


async def test_a_zone_other_than_yours_shows_the_first_post_in_both(dispatcher):
    replies = await run(
        dispatcher, f'/prompts schedule {CHANNEL} cron "0 9 * * 1" retrospective America/New_York'
    )
    said = text_of(replies)
    assert "*Retrospective* (retrospective" in said
    assert "America/New_York (as you asked)" in said
    assert "First post: Mon 2 Mar 2026, 09:00 EST (Mon 2 Mar 2026, 15:00 CET your time)." in said


async def test_a_member_is_refused_and_nothing_is_scheduled(dispatcher):
    replies = await run(dispatcher, f"/prompts schedule {CHANNEL} weekly mon 09:00", MEMBER)
    assert text_of(replies) == (
        "Only facilitators can use /prompts schedule; you are a member here. "
        "Ask an admin of this workspace if you need it."
    )
    assert schedules(dispatcher) == []
    replies = await run(dispatcher, "/prompts add weekly-reflection Why?", MEMBER)
    assert text_of(replies).startswith("Only facilitators can use /prompts add")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/prompts schedule general weekly mon 09:00", "'general' is not a channel."),
        ("/prompts schedule #general weekly mon 09:00", "copbot cannot find the channel #general."),
        (f"/prompts schedule {CHANNEL} weekly mon 09:00 Mars/Olympus", "Unknown time zone"),
        (
            f"/prompts schedule {CHANNEL} weekly mon 09:00 Europe/Berln",
            "Did you mean Europe/Berlin",
        ),
        (f'/prompts schedule {CHANNEL} cron "* * * * *"', "at most once an hour"),
        (f'/prompts schedule {CHANNEL} cron "0 9 30 2 *"', "never fires"),
        (f"/prompts schedule {CHANNEL} weekly mon 09:00 gardening", "neither a prompt set"),
        (f"/prompts schedule {CHANNEL}", "needs <when...>"),
    ],
)
async def test_bad_input_gets_one_clear_line_and_nothing_is_scheduled(dispatcher, line, expected):
    replies = await run(dispatcher, line)
    assert len(replies) == 1 and expected in text_of(replies)
    assert schedules(dispatcher) == []


@pytest.mark.parametrize(
    ("platform", "mention", "stored"),
    [
        (Platform.CONSOLE, "#general", "general"),
        (Platform.SLACK, "<#C0123ABC|general>", "C0123ABC"),
        (Platform.SLACK, "<#C0123ABC>", "C0123ABC"),
        (Platform.DISCORD, "<#112233445566778899>", "112233445566778899"),
    ],
)
async def test_channel_mentions_of_every_platform(dispatcher, platform, mention, stored):
    who = actor("dan", admin=True, platform=platform, workspace=f"W-{platform.value}")
    await run(dispatcher, f"/prompts schedule {mention} daily 09:00", who)
    [row] = schedules(dispatcher)
    assert row.channel_id == stored


async def test_list_shows_each_schedule_with_its_next_post(dispatcher):
    await run(dispatcher, f"/prompts schedule {CHANNEL} weekly mon 09:00 anonymous")
    await run(dispatcher, f"/prompts schedule {CHANNEL} daily 17:30 show-and-tell UTC")
    await run(dispatcher, "/prompts pause 2")
    said = text_of(await run(dispatcher, "/prompts list", MEMBER))
    assert (
        "#1 weekly-reflection in <#C0GENERAL>: every Monday at 09:00 (Europe/Berlin); "
        "next Mon 9 Mar 2026, 09:00 CET; prompt 1 of" in said
    )
    assert "anonymous answers allowed" in said
    assert "#2 show-and-tell in <#C0GENERAL>: every day at 17:30 (UTC); paused" in said


async def test_pause_resume_cancel_and_their_refusals(dispatcher):
    await run(dispatcher, f"/prompts schedule {CHANNEL} weekly mon 09:00")
    assert "Paused #1" in text_of(await run(dispatcher, "/prompts pause 1"))
    assert text_of(await run(dispatcher, "/prompts pause 1")) == "Schedule #1 is already paused."
    said = text_of(await run(dispatcher, "/prompts resume #1"))
    assert said == "Resumed #1: the next prompt goes out Mon 9 Mar 2026, 09:00 CET."
    assert "Cancelled #1" in text_of(await run(dispatcher, "/prompts cancel 1"))
    assert "was cancelled" in text_of(await run(dispatcher, "/prompts resume 1"))
    assert "was cancelled" in text_of(await run(dispatcher, "/prompts now 1"))
    said = text_of(await run(dispatcher, "/prompts pause 7"))
    assert said.startswith("There is no reflection schedule #7 here. /prompts list shows")
    assert schedules(dispatcher)[0].status == "cancelled"


async def test_schedules_of_another_workspace_are_out_of_reach(dispatcher):
    await run(dispatcher, f"/prompts schedule {CHANNEL} weekly mon 09:00")
    stranger = actor("eve", admin=True, workspace="T2")
    assert "no reflection schedule #1" in text_of(
        await run(dispatcher, "/prompts cancel 1", stranger)
    )
    assert "No reflection prompts are scheduled" in text_of(
        await run(dispatcher, "/prompts list", stranger)
    )


async def test_now_posts_the_next_prompt_and_reflect_answers_it_in_its_thread(dispatcher):
    port = dispatcher.runtime.port
    await run(dispatcher, f"/prompts schedule {CHANNEL} weekly mon 09:00")
    said = text_of(await run(dispatcher, "/prompts now 1"))
    assert said.startswith("Posted the next prompt of #1")
    [post] = port.sent
    assert post.place.channel == "C0GENERAL" and post.reply.visibility is Visibility.IN_CHANNEL
    assert post.reply.blocks[0] == Text("*Weekly reflection*")
    assert "/reflect" in text_of([post.reply])

    said = text_of(await run(dispatcher, "/reflect Reading the plan first saved me a day.", MEMBER))
    assert said == "Thank you: your answer is in the prompt's thread."
    echo = port.sent[-1]
    assert echo.place.thread == post.ref.message
    assert echo.reply.blocks == (Quote("Reading the plan first saved me a day.", author="bob"),)
    [answer] = dispatcher.runtime.db.run_sync(lambda s: list(s.exec(select(ReflectionResponse))))
    assert (answer.anonymous, answer.message_ref) == (False, echo.ref.message)


async def test_anonymous_answers_only_where_the_schedule_allows_them(dispatcher):
    port = dispatcher.runtime.port
    await run(dispatcher, f"/prompts schedule {CHANNEL} weekly mon 09:00")
    await run(dispatcher, "/prompts now 1")
    said = text_of(await run(dispatcher, "/reflect anonymous it was me", MEMBER))
    assert "anonymous answers are off" in said
    assert len(port.sent) == 1  # nothing echoed, nothing stored
    await run(dispatcher, f"/prompts schedule {CHANNEL} weekly tue 09:00 anonymous")
    await run(dispatcher, "/prompts now 2")
    said = text_of(await run(dispatcher, "/reflect anonymous it was me", MEMBER))
    assert said == "Thank you: your answer is in the prompt's thread, without your name."
    assert port.sent[-1].reply.blocks == (Quote("it was me", author="anonymous"),)


async def test_reflect_without_a_prompt_or_text(dispatcher):
    said = text_of(await run(dispatcher, "/reflect hello", MEMBER))
    assert said.startswith("There is no reflection prompt in this channel yet.")
    await run(dispatcher, f"/prompts schedule {CHANNEL} weekly mon 09:00 anonymous")
    await run(dispatcher, "/prompts now 1")
    [reply] = await run(dispatcher, "/reflect", MEMBER)
    assert reply.form is not None and reply.form.command == "reflect"
    assert [f.name for f in reply.form.fields] == ["answer", "anonymous"]
    submitted = reply.form.to_text({"answer": "From the form", "anonymous": "yes"})
    said = text_of(await run(dispatcher, f"/reflect {submitted}", MEMBER))
    assert "without your name" in said


async def test_add_a_prompt_to_a_set_for_this_workspace(dispatcher):
    size = len(load_library()["retrospective"].prompts)
    said = text_of(
        await run(dispatcher, "/prompts add retrospective What did @here learn from the outage?")
    )
    assert said.startswith(f"Added to retrospective as custom-1; the set now has {size + 1}")
    [row] = dispatcher.runtime.db.run_sync(lambda s: list(s.exec(select(CustomPrompt))))
    assert row.set_name == "retrospective"
    assert "no prompt set 'gardening'" in text_of(
        await run(dispatcher, "/prompts add gardening Why?")
    )
    assert "cannot contain {" in text_of(await run(dispatcher, "/prompts add retrospective {x}"))


async def test_preview_shows_the_set_and_a_sample_post(dispatcher):
    replies = await run(dispatcher, "/prompts preview retrospective", MEMBER)
    assert text_of(replies[:1]).startswith("*Retrospective* (retrospective):")
    assert replies[1].blocks[0] == Text("*Retrospective*")
    assert "no prompt set 'nope'" in text_of(await run(dispatcher, "/prompts preview nope"))


async def test_mute_and_unmute_are_for_every_member(dispatcher):
    await run(dispatcher, f"/prompts schedule {CHANNEL} weekly mon 09:00 dm")
    said = text_of(await run(dispatcher, "/prompts mute 1", MEMBER))
    assert said.startswith("Muted #1 for you: copbot will not send you its prompts.")
    assert "muted by you" in text_of(await run(dispatcher, "/prompts list", MEMBER))
    said = text_of(await run(dispatcher, "/prompts unmute 1", MEMBER))
    assert said.startswith("Unmuted #1")
