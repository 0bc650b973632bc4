"""The host hook, ``plugin-cron list`` and the manager run by the runner."""

import json
import os
import subprocess
import sys
import textwrap

from tests.test_crontab_sync import FOREIGN, INSTALLED, jobs, run, sync

HOST = textwrap.dedent('''
    import sys
    from oslo_config import cfg
    from plugincron import host

    conf = cfg.ConfigOpts()
    conf(sys.argv[1:], project='myservice')
    result = host.load_crontab(conf)
    print((sorted(result.added), sorted(result.removed)))
    with open(conf.cron.crontab) as tab:
        print(tab.read().count('# plugincron:'))
    ''')


def start_host(cron_env, tab):
    script = cron_env.root / 'host.py'
    script.write_text(HOST)
    return subprocess.run(
        [sys.executable, str(script), '--config-file',
         str(cron_env.conf_file)],
        env=cron_env.env, capture_output=True, text=True, timeout=60)


def test_host_hook_installs_lines_and_removes_them_at_exit(cron_env, tab):
    tab.write_text(FOREIGN)
    host = start_host(cron_env, tab)
    assert host.returncode == 0, host.stderr
    added, count = host.stdout.splitlines()
    assert added == str((INSTALLED, []))
    assert count == str(len(INSTALLED))     # while the host ran
    assert tab.read_text() == FOREIGN
    # The broken test plugins are logged, not fatal to the host.
    assert "plugin 'broken-init' failed to load" in host.stderr


def test_host_hook_keeps_lines_without_remove_on_exit(cron_env, tab):
    cron_env.write_conf(cron={'remove_on_exit': 'false'})
    assert start_host(cron_env, tab).returncode == 0
    found = jobs(tab)
    assert sorted(found) == INSTALLED
    command = found['controlled'].command.split()
    assert os.path.isabs(command[0])
    assert command[-4:] == ['--config-file', str(cron_env.conf_file), 'run',
                            'controlled']


def test_disabled_host_removes_the_lines(cron_env, tab):
    tab.write_text(FOREIGN)
    sync(cron_env)
    cron_env.write_conf(cron={'enable': 'false'})
    host = start_host(cron_env, tab)
    assert host.returncode == 0, host.stderr
    assert host.stdout.splitlines()[0] == str(([], sorted(INSTALLED)))
    assert tab.read_text() == FOREIGN


def test_manager_run_by_the_runner_reconciles(cron_env, tab):
    tab.write_text(FOREIGN)
    result = run(cron_env, 'run', 'plugincron-manager')
    # The crontab is written; the plugins without a line fail the run.
    assert result.returncode == 1
    assert sorted(jobs(tab)) == INSTALLED
    with cron_env.store() as store:
        last = store.history('plugincron-manager', limit=1)[0]
    assert last.status == 'failed'
    assert "4 plugin(s) have no line" in last.reason
    # What the host wrote is what the manager writes: no rewrite.
    stat = tab.stat()
    sync(cron_env)
    assert tab.stat().st_mtime_ns == stat.st_mtime_ns


def test_list_json(cron_env, tab):
    sync(cron_env)
    cron_env.write_conf(window_logger={'enabled': 'false'},
                        controlled={'interval': '*/5 * * * *'})
    assert run(cron_env, 'run', 'controlled', '--now',
               '2026-01-05T10:07:00Z').returncode == 0
    result = run(cron_env, 'list', '--format', 'json')
    assert result.returncode == 0, result.stderr
    rows = {row['name']: row for row in json.loads(result.stdout)}
    assert sorted(rows) == sorted(INSTALLED + [
        'bad-interval', 'broken-enabled', 'broken-import', 'broken-init'])
    controlled = rows['controlled']
    assert controlled.pop('next').endswith('Z')
    assert controlled.pop('left')
    assert controlled.pop('passed').endswith(' ago')
    assert controlled.pop('last').endswith('Z')
    assert controlled == {
        'name': 'controlled', 'interval': '*/5 * * * *',
        'expression': '*/5 * * * *', 'enabled': True, 'paused': False,
        'crontab': 'outdated', 'committed_end': '2026-01-05T10:05:00+00:00',
        'last_status': 'succeeded', 'error': None,
        'description': 'Every fifth minute of every hour'}
    assert rows['window-logger']['enabled'] is False
    assert rows['window-logger']['crontab'] == 'outdated'
    assert rows['plugincron-manager']['crontab'] == 'in place'
    assert rows['plugincron-manager']['committed_end'] is None
    assert rows['broken-init']['crontab'] == 'missing'
    assert 'constructor fails on purpose' in rows['broken-init']['error']


def test_list_table(cron_env, tab):
    sync(cron_env)
    result = run(cron_env, 'list')
    assert result.returncode == 0, result.stderr
    table = result.stdout.splitlines()
    assert table[0].split() == ['NAME', 'INTERVAL', 'ENABLED', 'CRONTAB',
                                'NEXT', 'LEFT', 'LAST', 'PASSED', 'LAST',
                                'STATUS', 'COMMITTED', 'END', 'DESCRIPTION']
    row, = [line for line in table if line.startswith('window-logger ')]
    cells = row.split()
    assert cells[:9] == ['window-logger', '*', '*', '*', '*', '*', 'yes',
                         'in', 'place']
    assert cells[9].endswith('Z')           # NEXT: the next minute
    assert cells[10] in ('<1min', '1min')   # LEFT
    assert cells[11:15] == ['-', '-', '-', '-']  # never ran
    assert ' '.join(cells[15:]) == 'Every minute'

    assert 'broken-init: plugin' in result.stderr


def test_forked_worker_exiting_leaves_the_lines(cron_env, tab):
    script = cron_env.root / 'forking_host.py'
    script.write_text(HOST + textwrap.dedent('''
        import os
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            sys.exit(0)         # a worker exits: atexit handlers run
        os.waitpid(pid, 0)
        with open(conf.cron.crontab) as tab:
            print(tab.read().count('# plugincron:'))
        '''))
    host = subprocess.run(
        [sys.executable, str(script), '--config-file',
         str(cron_env.conf_file)],
        env=cron_env.env, capture_output=True, text=True, timeout=60)
    assert host.returncode == 0, host.stderr
    assert host.stdout.splitlines()[1:] == [str(len(INSTALLED))] * 2
    assert '# plugincron:' not in tab.read_text()


def test_runner_does_not_import_python_crontab(cron_env):
    # cron starts the runner every tick; python-crontab costs ~70 ms.
    code = ('import sys; from plugincron import cli; '
            'code = cli.main(sys.argv[1:]); '
            'print(code, "crontab" in sys.modules)')
    result = subprocess.run(
        [sys.executable, '-c', code, '--config-file', str(cron_env.conf_file),
         'run', 'controlled', '--now', '2026-01-05T10:07:00Z'],
        env=cron_env.env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ['0', 'False'], result.stderr
