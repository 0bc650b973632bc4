"""The shared state store: PostgreSQL or MySQL/MariaDB through SQLAlchemy.

Safe for runners on several hosts: the committed end only moves through
the compare-and-set ``UPDATE`` of :meth:`SQLStore.commit`, which both
databases evaluate against the latest committed row (PostgreSQL re-checks
the ``WHERE`` after waiting for a concurrent writer; InnoDB's ``UPDATE``
reads the current row, whatever the isolation level).

The schema is versioned with Alembic (:mod:`plugincron.state.migrations`)
and only ever changed by ``plugin-cron db upgrade``: a store whose schema
is missing, older or newer refuses to open with
:class:`~plugincron.exceptions.SchemaMismatch`.

This module imports SQLAlchemy; :func:`plugincron.state.get_store`
imports it only for a ``postgresql://`` or ``mysql+pymysql://`` URL.
"""

import contextlib
import importlib.util

import sqlalchemy
from sqlalchemy import exc as sa_exc

from plugincron import exceptions
from plugincron.state import migrations, sql

#: Seconds to wait for the database to answer a connection attempt,
#: unless the URL sets ``connect_timeout`` itself.
CONNECT_TIMEOUT = 10


def _one_line(exc):
    """The driver's message of ``exc`` on one line, without SQLAlchemy's
    background link."""
    text = str(getattr(exc, 'orig', None) or exc)
    return ' '.join(text.split())


def safe_url(url):
    """``url`` with its password masked, for messages and logs."""
    try:
        return sqlalchemy.make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return url


def create_engine(url):
    """An engine for ``url`` that survives a database restart.

    :raises ConfigError: for a URL SQLAlchemy cannot use (malformed, or
        its driver is not installed).
    """
    try:
        parsed = sqlalchemy.make_url(url)
        if parsed.drivername == 'postgresql' and \
                importlib.util.find_spec('psycopg2') is not None:
            # SQLAlchemy 2.1 picks psycopg 3 for a bare postgresql://;
            # psycopg2 imports in a fifth of the time, paid on every tick.
            parsed = parsed.set(drivername='postgresql+psycopg2')
        connect_args = {}
        if 'connect_timeout' not in parsed.query:
            connect_args['connect_timeout'] = CONNECT_TIMEOUT
        # pre_ping: a connection the server dropped (restart, failover)
        # is replaced before a transaction starts, instead of failing it.
        return sqlalchemy.create_engine(parsed, pool_pre_ping=True,
                                        pool_size=1,
                                        connect_args=connect_args)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError,
            ImportError) as exc:
        raise exceptions.ConfigError(
            'state_url %s: %s (for PostgreSQL use postgresql://, for '
            "MySQL mysql+pymysql://, with plugincron's [sql] extra "
            'installed)' % (safe_url(url), _one_line(exc)),
            option='state_url', value=url) from None


def schema_revision(connection):
    """The plugincron revision stored in the database, or ``None``."""
    if not sqlalchemy.inspect(connection).has_table(
            migrations.VERSION_TABLE):
        return None
    return connection.execute(sqlalchemy.text(
        'SELECT version_num FROM %s' % migrations.VERSION_TABLE)
    ).scalar()


class _Transaction:
    """What :class:`plugincron.state.sql.SQLStore` writes through."""

    def __init__(self, connection, returning):
        self._connection = connection
        self._returning = returning

    def execute(self, statement, params):
        return self._connection.execute(sqlalchemy.text(statement), params)

    def insert(self, statement, params):
        if self._returning:
            return self.execute(statement + ' RETURNING id',
                                params).scalar_one()
        return self.execute(statement, params).lastrowid


class SQLAlchemyStore(sql.SQLStore):
    """State in a PostgreSQL or MySQL database shared by every host.

    :param url: an SQLAlchemy URL.
    :param check_schema: refuse a schema other than this code's (only
        ``plugin-cron db`` opens a store without checking).
    :raises ConfigError: for an unusable URL.
    :raises StateError: if the database cannot be reached.
    :raises SchemaMismatch: if its schema is not this code's.
    """

    MULTI_HOST_SAFE = True
    #: Whether ``INSERT ... RETURNING id`` gives the new id (else the
    #: driver's ``lastrowid`` does).
    RETURNING = False

    def __init__(self, url, check_schema=True):
        super().__init__(url)
        self.display_url = safe_url(url)
        self.engine = create_engine(url)
        if check_schema:
            self.check_schema()

    def _fail(self, exc):
        return exceptions.StateError(
            'cannot use state store %s: %s'
            % (self.display_url, _one_line(exc)), url=self.url)

    def revision(self):
        """The schema revision the database holds (``None``: no schema)."""
        try:
            with self.engine.connect() as connection:
                return schema_revision(connection)
        except sa_exc.SQLAlchemyError as exc:
            raise self._fail(exc) from None

    def check_schema(self):
        """:raises SchemaMismatch: unless the schema is this code's."""
        found, expected = self.revision(), migrations.head()
        if found != expected:
            self.engine.dispose()
            # A revision this code does not know comes from a newer one.
            raise exceptions.SchemaMismatch(
                self.display_url, found, expected,
                newer=found is not None
                and found not in migrations.revisions())

    def upgrade(self, revision='head'):
        """Migrate the schema up to ``revision`` (``plugin-cron db
        upgrade``); concurrent upgrades are the operator's to avoid."""
        try:
            with self.engine.begin() as connection:
                migrations.upgrade(connection, revision)
        except sa_exc.SQLAlchemyError as exc:
            raise self._fail(exc) from None

    @contextlib.contextmanager
    def _transaction(self):
        try:
            with self.engine.begin() as connection:
                yield _Transaction(connection, self.RETURNING)
        except sa_exc.SQLAlchemyError as exc:
            raise self._fail(exc) from None

    def _read(self, statement, params):
        try:
            with self.engine.connect() as connection:
                return connection.execute(sqlalchemy.text(statement),
                                          params).fetchall()
        except sa_exc.SQLAlchemyError as exc:
            raise self._fail(exc) from None

    def close(self):
        self.engine.dispose()


class PostgreSQLStore(SQLAlchemyStore):
    """``postgresql://`` (psycopg2 by default, or ``postgresql+driver``)."""

    INSERT_IF_ABSENT = ('INSERT INTO plugin_state (plugin, updated_at) '
                        'VALUES (:plugin, :now) '
                        'ON CONFLICT (plugin) DO NOTHING')
    RETURNING = True
    # OF e: lock the entries only, not the job rows they are joined to.
    SKIP_LOCKED = ' FOR UPDATE OF e SKIP LOCKED'


class MySQLStore(SQLAlchemyStore):
    """``mysql+pymysql://``: MySQL or MariaDB with InnoDB tables."""

    # Not INSERT IGNORE, which would also turn real errors into warnings.
    INSERT_IF_ABSENT = ('INSERT INTO plugin_state (plugin, updated_at) '
                        'VALUES (:plugin, :now) '
                        'ON DUPLICATE KEY UPDATE plugin = plugin')
    # MariaDB has SKIP LOCKED (10.6) but not FOR UPDATE OF.
    SKIP_LOCKED = ' FOR UPDATE SKIP LOCKED'
