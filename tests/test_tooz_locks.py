"""Distributed locks through tooz, against a real Redis over loopback."""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from plugincron.locks import tooz as tooz_locks
from tests import services
from tests.conftest import REPO, utc

T0 = '2026-01-05T10:00:30Z'


@pytest.fixture
def url():
    return services.redis_url(lock_timeout=2)


@pytest.fixture
def name():
    return 'plugin-' + uuid.uuid4().hex[:8]


def manager(url, member):
    return tooz_locks.ToozLockManager(url, member).start()


def _wait_for(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.05)


def test_one_holder_at_a_time(url, name):
    with manager(url, 'a') as a, manager(url, 'b') as b:
        assert a.MULTI_HOST_SAFE
        first, second = a.get_lock(name), b.get_lock(name)
        assert first.acquire()
        assert not second.acquire()
        assert a.get_lock('other-' + name).acquire()
        first.release()
        assert second.acquire()
        assert second.still_held()
        assert not first.still_held()
        second.release()


def test_heartbeats_keep_a_live_holder_s_lock(url, name):
    with manager(url, 'a') as a, manager(url, 'b') as b:
        held = a.get_lock(name)
        assert held.acquire()
        time.sleep(5)   # 2.5 lock timeouts
        assert held.still_held()
        assert not b.get_lock(name).acquire()
        held.release()


def test_a_killed_holder_s_lock_expires(url, name):
    holder = subprocess.Popen(
        [sys.executable, '-c',
         'import sys, time\n'
         'from plugincron.locks import tooz\n'
         'm = tooz.ToozLockManager(sys.argv[1], "victim").start()\n'
         'assert m.get_lock(sys.argv[2]).acquire()\n'
         'print("held", flush=True)\n'
         'time.sleep(600)\n', url, name],
        cwd=str(REPO), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == 'held\n'
        with manager(url, 'b') as b:
            lock = b.get_lock(name)
            assert not lock.acquire()
            os.kill(holder.pid, signal.SIGKILL)
            killed = time.monotonic()
            _wait_for(lock.acquire)
            assert time.monotonic() - killed < 5
            lock.release()
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_taken_over_is_no_longer_held(url, name):
    with manager(url, 'a') as a, manager(url, 'b') as b:
        stale = a.get_lock(name)
        assert stale.acquire()
        # What expiry does to a holder stalled past the timeout.
        stale._lock.break_()
        fresh = b.get_lock(name)
        assert fresh.acquire()
        assert not stale.still_held()
        assert fresh.still_held()
        stale.release()     # logs, does not free the new holder's lock
        assert fresh.still_held()
        fresh.release()


def test_unreachable_redis_runs_nothing(cron_env):
    cron_env.write_conf(cron={'coordination_url': 'redis://127.0.0.1:1'})
    started = time.monotonic()
    result = cron_env.run('run', 'controlled', '--now', T0)
    assert time.monotonic() - started < 20
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith('plugin-cron: error: cannot reach coordination '
                           'backend redis://127.0.0.1:1')
    assert not cron_env.calls.exists()
    with cron_env.store() as store:
        assert store.get_plugin('controlled').committed_end is None


def test_runner_with_redis_locks(cron_env):
    cron_env.write_conf(cron={'coordination_url': services.redis_url(2)})
    cron_env.block_file.touch()
    first = cron_env.start('run', 'controlled', '--now', T0)
    _wait_for((cron_env.root / 'block.started').exists)
    # Another runner on another "host" (its own file locks would not see
    # the first one; only Redis can).
    cron_env.write_conf(cron={'state_dir': str(cron_env.root / 'other')})
    second = cron_env.run('run', 'controlled', '--now', T0)
    assert second.returncode == 0, second.stderr
    cron_env.block_file.unlink()
    assert first.wait(30) == 0
    assert len(cron_env.windows()) == 1


def test_multi_host_refuses_a_single_host_tooz_backend(cron_env, tmp_path):
    cron_env.write_conf(cron={
        'multi_host': 'true',
        'state_url': services.clean_database(services.POSTGRESQL_URL),
        'coordination_url': 'file://%s' % (tmp_path / 'locks')})
    result = cron_env.run('run', 'controlled', '--now', T0)
    assert result.returncode == 2
    assert 'set [cron] coordination_url' in result.stderr
    assert not cron_env.calls.exists()


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_redis_lost_mid_run_commits_nothing(cron_env, tmp_path):
    import shutil

    server = shutil.which('redis-server')
    if not server:
        services.require_service('redis-server not installed')
    services.redis_url()    # skips without the tooz and redis packages
    port = _free_port()
    redis = subprocess.Popen([server, '--port', str(port), '--bind',
                              '127.0.0.1', '--save', '', '--appendonly',
                              'no', '--dir', str(tmp_path)],
                             stdout=subprocess.DEVNULL)
    try:
        _wait_for(lambda: services.reachable('redis://127.0.0.1:%d' % port,
                                             port))
        cron_env.write_conf(cron={
            'coordination_url': 'redis://127.0.0.1:%d?timeout=2' % port})
        cron_env.run('run', 'controlled', '--now', T0)
        cron_env.block_file.touch()
        runner = cron_env.start('run', 'controlled', '--now',
                                '2026-01-05T10:01:30Z')
        _wait_for((cron_env.root / 'block.started').exists)
        redis.kill()
        redis.wait()
        cron_env.block_file.unlink()
        out, err = runner.communicate(timeout=30)
    finally:
        redis.kill()
        redis.wait()
    assert runner.returncode == 1, err
    assert 'cannot check the lock' in err
    with cron_env.store() as store:
        assert store.get_plugin('controlled').committed_end == \
            utc(2026, 1, 5, 10, 0)
        latest = store.history('controlled', limit=1)[0]
    assert (latest.status, latest.reason) == ('failed',
                                              'lost the lock; not committed')
