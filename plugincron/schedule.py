"""Cron expressions: validation and tick arithmetic.

The arithmetic is cronsim's, which follows Debian cron: the day-of-month /
day-of-week "OR" rule, and on DST days a job at a fixed time that falls
into the skipped hour runs right after the jump, one in the repeated hour
runs once.  plugincron adds only what cron does not have to know: an
expression is checked against the syntax Debian cron accepts (cronsim also
parses extensions such as ``L`` and ``#`` that a crontab would reject), and
every tick is returned in UTC.
"""

import datetime
import re

from cronsim import CronSim, CronSimError

from plugincron import exceptions

UTC = datetime.timezone.utc

ALIASES = {
    '@yearly': '0 0 1 1 *',
    '@annually': '0 0 1 1 *',
    '@monthly': '0 0 1 * *',
    '@weekly': '0 0 * * 0',
    '@daily': '0 0 * * *',
    '@midnight': '0 0 * * *',
    '@hourly': '0 * * * *',
}

# What Debian cron accepts in one field: lists of ranges with steps, with
# month and weekday names.  No seconds field, no L, W, # or ?.
_FIELD = re.compile(r'^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?'
                    r'(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$')
_NAMES = re.compile(r'[A-Za-z]+')
_MONTHS = {'JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP',
           'OCT', 'NOV', 'DEC'}
_DAYS = {'SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'}
_FIELD_NAMES = ('minute', 'hour', 'day of month', 'month', 'day of week')

#: cronsim's search gives up after this many years without a match
#: (``0 0 30 2 *`` never fires); so do we.
_NEVER = 'the expression never matches a date'


def resolve(expression):
    """Check ``expression`` and return its 5-field form.

    :raises InvalidInterval: naming the problem.
    """
    if not isinstance(expression, str):
        raise exceptions.InvalidInterval(expression, 'not a string')
    text = expression.strip()
    if text.startswith('@'):
        try:
            return ALIASES[text.lower()]
        except KeyError:
            raise exceptions.InvalidInterval(
                expression, 'unknown alias; use one of %s'
                % ', '.join(sorted(ALIASES))) from None
    fields = text.split()
    if len(fields) != 5:
        raise exceptions.InvalidInterval(
            expression, 'expected 5 fields (minute hour day-of-month month '
            'day-of-week), got %d' % len(fields))
    for name, field in zip(_FIELD_NAMES, fields):
        if not _FIELD.match(field):
            raise exceptions.InvalidInterval(
                expression, 'bad %s field %r' % (name, field))
        allowed = _MONTHS if name == 'month' else (
            _DAYS if name == 'day of week' else set())
        for word in _NAMES.findall(field):
            if word.upper() not in allowed:
                raise exceptions.InvalidInterval(
                    expression, 'bad %s field %r' % (name, field))
    resolved = ' '.join(fields)
    try:
        it = CronSim(resolved, datetime.datetime(2000, 1, 1))
    except CronSimError as exc:
        raise exceptions.InvalidInterval(expression, str(exc)) from None
    try:
        next(it)
    except StopIteration:
        raise exceptions.InvalidInterval(expression, _NEVER) from None
    return resolved


class Schedule:
    """A validated cron expression evaluated in one time zone.

    :param expression: cron expression or alias.
    :param tz: :class:`datetime.tzinfo` the expression is read in; ``None``
        for the system's local zone, as cron uses.
    :raises InvalidInterval: if the expression is not valid.
    """

    def __init__(self, expression, tz=None, plugin=None):
        try:
            self.expression = resolve(expression)
        except exceptions.InvalidInterval as exc:
            exc.plugin = plugin
            raise exceptions.InvalidInterval(expression, exc.reason,
                                             plugin=plugin) from None
        self.given = expression
        self.tz = tz

    def __repr__(self):
        return 'Schedule(%r)' % self.expression

    def _local(self, when):
        if when.tzinfo is None:
            raise ValueError('naive datetime %r; pass an aware one' % when)
        return when.astimezone(self.tz) if self.tz else when.astimezone()

    def previous_tick(self, when):
        """The latest tick at or before ``when``, in UTC."""
        # cronsim's reverse iteration is strictly before its start second,
        # so start one second after ``when`` truncated to the second.
        start = self._local(when).replace(microsecond=0) + \
            datetime.timedelta(seconds=1)
        candidate = next(CronSim(self.expression, start, reverse=True)) \
            .astimezone(UTC)
        # In a repeated (fall-back) hour cronsim's reverse search ignores
        # ``fold`` and answers a tick of the hour's first pass -- or, for a
        # fixed-time job, the day before.  Forward search is exact, so walk
        # forward from that earlier candidate to the true latest tick.
        while candidate > when:  # defensive: never seen
            candidate = next(CronSim(self.expression, self._local(
                candidate), reverse=True)).astimezone(UTC)
        for tick in self.ticks(candidate, when):
            candidate = tick
        return candidate

    def next_tick(self, when):
        """The first tick strictly after ``when``, in UTC."""
        # Through ticks(): starting inside a repeated hour, cronsim may
        # first answer a tick of the hour's first pass, before ``when``.
        return next(self.ticks(when))

    def ticks(self, after, until=None):
        """Ticks ``t`` with ``after < t <= until``, oldest first, in UTC.

        :param until: aware datetime, or ``None`` for no end.
        """
        it = CronSim(self.expression, self._local(after).replace(
            microsecond=0))
        for tick in it:
            tick = tick.astimezone(UTC)
            if tick <= after:
                continue
            if until is not None and tick > until:
                return
            yield tick

    def describe(self):
        """A human-readable description, e.g. 'Every 5th minute'."""
        try:
            return CronSim(self.expression,
                           datetime.datetime(2000, 1, 1)).explain()
        except Exception:  # explain() is best effort in cronsim
            return self.expression


def timezone_from_conf(conf):
    """The zone ``[cron] timezone`` names; ``None`` for the system's."""
    name = conf.cron.timezone
    if not name:
        return None
    import zoneinfo
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise exceptions.ConfigError(
            'timezone %r is not a known IANA time zone (%s)' % (name, exc),
            option='timezone', value=name) from None
