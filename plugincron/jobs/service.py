"""The job API for host code, plugins and the CLI: :class:`JobService`.

Every call checks its input completely before it stores anything, so a
refused request (a past time, an unparsable duration, an empty command, a
bad URL, a taken name) raises :class:`~plugincron.jobs.model.JobError` or
:class:`~plugincron.jobs.timespec.BadTimeSpec` with one line and leaves
the store as it was.
"""

import dataclasses
import datetime
import getpass
import re

from plugincron import opts, schedule, state
from plugincron.jobs import model, timespec
from plugincron.state import jobs as rows

UTC = datetime.timezone.utc
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$')
DEFAULT_RETRIES = {'command': 0, 'http': 1}


def utcnow():
    return datetime.datetime.now(UTC)


def check_name(name, what='job name'):
    if not isinstance(name, str) or not _NAME.match(name):
        raise model.JobError(
            'bad %s %r: use 1 to 200 letters, digits, ".", "_", ":" or '
            '"-", starting with a letter or digit' % (what, name))
    return name


def entry_key(name, due):
    """The id of one entry: ``NAME@2026-11-23T10:15:00Z``."""
    return '%s@%s' % (name, timespec.format_utc(due))


@dataclasses.dataclass
class Entry:
    """One firing of a job, as clients see it."""

    job: str
    due_at: datetime.datetime
    fire_at: datetime.datetime
    state: str
    attempts: int
    started_at: datetime.datetime = None
    finished_at: datetime.datetime = None
    status: int = None
    duration: float = None
    output: str = None
    error: str = None

    @property
    def key(self):
        return entry_key(self.job, self.due_at)

    @classmethod
    def from_record(cls, record):
        return cls(record.job, record.due_at, record.fire_at, record.state,
                   record.attempts, record.started_at, record.finished_at,
                   record.status, record.duration, record.output,
                   record.error)

    def to_dict(self):
        data = dataclasses.asdict(self)
        data['id'] = self.key
        for key, value in data.items():
            if isinstance(value, datetime.datetime):
                data[key] = timespec.format_utc(value)
        return data


@dataclasses.dataclass
class Job:
    """A job with where it stands: its next and its last entry."""

    name: str
    owner: str
    kind: str
    schedule: str
    target: object
    retries: int
    max_delay: datetime.timedelta
    created_at: datetime.datetime
    cancelled: bool
    state: str
    next_fire_at: datetime.datetime = None
    last: Entry = None
    entries: list = dataclasses.field(default_factory=list, repr=False)

    @property
    def attempts(self):
        return self.last.attempts if self.last else 0

    def to_dict(self):
        return {
            'name': self.name, 'owner': self.owner, 'kind': self.kind,
            'schedule': self.schedule, 'target': dict(
                dataclasses.asdict(self.target), kind=self.target.kind),
            'retries': self.retries,
            'max_delay': self.max_delay.total_seconds(),
            'created_at': timespec.format_utc(self.created_at),
            'cancelled': self.cancelled, 'state': self.state,
            'next_fire_at': self.next_fire_at and timespec.format_utc(
                self.next_fire_at),
            'attempts': self.attempts,
            'last': self.last.to_dict() if self.last else None,
        }


def describe_schedule(record):
    if record.kind == rows.ONCE:
        return 'once'
    if record.kind == rows.EVERY:
        return 'every ' + timespec.format_duration(
            datetime.timedelta(seconds=float(record.schedule)))
    return 'cron ' + record.schedule


def zone(name):
    """The tzinfo of a stored zone name; ``None``: the system's."""
    if not name:
        return None
    import zoneinfo
    return zoneinfo.ZoneInfo(name)


def next_due(record, after):
    """A periodic job's first due time strictly after ``after``."""
    if record.kind == rows.EVERY:
        period = datetime.timedelta(seconds=float(record.schedule))
        return timespec.Every(period).next_after(record.anchor, after)
    return schedule.Schedule(record.schedule, tz=zone(record.timezone)) \
        .next_tick(after)


