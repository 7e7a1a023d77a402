"""Tokens and secrets never reach a log line, whoever logs it.

copbot itself never logs a token, but libraries may at DEBUG (a request's body, an OAuth
response, a Socket Mode frame). A log record factory scrubs every record as it is created:
anything shaped like a Slack token (``xoxb-``, ``xoxp-``, ``xoxe-``, ``xapp-`` ...) and every
configured secret (signing secret, client secret) is replaced by ``[redacted]``. A factory
rather than a handler filter, so it applies to every handler, including ones added later.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
TOKEN = re.compile(r"\b(?:xox[abposer]|xapp)-[A-Za-z0-9-]+")

_installed: set[str] = set()
_pattern: re.Pattern[str] | None = None


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    text = TOKEN.sub(REDACTED, text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def protect_logs(secrets: Iterable[str] = ()) -> None:
    """Install (once) the record factory; later calls add more secrets to scrub."""
    global _pattern
    first = not _installed and _pattern is None
    _installed.update(s for s in secrets if s and len(s) >= 8)
    parts = [TOKEN.pattern, *(re.escape(s) for s in sorted(_installed, key=len, reverse=True))]
    _pattern = re.compile("|".join(parts))
    if not first:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the logger's problem, not ours
            return record
        assert _pattern is not None
        if _pattern.search(message):
            record.msg, record.args = _pattern.sub(REDACTED, message), None
        return record

    logging.setLogRecordFactory(factory)
