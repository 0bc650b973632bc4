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
import zlib

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


#: Range a Jenkins-style ``H`` picks from, per field.  Day of month stops
#: at 28, as in Jenkins, so that the day exists in every month.
_HASH_RANGES = ((0, 59), (0, 23), (1, 28), (1, 12), (0, 6))
_HASH = re.compile(r'^H(?:\((\d+)-(\d+)\))?(?:/(\d+))?$')


def _resolve_hash(expression, fields, seed):
    """Replace Jenkins-style ``H`` items with values from ``seed``.

    ``H`` is one value of the field's range, ``H(a-b)`` one of ``a-b``,
    ``H/n`` (or ``H(a-b)/n``) every ``n`` from an offset below ``n``.  The
    value comes from a CRC-32 of the seed (the plugin name), the field and
    the item's position: stable across hosts, Python versions and runs
    (unlike ``hash()``), and different for the minute and the hour.
    """
    resolved = []
    for index, field in enumerate(fields):
        # An item starting with H is a hash; THU only contains one.
        if not any(item.startswith('H') for item in field.split(',')):
            resolved.append(field)
            continue
        if seed is None:
            raise exceptions.InvalidInterval(
                expression, 'H needs the plugin name to hash')
        items = []
        for position, item in enumerate(field.split(',')):
            match = _HASH.match(item)
            if not match:
                if item.startswith('H'):
                    raise exceptions.InvalidInterval(
                        expression, 'bad %s field %r: use H, H(a-b), H/n '
                        'or H(a-b)/n' % (_FIELD_NAMES[index], field))
                items.append(item)
                continue
            low, high = _HASH_RANGES[index]
            if match.group(1) is not None:
                low, high = int(match.group(1)), int(match.group(2))
                first, last = _HASH_RANGES[index]
                if not first <= low <= high <= last:
                    raise exceptions.InvalidInterval(
                        expression, 'bad %s field %r: H range must be '
                        'within %d-%d' % (_FIELD_NAMES[index], field,
                                          first, last))
            digest = zlib.crc32(('%s\0%d\0%d' % (seed, index, position))
                                .encode('utf-8'))
            step = match.group(3)
            if step is None:
                items.append(str(low + digest % (high - low + 1)))
                continue
            step = int(step)
            if step < 1:
                raise exceptions.InvalidInterval(
                    expression, 'bad %s field %r: step must be at least 1'
                    % (_FIELD_NAMES[index], field))
            offset = low + digest % min(step, high - low + 1)
            items.append('%d-%d/%d' % (offset, high, step)
                         if offset + step <= high else str(offset))
        resolved.append(','.join(items))
    return resolved


def resolve(expression, seed=None):
    """Check ``expression`` and return its 5-field form.

    :param seed: the plugin name, from which Jenkins-style ``H`` values
        are hashed; an expression with ``H`` needs one.
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
    fields = _resolve_hash(expression, fields, seed)
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

    :param expression: cron expression or alias; ``H`` items are resolved
        from ``plugin``, and :attr:`expression` holds the resolved form
        (the one written to a crontab), :attr:`given` the original.
    :param tz: :class:`datetime.tzinfo` the expression is read in; ``None``
        for the system's local zone, as cron uses.
    :raises InvalidInterval: if the expression is not valid.
    """

    def __init__(self, expression, tz=None, plugin=None):
        try:
            self.expression = resolve(expression, seed=plugin)
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
