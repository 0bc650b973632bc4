"""The runner as cron starts it: ``plugin-cron run NAME`` in a subprocess."""

import os
import signal
import sqlite3
import time

from tests.conftest import utc

T0 = '2026-01-05T10:00:30Z'


def test_first_window_is_one_interval(cron_env):
    cron_env.write_conf(controlled={'interval': '*/5 * * * *'})
    result = cron_env.run('run', 'controlled', '--now', '2026-01-05T10:07:00Z')
    assert result.returncode == 0, result.stderr
    assert cron_env.windows() == [(utc(2026, 1, 5, 10, 0),
                                   utc(2026, 1, 5, 10, 5))]


def test_consecutive_runs_are_contiguous(cron_env):
    for now in ('2026-01-05T10:00:30Z', '2026-01-05T10:01:10Z',
                '2026-01-05T10:04:59Z', '2026-01-05T10:05:00Z'):
        result = cron_env.run('run', 'controlled', '--now', now)
        assert result.returncode == 0, result.stderr
    assert cron_env.windows() == [
        (utc(2026, 1, 5, 9, 59), utc(2026, 1, 5, 10, 0)),
        (utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 1)),
        (utc(2026, 1, 5, 10, 1), utc(2026, 1, 5, 10, 4)),
        (utc(2026, 1, 5, 10, 4), utc(2026, 1, 5, 10, 5)),
    ]


def test_second_run_of_the_same_tick_finds_nothing(cron_env):
    assert cron_env.run('run', 'controlled', '--now', T0).returncode == 0
    assert cron_env.run('run', 'controlled', '--now', T0).returncode == 0
    assert len(cron_env.windows()) == 1
    with cron_env.store() as store:
        latest = store.history('controlled', limit=1)[0]
    assert (latest.status, latest.reason) == ('skipped',
                                              'window already committed')


def test_failed_run_is_handed_out_again_extended(cron_env):
    cron_env.run('run', 'controlled', '--now', T0)
    cron_env.fail_file.touch()
    failed = cron_env.run('run', 'controlled', '--now', '2026-01-05T10:01:30Z')
    assert failed.returncode == 1
    assert 'failing on purpose' in failed.stderr
    cron_env.fail_file.unlink()
    ok = cron_env.run('run', 'controlled', '--now', '2026-01-05T10:02:30Z')
    assert ok.returncode == 0, ok.stderr
    assert cron_env.windows() == [
        (utc(2026, 1, 5, 9, 59), utc(2026, 1, 5, 10, 0)),
        (utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 2)),
    ]
    with cron_env.store() as store:
        statuses = [r.status for r in store.history('controlled')]
    assert statuses == ['succeeded', 'failed', 'succeeded']


def test_concurrent_runners_one_runs_one_skips(cron_env):
    cron_env.block_file.touch()
    first = cron_env.start('run', 'controlled', '--now', T0)
    started = cron_env.root / 'block.started'
    _wait_for(started.exists)
    second = cron_env.run('run', 'controlled', '--now', T0)
    assert second.returncode == 0, second.stderr
    cron_env.block_file.unlink()
    assert first.wait(30) == 0
    assert len(cron_env.windows()) == 1
    with cron_env.store() as store:
        records = store.history('controlled')
    # Newest first: the skip was recorded while the first run was running.
    assert [(r.status, r.reason) for r in records] == [
        ('skipped', 'another run holds the lock'), ('succeeded', None)]


def test_killed_run_is_covered_by_the_next(cron_env):
    cron_env.run('run', 'controlled', '--now', T0)
    cron_env.block_file.touch()
    victim = cron_env.start('run', 'controlled', '--now',
                            '2026-01-05T10:01:30Z')
    _wait_for((cron_env.root / 'block.started').exists)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    cron_env.block_file.unlink()
    result = cron_env.run('run', 'controlled', '--now', '2026-01-05T10:02:30Z')
    assert result.returncode == 0, result.stderr
    assert cron_env.windows() == [
        (utc(2026, 1, 5, 9, 59), utc(2026, 1, 5, 10, 0)),
        (utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 10, 2)),
    ]
    with cron_env.store() as store:
        statuses = [r.status for r in store.history('controlled')]
    assert statuses == ['succeeded', 'abandoned', 'succeeded']


