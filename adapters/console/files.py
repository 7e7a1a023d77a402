"""Attachments in the console: a terminal cannot show a PNG, so it is saved and its path shown."""

from __future__ import annotations

import re
from pathlib import Path

from bot.model import Attachment

DEFAULT_FOLDER = "copbot-files"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def save_attachment(folder: Path, attachment: Attachment) -> Path:
    """Write the file under ``folder`` (created if needed) without overwriting an older one."""
    folder.mkdir(parents=True, exist_ok=True)
    name = _UNSAFE.sub("-", Path(attachment.filename).name).strip(".-") or "attachment"
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    path = folder / name
    counter = 2
    while path.exists():
        path = folder / (f"{stem}-{counter}.{suffix}" if suffix else f"{stem}-{counter}")
        counter += 1
    path.write_bytes(attachment.data)
    return path.resolve()


def attachment_line(attachment: Attachment, path: Path) -> str:
    title = f"{attachment.title}: " if attachment.title else ""
    return f"    attachment: {title}{path}"
