"""Parsing the times and schedules an operator types for a dynamic job.

Pure functions: the caller passes ``now`` and the zone, so results are
reproducible and testable.  Every datetime returned is aware and in UTC.
Wall times written without an offset are read in ``tz`` with ``fold=0``
and normalised through UTC: a time in a DST gap lands after the jump
(02:30 on a spring-forward day becomes 03:30 summer time), a time in a
repeated hour means its first pass.
"""

import dataclasses
import datetime
import re

from plugincron import exceptions, schedule

UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
_UNITS = {'w': 604800, 'd': 86400, 'h': 3600, 'm': 60, 's': 1}
_DURATION_HINT = 'expected e.g. 30s, 5m, 1h, 1d'
_WHEN_HINT = ('expected now, +DURATION (+10m), HH:MM[:SS] with optional '
              'Z or +HH:MM, an ISO 8601 date/time, or a Unix timestamp')
_PART = re.compile(r'(\d+)([a-z])')
_OFFSET = r'(?P<off>z|[+-]\d{2}(?::?\d{2})?)?'
_CLOCK = r'(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?'
_TIME_RE = re.compile(_CLOCK + r'\s*' + _OFFSET)
_ISO_RE = re.compile(r'(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})'
                     r'(?:[t ]\s*' + _CLOCK + r')?\s*' + _OFFSET)
_STAMP_RE = re.compile(r'(\d+)(?:\.(\d+))?')


class BadTimeSpec(exceptions.PluginCronError):
    """A time, duration or schedule that cannot be used (.text, .reason)."""

    def __init__(self, text, reason, what='time', message=None):
        super().__init__(message or 'invalid %s %r: %s' % (what, text, reason))
        self.text = text
        self.reason = reason


def _duration(spec, what, allow_zero=False, text=None):
    text = spec if text is None else text  # what the error names
    if not isinstance(spec, str):
        raise BadTimeSpec(text, 'not a string', what)
    spec = spec.strip().lower()
    if spec.isdigit():
        raise BadTimeSpec(text, 'a bare number is ambiguous; add a unit, '
                          'e.g. %ss or %sm' % (spec, spec), what)
    if spec.startswith('-'):
        raise BadTimeSpec(text, 'must be positive', what)
    parts = _PART.findall(spec)
    units = [unit for _, unit in parts]
    if (not parts or ''.join(n + u for n, u in parts) != spec
            or not set(units) <= set(_UNITS)):
        raise BadTimeSpec(text, _DURATION_HINT, what)
    if len(set(units)) != len(units):
        raise BadTimeSpec(text, 'a unit is given twice', what)
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    try:
        td = datetime.timedelta(seconds=seconds)
    except OverflowError:
        raise BadTimeSpec(text, 'too large', what) from None
    if not td and not allow_zero:
        raise BadTimeSpec(text, 'must be positive', what)
    return td


def parse_duration(text):
    """'30s', '5m', '1h', '1d', '2w' or compounds such as '1h30m'."""
    return _duration(text, 'duration')


def _offset(text, off):
    if off is None:
        return None
    if off == 'z':
        return UTC
    digits = off[1:].replace(':', '')
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise BadTimeSpec(text, 'bad UTC offset %r' % off)
    delta = datetime.timedelta(hours=hours, minutes=minutes)
    return datetime.timezone(-delta if off[0] == '-' else delta)


def _clock(text, m):
    """(hour, minute, second, microsecond) of a regex match, checked."""
    if m.group('H') is None:
        return 0, 0, 0, 0
    values = [int(m.group(g) or 0) for g in 'HMS']
    for name, value, top in zip(('hour', 'minute', 'second'), values,
                                (23, 59, 59)):
        if value > top:
            raise BadTimeSpec(text, '%s must be 0..%d' % (name, top))
    return (*values, int((m.group('f') or '').ljust(6, '0')))


def _wall(date, clock, zone):
    # fold=0 then through UTC: the documented gap/fold rule above.
    return datetime.datetime.combine(
        date, datetime.time(*clock), zone).astimezone(UTC)


def _when(text, spec, now, tz):
    if spec == 'now':
        return now
    if spec.startswith('+'):
        return now + _duration(spec[1:], 'time', allow_zero=True, text=text)
    m = _TIME_RE.fullmatch(spec)
    if m:
        clock = _clock(text, m)
        zone = _offset(text, m.group('off')) or tz
        today = now.astimezone(zone).date()
        result = _wall(today, clock, zone)
        # A time equal to now is not past: like at(1), run it now.
        if result < now:
            result = _wall(today + datetime.timedelta(days=1), clock, zone)
        return result
    m = _ISO_RE.fullmatch(spec)
    if m:
        try:
            date = datetime.date(*(int(m.group(g)) for g in ('y', 'mo', 'd')))
        except ValueError as exc:
            raise BadTimeSpec(text, str(exc)) from None
        zone = _offset(text, m.group('off')) or tz
        return _wall(date, _clock(text, m), zone)
    m = _STAMP_RE.fullmatch(spec)
    # Short integers are too likely a mistyped HHMM or delay to be epochs.
    if m and (len(m.group(1)) >= 9 or m.group(2)):
        micro = int((m.group(2) or '')[:6].ljust(6, '0'))  # sub-us: cut
        try:
            return _EPOCH + datetime.timedelta(seconds=int(m.group(1)),
                                               microseconds=micro)
        except OverflowError:
            raise BadTimeSpec(text, 'timestamp out of range') from None
    if m:
        if len(spec) in (3, 4) and int(spec[:-2]) < 24 and int(spec[-2:]) < 60:
            raise BadTimeSpec(text, 'not a Unix timestamp (those have 9 or '
                              'more digits); did you mean %r?'
                              % ('%s:%s' % (spec[:-2], spec[-2:])))
        raise BadTimeSpec(text, 'a bare number is ambiguous: write +%sm, '
                          'a time like 15:30, or a Unix timestamp (9 or more '
                          'digits)' % spec)
    raise BadTimeSpec(text, _WHEN_HINT)


