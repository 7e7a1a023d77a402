"""When a schedule fires: the grammar facilitators type, validation, and fire times.

A schedule is stored as a standard five-field cron expression plus an IANA time zone, and turned
into an APScheduler ``CronTrigger`` *in that zone*, so 09:00 local stays 09:00 local across
daylight-saving changes (the UTC instant moves, the wall-clock hour does not).

Two traps are handled here rather than left to whoever calls APScheduler:

- APScheduler 3 numbers weekdays from Monday = 0, standard cron from Sunday = 0, so
  ``0 9 * * 1`` would post on Tuesdays. The day-of-week field is translated to day names, which
  both read the same way.
- Standard cron fires when *either* a restricted day of month or a restricted day of week
  matches; APScheduler requires both. Restricting both is refused, so no expression means one
  thing to the facilitator and another to the scheduler.

copbot posts at most once an hour, so the minute field must be a single number; an expression
that never fires (``0 9 31 2 *``) is refused too.
"""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.errors import UsageError

APS_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""APScheduler's day names in its own order (Monday first)."""
_DAY_NAMES = {
    "mon": "mon", "monday": "mon", "tue": "tue", "tues": "tue", "tuesday": "tue",
    "wed": "wed", "wednesday": "wed", "thu": "thu", "thur": "thu", "thurs": "thu",
    "thursday": "thu", "fri": "fri", "friday": "fri", "sat": "sat", "saturday": "sat",
    "sun": "sun", "sunday": "sun",
}  # fmt: skip
_LONG_NAMES = {
    "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
    "fri": "Friday", "sat": "Saturday", "sun": "Sunday",
}  # fmt: skip
# Standard cron numbers Sunday 0 (and 7) to Saturday 6.
_STD_NUMBER = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_STD_TO_APS = {number: name for name, number in _STD_NUMBER.items()}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})

EXAMPLES = '`/prompts schedule #general weekly mon 09:00`, or `cron "0 9 * * 1"`'


class ScheduleError(UsageError):
    """The schedule a facilitator typed cannot be used; the message says what to type."""


@dataclass(frozen=True, slots=True)
class ParsedWhen:
    """A schedule's timing as typed, and the words that followed it (set, zone, options)."""

    cron: str
    rest: tuple[str, ...]


def tokenize(text: str) -> list[str]:
    """Words, with "quoted phrases" kept whole (chat clients like to curl the quotes)."""
    try:
        return shlex.split(text.translate(_SMART_QUOTES))
    except ValueError:
        raise ScheduleError(
            "A quote is not closed.", 'Put the cron expression in "double quotes".'
        ) from None


def parse_when(words: list[str]) -> ParsedWhen:
    """``weekly mon 09:00``, ``weekly mon,thu 17:30``, ``daily 09:00`` or ``cron "0 9 * * 1"``."""
    if not words:
        raise ScheduleError("When should it post?", f"For example: {EXAMPLES}.")
    kind, rest = words[0].lower(), words[1:]
    if kind == "weekly":
        if len(rest) < 2:
            raise ScheduleError(
                "A weekly schedule needs a day and a time.", "For example: weekly mon 09:00."
            )
        days = _parse_days(rest[0])
        hour, minute = _parse_time(rest[1])
        return ParsedWhen(f"{minute} {hour} * * {','.join(days)}", tuple(rest[2:]))
    if kind == "daily":
        if not rest:
            raise ScheduleError("A daily schedule needs a time.", "For example: daily 09:00.")
        hour, minute = _parse_time(rest[0])
        return ParsedWhen(f"{minute} {hour} * * *", tuple(rest[1:]))
    if kind == "cron":
        if rest and len(rest[0].split()) == 5:
            return ParsedWhen(" ".join(rest[0].split()), tuple(rest[1:]))
        if len(rest) >= 5 and all(len(word.split()) == 1 for word in rest[:5]):
            return ParsedWhen(" ".join(rest[:5]), tuple(rest[5:]))
        raise ScheduleError(
            "A cron schedule needs five fields: minute hour day-of-month month day-of-week.",
            'For example: `cron "0 9 * * 1"` (Mondays at 09:00).',
        )
    raise ScheduleError(
        f"'{_clip(words[0])}' is not a schedule; use weekly, daily or cron.",
        f"For example: {EXAMPLES}.",
    )


def _parse_days(text: str) -> list[str]:
    days: list[str] = []
    for part in text.lower().split(","):
        name = _DAY_NAMES.get(part.strip())
        if name is None:
            raise ScheduleError(
                f"'{_clip(part)}' is not a day of the week.",
                "Use mon, tue, wed, thu, fri, sat, sun.",
            )
        if name not in days:
            days.append(name)
    return sorted(days, key=APS_WEEKDAYS.index)


def _parse_time(text: str) -> tuple[int, int]:
    match = _TIME.match(text.strip())
    if match is None:
        raise ScheduleError(
            f"'{_clip(text)}' is not a time of day.", "Use 24-hour time such as 09:00 or 17:30."
        )
    return int(match.group(1)), int(match.group(2))


# Cron ------------------------------------------------------------------------------------------


