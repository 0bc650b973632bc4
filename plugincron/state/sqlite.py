"""The embedded state store: one SQLite file, standard library only.

Safe for the runners of one host (SQLite locks the file), not for several
hosts (network file systems do not honour those locks reliably).  Commits
are durable: WAL journal with ``synchronous=FULL`` fsyncs every commit.
"""

import contextlib
import os
import sqlite3

from plugincron import exceptions
from plugincron.state import base

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE plugin_state (
    plugin TEXT PRIMARY KEY,
    committed_end TEXT,
    paused INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT
);
CREATE TABLE run_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin TEXT NOT NULL,
    status TEXT NOT NULL,
    window_start TEXT,
    window_end TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    host TEXT,
    pid INTEGER,
    reason TEXT,
    error TEXT
);
CREATE INDEX run_history_plugin ON run_history (plugin, id)
"""

_HISTORY_COLUMNS = ('id, plugin, status, window_start, window_end, '
                    'started_at, finished_at, host, pid, reason, error')


def path_from_url(url):
    """The file an ``sqlite://`` URL names, as SQLAlchemy reads it.

    ``sqlite:///state.db`` is relative, ``sqlite:////var/x.db`` absolute.
    """
    prefix = 'sqlite:///'
    if not url.startswith(prefix) or url == prefix:
        raise exceptions.ConfigError(
            'state_url %r: expected sqlite:///relative/path or '
            'sqlite:////absolute/path' % url, option='state_url', value=url)
    return url[len(prefix):]


class SQLiteStore(base.StateStore):
    """State in one SQLite database file."""

    MULTI_HOST_SAFE = False

    def __init__(self, url):
        super().__init__(url)
        self.path = path_from_url(url)
        self._db = self._open()

    def _fail(self, exc):
        return exceptions.StateError(
            'cannot use state database %s: %s' % (self.path, exc),
            url=self.url)

    def _open(self):
        if self.path != ':memory:':
            directory = os.path.dirname(os.path.abspath(self.path))
            try:
                os.makedirs(directory, exist_ok=True)
            except OSError as exc:
                raise self._fail(exc) from None
        try:
            db = sqlite3.connect(self.path, isolation_level=None,
                                 timeout=30)
            # Read before writing anything: a file that is not a database
            # fails here and is left untouched.
            version = db.execute('PRAGMA user_version').fetchone()[0]
            tables = db.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        except sqlite3.Error as exc:
            raise self._fail(exc) from None
        if version == 0 and tables:
            db.close()
            raise self._fail('it holds tables but no plugincron schema '
                             'version; refusing to touch it')
        if version not in (0, SCHEMA_VERSION):
            db.close()
            raise exceptions.SchemaMismatch(self.url, version, SCHEMA_VERSION)
        try:
            db.execute('PRAGMA journal_mode = WAL')
            db.execute('PRAGMA synchronous = FULL')
            if version == 0:
                with self._transaction(db):
                    # Checked again under the write lock: another runner
                    # may have created the schema meanwhile.
                    if not db.execute('PRAGMA user_version').fetchone()[0]:
                        for statement in _SCHEMA.split(';'):
                            db.execute(statement)
                        db.execute('PRAGMA user_version = %d'
                                   % SCHEMA_VERSION)
        except sqlite3.Error as exc:
            db.close()
            raise self._fail(exc) from None
        return db

    @staticmethod
    @contextlib.contextmanager
    def _transaction(db):
        db.execute('BEGIN IMMEDIATE')
        try:
            yield db
        except BaseException:
            db.execute('ROLLBACK')
            raise
        db.execute('COMMIT')

    @contextlib.contextmanager
    def _write(self):
        try:
            with self._transaction(self._db) as db:
                yield db
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def _read(self, sql, params=()):
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def close(self):
        self._db.close()

    def get_plugin(self, name):
        rows = self._read('SELECT plugin, committed_end, paused FROM '
                          'plugin_state WHERE plugin = ?', (name,))
        if not rows:
            return base.PluginState(name)
        return self._state(rows[0])

    @staticmethod
    def _state(row):
        return base.PluginState(row[0], base.from_text(row[1]), bool(row[2]))

    def list_plugins(self):
        rows = self._read('SELECT plugin, committed_end, paused FROM '
                          'plugin_state ORDER BY plugin')
        return {row[0]: self._state(row) for row in rows}

    def set_paused(self, name, paused):
        with self._write() as db:
            self._ensure_row(db, name)
            db.execute('UPDATE plugin_state SET paused = ? WHERE plugin = ?',
                       (int(paused), name))

    @staticmethod
    def _ensure_row(db, name, now=None):
        db.execute('INSERT OR IGNORE INTO plugin_state (plugin, updated_at) '
                   'VALUES (?, ?)', (name, base.to_text(now)))

    def _insert_record(self, db, name, status, window, started, finished,
                       host, pid, reason, error):
        cur = db.execute(
            'INSERT INTO run_history (plugin, status, window_start, '
            'window_end, started_at, finished_at, host, pid, reason, error) '
            'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            (name, status,
             base.to_text(window.start) if window else None,
             base.to_text(window.end) if window else None,
             base.to_text(started), base.to_text(finished),
             host, pid, reason, error))
        return cur.lastrowid

    def start_run(self, name, window, host, pid, now):
        with self._write() as db:
            return self._insert_record(db, name, base.RUNNING, window, now,
                                       None, host, pid, None, None)

    def finish_run(self, run_id, status, now, reason=None, error=None):
        with self._write() as db:
            db.execute('UPDATE run_history SET status = ?, finished_at = ?, '
                       'reason = ?, error = ? WHERE id = ?',
                       (status, base.to_text(now), reason, error, run_id))

    def commit(self, name, expected_end, window, now, run_id=None,
               status=base.SUCCEEDED, host=None, pid=None, reason=None):
        with self._write() as db:
            self._ensure_row(db, name, now)
            cur = db.execute(
                'UPDATE plugin_state SET committed_end = ?, updated_at = ? '
                'WHERE plugin = ? AND committed_end IS ?',
                (base.to_text(window.end), base.to_text(now), name,
                 base.to_text(expected_end)))
            if cur.rowcount != 1:
                return False
            if run_id is None:
                self._insert_record(db, name, status, window, now, now,
                                    host, pid, reason, None)
            else:
                db.execute('UPDATE run_history SET status = ?, '
                           'finished_at = ? WHERE id = ?',
                           (base.SUCCEEDED, base.to_text(now), run_id))
            return True

    def record(self, name, status, now, window=None, host=None, pid=None,
               reason=None, error=None):
        with self._write() as db:
            return self._insert_record(db, name, status, window, now, now,
                                       host, pid, reason, error)

    def abandon_running(self, name, now, reason):
        with self._write() as db:
            cur = db.execute(
                'UPDATE run_history SET status = ?, finished_at = ?, '
                'reason = ? WHERE plugin = ? AND status = ?',
                (base.ABANDONED, base.to_text(now), reason, name,
                 base.RUNNING))
            return cur.rowcount

    def history(self, name=None, limit=20):
        sql = 'SELECT %s FROM run_history' % _HISTORY_COLUMNS
        params = []
        if name is not None:
            sql += ' WHERE plugin = ?'
            params.append(name)
        sql += ' ORDER BY id DESC LIMIT ?'
        params.append(limit)
        return [base.RunRecord(row[0], row[1], row[2],
                               base.from_text(row[3]),
                               base.from_text(row[4]),
                               base.from_text(row[5]),
                               base.from_text(row[6]),
                               row[7], row[8], row[9], row[10])
                for row in self._read(sql, params)]
