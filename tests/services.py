"""Real servers for the tests: PostgreSQL, MySQL/MariaDB and Redis.

Each comes from an environment URL with a loopback default; a test that
needs one that is not reachable skips with the reason (or fails, in CI,
through :func:`tests.conftest.require_service`).  Databases are never
shared with anything else: each test session creates uniquely named
scratch databases and drops them at exit.
"""

import atexit
import os
import socket
import urllib.parse
import uuid

from tests.conftest import require_service

POSTGRESQL_URL = os.environ.get('PLUGINCRON_TEST_POSTGRESQL_URL',
                                'postgresql://postgres@127.0.0.1:5432/test')
MYSQL_URL = os.environ.get('PLUGINCRON_TEST_MYSQL_URL',
                           'mysql+pymysql://root@127.0.0.1:3306/test')
REDIS_URL = os.environ.get('PLUGINCRON_TEST_REDIS_URL',
                           'redis://127.0.0.1:6379')

#: server URL -> URL of this session's scratch database on it.
_scratch = {}


def reachable(url, default_port):
    """Whether something listens where ``url`` points."""
    parsed = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parsed.hostname or '127.0.0.1',
                                  parsed.port or default_port),
                                 timeout=2).close()
    except OSError:
        return False
    return True


def redis_url(lock_timeout=None):
    """A tooz URL on the test Redis with a namespace of its own (so that
    concurrent test sessions never share a lock), or skip (fail in CI) if
    Redis is not reachable.

    :param lock_timeout: seconds before a lock whose holder stopped
        heartbeating expires.
    """
    try:
        import redis  # noqa: F401
        import tooz  # noqa: F401
    except ImportError as exc:
        require_service('tooz/redis not installed: %s' % exc)
    if not reachable(REDIS_URL, 6379):
        require_service('Redis not reachable at %s' % REDIS_URL)
    query = {'namespace': 'plugincron-test-' + uuid.uuid4().hex[:12]}
    if lock_timeout:
        query['timeout'] = lock_timeout
    separator = '&' if '?' in REDIS_URL else '?'
    return REDIS_URL + separator + urllib.parse.urlencode(query)


def _admin_engine(server_url):
    try:
        import sqlalchemy
    except ImportError as exc:
        require_service('SQLAlchemy not installed: %s' % exc)
    if not reachable(server_url, 5432 if 'postgres' in server_url else 3306):
        require_service('database server not reachable at %s' % server_url)
    # No pool: a test may restart the server under a pooled connection.
    return sqlalchemy.create_engine(server_url, isolation_level='AUTOCOMMIT',
                                    poolclass=sqlalchemy.pool.NullPool)


def new_database(server_url, upgrade=True):
    """A new, empty database on the server of ``server_url``, dropped at
    exit; with ``upgrade``, migrated to the current schema.

    :returns: its URL.
    """
    import sqlalchemy

    engine = _admin_engine(server_url)
    name = 'plugincron_test_%s' % uuid.uuid4().hex[:12]
    postgres = engine.dialect.name == 'postgresql'
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text('CREATE DATABASE ' + name))

    def drop():
        force = ' WITH (FORCE)' if postgres else ''
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text(
                'DROP DATABASE IF EXISTS %s%s' % (name, force)))
        engine.dispose()
    atexit.register(drop)
    url = sqlalchemy.make_url(server_url).set(database=name)
    url = url.render_as_string(hide_password=False)
    if upgrade:
        from plugincron import state
        with state.get_store(url, check_schema=False) as store:
            store.upgrade()
    return url


def clean_database(server_url):
    """This session's scratch database on that server, at the current
    schema, with every plugincron table emptied."""
    import sqlalchemy

    from plugincron.state import migrations

    if server_url not in _scratch:
        _scratch[server_url] = new_database(server_url)
        return _scratch[server_url]
    url = _scratch[server_url]
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.begin() as connection:
            for table in sqlalchemy.inspect(connection).get_table_names():
                if table != migrations.VERSION_TABLE:
                    connection.execute(sqlalchemy.text('DELETE FROM ' + table))
    finally:
        engine.dispose()
    return url
