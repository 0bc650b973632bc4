"""The shared SQL store beyond the behavioural suite: its schema and
migrations, ``plugin-cron db``, and what a runner does when the database
is missing, unreachable or at another schema.

The behaviour of the store itself is tests/test_state_store.py's, run
against these servers through ``PLUGINCRON_TEST_STATE_URLS``.
"""

import sqlite3

import pytest

from plugincron import exceptions, state
from plugincron.state import copy, migrations
from tests import services
from tests.conftest import utc

T0 = '2026-01-05T10:00:30Z'
SERVERS = [services.POSTGRESQL_URL, services.MYSQL_URL]


@pytest.fixture(params=SERVERS, ids=['postgresql', 'mysql'])
def server(request):
    return request.param


def _set_revision(url, revision):
    import sqlalchemy
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(
            'UPDATE %s SET version_num = :v' % migrations.VERSION_TABLE),
            {'v': revision})
    engine.dispose()


def _tables(url):
    import sqlalchemy
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        names = set(sqlalchemy.inspect(connection).get_table_names())
    engine.dispose()
    return names


def test_revision_files_match_alembic_graph():
    pytest.importorskip('alembic')
    from alembic import script

    graph = script.ScriptDirectory.from_config(migrations.alembic_config())
    assert graph.get_current_head() == migrations.head()
    chain = [rev.revision for rev in graph.walk_revisions()][::-1]
    assert chain == migrations.revisions()
    for rev in graph.walk_revisions():
        assert rev.module.__file__.rsplit('/', 1)[1].startswith(rev.revision)


def test_copy_names_every_table(tmp_path, server):
    url = services.clean_database(server)
    names = _tables(url) - {migrations.VERSION_TABLE}
    assert names == {table for table, _, _ in copy.TABLES}
    with state.get_store(state.default_url(str(tmp_path))):
        pass
    db = sqlite3.connect(tmp_path / 'state.sqlite')
    sqlite_names = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%'")}
    assert sqlite_names == names


def test_runner_refuses_a_database_without_schema(cron_env, server):
    url = services.new_database(server, upgrade=False)
    cron_env.write_conf(cron={'state_url': url})
    result = cron_env.run('run', 'controlled', '--now', T0)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert 'has no plugincron schema' in line
    assert "run 'plugin-cron db upgrade'" in line
    assert not cron_env.calls.exists()
    assert _tables(url) == set()

    upgraded = cron_env.run('db', 'upgrade')
    assert upgraded.returncode == 0, upgraded.stderr
    assert 'upgraded from nothing to %s' % migrations.head() in \
        upgraded.stdout
    again = cron_env.run('db', 'upgrade')
    assert 'already at' in again.stdout
    assert cron_env.run('db', 'version').returncode == 0

    result = cron_env.run('run', 'controlled', '--now', T0)
    assert result.returncode == 0, result.stderr
    with state.get_store(url) as store:
        assert store.get_plugin('controlled').committed_end == \
            utc(2026, 1, 5, 10, 0)
        assert store.history()[0].status == 'succeeded'


def test_runner_refuses_a_newer_schema(cron_env, server):
    url = services.new_database(server)
    _set_revision(url, '9999')
    cron_env.write_conf(cron={'state_url': url})
    result = cron_env.run('run', 'controlled', '--now', T0)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert 'schema version 9999' in line
    assert 'written by a newer plugincron' in line
    assert not cron_env.calls.exists()
    # 'db upgrade' cannot downgrade it either, and leaves it alone.
    refused = cron_env.run('db', 'upgrade')
    assert refused.returncode == 2
    assert 'newer plugincron' in refused.stderr
    assert cron_env.run('db', 'version').returncode == 1
    with state.get_store(url, check_schema=False) as store:
        assert store.revision() == '9999'


def test_an_older_schema_asks_for_an_upgrade(monkeypatch, server):
    url = services.new_database(server)
    # As if this code had one more migration than the database has seen.
    known = migrations.revisions() + ['9998']
    monkeypatch.setattr(migrations, 'revisions', lambda: known)
    with pytest.raises(exceptions.SchemaMismatch) as caught:
        state.get_store(url)
    assert not caught.value.newer
    assert "run 'plugin-cron db upgrade'" in str(caught.value)
    assert caught.value.found == known[-2]


