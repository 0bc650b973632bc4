"""Timeouts stop a run, even one hung in a C call with signals masked."""

import os
import time

from plugincron import deadline


def _gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie is gone for our purpose; read its state from /proc.
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().split(') ')[1].startswith('Z')
    except OSError:
        return True


def test_hung_plugin_is_killed_and_recorded_as_timed_out(cron_env):
    cron_env.write_conf(**{'plugin:controlled': {'timeout': '1s'},
                           'cron': {'timeout_grace': '0.5'}})
    assert cron_env.run('run', 'controlled', '--now',
                        '2026-01-05T10:00:30Z').returncode == 0
    cron_env.hang_file.touch()
    began = time.monotonic()
    result = cron_env.run('run', 'controlled', '--now',
                          '2026-01-05T10:01:30Z', timeout=30)
    took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert 'timed out after 1s' in result.stderr
    assert took < 10
    (pid,) = [int(p) for p in
              (cron_env.root / 'hang.started').read_text().split()]
    assert _gone(pid)
    with cron_env.store() as store:
        latest = store.history('controlled', limit=1)[0]
        assert (latest.status, latest.reason) == ('timed_out',
                                                  'timed out after 1s')
        assert store.get_plugin('controlled').committed_end.minute == 0
    # Its window is handed out again, extended, on the next run.
    cron_env.hang_file.unlink()
    assert cron_env.run('run', 'controlled', '--now',
                        '2026-01-05T10:02:30Z').returncode == 0
    assert [(s.minute, e.minute) for s, e in cron_env.windows()] == [
        (59, 0), (0, 2)]


def test_plugin_under_a_timeout_still_succeeds_and_fails(cron_env):
    cron_env.write_conf(**{'plugin:controlled': {'timeout': '30s'}})
    ok = cron_env.run('run', 'controlled', '--now', '2026-01-05T10:00:30Z')
    assert ok.returncode == 0, ok.stderr
    cron_env.fail_file.touch()
    failed = cron_env.run('run', 'controlled', '--now',
                          '2026-01-05T10:01:30Z')
    assert failed.returncode == 1
    with cron_env.store() as store:
        latest = store.history('controlled', limit=1)[0]
    assert (latest.status, latest.reason) == (
        'failed', 'RuntimeError: failing on purpose')
    assert 'Traceback' in latest.error


def test_sleeping_function_is_stopped_by_sigterm():
    began = time.monotonic()
    outcome = deadline.call(lambda: time.sleep(60), timeout=0.3, grace=30)
    assert outcome.timed_out and not outcome.ok
    assert time.monotonic() - began < 10  # SIGTERM was enough


def test_child_exit_and_exception_are_reported():
    assert deadline.call(lambda: None, timeout=5).ok
    outcome = deadline.call(lambda: 1 / 0, timeout=5)
    assert (outcome.ok, outcome.timed_out) == (False, False)
    assert outcome.reason == 'ZeroDivisionError: division by zero'

    def leave():
        os._exit(3)
    assert deadline.call(leave, timeout=5).reason == 'exited with status 3'


def test_without_timeout_the_call_is_in_process():
    seen = []
    assert deadline.call(lambda: seen.append(os.getpid())).ok
    assert seen == [os.getpid()]