def following(record, entry, now):
    """``(due, not_after)`` of the entry after ``entry``, or ``None``.

    Counted from the schedule, never from when a run finished, so the
    series does not drift.  After a long outage the ticks older than
    ``max_delay`` are passed over: they could only be marked missed.
    """
    max_delay = datetime.timedelta(seconds=record.max_delay)
    due = next_due(record, max(entry.due_at, now - max_delay))
    return due, due + max_delay


class JobService:
    """Schedule, inspect and cancel jobs in the configured state store.

    :param conf: a ``ConfigOpts`` (plugincron's options are registered if
        missing); its ``[cron] state_url`` picks the store.
    :param owner: who new jobs belong to; default the Unix user.
    :param store: an open state store to use instead (tests, hosts that
        hold one already); it is not closed by :meth:`close`.
    :param clock: a function returning the aware UTC time (tests).
    """

    def __init__(self, conf, owner=None, store=None, clock=utcnow):
        if not hasattr(conf, 'jobs'):
            opts.register_opts(conf)
        self.conf = conf
        self.owner = check_name(owner or getpass.getuser(), 'owner')
        self.clock = clock
        self._own_store = store is None
        self.store = store if store is not None else state.from_conf(conf)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._own_store:
            self.store.close()

    # -- scheduling ------------------------------------------------------

    def at(self, when, target, name=None, retries=None, max_delay=None):
        """Fire ``target`` once at ``when``.

        :param when: text such as ``+10m``, ``15:30`` or an ISO 8601 time,
            or an aware datetime; the past is refused.
        :param target: a target of :mod:`plugincron.jobs.model`, or an
            argument vector for a command.
        :param name: with the name of an existing one-shot job of the
            same target, adds another entry to it.
        :rtype: :class:`Entry`
        """
        now = self.clock()
        due = self._when(when, now)
        target = self._target(target)
        record = self._record(rows.ONCE, '', target, name, retries,
                              max_delay, now)
        not_after = due + datetime.timedelta(seconds=record.max_delay)
        if name is not None:
            existing = self.store.get_job(record.name)
            if existing is not None:
                self._check_same_one_shot(existing, record)
                if not self.store.add_entry(record.name, due, not_after):
                    raise model.DuplicateJob(entry_key(record.name, due),
                                             'an entry at that time')
                return self._entry(record.name, due)
        record = self._add(record, due, not_after, name is None)
        return self._entry(record.name, due)

    def every(self, spec, target, name=None, start=None, retries=None,
              max_delay=None):
        """Fire ``target`` every duration (``5m``) or on a cron
        expression (``*/5 * * * *``, ``@hourly``, ``H`` included).

        :param start: the first time (default: one period from now, or
            the expression's next tick); later ones are counted from it.
        :rtype: :class:`Job`
        """
        if isinstance(spec, datetime.timedelta):
            parsed = timespec.Every(spec)
        else:
            parsed = None
        now = self.clock()
        target = self._target(target)
        # H needs the name before a generated name exists: hash the owner
        # for generated names, so all of them are spread per owner.
        if parsed is None:
            parsed = timespec.parse_every(spec, name=name or self.owner)
        if isinstance(parsed, timespec.Every):
            record = self._record(rows.EVERY, repr(
                parsed.period.total_seconds()), target, name, retries,
                max_delay, now)
            first = self._when(start, now) if start is not None else \
                now.replace(microsecond=0) + parsed.period
            record.anchor = first
        else:
            record = self._record(rows.CRON, parsed.expression, target, name,
                                  retries, max_delay, now)
            record.timezone = self.conf.cron.timezone or None
            first = next_due(record, self._when(start, now) - datetime.
                             timedelta(microseconds=1)
                             if start is not None else now)
        not_after = first + datetime.timedelta(seconds=record.max_delay)
        record = self._add(record, first, not_after, name is None)
        return self.get(record.name)

    def cron(self, expression, target, name=None, **kwargs):
        """Fire ``target`` on a cron expression; see :meth:`every`."""
        parsed = timespec.parse_every(expression, name=name or self.owner)
        if not isinstance(parsed, timespec.Cron):
            raise model.JobError('%r is a duration, not a cron expression; '
                                 'use every()' % (expression,))
        return self.every(expression, target, name=name, **kwargs)

    def call(self, when, url, method=None, headers=(), data=None,
             expect=200, retries=None, max_delay=None, timeout=None,
             every=None, name=None):
        """Schedule an HTTP callback once at ``when``, or ``every`` SPEC.

        :rtype: :class:`Entry` for a one-shot call, :class:`Job` with
            ``every``.
        """
        target = model.HTTPTarget(url, method, tuple(headers), data, expect,
                                  timeout)
        if every is not None:
            return self.every(every, target, name=name, start=when,
                              retries=retries, max_delay=max_delay)
        return self.at(when, target, name=name, retries=retries,
                       max_delay=max_delay)

    # -- inspection ------------------------------------------------------

    def get(self, name, entries=20):
        """A job and its latest ``entries`` (newest first).

        :raises JobNotFound:
        """
        record = self._job(name)
        return self._job_view(record, entries)

    def list(self, owner=None, future_only=False, start_from=None,
             limit=None):
        """Jobs by name.

        :param future_only: only jobs with an entry still to fire.
        :param start_from: the name to start at (for paging).
        """
        jobs = []
        for record in self.store.list_jobs(owner=owner,
                                           start_from=start_from):
            job = self._job_view(record, 0)
            if future_only and job.next_fire_at is None:
                continue
            jobs.append(job)
            if limit is not None and len(jobs) >= limit:
                break
        return jobs

    def entries(self, name, future_only=False, start_from=None, limit=None):
        """A job's entries by due time.

        :param future_only: only entries still to fire.
        :param start_from: an aware datetime (or time text): the first
            due time to list, for paging.
        """
        self._job(name)
        if isinstance(start_from, str):
            start_from = timespec.parse_when(start_from, self.clock(),
                                             self._tz(), allow_past=True)
        states = (model.PENDING, model.RUNNING) if future_only else None
        return [Entry.from_record(entry) for entry in self.store.entries(
            name=name, states=states, due_from=start_from, limit=limit)]

    # -- changes ---------------------------------------------------------

    def cancel(self, name):
        """Cancel a job's pending entries, or one entry (``NAME@TIME``).

        A running entry is left to finish.  A periodic job gets no
        further entries.

        :returns: how many entries were cancelled.
        :raises JobNotFound: for an unknown job (:class:`JobError` for an
            entry the job does not have).
        """
        _, name, due = self._resolve(name)
        return self.store.cancel_entries(name, self.clock(), due=due)

    def reschedule(self, name, when=None, all=False):
        """Fire a job's failed entries (every finished entry with
        ``all``) again at ``when``, by default at the next minute.

        :returns: the rescheduled entries.
        """
        record, name, due = self._resolve(name)
        now = self.clock()
        if when is None:
            fire_at = now.replace(second=0, microsecond=0) + \
                datetime.timedelta(minutes=1)
        else:
            fire_at = self._when(when, now)
        states = model.FINISHED if all else (model.FAILED,)
        not_after = fire_at + datetime.timedelta(seconds=record.max_delay)
        before = {entry.id for entry in self.store.entries(
            name=name, states=states)}
        self.store.reschedule_entries(name, states, fire_at, not_after,
                                      due=due)
        return [Entry.from_record(entry) for entry in self.store.entries(
            name=name, states=(model.PENDING,)) if entry.id in before]

    # -- helpers ---------------------------------------------------------

    def _tz(self):
        return schedule.timezone_from_conf(self.conf) or \
            datetime.datetime.now().astimezone().tzinfo

    def _when(self, when, now):
        if isinstance(when, datetime.datetime):
            if when.tzinfo is None:
                raise model.JobError('naive datetime %r: pass an aware one'
                                     % (when,))
            if when < now:
                raise timespec.BadTimeSpec(
                    timespec.format_utc(when), 'is in the past (now %s)'
                    % timespec.format_utc(now))
            return when.astimezone(UTC)
        due = timespec.parse_when(str(when), now, self._tz())
        if due.microsecond and due > now:
            # '+10m' is 10 minutes from a now with microseconds: a whole
            # second keeps NAME@TIME ids short enough to type.
            due = due.replace(microsecond=0) + datetime.timedelta(seconds=1)
        return due

    @staticmethod
    def _target(target):
        if isinstance(target, (model.CommandTarget, model.HTTPTarget)):
            return target
        if isinstance(target, (list, tuple)):
            return model.CommandTarget(tuple(target))
        raise model.JobError('a target is a CommandTarget, an HTTPTarget '
                             'or an argument vector, not %r' % (target,))

    def _record(self, kind, spec, target, name, retries, max_delay, now):
        if name is not None:
            check_name(name)
        if retries is None:
            retries = DEFAULT_RETRIES[target.kind]
        if isinstance(retries, bool) or not isinstance(retries, int) or \
                retries < 0:
            raise model.JobError('bad retries %r: expected 0 or more'
                                 % (retries,))
        if max_delay is None:
            max_delay = self.conf.jobs.max_delay
        elif not isinstance(max_delay, datetime.timedelta):
            max_delay = timespec.parse_duration(str(max_delay))
        return rows.JobRecord(
            name=name or '', owner=self.owner, kind=kind, schedule=spec,
            target=model.target_to_json(target), retries=retries,
            max_delay=max_delay.total_seconds(), created_at=now)

    def _add(self, record, due, not_after, generated):
        while True:
            if generated:
                record.name = '%s.%d' % (self.owner,
                                         self.store.next_serial(self.owner))
            existing = self.store.add_job(record, due, not_after)
            if existing is None:
                return record
            if not generated:
                raise model.DuplicateJob(record.name, _what(existing))

    @staticmethod
    def _check_same_one_shot(existing, record):
        if existing.kind != rows.ONCE or existing.target != record.target \
                or existing.owner != record.owner:
            raise model.DuplicateJob(record.name, _what(existing))

    def _job(self, name):
        record = self.store.get_job(name)
        if record is None:
            raise model.JobNotFound(name)
        return record

    def _resolve(self, key):
        """``(job record, name, due)`` of ``NAME`` or ``NAME@TIME``.

        :raises JobNotFound: for an unknown job.
        :raises JobError: for an entry the job does not have.
        """
        name, at, when = key.rpartition('@')
        if not at:
            return self._job(key), key, None
        due = timespec.parse_when(when, self.clock(), UTC, allow_past=True)
        record = self._job(name)
        entry = self._entry(name, due)
        if entry is None or entry.due_at != due:
            raise model.JobError('job %r has no entry due at %s'
                                 % (name, timespec.format_utc(due)))
        return record, name, due

    def _entry(self, name, due):
        for record in self.store.entries(name=name, due_from=due, limit=1):
            return Entry.from_record(record)

    def _job_view(self, record, limit):
        pending = self.store.entries(name=record.name,
                                     states=(model.PENDING,), limit=1)
        running = self.store.entries(name=record.name,
                                     states=(model.RUNNING,), limit=1)
        latest = self.store.entries(name=record.name, limit=max(limit, 1),
                                    newest_first=True,
                                    states=model.FINISHED + (model.RUNNING,))
        last = Entry.from_record(latest[0]) if latest else None
        if running:
            state_ = model.RUNNING
        elif pending:
            state_ = model.PENDING
        elif record.cancelled_at is not None:
            state_ = model.CANCELLED
        else:
            state_ = last.state if last else model.PENDING
        return Job(
            name=record.name, owner=record.owner, kind=record.kind,
            schedule=describe_schedule(record),
            target=model.target_from_json(record.target),
            retries=record.retries,
            max_delay=datetime.timedelta(seconds=record.max_delay),
            created_at=record.created_at,
            cancelled=record.cancelled_at is not None, state=state_,
            next_fire_at=pending[0].fire_at if pending else None,
            last=last,
            entries=[Entry.from_record(e) for e in latest[:limit]])


def _what(existing):
    return 'a %s job of %s' % ({'once': 'one-shot'}.get(
        existing.kind, 'periodic'), existing.owner)
