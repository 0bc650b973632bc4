"""The queries every SQL state store shares.

:class:`SQLStore` holds the store's logic as portable SQL with named
parameters (``:name``), which both the standard library's ``sqlite3`` and
SQLAlchemy's ``text()`` accept.  A backend supplies the connection: it
implements :meth:`SQLStore._transaction` (yielding an object with
``execute(sql, params)`` returning a cursor-like result with
``fetchall()`` and ``rowcount``, and ``insert(sql, params)`` returning the
new row's id) and :meth:`SQLStore._read`.  Differences between dialects
stay in the few class attributes below.
"""

import abc

from plugincron.state import base, jobs

_HISTORY_COLUMNS = ('id, plugin, status, window_start, window_end, '
                    'started_at, finished_at, host, pid, reason, error')


class SQLStore(jobs.JobQueries, base.StateStore):
    """Committed windows, history and dynamic jobs."""

    #: Statement that inserts a row unless its primary key exists.
    INSERT_IF_ABSENT = ('INSERT OR IGNORE INTO plugin_state '
                        '(plugin, updated_at) VALUES (:plugin, :now)')

    @abc.abstractmethod
    def _transaction(self):
        """A context manager: a write transaction, committed on exit and
        rolled back on error, yielding ``execute`` and ``insert``."""

    @abc.abstractmethod
    def _read(self, sql, params):
        """Rows of one read-only query."""

    def get_plugin(self, name):
        rows = self._read('SELECT plugin, committed_end, paused FROM '
                          'plugin_state WHERE plugin = :plugin',
                          {'plugin': name})
        if not rows:
            return base.PluginState(name)
        return self._state(rows[0])

    @staticmethod
    def _state(row):
        return base.PluginState(row[0], base.from_text(row[1] or None),
                                bool(row[2]))

    def list_plugins(self):
        rows = self._read('SELECT plugin, committed_end, paused FROM '
                          'plugin_state ORDER BY plugin', {})
        return {row[0]: self._state(row) for row in rows}

    def _ensure_row(self, tx, name, now=None):
        tx.execute(self.INSERT_IF_ABSENT,
                   {'plugin': name, 'now': base.to_text(now)})

    def set_paused(self, name, paused):
        with self._transaction() as tx:
            self._ensure_row(tx, name)
            tx.execute('UPDATE plugin_state SET paused = :paused '
                       'WHERE plugin = :plugin',
                       {'paused': int(paused), 'plugin': name})

    @staticmethod
    def _insert_record(tx, name, status, window, started, finished, host,
                       pid, reason, error):
        return tx.insert(
            'INSERT INTO run_history (plugin, status, window_start, '
            'window_end, started_at, finished_at, host, pid, reason, '
            'error) VALUES (:plugin, :status, :window_start, :window_end, '
            ':started_at, :finished_at, :host, :pid, :reason, :error)',
            {'plugin': name, 'status': status,
             'window_start': base.to_text(window.start) if window else None,
             'window_end': base.to_text(window.end) if window else None,
             'started_at': base.to_text(started),
             'finished_at': base.to_text(finished),
             'host': host, 'pid': pid, 'reason': reason, 'error': error})

    def start_run(self, name, window, host, pid, now):
        with self._transaction() as tx:
            return self._insert_record(tx, name, base.RUNNING, window, now,
                                       None, host, pid, None, None)

    def finish_run(self, run_id, status, now, reason=None, error=None):
        with self._transaction() as tx:
            tx.execute('UPDATE run_history SET status = :status, '
                       'finished_at = :now, reason = :reason, '
                       'error = :error WHERE id = :id',
                       {'status': status, 'now': base.to_text(now),
                        'reason': reason, 'error': error, 'id': run_id})

    def commit(self, name, expected_end, window, now, run_id=None,
               status=base.SUCCEEDED, host=None, pid=None, reason=None):
        with self._transaction() as tx:
            self._ensure_row(tx, name, now)
            # Never committed is stored as NULL; COALESCE makes the
            # comparison portable (no IS / <=> / IS NOT DISTINCT FROM).
            moved = tx.execute(
                'UPDATE plugin_state SET committed_end = :end, '
                'updated_at = :now WHERE plugin = :plugin AND '
                "COALESCE(committed_end, '') = :expected",
                {'end': base.to_text(window.end), 'now': base.to_text(now),
                 'plugin': name,
                 'expected': base.to_text(expected_end) or ''}).rowcount
            if moved != 1:
                return False
            if run_id is None:
                self._insert_record(tx, name, status, window, now, now,
                                    host, pid, reason, None)
            else:
                tx.execute('UPDATE run_history SET status = :status, '
                           'finished_at = :now WHERE id = :id',
                           {'status': base.SUCCEEDED,
                            'now': base.to_text(now), 'id': run_id})
            return True

    def record(self, name, status, now, window=None, host=None, pid=None,
               reason=None, error=None):
        with self._transaction() as tx:
            return self._insert_record(tx, name, status, window, now, now,
                                       host, pid, reason, error)

    def abandon_running(self, name, now, reason):
        with self._transaction() as tx:
            return tx.execute(
                'UPDATE run_history SET status = :abandoned, '
                'finished_at = :now, reason = :reason '
                'WHERE plugin = :plugin AND status = :running',
                {'abandoned': base.ABANDONED, 'now': base.to_text(now),
                 'reason': reason, 'plugin': name,
                 'running': base.RUNNING}).rowcount

    def history(self, name=None, limit=20, statuses=None):
        sql = 'SELECT %s FROM run_history' % _HISTORY_COLUMNS
        params = {}
        where = []
        if name is not None:
            where.append('plugin = :plugin')
            params['plugin'] = name
        if statuses is not None:
            names = []
            for index, status in enumerate(statuses):
                names.append(':status%d' % index)
                params['status%d' % index] = status
            where.append('status IN (%s)' % (', '.join(names) or 'NULL'))
        if where:
            sql += ' WHERE ' + ' AND '.join(where)
        sql += ' ORDER BY id DESC'
        if limit is not None:
            sql += ' LIMIT :limit'
            params['limit'] = limit
        return [base.RunRecord(row[0], row[1], row[2],
                               base.from_text(row[3]),
                               base.from_text(row[4]),
                               base.from_text(row[5]),
                               base.from_text(row[6]),
                               row[7], row[8], row[9], row[10])
                for row in self._read(sql, params)]