def check_cron(cron: str, zone: str, now: datetime) -> datetime:
    """Refuse an expression copbot cannot use; return its first fire time after ``now``."""
    fields = cron.split()
    if len(fields) != 5:
        raise ScheduleError(
            f"`{_clip(cron)}` has {len(fields)} fields; cron needs five.",
            'For example: `cron "0 9 * * 1"` (minute hour day-of-month month day-of-week).',
        )
    minute, _hour, day, _month, weekday = fields
    if not minute.isdigit() or not 0 <= int(minute) <= 59:
        raise ScheduleError(
            "copbot posts at most once an hour, so the minute must be one number (0-59).",
            'For example: `cron "0 9 * * 1"` posts Mondays at 09:00.',
        )
    if day not in ("*", "?") and weekday not in ("*", "?"):
        raise ScheduleError(
            "Restrict the day of the month or the day of the week, not both.",
            'For example: `cron "0 9 1 * *"` (the 1st) or `cron "0 9 * * 1"` (Mondays).',
        )
    first = next_fire(cron, zone, now)
    if first is None:
        raise ScheduleError(f"`{cron}` never fires.", "Check the day and month fields.")
    return first


def aps_day_of_week(field: str) -> str:
    """A standard cron day-of-week field as APScheduler day names (``1-5`` -> ``mon,...,fri``)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        part, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"'{_clip(field)}' has a bad step in the day of the week.")
            step = int(step_text)
        if part == "*":
            low, high = 0, 6
        elif "-" in part:
            first, _, last = part.partition("-")
            low, high = _std_day(first), _std_day(last, end=True)
        else:
            low = _std_day(part)
            high = 6 if step_text else low
        if low > high:
            raise ScheduleError(
                f"The day range '{_clip(part)}' runs backwards.", "Write it as two ranges: 5-6,0."
            )
        days.update(number % 7 for number in range(low, high + 1, step))
    return ",".join(name for name in APS_WEEKDAYS if _STD_NUMBER[name] in days)


def _std_day(token: str, *, end: bool = False) -> int:
    if token.isdigit() and 0 <= int(token) <= 7:
        number = int(token)
        return 0 if number == 7 and not end else number
    name = _DAY_NAMES.get(token)
    if name is None:
        raise ScheduleError(
            f"'{_clip(token)}' is not a day of the week.", "Use 0-6 (0 is Sunday) or mon-sun."
        )
    number = _STD_NUMBER[name]
    return 7 if end and number == 0 else number


@functools.lru_cache(maxsize=4096)
def trigger(cron: str, zone: str) -> CronTrigger:
    """The APScheduler trigger for a stored schedule, in its own time zone."""
    minute, hour, day, month, weekday = cron.split()
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=aps_day_of_week(weekday),
            timezone=ZoneInfo(zone),
        )
    except ValueError as error:
        raise ScheduleError(f"`{_clip(cron)}` is not a valid cron expression: {error}.") from None


def next_fire(cron: str, zone: str, after: datetime) -> datetime | None:
    """The first fire time at or after ``after`` (aware), or None if it never fires."""
    return trigger(cron, zone).get_next_fire_time(None, after)


def fire_times(cron: str, zone: str, start: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times from ``start``, for tests, previews and the bench."""
    found: list[datetime] = []
    compiled = trigger(cron, zone)
    when = compiled.get_next_fire_time(None, start)
    while when is not None and len(found) < count:
        found.append(when)
        when = compiled.get_next_fire_time(when, when + timedelta(seconds=1))
    return found


def latest_fire(cron: str, zone: str, now: datetime, lookback: timedelta) -> datetime | None:
    """The last fire time in (now - lookback, now]: the due time a running job is serving.

    APScheduler does not tell a job which due time it was started for. A job that runs at all
    runs within the grace period of that time (later ones are skipped as missed), and with
    coalescing it serves the latest one, so looking back over the grace period finds exactly
    it, the same answer in whichever process runs it.
    """
    compiled = trigger(cron, zone)
    when = compiled.get_next_fire_time(None, now - lookback)
    latest = None
    while when is not None and when <= now:
        latest = when
        when = compiled.get_next_fire_time(when, when + timedelta(seconds=1))
    return latest


# Words -----------------------------------------------------------------------------------------


def describe(cron: str) -> str:
    """``every Monday at 09:00`` for the weekly and daily forms; the expression otherwise."""
    fields = cron.split()
    if len(fields) == 5 and fields[2] == "*" and fields[3] == "*":
        minute, hour, weekday = fields[0], fields[1], fields[4]
        if minute.isdigit() and hour.isdigit():
            at = f"{int(hour):02d}:{int(minute):02d}"
            if weekday == "*":
                return f"every day at {at}"
            try:
                names = aps_day_of_week(weekday).split(",")
            except UsageError:
                names = []
            if names and names != ["*"]:
                days = [_LONG_NAMES[name] for name in names]
                listed = days[0] if len(days) == 1 else ", ".join(days[:-1]) + " and " + days[-1]
                return f"every {listed} at {at}"
    return f'`cron "{cron}"`'


def format_local(when: datetime, zone: str) -> str:
    """``Mon 9 Mar 2026, 09:00 CET``: a time as the reader's wall clock shows it."""
    local = when.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
