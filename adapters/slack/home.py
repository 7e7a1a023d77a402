"""The App Home tab, made of what the core already answers.

The core's ``home`` command when it has one; otherwise the member's open questions, expertise,
recent lessons and the community's health, each from its own command (those this copbot has),
under buttons for what members do most. A button whose command needs parameters opens a form.
"""

from __future__ import annotations

from bot.dispatch import Dispatcher
from bot.model import Action, Actor, Command, Place, Reply, Text

SECTIONS = ("questions", "questions waiting", "expertise", "lessons recent", "stats")
BUTTONS = (
    ("Ask a question", "ask"),
    ("Capture a lesson", "lesson"),
    ("Unanswered questions", "unanswered"),
    ("Reflection schedules", "prompts list"),
)


async def replies(dispatcher: Dispatcher, who: Actor, place: Place) -> list[Reply]:
    registry = dispatcher.registry
    if registry.get("home") is not None:
        names = ["home"]
    else:
        names = [name for name in SECTIONS if registry.get(name) is not None] or ["help"]
    out: list[Reply] = []
    for name in names:
        out.extend(await dispatcher.handle(Command(name=name, text="", actor=who, place=place)))
    if registry.get("home") is None:
        buttons = tuple(Action(label, cmd) for label, cmd in BUTTONS if registry.get(cmd))
        intro = Text(f"*copbot* for {who.display_name}: your questions, expertise and lessons.")
        out.insert(0, Reply(blocks=(intro,), actions=buttons))
    return out
