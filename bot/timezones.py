"""Time zones and quiet hours: the arithmetic that keeps copbot from pinging people at night.

Quiet hours are a local wall-clock range that may cross midnight (18:00-09:00). Everything is
computed in the member's own zone with zoneinfo, so daylight-saving changes move the UTC instant
and not the local hour.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_RANGE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")


@cache
def _zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def resolve_timezone(name: str) -> str | None:
    """The canonical IANA name for ``name`` (case-insensitive), or None when there is none."""
    candidate = name.strip()
    if not candidate or len(candidate) > 64:
        return None
    canonical = _zones_by_lower().get(candidate.lower())
    if canonical is None:
        return None
    try:
        ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return canonical


def suggest_timezones(name: str, limit: int = 3) -> list[str]:
    """Close matches for a misspelt zone, e.g. ``Europe/Berln`` -> ``Europe/Berlin``."""
    import difflib

    matches = difflib.get_close_matches(name.lower(), list(_zones_by_lower()), n=limit, cutoff=0.6)
    return [_zones_by_lower()[m] for m in matches]


def parse_time_range(text: str) -> tuple[time, time] | None:
    """``18:00-09:00`` or ``18-9`` -> (start, end); None when it is not a valid range."""
    match = _RANGE.match(text)
    if not match:
        return None
    h1, m1, h2, m2 = match.groups()
    try:
        start = time(int(h1), int(m1 or 0))
        end = time(int(h2), int(m2 or 0))
    except ValueError:
        return None
    if start == end:
        return None
    return start, end


def format_time_range(start: time, end: time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def in_quiet_hours(when: datetime, zone: str, start: time, end: time) -> bool:
    """Whether the UTC instant ``when`` falls in the local range [start, end) in ``zone``."""
    local = when.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(when: datetime, zone: str, start: time, end: time) -> datetime:
    """The first instant at or after ``when`` that is outside the quiet range, in UTC.

    Used to hold a DM until the member's quiet hours end. The local end time is found on the
    member's calendar (today or tomorrow) and converted back, so it is right across DST days.
    """
    if not in_quiet_hours(when, zone, start, end):
        return when
    tz = ZoneInfo(zone)
    local = when.astimezone(tz)
    for days in (0, 1, 2):
        day = (local + timedelta(days=days)).date()
        candidate = datetime.combine(day, end, tzinfo=tz)
        # A local time skipped by a DST jump resolves forward; round-trip to a real instant.
        candidate_utc = candidate.astimezone(UTC)
        if candidate_utc > when and not in_quiet_hours(candidate_utc, zone, start, end):
            return candidate_utc
    raise AssertionError("quiet hours never end")  # unreachable: start != end


def after_awake_hours(
    start: datetime,
    hours: float,
    zone: str,
    quiet: tuple[time, time] | None,
    *,
    step: timedelta = timedelta(minutes=15),
    cap: timedelta = timedelta(days=7),
) -> datetime:
    """The instant by which a member has had ``hours`` of time outside their quiet hours,
    counting from ``start``. This is how "4 working hours" is measured for escalation: a
    question DMed at 17:00 to someone quiet from 18:00 has used one hour by then and waits
    for the rest until the morning. Walks in ``step`` increments, bounded by ``cap``."""
    if quiet is None:
        return start + timedelta(hours=hours)
    needed = timedelta(hours=hours)
    awake = timedelta(0)
    when = start
    limit = start + cap
    while awake < needed and when < limit:
        if not in_quiet_hours(when, zone, *quiet):
            awake += step
        when += step
    return when