def parse_when(text, now, tz, allow_past=False):
    """The instant ``text`` names, as an aware UTC datetime.

    :param now: aware datetime; relative forms count from it.
    :param tz: tzinfo for times written without an offset (``None``:
        the system zone).
    :raises BadTimeSpec: unreadable, or before ``now`` unless
        ``allow_past``.
    """
    if now.tzinfo is None:
        raise ValueError('naive now %r; pass an aware datetime' % now)
    now = now.astimezone(UTC)
    if not isinstance(text, str):
        raise BadTimeSpec(text, 'not a string')
    spec = text.strip().lower()
    if not spec:
        raise BadTimeSpec(text, 'empty; ' + _WHEN_HINT)
    result = _when(text, spec, now, tz)
    if result < now and not allow_past:
        raise BadTimeSpec(text, 'in the past', message='time %r is in the '
                          'past (now %s)' % (text.strip(), format_utc(now)))
    return result


@dataclasses.dataclass(frozen=True)
class Every:
    """A fixed period, counted from the job's anchor (no drift)."""
    period: datetime.timedelta

    def describe(self):
        return 'every ' + format_duration(self.period)

    def next_after(self, anchor, after):
        """The first ``anchor + k*period`` (k >= 1) strictly after ``after``.

        Counted from the anchor rather than the last run, so late runs do
        not push later ones back.
        """
        k = max(1, (after - anchor) // self.period + 1)
        return (anchor + k * self.period).astimezone(UTC)


@dataclasses.dataclass(frozen=True)
class Cron:
    """A cron expression (resolved: no H, no alias) and what was typed."""
    expression: str
    given: str

    def describe(self):
        if self.given == self.expression:
            return 'cron ' + self.expression
        return 'cron %s (%s)' % (self.given, self.expression)

    def next_after(self, after, tz):
        """The first tick strictly after ``after``, read in ``tz``.

        ``tz=None`` means the system zone, as for plugins.
        """
        return schedule.Schedule(self.expression, tz=tz).next_tick(after)


def parse_every(text, name=None):
    """``Every`` for a duration, else ``Cron`` for a cron expression/alias.

    :param name: the job name, the hash key for ``H`` fields.
    """
    if not isinstance(text, str):
        raise BadTimeSpec(text, 'not a string', 'schedule')
    spec = text.strip()
    if not spec:
        raise BadTimeSpec(text, 'empty; expected a duration (5m, 1h) or a '
                          'cron expression', 'schedule')
    if spec.lower() == '@reboot':
        raise BadTimeSpec(text, '@reboot is not a periodic schedule',
                          'schedule')
    if len(spec.split()) == 1 and not spec.startswith('@'):
        # Whole-second units only, so a period is never under 1 second.
        try:
            return Every(_duration(spec, 'schedule'))
        except BadTimeSpec as exc:
            if exc.reason != _DURATION_HINT:
                raise
        raise BadTimeSpec(text, _DURATION_HINT + ", or a cron expression "
                          "such as '*/5 * * * *' or @hourly", 'schedule')
    if name is None and any(item.startswith('H') for field in spec.split()
                            for item in field.split(',')):
        raise BadTimeSpec(text, 'H needs a job name to hash', 'schedule')
    try:
        return Cron(schedule.resolve(spec, seed=name), spec)
    except exceptions.InvalidInterval as exc:
        raise BadTimeSpec(text, exc.reason, 'schedule') from None


def format_duration(td):
    """'1h30m' for 5400 seconds: the largest units first, zeros left out."""
    if td < datetime.timedelta(0):
        return '-' + format_duration(-td)
    seconds, micro = divmod(td // datetime.timedelta(microseconds=1),
                            1000000)
    out = ''
    for unit, size in _UNITS.items():
        count, seconds = divmod(seconds, size)
        if unit == 's' and micro:
            out += ('%d.%06d' % (count, micro)).rstrip('0') + unit
        elif count:
            out += '%d%s' % (count, unit)
    return out or '0s'


def format_utc(dt):
    """'2026-11-23T15:30:00Z'; microseconds only when not zero."""
    if dt.tzinfo is None:
        raise ValueError('naive datetime %r; pass an aware one' % dt)
    spec = 'microseconds' if dt.microsecond else 'seconds'
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(
        timespec=spec) + 'Z'
