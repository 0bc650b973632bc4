"""The job tables of every state store: one suite, run against each.

Stores come from conftest's ``store`` fixture, as in
``test_state_store.py`` (SQLite always, more from
``PLUGINCRON_TEST_STATE_URLS``).
"""

import datetime
import sqlite3
import threading

from plugincron import state
from plugincron.state import jobs as rows
from tests.conftest import utc

T0 = utc(2026, 11, 23, 10, 0)
S = datetime.timedelta(seconds=1)
TARGET = '{"argv": ["true"], "kind": "command"}'


def job(name, kind=rows.ONCE, schedule='', retries=0, max_delay=600.0):
    return rows.JobRecord(name=name, owner='bot', kind=kind,
                          schedule=schedule, target=TARGET, retries=retries,
                          max_delay=max_delay, created_at=T0, anchor=T0)


def no_follow(job, entry):
    raise AssertionError('a one-shot job has no next entry')


def test_add_job_round_trip(store):
    assert store.add_job(job('a'), T0 + 10 * S, T0 + 610 * S) is None
    record = store.get_job('a')
    assert (record.name, record.owner, record.kind, record.target,
            record.created_at, record.anchor) == (
        'a', 'bot', 'once', TARGET, T0, T0)
    (entry,) = store.entries(name='a')
    assert (entry.due_at, entry.fire_at, entry.not_after, entry.state,
            entry.attempts) == (T0 + 10 * S, T0 + 10 * S, T0 + 610 * S,
                                'pending', 0)


def test_a_taken_name_stores_nothing(store):
    store.add_job(job('a'), T0 + S, T0 + 600 * S)
    other = job('a', kind=rows.EVERY, schedule='60.0')
    assert store.add_job(other, T0 + 5 * S, T0 + 600 * S).kind == 'once'
    assert [e.due_at for e in store.entries(name='a')] == [T0 + S]
    # A second entry at a time the job already has is refused too.
    assert not store.add_entry('a', T0 + S, T0 + 600 * S)
    assert store.add_entry('a', T0 + 2 * S, T0 + 600 * S)
    assert len(store.entries(name='a')) == 2


def test_generated_serials_count_per_owner(store):
    assert [store.next_serial('bot') for _ in range(3)] == [1, 2, 3]
    assert store.next_serial('other') == 1


def test_claim_takes_due_entries_oldest_first(store):
    for index, name in enumerate(('c', 'a', 'b')):
        store.add_job(job(name), T0 + index * S, T0 + 600 * S)
    store.add_job(job('later'), T0 + 60 * S, T0 + 600 * S)
    claimed, missed = store.claim_entries(T0 + 5 * S, 'h:1', T0 + 70 * S,
                                          2, no_follow)
    assert [j.name for j, _ in claimed] == ['c', 'a'] and missed == []
    for _, entry in claimed:
        assert (entry.state, entry.attempts, entry.started_at,
                entry.claimed_by) == ('running', 1, T0 + 5 * S, 'h:1')
    claimed, _ = store.claim_entries(T0 + 5 * S, 'h:2', T0 + 70 * S, 10,
                                     no_follow)
    assert [j.name for j, _ in claimed] == ['b']
    assert store.next_fire_at() == T0 + 60 * S


def test_an_entry_past_not_after_is_missed_not_claimed(store):
    store.add_job(job('late'), T0, T0 + 10 * S)
    claimed, missed = store.claim_entries(T0 + 11 * S, 'h:1', T0, 10,
                                          no_follow)
    assert claimed == []
    ((_, entry),) = missed
    assert entry.state == 'missed'
    (stored,) = store.entries(name='late')
    assert stored.state == 'missed' and 'max_delay' in stored.error
    assert stored.attempts == 0