def test_clock_moved_back_runs_nothing_and_says_so(cron_env):
    cron_env.run('run', 'controlled', '--now', T0)
    result = cron_env.run('-v', 'run', 'controlled', '--now',
                          '2026-01-05T09:30:00Z')
    assert result.returncode == 0
    assert 'clock went backwards' in result.stderr
    assert len(cron_env.windows()) == 1
    with cron_env.store() as store:
        assert store.get_plugin('controlled').committed_end == \
            utc(2026, 1, 5, 10, 0)


def test_unknown_plugin_is_a_usage_error(cron_env):
    result = cron_env.run('run', 'no-such-plugin')
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "plugin-cron: error: no plugin named 'no-such-plugin' is installed "
        "in entry point group 'plugin.cron'"]


def test_invalid_interval_is_a_usage_error(cron_env):
    result = cron_env.run('run', 'bad-interval')
    assert result.returncode == 2
    assert "invalid interval '? * * * *'" in result.stderr
    assert "plugin 'bad-interval'" in result.stderr


def test_future_now_is_refused(cron_env):
    result = cron_env.run('run', 'controlled', '--now', '2999-01-01T00:00:00Z')
    assert result.returncode == 2
    assert 'in the future' in result.stderr
    assert not cron_env.output.exists()


def test_bad_now_is_refused(cron_env):
    result = cron_env.run('run', 'controlled', '--now', 'yesterday')
    assert result.returncode == 2
    assert "--now 'yesterday' is not an ISO 8601" in result.stderr


def test_missing_config_file_is_a_usage_error(cron_env):
    result = cron_env.run('--config-file', cron_env.root / 'nope.conf',
                          'run', 'controlled')
    assert result.returncode == 2
    assert 'nope.conf' in result.stderr


def test_unreadable_state_database_is_left_untouched(cron_env):
    cron_env.state_dir.mkdir()
    database = cron_env.state_dir / 'state.sqlite'
    database.write_bytes(b'this is not a database' * 100)
    before = database.read_bytes()
    result = cron_env.run('run', 'controlled', '--now', T0)
    assert result.returncode == 2
    assert 'cannot use state database' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert database.read_bytes() == before
    assert not cron_env.output.exists()


def test_newer_schema_is_refused_and_left_untouched(cron_env):
    cron_env.state_dir.mkdir()
    database = cron_env.state_dir / 'state.sqlite'
    db = sqlite3.connect(database)
    db.execute('PRAGMA user_version = 99')
    db.execute('CREATE TABLE plugin_state (x)')
    db.commit()
    db.close()
    before = database.read_bytes()
    result = cron_env.run('run', 'controlled', '--now', T0)
    assert result.returncode == 2
    assert 'schema version 99' in result.stderr
    assert 'newer plugincron' in result.stderr
    assert database.read_bytes() == before


def test_disabled_plugin_records_a_skip(cron_env):
    cron_env.write_conf(controlled={'enabled': 'false'})
    result = cron_env.run('run', 'controlled', '--now', T0)
    assert result.returncode == 0
    assert not cron_env.output.exists()
    with cron_env.store() as store:
        assert store.history('controlled')[0].reason == 'plugin disabled'


def test_runner_imports_only_the_named_plugin(cron_env):
    # The broken plugins raise when imported or built: loading any of them
    # would log its error.
    result = cron_env.run('-d', 'run', 'controlled', '--now', T0)
    assert result.returncode == 0, result.stderr
    assert 'cannot be imported' not in result.stderr
    assert 'on purpose' not in result.stderr
    assert 'failed to load' not in result.stderr


def test_console_script_and_example_package(cron_env):
    import shutil
    script = shutil.which('plugin-cron')
    assert script, 'plugin-cron is not installed on PATH'
    import subprocess
    result = subprocess.run(
        [script, '--config-file', str(cron_env.conf_file), 'run',
         'window-logger', '--now', T0], env=cron_env.env,
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert cron_env.windows() == [(utc(2026, 1, 5, 9, 59),
                                   utc(2026, 1, 5, 10, 0))]


def _wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, 'timed out waiting'
        time.sleep(0.05)
