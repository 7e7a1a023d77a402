"""The words of routing: what the channel, the experts and the asker see.

Member-written text always travels in a Quote block, which every adapter renders inert (no
mentions, no markup), so a question containing ``@here`` or ``<!channel>`` pings nobody.
"""

from __future__ import annotations

from bot.model import Action, ActionStyle, Link, MessageRef, Quote, Reply, Text, Visibility

QUOTE_LIMIT = 1500


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def topics_label(topics: list[str]) -> str:
    return f" · {', '.join(topics)}" if topics else ""


def thread_root(
    qid: int,
    asker: str,
    text: str,
    topics: list[str],
    *,
    resolved_by: str | None = None,
    accepted: str | None = None,
) -> Reply:
    """The question as the channel sees it. Its topics travel as labels (Discord forum tags);
    once resolved the same message says so, loses its claim button and gains ``solved``."""
    if resolved_by is None:
        status = Text("Know the answer? Reply in this thread.")
        actions: tuple[Action, ...] = (Action("I'll take it", f"claim {qid}", ActionStyle.PRIMARY),)
        labels = tuple(topics)
    else:
        credit = f"; accepted answer from @{accepted}" if accepted else ""
        status = Text(f"Resolved by @{resolved_by}{credit}.")
        actions = ()
        labels = (*topics, "solved")
    return Reply(
        blocks=(
            Text(f"*Question #{qid}* from @{asker}{topics_label(topics)}"),
            Quote(clip(text)),
            status,
        ),
        actions=actions,
        visibility=Visibility.IN_CHANNEL,
        summary=f"Question #{qid} from @{asker}",
        labels=labels,
    )


def expert_dm(
    qid: int, asker: str, text: str, why: str, thread: MessageRef | None, *, reminder: bool
) -> Reply:
    opening = (
        f"Reminder: question #{qid} from @{asker} is still open."
        if reminder
        else f"@{asker} asked a question you may know about (#{qid}):"
    )
    blocks: list[Text | Quote | Link] = [Text(opening), Quote(clip(text)), Text(f"Why you: {why}.")]
    if thread is not None:
        blocks.append(Link("Thread", thread))
    return Reply(
        blocks=tuple(blocks),
        actions=(
            Action("Claim", f"claim {qid}", ActionStyle.PRIMARY),
            Action("Not me", f"decline {qid}"),
            Action("Later", f"later {qid}"),
        ),
        visibility=Visibility.DIRECT,
        summary=f"Can you help with question #{qid}?",
    )


def facilitator_dm(
    qid: int, asker: str, text: str, hours: float, thread: MessageRef | None
) -> Reply:
    blocks: list[Text | Quote | Link] = [
        Text(
            f"Nobody has claimed question #{qid} from @{asker} after the experts had "
            f"{hours:g} working hours. Can you help find someone?"
        ),
        Quote(clip(text)),
    ]
    if thread is not None:
        blocks.append(Link("Thread", thread))
    return Reply(
        blocks=tuple(blocks),
        actions=(Action("Claim", f"claim {qid}", ActionStyle.PRIMARY),),
        visibility=Visibility.DIRECT,
        summary=f"Question #{qid} needs a hand",
    )


def dm_closed(qid: int, line: str) -> Reply:
    """What an expert's DM turns into once they can no longer act on it."""
    return Reply(blocks=(Text(f"Question #{qid}: {line}"),), visibility=Visibility.DIRECT)


def answer_in_thread(qid: int, answerer: str, text: str) -> Reply:
    return Reply(
        blocks=(Quote(clip(text), author=f"@{answerer}"),),
        actions=(Action(f"Solved by @{answerer}", f"resolve {qid} @{answerer}"),),
        visibility=Visibility.IN_CHANNEL,
        summary=f"@{answerer} answered question #{qid}",
    )


def answer_to_asker(qid: int, answerer: str, text: str, thread: MessageRef | None) -> Reply:
    blocks: list[Text | Quote | Link] = [
        Text(f"@{answerer} answered your question #{qid}:"),
        Quote(clip(text, 600)),
    ]
    if thread is not None:
        blocks.append(Link("Thread", thread))
    blocks.append(Text(f"If it solved it, press the button or type /resolve {qid} @{answerer}."))
    return Reply(
        blocks=tuple(blocks),
        actions=(
            Action(f"Solved by @{answerer}", f"resolve {qid} @{answerer}", ActionStyle.PRIMARY),
        ),
        visibility=Visibility.DIRECT,
        summary=f"@{answerer} answered your question #{qid}",
    )


def thread_note(text: str) -> Reply:
    return Reply(blocks=(Text(text),), visibility=Visibility.IN_CHANNEL)
