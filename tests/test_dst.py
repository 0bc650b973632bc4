"""Daylight saving days, checked against what Debian's cron does.

Debian cron's rule (cronsim follows it): a job at a fixed time (no
wildcard in the minute and hour fields) that falls into the hour skipped
when clocks spring forward runs right after the jump; one that falls into
the hour repeated when clocks fall back runs once, on the first pass.
Jobs with a wildcard hour follow the wall clock: every tick that exists
in UTC fires once.  Windows are UTC, so whatever the zone they must still
tile time.
"""

import datetime
import zoneinfo

import pytest

from plugincron import windows
from plugincron.schedule import Schedule

UTC = datetime.timezone.utc
BERLIN = zoneinfo.ZoneInfo('Europe/Berlin')
NEW_YORK = zoneinfo.ZoneInfo('America/New_York')

# (zone, local day, {expression: the one local fire time that day})
DAYS = [
    # 2026-03-29: Berlin springs from 02:00 CET to 03:00 CEST.
    (BERLIN, datetime.date(2026, 3, 29),
     {'0 2 * * *': '2026-03-29T03:00:00+02:00',    # skipped: right after
      '30 1 * * *': '2026-03-29T01:30:00+01:00'}),
    # 2026-10-25: Berlin falls back from 03:00 CEST to 02:00 CET.
    (BERLIN, datetime.date(2026, 10, 25),
     {'0 2 * * *': '2026-10-25T02:00:00+02:00',    # repeated: once, first
      '30 1 * * *': '2026-10-25T01:30:00+02:00'}),
    # 2026-03-08: New York springs from 02:00 EST to 03:00 EDT.
    (NEW_YORK, datetime.date(2026, 3, 8),
     {'0 2 * * *': '2026-03-08T03:00:00-04:00',    # skipped: right after
      '30 1 * * *': '2026-03-08T01:30:00-05:00'}),
    # 2026-11-01: New York falls back from 02:00 EDT to 01:00 EST.
    (NEW_YORK, datetime.date(2026, 11, 1),
     {'0 2 * * *': '2026-11-01T02:00:00-05:00',
      '30 1 * * *': '2026-11-01T01:30:00-04:00'}),  # repeated: once, first
]


def _day_bounds(tz, day):
    start = datetime.datetime.combine(day, datetime.time(), tz)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1),
                                    datetime.time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _drive(schedule, start, end, step=datetime.timedelta(minutes=5)):
    """The windows a runner fired every ``step`` from ``start`` to ``end``
    would run, committing each."""
    committed, runs = None, []
    now = start
    while now <= end:
        result = windows.plan(schedule, committed, now)
        assert not result.missed
        for window in result.runs:
            runs.append(window)
            committed = window.end
        now += step
    return runs


def _assert_tiled(runs):
    for before, after in zip(runs, runs[1:]):
        assert before.end == after.start, (before, after)
    for window in runs:
        assert window.start < window.end


@pytest.mark.parametrize('tz, day, expected', DAYS,
                         ids=lambda v: str(v) if isinstance(
                             v, datetime.date) else None)
@pytest.mark.parametrize('expression', ['0 2 * * *', '30 1 * * *'])
def test_daily_job_gets_one_window_per_day(tz, day, expected, expression):
    schedule = Schedule(expression, tz)
    day_start, day_end = _day_bounds(tz, day)
    ticks = list(schedule.ticks(day_start - datetime.timedelta(seconds=1),
                                day_end - datetime.timedelta(seconds=1)))
    assert [t.astimezone(tz).isoformat() for t in ticks] == \
        [expected[expression]]
    runs = _drive(schedule, day_start - datetime.timedelta(days=1),
                  day_end + datetime.timedelta(days=1))
    _assert_tiled(runs)
    ends = [w.end for w in runs if day_start <= w.end < day_end]
    assert ends == ticks  # one window ends that day, on the DST-aware tick
    around = [w for w in runs if w.end in ticks or w.start in ticks]
    for window in around:  # the day's windows are about a day long
        hours = (window.end - window.start) / datetime.timedelta(hours=1)
        assert 22.5 <= hours <= 25.5


@pytest.mark.parametrize('tz, day, expected', DAYS,
                         ids=lambda v: str(v) if isinstance(
                             v, datetime.date) else None)
def test_quarter_hourly_job_follows_the_wall_clock(tz, day, expected):
    schedule = Schedule('*/15 * * * *', tz)
    day_start, day_end = _day_bounds(tz, day)
    runs = _drive(schedule, day_start, day_end,
                  step=datetime.timedelta(minutes=1))
    _assert_tiled(runs)
    # In UTC every window is a quarter of an hour: the skipped hour has no
    # ticks and the repeated hour has its own, so a 23-hour day has 92
    # windows and a 25-hour day 100.
    assert {w.end - w.start for w in runs} == {datetime.timedelta(
        minutes=15)}
    in_day = [w for w in runs if w.end > day_start]  # first run: one before
    assert len(in_day) == (day_end - day_start) / datetime.timedelta(
        minutes=15)


@pytest.mark.parametrize('tz, day, expected', DAYS,
                         ids=lambda v: str(v) if isinstance(
                             v, datetime.date) else None)
@pytest.mark.parametrize('expression', ['0 2 * * *', '30 1 * * *',
                                        '*/15 * * * *', '*/7 1-3 * * *'])
def test_previous_and_next_tick_agree_with_forward_ticks(tz, day, expected,
                                                         expression):
    # cronsim's reverse search alone answers ticks of the repeated hour's
    # first pass while in its second; Schedule must not.
    schedule = Schedule(expression, tz)
    day_start, day_end = _day_bounds(tz, day)
    reference = list(schedule.ticks(day_start - datetime.timedelta(days=2),
                                    day_end + datetime.timedelta(days=2)))
    now = day_start
    while now < day_end:
        assert schedule.previous_tick(now) == max(
            t for t in reference if t <= now), now
        assert schedule.next_tick(now) == min(
            t for t in reference if t > now), now
        now += datetime.timedelta(minutes=4)
