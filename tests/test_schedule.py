"""Cron expressions: what is accepted, what is refused, and tick maths."""

import datetime
import zoneinfo

import pytest

from plugincron import exceptions
from plugincron.schedule import Schedule, resolve
from tests.conftest import utc


@pytest.mark.parametrize('given, resolved', [
    ('*/5 * * * *', '*/5 * * * *'),
    ('  0   2 * *   *  ', '0 2 * * *'),
    ('@hourly', '0 * * * *'),
    ('@DAILY', '0 0 * * *'),
    ('@midnight', '0 0 * * *'),
    ('@weekly', '0 0 * * 0'),
    ('@monthly', '0 0 1 * *'),
    ('@yearly', '0 0 1 1 *'),
    ('@annually', '0 0 1 1 *'),
    ('0 9 * jan-mar mon,wed', '0 9 * jan-mar mon,wed'),
    # The H of THU is a day's name, not a hash.
    ('0 9 * * THU', '0 9 * * THU'),
    ('0 9 * * MON-THU', '0 9 * * MON-THU'),
    ('0-30/10 1,2 1-15 */2 1-5', '0-30/10 1,2 1-15 */2 1-5'),
])
def test_valid(given, resolved):
    assert resolve(given) == resolved


@pytest.mark.parametrize('given, problem', [
    ('? * * * *', "bad minute field '?'"),       # StoryBoard's docs example
    ('* * * *', 'expected 5 fields'),
    ('0 * * * * *', 'expected 5 fields'),       # no seconds field in cron
    ('', 'expected 5 fields'),
    ('61 * * * *', 'Bad minute'),
    ('* 24 * * *', 'Bad hour'),
    ('0 0 L * *', "bad day of month field 'L'"),
    ('0 0 * * 5#2', "bad day of week field '5#2'"),
    ('0 0 * foo *', "bad month field 'foo'"),
    ('0 0 * * mon;rm', "bad day of week field"),
    ('0 0 30 2 *', 'Bad day-of-month'),          # never fires
    ('@reboot', 'unknown alias'),
    ('* * * * *\n* * * * * rm -rf /', 'expected 5 fields'),
    (None, 'not a string'),
])
def test_invalid(given, problem):
    with pytest.raises(exceptions.InvalidInterval) as info:
        resolve(given)
    assert problem in str(info.value)
    assert info.value.expression == given


def test_error_names_the_plugin():
    with pytest.raises(exceptions.InvalidInterval) as info:
        Schedule('? * * * *', plugin='summary-email')
    assert str(info.value).startswith("plugin 'summary-email': invalid "
                                      "interval '? * * * *'")
    assert info.value.plugin == 'summary-email'


UTC = datetime.timezone.utc


def test_previous_tick_is_at_or_before():
    every5 = Schedule('*/5 * * * *', UTC)
    assert every5.previous_tick(utc(2026, 1, 1, 10, 5)) == \
        utc(2026, 1, 1, 10, 5)
    assert every5.previous_tick(utc(2026, 1, 1, 10, 9, 59, 999999)) == \
        utc(2026, 1, 1, 10, 5)
    assert every5.next_tick(utc(2026, 1, 1, 10, 5)) == utc(2026, 1, 1, 10, 10)


def test_ticks_between():
    every15 = Schedule('*/15 * * * *', UTC)
    assert list(every15.ticks(utc(2026, 1, 1, 10, 0), utc(2026, 1, 1, 11))) \
        == [utc(2026, 1, 1, 10, m) for m in (15, 30, 45)] + \
        [utc(2026, 1, 1, 11)]


def test_evaluated_in_its_zone_reported_in_utc():
    berlin = Schedule('0 2 * * *', zoneinfo.ZoneInfo('Europe/Berlin'))
    tick = berlin.previous_tick(utc(2026, 1, 10, 12))
    assert tick == utc(2026, 1, 10, 1)  # 02:00 CET
    assert tick.tzinfo is UTC


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match='naive'):
        Schedule('* * * * *').previous_tick(datetime.datetime(2026, 1, 1))


def test_describe():
    assert Schedule('*/5 * * * *').describe() == \
        'Every fifth minute of every hour'
