"""The schedule grammar and fire times: pure functions, no scheduler, no clock."""

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler import triggers
from bot.scheduler.triggers import ScheduleError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # a Sunday


def when(text: str) -> triggers.ParsedWhen:
    return triggers.parse_when(triggers.tokenize(text))


@pytest.mark.parametrize(
    ("typed", "cron", "rest"),
    [
        ("weekly mon 09:00", "0 9 * * mon", ()),
        (
            "weekly Monday 9:05 retrospective Europe/Berlin",
            "5 9 * * mon",
            ("retrospective", "Europe/Berlin"),
        ),
        ("weekly thu,mon 17:30", "30 17 * * mon,thu", ()),
        ("daily 08:15", "15 8 * * *", ()),
        ('cron "0 9 * * 1"', "0 9 * * 1", ()),
        ("cron “0 9 * * 1-5” anonymous", "0 9 * * 1-5", ("anonymous",)),
        ("cron 0 9 * * 1 dm", "0 9 * * 1", ("dm",)),
    ],
)
def test_the_forms_a_facilitator_types(typed, cron, rest):
    assert when(typed) == triggers.ParsedWhen(cron, rest)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "When should it post?"),
        ("fortnightly mon 09:00", "'fortnightly' is not a schedule"),
        ("weekly funday 09:00", "'funday' is not a day of the week"),
        ("weekly mon 25:00", "'25:00' is not a time of day"),
        ("weekly mon", "needs a day and a time"),
        ('cron "0 9 * *"', "needs five fields"),
        ('cron "0 9 * * 1', "A quote is not closed"),
    ],
)
def test_bad_timing_is_refused_with_what_to_type(typed, message):
    with pytest.raises(ScheduleError, match=message):
        when(typed)


def test_standard_cron_weekdays_mean_what_cron_means_not_what_apscheduler_3_means():
    """APScheduler 3 counts Monday as 0; cron counts Sunday as 0. 1 must be Monday."""
    assert triggers.aps_day_of_week("1") == "mon"
    assert triggers.aps_day_of_week("0") == "sun"
    assert triggers.aps_day_of_week("7") == "sun"
    assert triggers.aps_day_of_week("1-5") == "mon,tue,wed,thu,fri"
    assert triggers.aps_day_of_week("5-7") == "fri,sat,sun"
    assert triggers.aps_day_of_week("*/2") == "tue,thu,sat,sun"  # 0,2,4,6
    assert triggers.aps_day_of_week("sun,sat") == "sat,sun"
    first = triggers.next_fire("0 9 * * 1", "UTC", NOW)
    assert first is not None and first.strftime("%a %H:%M") == "Mon 09:00"


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("* 9 * * 1", "at most once an hour"),
        ("*/5 * * * *", "at most once an hour"),
        ("0,30 9 * * 1", "at most once an hour"),
        ("0 9 31 2 *", "never fires"),
        ("0 9 1 * 1", "not both"),
        ("0 25 * * 1", "not a valid cron expression"),
        ("0 9 * * 3-1", "runs backwards"),
    ],
)
def test_cron_that_fires_too_often_never_or_ambiguously_is_refused(cron, message):
    with pytest.raises(ScheduleError, match=message):
        triggers.check_cron(cron, "UTC", NOW)


def test_hourly_is_the_most_often_allowed():
    first = triggers.check_cron("0 * * * *", "UTC", NOW)
    assert first == NOW


@pytest.mark.parametrize(
    ("zone", "start", "offsets"),
    [
        # New York: EST (-5) until 8 March 2026, EDT (-4) after
        ("America/New_York", datetime(2026, 3, 1, tzinfo=UTC), [-5, -4, -4]),
        # Berlin: CET (+1) until 29 March 2026, CEST (+2) after
        ("Europe/Berlin", datetime(2026, 3, 22, tzinfo=UTC), [1, 2, 2]),
        # Sydney: AEDT (+11) until 5 April 2026, AEST (+10) after
        ("Australia/Sydney", datetime(2026, 3, 28, tzinfo=UTC), [11, 10, 10]),
    ],
)
def test_next_fire_times_keep_local_nine_oclock_across_daylight_saving(zone, start, offsets):
    times = triggers.fire_times("0 9 * * mon", zone, start, 3)
    local = [t.astimezone(ZoneInfo(zone)) for t in times]
    assert [(t.strftime("%a"), t.hour, t.minute) for t in local] == [("Mon", 9, 0)] * 3
    assert [t.utcoffset() // timedelta(hours=1) for t in local] == offsets
    assert [(b - a).days for a, b in itertools.pairwise(local)] == [7, 7]


def test_exactly_one_fire_per_local_week_over_a_whole_year():
    for zone in ("America/New_York", "Europe/Berlin", "Australia/Sydney"):
        times = triggers.fire_times("0 9 * * mon", zone, datetime(2026, 1, 1, tzinfo=UTC), 53)
        weeks = [t.astimezone(ZoneInfo(zone)).isocalendar()[:2] for t in times]
        assert len(weeks) == len(set(weeks)) == 53


def test_latest_fire_is_the_due_time_a_late_job_serves():
    lookback = timedelta(hours=6)
    monday_9_berlin = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    late = monday_9_berlin + timedelta(hours=5)
    assert triggers.latest_fire("0 9 * * mon", "Europe/Berlin", late, lookback) == monday_9_berlin
    too_late = monday_9_berlin + timedelta(hours=7)
    assert triggers.latest_fire("0 9 * * mon", "Europe/Berlin", too_late, lookback) is None
    hourly = triggers.latest_fire("0 * * * *", "UTC", late + timedelta(minutes=10), lookback)
    assert hourly == late


def test_schedules_read_as_words():
    assert triggers.describe("0 9 * * mon") == "every Monday at 09:00"
    assert triggers.describe("30 17 * * mon,thu") == "every Monday and Thursday at 17:30"
    assert triggers.describe("15 8 * * *") == "every day at 08:15"
    assert triggers.describe("0 9 1 * *") == '`cron "0 9 1 * *"`'
    assert triggers.format_local(datetime(2026, 3, 9, 13, 0, tzinfo=UTC), "America/New_York") == (
        "Mon 9 Mar 2026, 09:00 EDT"
    )
