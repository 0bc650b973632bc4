"""The operator's commands, run as ``plugin-cron`` subprocesses."""

import json

from tests.conftest import utc
from tests.test_runner_cli import _wait_for

T0 = '2026-01-05T10:00:30Z'


def _statuses(cron_env):
    with cron_env.store() as store:
        return [r.status for r in store.history('controlled')]


def test_history_table_and_json(cron_env):
    cron_env.run('run', 'controlled', '--now', T0)
    cron_env.fail_file.touch()
    cron_env.run('run', 'controlled', '--now', '2026-01-05T10:01:30Z')
    table = cron_env.run('history', 'controlled')
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ['ID', 'STATUS', 'WINDOW', 'START', 'WINDOW',
                                'END', 'STARTED', 'HOST', 'PID', 'DURATION',
                                'REASON']
    assert lines[1].split()[1:4] == ['failed', '2026-01-05T10:00:00Z',
                                     '2026-01-05T10:01:00Z']
    assert 'RuntimeError: failing on purpose' in lines[1]
    assert lines[2].split()[1] == 'succeeded'
    records = json.loads(cron_env.run('history', 'controlled', '--limit',
                                      '1', '--format', 'json').stdout)
    assert len(records) == 1
    assert records[0]['status'] == 'failed'
    assert 'Traceback' in records[0]['error']
    assert records[0]['window_end'] == '2026-01-05T10:01:00Z'


def test_pause_and_resume(cron_env):
    cron_env.run('run', 'controlled', '--now', T0)
    assert cron_env.run('pause', 'controlled').stdout == 'controlled paused\n'
    cron_env.run('run', 'controlled', '--now', '2026-01-05T10:05:30Z')
    assert len(cron_env.windows()) == 1
    assert cron_env.run('resume', 'controlled').returncode == 0
    cron_env.run('run', 'controlled', '--now', '2026-01-05T10:06:30Z')
    assert cron_env.windows()[-1] == (utc(2026, 1, 5, 10, 0),
                                      utc(2026, 1, 5, 10, 6))
    assert _statuses(cron_env) == ['succeeded', 'resumed', 'skipped',
                                   'paused', 'succeeded']


def test_pause_of_an_unknown_plugin_is_refused(cron_env):
    result = cron_env.run('pause', 'contolled')
    assert result.returncode == 2
    assert "no plugin named 'contolled'" in result.stderr


def test_backfill(cron_env):
    cron_env.run('run', 'controlled', '--now', T0)
    result = cron_env.run('backfill', 'controlled', '--start',
                          '2026-01-05T09:50:00Z', '--end',
                          '2026-01-05T09:53:00Z', '--each')
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    assert cron_env.windows()[1:] == [
        (utc(2026, 1, 5, 9, 50), utc(2026, 1, 5, 9, 51)),
        (utc(2026, 1, 5, 9, 51), utc(2026, 1, 5, 9, 52)),
        (utc(2026, 1, 5, 9, 52), utc(2026, 1, 5, 9, 53))]
    with cron_env.store() as store:
        assert store.get_plugin('controlled').committed_end == \
            utc(2026, 1, 5, 10, 0)
    assert _statuses(cron_env)[:3] == ['backfilled'] * 3


def test_backfill_past_the_committed_end_is_refused(cron_env):
    cron_env.run('run', 'controlled', '--now', T0)
    result = cron_env.run('backfill', 'controlled', '--start',
                          '2026-01-05T09:00:00Z', '--end',
                          '2026-01-05T10:30:00Z')
    assert result.returncode == 2
    assert 'after the committed end' in result.stderr


def test_backfill_and_reset_refused_while_the_lock_is_held(cron_env):
    cron_env.run('run', 'controlled', '--now', T0)
    cron_env.block_file.touch()
    running = cron_env.start('run', 'controlled', '--now',
                             '2026-01-05T10:01:30Z')
    _wait_for((cron_env.root / 'block.started').exists)
    try:
        backfill = cron_env.run('backfill', 'controlled', '--start',
                                '2026-01-05T09:00:00Z', '--end',
                                '2026-01-05T09:30:00Z')
        reset = cron_env.run('reset', 'controlled', '--to',
                             '2026-01-05T09:00:00Z', '--yes')
    finally:
        cron_env.block_file.unlink()
        running.wait(30)
    for result, action in ((backfill, 'backfill'), (reset, 'reset')):
        assert result.returncode == 2
        assert ("plugin 'controlled' is running (its lock is held); %s "
                'refused' % action) in result.stderr


def test_reset_needs_yes_and_is_recorded(cron_env):
    cron_env.run('run', 'controlled', '--now', T0)
    refused = cron_env.run('reset', 'controlled', '--to',
                           '2026-01-05T09:00:00Z')
    assert refused.returncode == 2
    assert '--yes' in refused.stderr
    result = cron_env.run('reset', 'controlled', '--to',
                          '2026-01-05T09:58:00Z', '--yes')
    assert result.returncode == 0, result.stderr
    cron_env.run('run', 'controlled', '--now', '2026-01-05T10:01:30Z')
    assert cron_env.windows()[-1] == (utc(2026, 1, 5, 9, 58),
                                      utc(2026, 1, 5, 10, 1))
    with cron_env.store() as store:
        reset = store.history('controlled')[1]
    assert (reset.status, reset.window_start, reset.window_end) == (
        'reset', utc(2026, 1, 5, 10, 0), utc(2026, 1, 5, 9, 58))
    assert 'by an operator' in reset.reason


def _check(cron_env, *args):
    # Only the controlled plugin is enabled; the others would warn (never
    # ran) or fail to load.
    result = cron_env.run('check', '--format', 'json', *args)
    report = json.loads(result.stdout)
    mine = [p for p in report['plugins'] if p['name'] == 'controlled']
    return result.returncode, report, mine[0]


def test_check(cron_env):
    plain = cron_env.run('check')
    assert len(plain.stdout.splitlines()) == 1
    assert plain.stdout.startswith('PLUGINCRON ')
    assert 'controlled: never ran' in plain.stdout
    assert 'broken-import: failed to load' in plain.stdout

    cron_env.fail_file.touch()
    cron_env.run('run', 'controlled')
    code, report, mine = _check(cron_env)
    assert code == 2 and report['status'] == 'CRITICAL'
    assert mine['problem'].startswith('last run failed: RuntimeError')
    assert cron_env.run('check').returncode == 2

    cron_env.fail_file.unlink()
    cron_env.run('run', 'controlled')
    code, report, mine = _check(cron_env)
    assert mine['state'] == 'OK', mine
    assert code == 1  # the broken plugins still warn


def test_check_late_plugin_is_critical(cron_env):
    cron_env.run('run', 'controlled', '--now', T0)  # hours ago
    code, report, mine = _check(cron_env, '--max-late', '3')
    assert code == 2
    assert mine['problem'].startswith('last window ended more than 3 '
                                      'intervals ago')


def test_check_paused_is_a_warning(cron_env):
    cron_env.write_conf(**{'plugin:%s' % name: {'enabled': 'false'}
                           for name in ('window-logger', 'broken-init',
                                        'broken-enabled', 'bad-interval',
                                        'broken-import')})
    cron_env.run('run', 'controlled')
    cron_env.run('pause', 'controlled')
    code, report, mine = _check(cron_env)
    assert (mine['state'], mine['problem']) == ('WARNING', 'paused')
