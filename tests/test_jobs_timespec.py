"""Times, durations and schedules typed for dynamic jobs.

``now`` is fixed at Monday 2026-11-23 10:00 UTC, which is 11:00 in
Berlin (CET, +01:00).  The DST cases use 2027: Berlin springs forward on
2027-03-28 (02:00 -> 03:00) and falls back on 2027-10-31 (03:00 -> 02:00).
"""

import datetime
import zoneinfo

import pytest

from plugincron import exceptions, schedule
from plugincron.jobs import timespec
from plugincron.jobs.timespec import BadTimeSpec, Cron, Every

UTC = datetime.timezone.utc
BERLIN = zoneinfo.ZoneInfo('Europe/Berlin')
NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def utc(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


def td(**kw):
    return datetime.timedelta(**kw)


@pytest.mark.parametrize('text, expected', [
    ('30s', td(seconds=30)),
    ('5m', td(minutes=5)),
    ('1h', td(hours=1)),
    ('1d', td(days=1)),
    ('2w', td(weeks=2)),
    ('90s', td(seconds=90)),
    ('1h30m', td(minutes=90)),
    ('30m1h', td(minutes=90)),
    ('1d2h3m4s', td(days=1, hours=2, minutes=3, seconds=4)),
    ('  1H30M\t', td(minutes=90)),
    ('5M', td(minutes=5)),
])
def test_parse_duration(text, expected):
    assert timespec.parse_duration(text) == expected


@pytest.mark.parametrize('text, fragment', [
    ('90', 'a bare number is ambiguous; add a unit, e.g. 90s or 90m'),
    ('5x', "invalid duration '5x': expected e.g. 30s, 5m, 1h, 1d"),
    ('0s', 'must be positive'),
    ('0h0m', 'must be positive'),
    ('-5m', 'must be positive'),
    ('', 'invalid duration'),
    ('   ', 'invalid duration'),
    ('h', 'invalid duration'),
    ('1.5h', 'invalid duration'),
    ('1h 30m', 'invalid duration'),
    ('5mm', 'invalid duration'),
    ('1ms', 'invalid duration'),
    ('1h1h', 'a unit is given twice'),
    ('99999999999w', 'too large'),
    (None, 'not a string'),
])
def test_parse_duration_refused(text, fragment):
    with pytest.raises(BadTimeSpec, match=fragment) as info:
        timespec.parse_duration(text)
    assert info.value.text == text
    assert '\n' not in str(info.value)


@pytest.mark.parametrize('text, tz, expected', [
    # Relative.
    ('now', BERLIN, '2026-11-23T10:00:00Z'),
    (' NOW ', UTC, '2026-11-23T10:00:00Z'),
    ('+0s', UTC, '2026-11-23T10:00:00Z'),
    ('+30s', UTC, '2026-11-23T10:00:30Z'),
    ('+10m', BERLIN, '2026-11-23T10:10:00Z'),
    ('+6h', UTC, '2026-11-23T16:00:00Z'),
    ('+2d', BERLIN, '2026-11-25T10:00:00Z'),
    ('+1h30m', UTC, '2026-11-23T11:30:00Z'),
    # Wall time of day in tz: today if still ahead, else tomorrow.
    ('15:30', BERLIN, '2026-11-23T14:30:00Z'),
    ('15:30', UTC, '2026-11-23T15:30:00Z'),
    ('15:30:45', BERLIN, '2026-11-23T14:30:45Z'),
    ('15:30:45.25', UTC, '2026-11-23T15:30:45.250000Z'),
    ('9:05', UTC, '2026-11-24T09:05:00Z'),
    ('10:30', BERLIN, '2026-11-24T09:30:00Z'),   # 10:30 CET already gone
    ('10:30', UTC, '2026-11-23T10:30:00Z'),
    ('10:00', UTC, '2026-11-23T10:00:00Z'),      # exactly now: not past
    ('11:00', BERLIN, '2026-11-23T10:00:00Z'),
    ('00:00', BERLIN, '2026-11-23T23:00:00Z'),
    # Time of day with its own offset.
    ('15:30Z', BERLIN, '2026-11-23T15:30:00Z'),
    ('15:30:00Z', BERLIN, '2026-11-23T15:30:00Z'),
    ('15:30z', UTC, '2026-11-23T15:30:00Z'),
    ('15:30+02:00', UTC, '2026-11-23T13:30:00Z'),
    ('15:30 -0500', UTC, '2026-11-23T20:30:00Z'),
    ('09:00Z', BERLIN, '2026-11-24T09:00:00Z'),
    ('01:00+14:00', UTC, '2026-11-23T11:00:00Z'),  # now is 00:00 there
    # Full ISO 8601.
    ('2026-11-23T15:30:00+01:00', UTC, '2026-11-23T14:30:00Z'),
    ('2026-11-23T15:30:00Z', BERLIN, '2026-11-23T15:30:00Z'),
    ('2026-11-23t15:30:00z', BERLIN, '2026-11-23T15:30:00Z'),
    ('2026-11-23T15:30:00.5Z', BERLIN, '2026-11-23T15:30:00.500000Z'),
    ('2026-11-23T15:30:00+0130', UTC, '2026-11-23T14:00:00Z'),
    ('2026-11-23 15:30', BERLIN, '2026-11-23T14:30:00Z'),
    ('2026-11-23 15:30', UTC, '2026-11-23T15:30:00Z'),
    ('2026-11-23T15:30:00', BERLIN, '2026-11-23T14:30:00Z'),
    ('2026-11-24', BERLIN, '2026-11-23T23:00:00Z'),
    ('2026-11-24', UTC, '2026-11-24T00:00:00Z'),
    ('2027-07-01T12:00', BERLIN, '2027-07-01T10:00:00Z'),  # CEST
    # DST: fold=0 through UTC.  Gap: 02:30 does not exist, read with the
    # offset before the jump, i.e. 03:30 CEST.  Fold: the first pass.
    ('2027-03-28T02:30', BERLIN, '2027-03-28T01:30:00Z'),
    ('2027-10-31T02:30', BERLIN, '2027-10-31T00:30:00Z'),
    # Unix timestamps.
    ('1795500000', BERLIN, '2026-11-24T06:00:00Z'),
    ('1795500000.5', UTC, '2026-11-24T06:00:00.500000Z'),
    ('1795500000.1234567', UTC, '2026-11-24T06:00:00.123456Z'),
    ('17955000000', UTC, '2538-12-21T12:00:00Z'),
])
def test_parse_when(text, tz, expected):
    result = timespec.parse_when(text, NOW, tz)
    assert result == utc(expected)
    assert result.tzinfo is UTC
    assert timespec.format_utc(result) == expected


def test_parse_when_now_in_another_zone():
    now = NOW.astimezone(BERLIN)
    result = timespec.parse_when('+1m', now, BERLIN)
    assert result == utc('2026-11-23T10:01:00Z') and result.tzinfo is UTC


@pytest.mark.parametrize('text, expected', [
    ('2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z'),
    ('1795000000', '2026-11-18T11:06:40Z'),
    ('15.5', '1970-01-01T00:00:15.500000Z'),
])
def test_parse_when_allow_past(text, expected):
    assert timespec.parse_when(text, NOW, UTC, allow_past=True) == \
        utc(expected)


@pytest.mark.parametrize('text, message', [
    ('2020-01-01T00:00:00Z', "time '2020-01-01T00:00:00Z' is in the past "
                             "(now 2026-11-23T10:00:00Z)"),
    ('2026-11-23T10:59', 'in the past'),          # Berlin: 09:59 UTC
    ('1795000000', 'in the past'),
    ('2026-11-23T09:59:59.999999Z', 'in the past'),
])
def test_parse_when_past(text, message):
    with pytest.raises(BadTimeSpec) as info:
        timespec.parse_when(text, NOW, BERLIN)
    assert message in str(info.value)
    assert info.value.reason == 'in the past'
    assert info.value.text == text


@pytest.mark.parametrize('text, fragment', [
    ('', "invalid time '': empty"),
    ('   ', 'empty'),
    ('garbage', "invalid time 'garbage': expected now, +DURATION"),
    ('tomorrow', 'ISO 8601'),
    ('-5m', 'expected now'),
    ('10:99', "invalid time '10:99': minute must be 0..59"),
    ('24:00', 'hour must be 0..23'),
    ('10:00:60', 'second must be 0..59'),
    ('10:0', 'expected now'),
    ('2026-11-23T10:99', 'minute must be 0..59'),
    ('2026-02-30', 'day is out of range for month'),
    ('2026-13-01', 'month must be in 1..12'),
    ('15:30+25:00', "bad UTC offset '+25:00'"),
    ('2026-11-23T15:30+01:60', 'bad UTC offset'),
    ('1530', "did you mean '15:30'"),
    ('930', "did you mean '9:30'"),
    ('42', 'a bare number is ambiguous'),
    ('2599', 'a bare number is ambiguous'),
    ('12345678', 'a bare number is ambiguous'),
    ('+5x', "invalid time '+5x': expected e.g. 30s, 5m, 1h, 1d"),
    ('+5', 'a bare number is ambiguous'),
    ('+', 'expected e.g. 30s'),
    ('+1h1h', 'a unit is given twice'),
    ('+99999999999w', 'too large'),
    ('999999999999999999', 'timestamp out of range'),
    ('20261123', 'a bare number is ambiguous'),
    (None, 'not a string'),
])
def test_parse_when_refused(text, fragment):
    with pytest.raises(BadTimeSpec) as info:
        timespec.parse_when(text, NOW, BERLIN, allow_past=True)
    assert fragment in str(info.value)
    assert info.value.text == text
    assert '\n' not in str(info.value)


def test_parse_when_naive_now_is_a_bug():
    with pytest.raises(ValueError):
        timespec.parse_when('now', NOW.replace(tzinfo=None), UTC)


def test_bad_time_spec_is_a_plugincron_error():
    with pytest.raises(exceptions.PluginCronError):
        timespec.parse_duration('nope')


@pytest.mark.parametrize('text, name, expected', [
    ('5m', None, Every(td(minutes=5))),
    ('30s', None, Every(td(seconds=30))),
    ('1h', 'job', Every(td(hours=1))),
    ('1d', None, Every(td(days=1))),
    (' 1h30m ', None, Every(td(minutes=90))),
    ('*/5 * * * *', None, Cron('*/5 * * * *', '*/5 * * * *')),
    ('  0 9 * * 1-5 ', None, Cron('0 9 * * 1-5', '0 9 * * 1-5')),
    ('@hourly', None, Cron('0 * * * *', '@hourly')),
    ('@DAILY', None, Cron('0 0 * * *', '@DAILY')),
    ('@weekly', 'job', Cron('0 0 * * 0', '@weekly')),
    ('0 9 * * THU', None, Cron('0 9 * * THU', '0 9 * * THU')),
    ('0 9 * * MON-THU', None, Cron('0 9 * * MON-THU', '0 9 * * MON-THU')),
    ('H * * * *', 'backup',
     Cron(schedule.resolve('H * * * *', seed='backup'), 'H * * * *')),
    ('H H * * *', 'backup',
     Cron(schedule.resolve('H H * * *', seed='backup'), 'H H * * *')),
    ('H/15 * * * THU', 'backup',
     Cron(schedule.resolve('H/15 * * * THU', seed='backup'),
          'H/15 * * * THU')),
])
def test_parse_every(text, name, expected):
    assert timespec.parse_every(text, name) == expected


def test_parse_every_h_depends_on_the_name():
    one = timespec.parse_every('H H * * *', 'a').expression
    assert 'H' not in one
    assert one == timespec.parse_every('H H * * *', 'a').expression
    assert {timespec.parse_every('H H * * *', n).expression
            for n in 'abcdefgh'} != {one}


@pytest.mark.parametrize('text, name, fragment', [
    ('H * * * *', None, "invalid schedule 'H * * * *': H needs a job name"),
    ('0 H(0-5) * * *', None, 'H needs a job name'),
    ('H(0-99) * * * *', 'job', 'H range must be within 0-59'),
    ('@reboot', 'job', '@reboot is not a periodic schedule'),
    ('@bogus', None, 'unknown alias'),
    ('* * *', None, 'expected 5 fields'),
    ('* * * * * *', None, 'expected 5 fields'),
    ('61 * * * *', None, 'Bad minute'),
    ('0 0 * * 0L', None, "bad day of week field '0L'"),
    ('0 0 30 2 *', None, "invalid schedule '0 0 30 2 *'"),
    ('90', None, 'a bare number is ambiguous'),
    ('5x', None, "invalid schedule '5x': expected e.g. 30s, 5m, 1h, 1d"),
    ('*/5', None, "or a cron expression such as '*/5 * * * *' or @hourly"),
    ('0s', None, 'must be positive'),
    ('', None, 'empty'),
    (None, None, 'not a string'),
])
def test_parse_every_refused(text, name, fragment):
    with pytest.raises(BadTimeSpec) as info:
        timespec.parse_every(text, name)
    assert fragment in str(info.value)
    assert info.value.text == text


@pytest.mark.parametrize('period, anchor, after, expected', [
    # No drift: counted from the anchor, not from ``after``.
    (td(minutes=5), '2026-11-23T10:00:00Z', '2026-11-23T10:07:13Z',
     '2026-11-23T10:10:00Z'),
    (td(minutes=5), '2026-11-23T10:00:00Z', '2026-11-23T10:10:00Z',
     '2026-11-23T10:15:00Z'),
    (td(minutes=5), '2026-11-23T10:00:00Z', '2026-11-23T10:00:00Z',
     '2026-11-23T10:05:00Z'),
    (td(minutes=5), '2026-11-23T10:00:00Z', '2026-11-23T09:00:00Z',
     '2026-11-23T10:05:00Z'),                    # k >= 1
    (td(hours=1), '2026-11-23T10:00:00.5Z', '2026-11-25T03:59:59Z',
     '2026-11-25T04:00:00.500000Z'),
    (td(days=1), '2027-03-27T12:00:00Z', '2027-03-28T00:00:00Z',
     '2027-03-28T12:00:00Z'),                    # UTC: DST does not apply
])
def test_every_next_after(period, anchor, after, expected):
    result = Every(period).next_after(utc(anchor), utc(after))
    assert result == utc(expected) and result.tzinfo is UTC


@pytest.mark.parametrize('expression, tz, after, expected', [
    ('*/5 * * * *', UTC, '2026-11-23T10:07:13Z', '2026-11-23T10:10:00Z'),
    ('*/5 * * * *', UTC, '2026-11-23T10:10:00Z', '2026-11-23T10:15:00Z'),
    ('0 9 * * *', BERLIN, '2026-11-23T10:00:00Z', '2026-11-24T08:00:00Z'),
    ('0 9 * * *', UTC, '2026-11-23T08:00:00Z', '2026-11-23T09:00:00Z'),
    # 02:30 is skipped on 2027-03-28: runs right after the jump (03:00).
    ('30 2 * * *', BERLIN, '2027-03-27T12:00:00Z', '2027-03-28T01:00:00Z'),
    ('30 2 * * *', BERLIN, '2027-03-28T01:00:00Z', '2027-03-29T00:30:00Z'),
    # 02:30 happens twice on 2027-10-31: runs once, on the first pass.
    ('30 2 * * *', BERLIN, '2027-10-30T12:00:00Z', '2027-10-31T00:30:00Z'),
    ('30 2 * * *', BERLIN, '2027-10-31T00:30:00Z', '2027-11-01T01:30:00Z'),
])
def test_cron_next_after(expression, tz, after, expected):
    result = Cron(expression, expression).next_after(utc(after), tz)
    assert result == utc(expected) and result.tzinfo == UTC
    assert result == schedule.Schedule(expression, tz).next_tick(utc(after))


@pytest.mark.parametrize('spec, expected', [
    (Every(td(minutes=5)), 'every 5m'),
    (Every(td(minutes=90)), 'every 1h30m'),
    (Cron('*/5 * * * *', '*/5 * * * *'), 'cron */5 * * * *'),
    (Cron('0 * * * *', '@hourly'), 'cron @hourly (0 * * * *)'),
])
def test_describe(spec, expected):
    assert spec.describe() == expected


@pytest.mark.parametrize('delta, expected', [
    (td(seconds=5400), '1h30m'),
    (td(seconds=30), '30s'),
    (td(minutes=5), '5m'),
    (td(days=1), '1d'),
    (td(days=14), '2w'),
    (td(days=8, seconds=1), '1w1d1s'),
    (td(hours=25), '1d1h'),
    (td(), '0s'),
    (td(seconds=1.5), '1.5s'),
    (td(microseconds=250), '0.00025s'),
    (td(minutes=-5), '-5m'),
])
def test_format_duration(delta, expected):
    assert timespec.format_duration(delta) == expected


@pytest.mark.parametrize('text', ['30s', '5m', '1h30m', '2w', '1w1d1h1m1s'])
def test_format_duration_round_trips(text):
    assert timespec.format_duration(timespec.parse_duration(text)) == text


@pytest.mark.parametrize('dt, expected', [
    (utc('2026-11-23T15:30:00Z'), '2026-11-23T15:30:00Z'),
    (utc('2026-11-23T15:30:00.25Z'), '2026-11-23T15:30:00.250000Z'),
    (datetime.datetime(2026, 11, 23, 16, 30, tzinfo=BERLIN),
     '2026-11-23T15:30:00Z'),
])
def test_format_utc(dt, expected):
    assert timespec.format_utc(dt) == expected


def test_format_utc_refuses_naive():
    with pytest.raises(ValueError):
        timespec.format_utc(datetime.datetime(2026, 11, 23))