def test_unreachable_database_is_one_line_and_runs_nothing(cron_env):
    cron_env.write_conf(cron={
        'state_url': 'postgresql://postgres:secret@127.0.0.1:1/nope'})
    result = cron_env.run('run', 'controlled', '--now', T0)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith('plugin-cron: error: cannot use state store '
                           'postgresql://postgres:***@127.0.0.1:1/nope')
    assert 'secret' not in line
    assert not cron_env.calls.exists()


def test_copy_sqlite_state_to_a_shared_database(cron_env, server):
    for now in (T0, '2026-01-05T10:01:30Z'):
        assert cron_env.run('run', 'controlled', '--now',
                            now).returncode == 0
    cron_env.fail_file.touch()
    assert cron_env.run('run', 'controlled', '--now',
                        '2026-01-05T10:02:30Z').returncode == 1
    cron_env.fail_file.unlink()
    with cron_env.store() as store:
        before = store.history(limit=100)
        committed = store.get_plugin('controlled').committed_end

    target = services.new_database(server)
    result = cron_env.run('db', 'copy', '--to', target)
    assert result.returncode == 0, result.stderr
    assert 'copied 1 plugin_state rows, 3 run_history rows' in result.stdout
    with state.get_store(target) as store:
        assert store.get_plugin('controlled').committed_end == committed
        after = store.history(limit=100)
    strip = [(r.plugin, r.status, r.window_start, r.window_end,
              r.started_at, r.finished_at, r.host, r.pid, r.reason, r.error)
             for r in before]
    assert strip == [(r.plugin, r.status, r.window_start, r.window_end,
                      r.started_at, r.finished_at, r.host, r.pid, r.reason,
                      r.error) for r in after]

    # A second copy would mix two states: refused, nothing changed.
    again = cron_env.run('db', 'copy', '--to', target)
    assert again.returncode == 2
    assert 'is not empty' in again.stderr

    # Runners switched to the shared store go on where SQLite stopped.
    cron_env.write_conf(cron={'state_url': target})
    assert cron_env.run('run', 'controlled', '--now',
                        '2026-01-05T10:03:30Z').returncode == 0
    assert cron_env.windows()[-1] == (utc(2026, 1, 5, 10, 1),
                                      utc(2026, 1, 5, 10, 3))


def test_copy_from_a_missing_sqlite_file(cron_env):
    result = cron_env.run('db', 'copy', '--to', 'sqlite:////nonexistent')
    assert result.returncode == 2
    assert 'no state to copy' in result.stderr


def test_multi_host_refuses_sqlite(cron_env):
    cron_env.write_conf(cron={'multi_host': 'true'})
    result = cron_env.run('run', 'controlled', '--now', T0)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert '[cron] multi_host = true' in line
    assert 'set [cron] state_url' in line
    assert not cron_env.calls.exists()


def test_multi_host_refuses_file_locks(cron_env, server):
    url = services.clean_database(server)
    cron_env.write_conf(cron={'multi_host': 'true', 'state_url': url})
    result = cron_env.run('run', 'controlled', '--now', T0)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert 'set [cron] coordination_url' in line
    assert not cron_env.calls.exists()


def test_the_embedded_default_imports_neither_sqlalchemy_nor_tooz(cron_env):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, '-X', 'importtime', '-m', 'plugincron',
         '--config-file', str(cron_env.conf_file), 'run', 'controlled',
         '--now', T0], env=cron_env.env, capture_output=True, text=True,
        timeout=60)
    assert result.returncode == 0, result.stderr
    imported = {line.split('|')[-1].strip().split('.')[0]
                for line in result.stderr.splitlines()
                if line.startswith('import time:')}
    assert 'plugincron' in imported
    assert not imported & {'sqlalchemy', 'alembic', 'tooz', 'redis',
                           'psycopg', 'psycopg2', 'pymysql'}
