"""End to end: Debian's cron daemon starts the runner from our crontab.

Syncs the current user's (in CI: root's) crontab with the example plugin
at ``* * * * *``, starts ``cron`` if it is not running, and waits for the
runner it starts to commit a window.  The crontab's other lines are left
as they were; only a daemon this test started is stopped.
"""

import contextlib
import datetime
import fcntl
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, require_service

UTC = datetime.timezone.utc
WAIT = 130      # seconds: the next minute, plus cron's own latency


def _user_crontab():
    proc = subprocess.run(['crontab', '-l'], capture_output=True, text=True)
    if proc.returncode != 0 and 'no crontab for' not in proc.stderr:
        pytest.fail('crontab -l failed: %s' % proc.stderr)
    return proc.stdout


def _cron_running():
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            with contextlib.suppress(OSError):
                with open('/proc/%s/comm' % pid) as comm:
                    if comm.read().strip() == 'cron':
                        return True
    return False


@contextlib.contextmanager
def _machine_lock():
    # Two suites on one machine would fight over the same tagged lines.
    with open('/tmp/plugincron-e2e-cron.lock', 'w') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def _cron_daemon():
    """A running cron; the one started here is stopped afterwards."""
    if _cron_running():
        yield
        return
    daemon = subprocess.Popen([shutil.which('cron'), '-f'],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        if daemon.poll() is not None:
            require_service('cron exited at start-up with status %s'
                            % daemon.returncode)
        yield
    finally:
        daemon.terminate()
        daemon.wait(10)


def test_cron_daemon_starts_the_runner(cron_env):
    if not shutil.which('cron') or not shutil.which('crontab'):
        require_service('the cron daemon is not installed '
                        '(apt-get install cron)')
    python_path = os.pathsep.join([str(REPO), str(cron_env.site)])
    cron_env.write_conf(
        cron={'crontab': 'user',
              # The crontab runs the runner with the checkout and the
              # test plugins on its path, like a virtualenv's script would.
              'runner_command': 'env PYTHONPATH=%s %s -m plugincron'
                                % (python_path, sys.executable),
              # Only the example runs; the manager would re-add lines
              # after the test removes them.
              'manage_interval': '0 0 1 1 *'},
        window_logger={'interval': '* * * * *'},
        controlled={'enabled': 'false'})
    with _machine_lock():
        before = _user_crontab()
        try:
            synced = cron_env.run('sync')
            assert 'added window-logger' in synced.stdout, synced.stderr
            assert before in _user_crontab()
            started = datetime.datetime.now(UTC)
            with _cron_daemon():
                record = _wait_for_window(cron_env, time.monotonic() + WAIT)
        finally:
            removed = cron_env.run('remove')
        assert removed.returncode == 0, removed.stderr
        assert _user_crontab() == before
    assert record is not None, 'cron did not start the runner in %d s' % WAIT
    start, end = record.window_start, record.window_end
    # The first window is one interval long and ends on a tick at or
    # before the moment cron started the runner.
    assert end - start == datetime.timedelta(minutes=1)
    assert end.second == end.microsecond == 0
    assert started - datetime.timedelta(minutes=1) <= end <= record.started_at
    assert cron_env.windows() == [(start, end)]


def _wait_for_window(cron_env, deadline):
    while time.monotonic() < deadline:
        if (cron_env.state_dir / 'state.sqlite').exists():
            with cron_env.store() as store:
                done = [r for r in store.history('window-logger')
                        if r.status == 'succeeded']
            if done:
                return done[-1]
        time.sleep(2)
    return None
