"""Dynamic jobs in the state store: the queries every SQL backend shares.

A *job* (table ``jobs``) is a name, an owner, a schedule and a target; an
*entry* (table ``job_entries``) is one firing of it: one row per time a
one-shot job was asked for, and one per tick of a periodic job, created
one tick ahead by the dispatcher that claims the previous one.  Entries
keep the history a client queries ("what happened to my 10:15 call?").

Entries are claimed in a transaction that marks them running before any
is fired (with ``FOR UPDATE SKIP LOCKED`` where the database has it, the
file's write lock on SQLite), so two dispatchers never fire the same one.

Mixed into :class:`plugincron.state.sql.SQLStore`; the job layer above
(:mod:`plugincron.jobs`) holds the rules, this module only the rows.
"""

import dataclasses
import datetime

from plugincron.state import base

#: Schedule kinds.
ONCE, EVERY, CRON = 'once', 'every', 'cron'

_JOB_COLUMNS = ('name', 'owner', 'kind', 'schedule', 'anchor', 'timezone',
                'target', 'retries', 'max_delay', 'created_at',
                'cancelled_at')
_ENTRY_COLUMNS = ('id', 'job', 'due_at', 'fire_at', 'not_after', 'state',
                  'attempts', 'claimed_by', 'lease_until', 'started_at',
                  'finished_at', 'status', 'duration', 'output', 'error')
#: An entry's columns, then its job's, of ``job_entries e JOIN jobs j``.
_JOINED = ', '.join(['e.' + c for c in _ENTRY_COLUMNS]
                    + ['j.' + c for c in _JOB_COLUMNS])
_TIMES = {'anchor', 'created_at', 'cancelled_at', 'due_at', 'fire_at',
          'not_after', 'lease_until', 'started_at', 'finished_at'}


def _row(cls, columns, row):
    return cls(**{column: base.from_text(value) if column in _TIMES
                  else value for column, value in zip(columns, row)})


def _params(record, columns):
    return {column: base.to_text(getattr(record, column))
            if column in _TIMES else getattr(record, column)
            for column in columns}


@dataclasses.dataclass
class JobRecord:
    """One row of ``jobs``.

    :param schedule: seconds for ``every``, the resolved expression for
        ``cron``, empty for ``once``.
    :param anchor: ``every``: the first due time, from which every later
        one is counted (so the series never drifts).
    :param target: JSON of a :mod:`plugincron.jobs.model` target.
    :param max_delay: seconds past its time after which an entry is
        marked missed instead of fired.
    """

    name: str
    owner: str
    kind: str
    schedule: str
    target: str
    retries: int
    max_delay: float
    created_at: datetime.datetime
    anchor: datetime.datetime = None
    timezone: str = None
    cancelled_at: datetime.datetime = None


@dataclasses.dataclass
class EntryRecord:
    """One row of ``job_entries``: one firing of a job.

    :param due_at: the time it was scheduled for; with the job's name its
        identity, ``NAME@TIME``.
    :param fire_at: when it fires next (later than ``due_at`` while it
        waits for a retry, or after a reschedule).
    :param not_after: past this it is marked missed, not fired.
    :param claimed_by: ``host:pid`` of the dispatcher that claimed it.
    :param status: the last attempt's exit or HTTP status.
    """

    id: int
    job: str
    due_at: datetime.datetime
    fire_at: datetime.datetime
    not_after: datetime.datetime
    state: str
    attempts: int = 0
    claimed_by: str = None
    lease_until: datetime.datetime = None
    started_at: datetime.datetime = None
    finished_at: datetime.datetime = None
    status: int = None
    duration: float = None
    output: str = None
    error: str = None


@dataclasses.dataclass
class Outcome:
    """How an attempt ended, for :meth:`JobQueries.finish_entries`.

    ``state`` pending with ``fire_at`` set is a retry.
    """

    entry_id: int
    state: str
    finished_at: datetime.datetime
    fire_at: datetime.datetime = None
    status: int = None
    duration: float = None
    output: str = None
    error: str = None


