"""The embedded state store: one SQLite file, standard library only.

Safe for the runners of one host (SQLite locks the file), not for several
hosts (network file systems do not honour those locks reliably).  Commits
are durable: WAL journal with ``synchronous=FULL`` fsyncs every commit.
"""

import contextlib
import os
import sqlite3

from plugincron import exceptions
from plugincron.state import sql

SCHEMA_VERSION = 2

# One script per version; a store at version N gets the scripts after N.
# Each only adds tables, so an upgrade never rewrites stored rows.
_SCHEMA = ["""
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
""", """
CREATE TABLE jobs (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    schedule TEXT NOT NULL,
    anchor TEXT,
    timezone TEXT,
    target TEXT NOT NULL,
    retries INTEGER NOT NULL,
    max_delay REAL NOT NULL,
    created_at TEXT NOT NULL,
    cancelled_at TEXT
);
CREATE INDEX jobs_owner ON jobs (owner, name);
CREATE TABLE job_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL,
    due_at TEXT NOT NULL,
    fire_at TEXT NOT NULL,
    not_after TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    lease_until TEXT,
    started_at TEXT,
    finished_at TEXT,
    status INTEGER,
    duration REAL,
    output TEXT,
    error TEXT,
    UNIQUE (job, due_at)
);
CREATE INDEX job_entries_due ON job_entries (state, fire_at);
CREATE TABLE job_sequences (
    owner TEXT PRIMARY KEY,
    last INTEGER NOT NULL
)
"""]


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


class _Transaction:
    """What :class:`plugincron.state.sql.SQLStore` writes through."""

    def __init__(self, db):
        self.execute = db.execute

    def insert(self, statement, params):
        return self.execute(statement, params).lastrowid


class SQLiteStore(sql.SQLStore):
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
        if version > SCHEMA_VERSION:
            db.close()
            raise exceptions.SchemaMismatch(self.url, version, SCHEMA_VERSION)
        try:
            db.execute('PRAGMA journal_mode = WAL')
            db.execute('PRAGMA synchronous = FULL')
            if version < SCHEMA_VERSION:
                with self._begin(db):
                    # Read again under the write lock: another runner may
                    # have created or upgraded the schema meanwhile.
                    version = db.execute('PRAGMA user_version').fetchone()[0]
                    for script in _SCHEMA[version:]:
                        for statement in script.split(';'):
                            db.execute(statement)
                    db.execute('PRAGMA user_version = %d' % SCHEMA_VERSION)
        except sqlite3.Error as exc:
            db.close()
            raise self._fail(exc) from None
        return db

    @staticmethod
    @contextlib.contextmanager
    def _begin(db):
        # IMMEDIATE takes the write lock up front, so a read-then-write
        # transaction never fails half-way on a lock upgrade.
        db.execute('BEGIN IMMEDIATE')
        try:
            yield db
        except BaseException:
            db.execute('ROLLBACK')
            raise
        db.execute('COMMIT')

    @contextlib.contextmanager
    def _transaction(self):
        try:
            with self._begin(self._db) as db:
                yield _Transaction(db)
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def _read(self, statement, params):
        try:
            return self._db.execute(statement, params).fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def close(self):
        self._db.close()
