"""The window planner, free of I/O: what is due at a given time."""

import datetime

import pytest

from plugincron import windows
from plugincron.schedule import Schedule
from plugincron.windows import Window, plan
from tests.conftest import utc

UTC = datetime.timezone.utc
EVERY5 = Schedule('*/5 * * * *', UTC)
HOURLY = Schedule('@hourly', UTC)


def test_first_window_is_one_interval_never_1970():
    result = plan(EVERY5, None, utc(2026, 1, 1, 10, 7, 30))
    assert result.runs == [Window(utc(2026, 1, 1, 10, 0),
                                  utc(2026, 1, 1, 10, 5))]


def test_window_ends_on_the_latest_tick_not_the_wall_clock():
    a = plan(EVERY5, utc(2026, 1, 1, 10, 0), utc(2026, 1, 1, 10, 5, 0))
    b = plan(EVERY5, utc(2026, 1, 1, 10, 0), utc(2026, 1, 1, 10, 9, 59))
    assert a.runs == b.runs == [Window(utc(2026, 1, 1, 10, 0),
                                       utc(2026, 1, 1, 10, 5))]


def test_up_to_date():
    result = plan(EVERY5, utc(2026, 1, 1, 10, 5), utc(2026, 1, 1, 10, 9))
    assert (result.runs, result.idle_reason) == ([], windows.UP_TO_DATE)


def test_clock_went_backwards():
    result = plan(EVERY5, utc(2026, 1, 1, 10, 5), utc(2026, 1, 1, 10, 4))
    assert (result.runs, result.idle_reason) == ([], windows.CLOCK_BACKWARDS)


def test_coalesce_one_window_over_missed_ticks():
    result = plan(HOURLY, utc(2026, 1, 1, 6), utc(2026, 1, 1, 10, 30))
    assert result.runs == [Window(utc(2026, 1, 1, 6), utc(2026, 1, 1, 10))]
    assert result.missed == []


def test_each_one_run_per_missed_tick_oldest_first():
    result = plan(HOURLY, utc(2026, 1, 1, 6), utc(2026, 1, 1, 9, 30),
                  policy='each')
    assert result.runs == [Window(utc(2026, 1, 1, h), utc(2026, 1, 1, h + 1))
                           for h in (6, 7, 8)]


def test_each_after_a_schedule_change_starts_at_the_committed_end():
    result = plan(HOURLY, utc(2026, 1, 1, 6, 20), utc(2026, 1, 1, 8, 30),
                  policy='each')
    assert result.runs == [Window(utc(2026, 1, 1, 6, 20), utc(2026, 1, 1, 7)),
                           Window(utc(2026, 1, 1, 7), utc(2026, 1, 1, 8))]


def test_skip_runs_the_latest_interval_and_records_the_rest():
    result = plan(HOURLY, utc(2026, 1, 1, 6), utc(2026, 1, 1, 10, 30),
                  policy='skip')
    assert result.runs == [Window(utc(2026, 1, 1, 9), utc(2026, 1, 1, 10))]
    assert result.missed == [Window(utc(2026, 1, 1, 6), utc(2026, 1, 1, 9))]
    assert result.missed_reason == 'catch-up policy skip'


def test_skip_with_nothing_missed_is_a_plain_run():
    result = plan(HOURLY, utc(2026, 1, 1, 9), utc(2026, 1, 1, 10, 30),
                  policy='skip')
    assert result.runs == [Window(utc(2026, 1, 1, 9), utc(2026, 1, 1, 10))]
    assert result.missed == []


@pytest.mark.parametrize('policy', ['coalesce', 'each'])
def test_max_catchup_records_older_time_as_missed(policy):
    result = plan(HOURLY, utc(2026, 1, 1, 0), utc(2026, 1, 1, 10, 30),
                  policy=policy, max_catchup=datetime.timedelta(hours=2))
    assert result.missed == [Window(utc(2026, 1, 1, 0), utc(2026, 1, 1, 8))]
    starts = [w.start for w in result.runs]
    assert starts[0] == utc(2026, 1, 1, 8)
    assert result.runs[-1].end == utc(2026, 1, 1, 10)


def test_missed_and_runs_tile_time():
    committed = utc(2026, 1, 1, 0, 3)
    for policy in windows.POLICIES:
        result = plan(EVERY5, committed, utc(2026, 1, 1, 2, 1), policy=policy,
                      max_catchup=datetime.timedelta(minutes=50))
        spans = result.missed + result.runs
        assert spans[0].start == committed
        for before, after in zip(spans, spans[1:]):
            assert before.end == after.start
        assert spans[-1].end == utc(2026, 1, 1, 2, 0)


def test_unknown_policy():
    with pytest.raises(ValueError, match='unknown catch-up policy'):
        plan(EVERY5, None, utc(2026, 1, 1), policy='sometimes')