def test_a_periodic_entry_gets_its_follower_once(store):
    store.add_job(job('p', kind=rows.EVERY, schedule='60.0'), T0,
                  T0 + 600 * S)
    calls = []

    def follow(record, entry):
        calls.append(entry.due_at)
        return entry.due_at + 60 * S, entry.due_at + 660 * S

    claimed, _ = store.claim_entries(T0, 'h:1', T0 + 60 * S, 10, follow)
    assert calls == [T0]
    assert [e.due_at for e in store.entries(name='p')] == [T0, T0 + 60 * S]
    # A retry of the same entry does not add a second follower.
    (_, entry), = claimed
    store.finish_entries([rows.Outcome(entry.id, 'pending', T0 + S,
                                       fire_at=T0 + 2 * S)], 'h:1')
    store.claim_entries(T0 + 2 * S, 'h:1', T0 + 60 * S, 10, follow)
    assert calls == [T0]


def test_finish_counts_only_for_the_claimer(store):
    store.add_job(job('a'), T0, T0 + 600 * S)
    ((_, entry),), _ = store.claim_entries(T0, 'h:1', T0 + 60 * S, 10,
                                           no_follow)
    outcome = rows.Outcome(entry.id, 'succeeded', T0 + S, status=0,
                           duration=0.5, output='ok')
    assert store.finish_entries([outcome], 'h:2') == 0
    assert store.entries(name='a')[0].state == 'running'
    assert store.finish_entries([outcome], 'h:1') == 1
    (done,) = store.entries(name='a')
    assert (done.state, done.status, done.duration, done.output,
            done.finished_at, done.claimed_by) == (
        'succeeded', 0, 0.5, 'ok', T0 + S, None)


def test_cancel_and_reschedule(store):
    store.add_job(job('a'), T0 + S, T0 + 600 * S)
    store.add_entry('a', T0 + 2 * S, T0 + 600 * S)
    assert store.cancel_entries('a', T0, due=T0 + 2 * S) == 1
    assert [e.state for e in store.entries(name='a')] == ['pending',
                                                          'cancelled']
    assert store.get_job('a').cancelled_at is None
    assert store.cancel_entries('a', T0) == 1
    assert store.get_job('a').cancelled_at == T0
    assert store.reschedule_entries('a', ('failed',), T0, T0) == 0
    assert store.reschedule_entries('a', ('cancelled',), T0 + 9 * S,
                                    T0 + 99 * S) == 2
    for entry in store.entries(name='a'):
        assert (entry.state, entry.fire_at, entry.not_after) == (
            'pending', T0 + 9 * S, T0 + 99 * S)


def test_two_dispatchers_never_claim_the_same_entry(store):
    for index in range(60):
        store.add_job(job('j%02d' % index), T0, T0 + 600 * S)
    claims = {}

    def dispatcher(me):
        with state.get_store(store.url) as own:
            mine = []
            while True:
                claimed, _ = own.claim_entries(T0, me, T0 + 60 * S, 3,
                                               no_follow)
                if not claimed:
                    break
                mine += [j.name for j, _ in claimed]
            claims[me] = mine

    threads = [threading.Thread(target=dispatcher, args=('h:%d' % n,))
               for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = [name for mine in claims.values() for name in mine]
    assert sorted(names) == ['j%02d' % i for i in range(60)]


def test_sqlite_schema_1_is_upgraded_in_place(tmp_path):
    path = tmp_path / 'state.sqlite'
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE plugin_state (plugin TEXT PRIMARY KEY,
            committed_end TEXT, paused INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT);
        CREATE TABLE run_history (id INTEGER PRIMARY KEY AUTOINCREMENT,
            plugin TEXT NOT NULL, status TEXT NOT NULL, window_start TEXT,
            window_end TEXT, started_at TEXT NOT NULL, finished_at TEXT,
            host TEXT, pid INTEGER, reason TEXT, error TEXT);
        INSERT INTO plugin_state VALUES
            ('p', '2026-11-23T10:00:00.000000Z', 0, NULL);
        PRAGMA user_version = 1;
    """)
    db.close()
    with state.get_store('sqlite:///' + str(path)) as upgraded:
        assert upgraded.get_plugin('p').committed_end == T0
        upgraded.add_job(job('a'), T0, T0)
        assert upgraded.get_job('a').name == 'a'
    db = sqlite3.connect(path)
    assert db.execute('PRAGMA user_version').fetchone()[0] == 2
