"""One behavioural suite for every state store.

Every backend must pass it unchanged: the ``store`` fixture of conftest
opens SQLite always, and each URL of ``PLUGINCRON_TEST_STATE_URLS``.
"""

import pytest

from plugincron import exceptions, state
from plugincron.state import base
from plugincron.windows import Window
from tests.conftest import utc

T = [utc(2026, 1, 5, 10, minute) for minute in range(10)]


def test_unknown_plugin_has_nothing_committed(store):
    assert store.get_plugin('nope') == base.PluginState('nope')


def test_first_commit_and_history(store):
    run = store.start_run('p', Window(T[0], T[1]), 'host-a', 42, T[1])
    assert store.history('p')[0].status == base.RUNNING
    assert store.commit('p', None, Window(T[0], T[1]), T[2], run_id=run)
    assert store.get_plugin('p').committed_end == T[1]
    (record,) = store.history('p')
    assert (record.status, record.window_start, record.window_end,
            record.host, record.pid) == (base.SUCCEEDED, T[0], T[1],
                                         'host-a', 42)
    assert record.duration == 60.0


def test_commit_is_a_compare_and_set(store):
    assert store.commit('p', None, Window(T[0], T[1]), T[1])
    # A second "first" commit, or one from a stale end, changes nothing.
    assert not store.commit('p', None, Window(T[0], T[2]), T[2])
    assert not store.commit('p', T[0], Window(T[0], T[3]), T[3])
    assert store.get_plugin('p').committed_end == T[1]
    assert store.commit('p', T[1], Window(T[1], T[2]), T[2])
    assert store.get_plugin('p').committed_end == T[2]


def test_commit_without_run_records_its_status(store):
    assert store.commit('p', None, Window(T[0], T[3]), T[3],
                        status=base.MISSED, host='h', pid=1,
                        reason='catch-up policy skip')
    (record,) = store.history('p')
    assert (record.status, record.reason) == (base.MISSED,
                                              'catch-up policy skip')


def test_failed_run_commits_nothing(store):
    run = store.start_run('p', Window(T[0], T[1]), 'h', 1, T[1])
    store.finish_run(run, base.FAILED, T[2], reason='boom', error='tb')
    assert store.get_plugin('p').committed_end is None
    (record,) = store.history('p')
    assert (record.status, record.reason, record.error) == (
        base.FAILED, 'boom', 'tb')


def test_abandon_running_only_touches_that_plugin(store):
    store.start_run('p', Window(T[0], T[1]), 'h', 1, T[1])
    store.start_run('q', Window(T[0], T[1]), 'h', 2, T[1])
    assert store.abandon_running('p', T[2], 'died') == 1
    assert store.abandon_running('p', T[2], 'died') == 0
    assert store.history('p')[0].status == base.ABANDONED
    assert store.history('q')[0].status == base.RUNNING


def test_pause_and_list(store):
    store.commit('p', None, Window(T[0], T[1]), T[1])
    store.set_paused('p', True)
    store.set_paused('never-ran', True)
    listed = store.list_plugins()
    assert listed['p'] == base.PluginState('p', T[1], True)
    assert listed['never-ran'] == base.PluginState('never-ran', None, True)
    store.set_paused('p', False)
    assert not store.get_plugin('p').paused
    # Pausing a never-run plugin does not make its first commit fail.
    assert store.commit('never-ran', None, Window(T[0], T[1]), T[1])


def test_history_newest_first_with_limit(store):
    for i in range(5):
        store.record('p', base.SKIPPED, T[i], reason=str(i))
    store.record('q', base.SKIPPED, T[5])
    assert [r.reason for r in store.history('p', limit=3)] == ['4', '3', '2']
    assert store.history(limit=1)[0].plugin == 'q'


def test_history_filtered_by_status_and_unlimited(store):
    for i, status in enumerate([base.SKIPPED, base.FAILED, base.SKIPPED,
                                base.SUCCEEDED, base.SKIPPED]):
        store.record('p', status, T[i], reason=str(i))
    assert [r.reason for r in store.history(
        'p', limit=1, statuses=base.RUNS)] == ['3']
    assert [r.reason for r in store.history(
        'p', statuses=(base.FAILED,))] == ['1']
    assert store.history('p', statuses=()) == []
    assert len(store.history('p', limit=None)) == 5


def test_a_second_connection_sees_commits(store):
    store.commit('p', None, Window(T[0], T[1]), T[1])
    with state.get_store(store.url) as again:
        assert again.get_plugin('p').committed_end == T[1]
        assert again.commit('p', T[1], Window(T[1], T[2]), T[2])
    assert not store.commit('p', T[1], Window(T[1], T[3]), T[3])


def test_unknown_scheme_is_refused():
    with pytest.raises(exceptions.ConfigError, match="unsupported scheme"):
        state.get_store('mongodb://x')


def test_bad_sqlite_url_is_refused():
    with pytest.raises(exceptions.ConfigError, match='sqlite:///relative'):
        state.get_store('sqlite://')


def test_directory_that_cannot_be_created(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    with pytest.raises(exceptions.StateError, match='cannot use state'):
        state.get_store('sqlite:///%s/sub/state.sqlite' % blocker)


def test_foreign_sqlite_database_is_not_touched(tmp_path):
    import sqlite3
    path = tmp_path / 'other.sqlite'
    db = sqlite3.connect(path)
    db.execute('CREATE TABLE mine (x)')
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(exceptions.StateError, match='refusing to touch'):
        state.get_store('sqlite:///%s' % path)
    assert path.read_bytes() == before
