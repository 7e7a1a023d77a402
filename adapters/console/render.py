"""A neutral Reply as plain text lines: pure, so it is tested without a terminal."""

from __future__ import annotations

import re

from bot.model import Action, Fields, Form, Items, Link, Quote, Reply, Text

_BOLD = re.compile(r"\*([^*\n]+)\*")


def render_lines(reply: Reply) -> list[str]:
    """Each block as one or more lines; buttons as numbered lines with the command to type."""
    lines: list[str] = []
    for block in reply.blocks:
        match block:
            case Text(text=text):
                lines.extend(_plain(text).splitlines() or [""])
            case Quote(text=text, author=author):
                prefix = f"> {author}: " if author else "> "
                quoted = text.splitlines() or [""]
                lines.append(prefix + quoted[0])
                lines.extend("> " + line for line in quoted[1:])
            case Fields(pairs=pairs):
                lines.extend(f"{label}: {value}" for label, value in pairs)
            case Items(lines=items):
                lines.extend(f"- {item}" for item in items)
            case Link(label=label, ref=ref):
                where = f"#{ref.place.channel}"
                if ref.place.thread or not ref.place.is_direct:
                    where += f" thread {ref.place.thread or ref.message}"
                lines.append(f"{label}: {where}")
    lines.extend(_action_line(n, action) for n, action in enumerate(reply.actions, 1))
    if reply.form is not None:
        lines.append(_form_line(reply.form))
    return lines


def _form_line(form: Form) -> str:
    """The console has no modal: it shows the one-line syntax the form would submit."""
    fields = " | ".join(f"{f.name}: {'...' if f.required else '(optional)'}" for f in form.fields)
    return f"{form.title}: type /{form.command} {fields}"


def _plain(text: str) -> str:
    """Copbot's own *bold* markers read as noise in a terminal; Quotes are never touched.
    Inside `code` nothing is markup (a cron expression such as `0 9 * * 1` keeps its stars)."""
    parts = text.split("`")
    return "`".join(_BOLD.sub(r"\1", part) if i % 2 == 0 else part for i, part in enumerate(parts))


def _action_line(number: int, action: Action) -> str:
    return f"[{number}] {action.label}: type /{action.command}"


def tagged(tag: str, reply: Reply) -> str:
    """``[tag] first line`` then the other lines indented, as the console prints a reply."""
    lines = render_lines(reply) or [""]
    head = f"[{tag}] {lines[0]}"
    return "\n".join([head, *("    " + line for line in lines[1:])])
