"""Quiet hours in the member's own zone, across midnight and daylight-saving changes."""

from datetime import UTC, datetime, time

from hypothesis import assume, given
from hypothesis import strategies as st

from bot.timezones import in_quiet_hours, quiet_hours_end, resolve_timezone


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_range_crossing_midnight_is_quiet_late_and_early():
    quiet = (time(18), time(9))
    # 20:00 in Berlin (UTC+1 in winter) is 19:00 UTC
    assert in_quiet_hours(utc(2026, 1, 15, 19), "Europe/Berlin", *quiet)
    assert in_quiet_hours(utc(2026, 1, 15, 6), "Europe/Berlin", *quiet)  # 07:00 local
    assert not in_quiet_hours(utc(2026, 1, 15, 8), "Europe/Berlin", *quiet)  # 09:00 local


def test_the_same_instant_is_quiet_for_one_zone_and_not_another():
    when = utc(2026, 6, 1, 13)  # 22:00 in Tokyo, 09:00 in New York
    quiet = (time(21), time(7))
    assert in_quiet_hours(when, "Asia/Tokyo", *quiet)
    assert not in_quiet_hours(when, "America/New_York", *quiet)


def test_quiet_end_is_the_local_end_time_converted_to_utc():
    # 23:00 in New York on 2026-01-15 (UTC-5) -> quiet until 07:00 local = 12:00 UTC next day
    end = quiet_hours_end(utc(2026, 1, 16, 4), "America/New_York", time(22), time(7))
    assert end == utc(2026, 1, 16, 12)


def test_quiet_end_respects_a_dst_change_overnight():
    # Europe/Berlin springs forward on 2026-03-29: 07:00 local is 05:00 UTC that morning.
    end = quiet_hours_end(utc(2026, 3, 28, 22), "Europe/Berlin", time(22), time(7))
    assert end == utc(2026, 3, 29, 5)
    # The evening before, 07:00 local was 06:00 UTC.
    end = quiet_hours_end(utc(2026, 3, 27, 22), "Europe/Berlin", time(22), time(7))
    assert end == utc(2026, 3, 28, 6)


def test_outside_quiet_hours_the_end_is_now():
    now = utc(2026, 5, 5, 12)
    assert quiet_hours_end(now, "UTC", time(22), time(7)) == now


def test_zone_names_resolve_case_insensitively_and_junk_does_not():
    assert resolve_timezone("europe/LONDON") == "Europe/London"
    assert resolve_timezone("../../etc/passwd") is None
    assert resolve_timezone("") is None


@given(
    when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
    start=st.times(),
    end=st.times(),
)
def test_quiet_end_is_never_before_now_and_never_quiet(when, zone, start, end):
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    assume(start != end)  # an empty range is refused by the parser
    now = when.replace(tzinfo=UTC)
    end_at = quiet_hours_end(now, zone, start, end)
    assert end_at >= now
    assert not in_quiet_hours(end_at, zone, start, end)