class JobQueries:
    """The job tables' queries, mixed into an SQL state store."""

    #: Appended to the claim's SELECT: row locks that other dispatchers
    #: skip instead of waiting for (SQLite serialises writers anyway).
    SKIP_LOCKED = ''

    # -- jobs ---------------------------------------------------------

    def get_job(self, name):
        rows = self._read('SELECT %s FROM jobs WHERE name = :name'
                          % ', '.join(_JOB_COLUMNS), {'name': name})
        return _row(JobRecord, _JOB_COLUMNS, rows[0]) if rows else None

    def list_jobs(self, owner=None, start_from=None, limit=None):
        """Jobs by name, from ``start_from`` (a name, inclusive)."""
        sql, params = 'SELECT %s FROM jobs' % ', '.join(_JOB_COLUMNS), {}
        where = []
        if owner is not None:
            where.append('owner = :owner')
            params['owner'] = owner
        if start_from is not None:
            where.append('name >= :start')
            params['start'] = start_from
        return [_row(JobRecord, _JOB_COLUMNS, row)
                for row in self._read(*_finish(sql, where, params, 'name',
                                               limit))]

    def next_serial(self, owner):
        """The next number of ``owner``'s generated names (1, 2, ...)."""
        with self._transaction() as tx:
            rows = tx.execute('SELECT last FROM job_sequences WHERE '
                              'owner = :owner', {'owner': owner}).fetchall()
            if rows:
                serial = rows[0][0] + 1
                tx.execute('UPDATE job_sequences SET last = :last WHERE '
                           'owner = :owner', {'last': serial,
                                              'owner': owner})
            else:
                serial = 1
                tx.execute('INSERT INTO job_sequences (owner, last) VALUES '
                           '(:owner, :last)', {'owner': owner, 'last': 1})
            return serial

    def add_job(self, job, due, not_after):
        """Store a new job and its first entry in one transaction.

        The name of a cancelled job with nothing left to fire is free.

        :returns: ``None``, or the existing :class:`JobRecord` (nothing
            stored) if the name is taken.
        """
        with self._transaction() as tx:
            existing = tx.execute(
                'SELECT %s FROM jobs WHERE name = :name'
                % ', '.join(_JOB_COLUMNS), {'name': job.name}).fetchall()
            if existing:
                old = _row(JobRecord, _JOB_COLUMNS, existing[0])
                if old.cancelled_at is None or self._entry_exists(
                        tx, job.name, due) or tx.execute(
                            'SELECT 1 FROM job_entries WHERE job = :job '
                            "AND state IN ('pending', 'running')",
                            {'job': job.name}).fetchall():
                    return old
                # A cancelled job whose entries are all finished gives its
                # name to the new one; its entries stay as history.
                tx.execute('UPDATE jobs SET %s WHERE name = :name' % ', '.join(
                    '%s = :%s' % (c, c) for c in _JOB_COLUMNS[1:]),
                    _params(job, _JOB_COLUMNS))
            else:
                tx.execute('INSERT INTO jobs (%s) VALUES (%s)' % (
                    ', '.join(_JOB_COLUMNS),
                    ', '.join(':' + c for c in _JOB_COLUMNS)),
                    _params(job, _JOB_COLUMNS))
            self._insert_entry(tx, job.name, due, not_after)
        return None

    def add_entry(self, name, due, not_after):
        """Another entry of an existing job.

        :returns: ``False``, storing nothing, if one is due at ``due``.
        """
        with self._transaction() as tx:
            if self._entry_exists(tx, name, due):
                return False
            self._insert_entry(tx, name, due, not_after)
            # A job that gets a new entry is in use again.
            tx.execute('UPDATE jobs SET cancelled_at = NULL WHERE '
                       'name = :name', {'name': name})
        return True

    @staticmethod
    def _entry_exists(tx, name, due):
        return bool(tx.execute(
            'SELECT 1 FROM job_entries WHERE job = :job AND due_at = :due',
            {'job': name, 'due': base.to_text(due)}).fetchall())

    @staticmethod
    def _insert_entry(tx, name, due, not_after):
        return tx.insert(
            'INSERT INTO job_entries (job, due_at, fire_at, not_after, '
            'state, attempts) VALUES (:job, :due, :due, :not_after, '
            "'pending', 0)",
            {'job': name, 'due': base.to_text(due),
             'not_after': base.to_text(not_after)})

    # -- entries ------------------------------------------------------

    def entries(self, name=None, owner=None, states=None, due_from=None,
                limit=None, newest_first=False):
        """Entries by due time (then id), from ``due_from`` inclusive."""
        sql = ('SELECT %s FROM job_entries' % ', '.join(
            'job_entries.' + c for c in _ENTRY_COLUMNS))
        where, params = [], {}
        if owner is not None:
            sql += ' JOIN jobs ON jobs.name = job_entries.job'
            where.append('jobs.owner = :owner')
            params['owner'] = owner
        if name is not None:
            where.append('job_entries.job = :job')
            params['job'] = name
        if states is not None:
            where.append(_in('job_entries.state', 'state', states, params))
        if due_from is not None:
            where.append('job_entries.due_at >= :due_from')
            params['due_from'] = base.to_text(due_from)
        order = 'job_entries.due_at, job_entries.id'
        if newest_first:
            order = 'job_entries.due_at DESC, job_entries.id DESC'
        return [_row(EntryRecord, _ENTRY_COLUMNS, row)
                for row in self._read(*_finish(sql, where, params, order,
                                               limit))]

    def cancel_entries(self, name, now, due=None):
        """Cancel ``name``'s pending entries (only the one at ``due`` if
        given); without ``due`` the job gets no further entries.

        :returns: how many entries were cancelled.
        """
        with self._transaction() as tx:
            params = {'job': name, 'now': base.to_text(now)}
            where = "job = :job AND state = 'pending'"
            if due is not None:
                where += ' AND due_at = :due'
                params['due'] = base.to_text(due)
            else:
                tx.execute('UPDATE jobs SET cancelled_at = :now WHERE '
                           'name = :job', params)
            return tx.execute(
                "UPDATE job_entries SET state = 'cancelled', "
                'finished_at = :now WHERE ' + where, params).rowcount

    def reschedule_entries(self, name, states, fire_at, not_after,
                           due=None):
        """Make ``name``'s entries in ``states`` pending again, to fire at
        ``fire_at``; their identity (due time) is kept.

        :returns: how many entries were rescheduled.
        """
        params = {'job': name, 'fire_at': base.to_text(fire_at),
                  'not_after': base.to_text(not_after)}
        where = 'job = :job AND ' + _in('state', 'state', states, params)
        if due is not None:
            where += ' AND due_at = :due'
            params['due'] = base.to_text(due)
        with self._transaction() as tx:
            return tx.execute(
                "UPDATE job_entries SET state = 'pending', attempts = 0, "
                'fire_at = :fire_at, not_after = :not_after, '
                'claimed_by = NULL, lease_until = NULL, started_at = NULL, '
                'finished_at = NULL WHERE ' + where, params).rowcount

    # -- the dispatcher's side ------------------------------------------

    def next_fire_at(self):
        """When the earliest pending entry fires, or ``None``."""
        rows = self._read("SELECT MIN(fire_at) FROM job_entries WHERE "
                          "state = 'pending'", {})
        return base.from_text(rows[0][0]) if rows else None

    def claim_entries(self, now, claimed_by, lease_until, limit, follow):
        """Claim up to ``limit`` pending entries due by ``now``.

        ``lease_until`` is a time, or a function of the job giving one:
        past it, the claim of a dispatcher that stopped answering may be
        taken over.

        In one transaction: each entry past its ``not_after`` is marked
        missed; the others are marked running (started now, one more
        attempt) and returned.  For a periodic job's entry seen for the
        first time, ``follow(job, entry)`` gives the next entry's
        ``(due, not_after)`` (or ``None``), inserted at once, so that the
        series goes on whatever becomes of this one.

        :returns: ``(claimed, missed)``, each a list of
            ``(JobRecord, EntryRecord)``.
        """
        claimed, missed = [], []
        with self._transaction() as tx:
            rows = tx.execute(
                'SELECT %s FROM job_entries e JOIN jobs j ON j.name = e.job '
                "WHERE e.state = 'pending' AND e.fire_at <= :now "
                'ORDER BY e.fire_at, e.id LIMIT :limit%s'
                % (_JOINED, self.SKIP_LOCKED),
                {'now': base.to_text(now), 'limit': limit}).fetchall()
            for row in rows:
                entry = _row(EntryRecord, _ENTRY_COLUMNS,
                             row[:len(_ENTRY_COLUMNS)])
                job = _row(JobRecord, _JOB_COLUMNS,
                           row[len(_ENTRY_COLUMNS):])
                if entry.attempts == 0 and job.kind != ONCE \
                        and job.cancelled_at is None:
                    following = follow(job, entry)
                    if following and not self._entry_exists(
                            tx, job.name, following[0]):
                        self._insert_entry(tx, job.name, *following)
                if now > entry.not_after:
                    entry.state, entry.finished_at = 'missed', now
                    entry.error = 'not fired: %s past its time, over its ' \
                        'max_delay' % (now - entry.fire_at)
                    tx.execute(
                        "UPDATE job_entries SET state = 'missed', "
                        'finished_at = :now, error = :error WHERE id = :id',
                        {'now': base.to_text(now), 'error': entry.error,
                         'id': entry.id})
                    missed.append((job, entry))
                    continue
                entry.state, entry.started_at = 'running', now
                entry.attempts += 1
                entry.claimed_by = claimed_by
                entry.lease_until = lease_until(job) \
                    if callable(lease_until) else lease_until
                tx.execute(
                    "UPDATE job_entries SET state = 'running', "
                    'attempts = :attempts, claimed_by = :claimed_by, '
                    'lease_until = :lease_until, started_at = :now, '
                    'finished_at = NULL WHERE id = :id',
                    {'attempts': entry.attempts, 'claimed_by': claimed_by,
                     'lease_until': base.to_text(entry.lease_until),
                     'now': base.to_text(now), 'id': entry.id})
                claimed.append((job, entry))
        return claimed, missed

    def finish_entries(self, outcomes, claimed_by):
        """Record how claimed attempts ended, in one transaction.

        An outcome counts only while its entry is still running under
        ``claimed_by``: one that recovery gave to another dispatcher
        meanwhile is not overwritten.

        :returns: how many entries were changed.
        """
        changed = 0
        with self._transaction() as tx:
            for outcome in outcomes:
                changed += tx.execute(
                    'UPDATE job_entries SET state = :state, '
                    'finished_at = :finished_at, '
                    'fire_at = COALESCE(:fire_at, fire_at), '
                    'status = :status, duration = :duration, '
                    'output = :output, error = :error, '
                    'claimed_by = NULL, lease_until = NULL '
                    "WHERE id = :id AND state = 'running' AND "
                    'claimed_by = :claimed_by',
                    {'state': outcome.state,
                     'finished_at': base.to_text(outcome.finished_at),
                     'fire_at': base.to_text(outcome.fire_at),
                     'status': outcome.status,
                     'duration': outcome.duration,
                     'output': outcome.output, 'error': outcome.error,
                     'id': outcome.entry_id,
                     'claimed_by': claimed_by}).rowcount
        return changed

    def running_entries(self):
        """Every running entry with its job, for crash recovery."""
        rows = self._read(
            'SELECT %s FROM job_entries e JOIN jobs j ON j.name = e.job '
            "WHERE e.state = 'running' ORDER BY e.id" % _JOINED, {})
        return [(_row(JobRecord, _JOB_COLUMNS, row[len(_ENTRY_COLUMNS):]),
                 _row(EntryRecord, _ENTRY_COLUMNS,
                      row[:len(_ENTRY_COLUMNS)])) for row in rows]


def _in(column, prefix, values, params):
    names = []
    for index, value in enumerate(values):
        names.append(':%s%d' % (prefix, index))
        params['%s%d' % (prefix, index)] = value
    return '%s IN (%s)' % (column, ', '.join(names) or 'NULL')


def _finish(sql, where, params, order, limit):
    if where:
        sql += ' WHERE ' + ' AND '.join(where)
    sql += ' ORDER BY ' + order
    if limit is not None:
        sql += ' LIMIT :limit'
        params['limit'] = limit
    return sql, params
