"""The reconciler against real crontab files, with real installed plugins.

Crontab files are written and read back with python-crontab; the plugins
are the installed example and test distributions (plus some written
straight into an extra site directory), discovered through their entry
points by ``plugin-cron sync`` running as a subprocess.
"""

import json
import os
import pathlib
import shlex
import subprocess
import sys

import crontab as pycrontab
import pytest

from tests import distgen
from tests.conftest import REPO

INSTALLED = ['controlled', 'plugincron-dispatcher', 'plugincron-manager',
             'window-logger']
BROKEN = ['bad-interval', 'broken-enabled', 'broken-import', 'broken-init']

FOREIGN = (
    'MAILTO="ops@example.org"\n'
    'PATH=/usr/local/bin:/usr/bin:/bin\n'
    '# m h  dom mon dow   command -- a comment the operator wrote\n'
    '\n'
    '*/10  *  * * *   /usr/local/bin/backup   --full   # nightly-ish  \n'
    '@reboot /usr/bin/true\n'
    '0 9 * * mon-fri echo "100%" > /dev/null\n'
)


def run(cron_env, *args, extra_site=None):
    env = cron_env.env
    if extra_site:
        env['PYTHONPATH'] = os.pathsep.join([env['PYTHONPATH'],
                                             str(extra_site)])
    return subprocess.run(cron_env.command(*args), env=env,
                          capture_output=True, text=True, timeout=60)


def sync(cron_env, *args, **kwargs):
    result = run(cron_env, 'sync', *args, **kwargs)
    # The test plugins that fail on purpose make every sync exit 1.
    assert result.returncode == 1, result.stderr
    for name in BROKEN:
        assert "plugin %r" % name in result.stderr
    return result


def jobs(path, system=False):
    """``{plugin name: CronItem}`` of the managed jobs in ``path``."""
    tab = pycrontab.CronTab(tabfile=str(path),
                            user=False if system else None)
    return {job.comment[len('plugincron:'):]: job for job in tab
            if job.comment.startswith('plugincron:')}


def managed_lines(text):
    return [line for line in text.splitlines()
            if line.rstrip().endswith(tuple('plugincron:' + n
                                            for n in INSTALLED))]


def without_managed(data):
    return b''.join(line for line in data.splitlines(True)
                    if b'# plugincron:' not in line)


def test_sync_adds_a_line_per_plugin_and_the_manager(cron_env, tab):
    result = sync(cron_env)
    assert sorted(result.stdout.split()) == sorted(
        ['added'] * len(INSTALLED) + INSTALLED)
    found = jobs(tab)
    assert sorted(found) == INSTALLED
    assert all(job.is_enabled() for job in found.values())
    assert str(found['plugincron-manager'].slices) == '*/5 * * * *'
    assert str(found['window-logger'].slices) == '* * * * *'
    runner = [sys.executable, '-m', 'plugincron',
              '--config-file', str(cron_env.conf_file)]
    for name, job in found.items():
        assert shlex.split(job.command) == runner + ['run', name]


def test_the_written_line_runs_the_plugin(cron_env, tab):
    sync(cron_env)
    command = jobs(tab)['controlled'].command
    done = subprocess.run(['/bin/sh', '-c', command], env=cron_env.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(cron_env.windows()) == 1


def test_interval_change_updates_the_line_in_place(cron_env, tab):
    tab.write_text(FOREIGN)
    sync(cron_env)
    before = tab.read_text().splitlines()
    cron_env.write_conf(controlled={'interval': '*/15 2 * * *'})
    result = sync(cron_env)
    assert result.stdout.split() == ['updated', 'controlled']
    after = tab.read_text().splitlines()
    position = [i for i, line in enumerate(before)
                if line.endswith('plugincron:controlled')]
    assert after[position[0]].startswith('*/15 2 * * * ')
    assert len(after) == len(before)
    assert str(jobs(tab)['controlled'].slices) == '*/15 2 * * *'


def test_disabled_plugin_is_commented_out(cron_env, tab):
    sync(cron_env)
    cron_env.write_conf(window_logger={'enabled': 'false'})
    sync(cron_env)
    line, = [l for l in tab.read_text().splitlines()
             if l.endswith('plugincron:window-logger')]
    assert line.startswith('# * * * * * ')
    found = jobs(tab)
    assert not found['window-logger'].is_enabled()
    assert found['controlled'].is_enabled()
    cron_env.write_conf(window_logger={'enabled': 'true'})
    sync(cron_env)
    assert jobs(tab)['window-logger'].is_enabled()


def test_remove_removes_only_ours(cron_env, tab):
    tab.write_bytes(FOREIGN.encode())
    sync(cron_env)
    result = run(cron_env, 'remove')
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()) == sorted(['removed'] * len(INSTALLED)
                                                + INSTALLED)
    assert tab.read_bytes() == FOREIGN.encode()


def test_remove_when_nothing_is_there(cron_env, tab):
    result = run(cron_env, 'remove')
    assert result.returncode == 0, result.stderr
    assert 'up to date' in result.stdout
    assert not tab.exists()
    tab.write_text(FOREIGN)
    stat = tab.stat()
    assert run(cron_env, 'remove').returncode == 0
    assert (tab.stat().st_ino, tab.stat().st_mtime_ns) == (
        stat.st_ino, stat.st_mtime_ns)


def test_orphans_and_duplicates_are_removed(cron_env, tab):
    tab.write_text(FOREIGN +
                   '* * * * * /old/plugin-cron run gone # plugincron:gone\n'
                   '# 1 * * * * /old/plugin-cron run x # plugincron:x\n'
                   '5 * * * * /old/plugin-cron run controlled '
                   '# plugincron:controlled\n'
                   '6 * * * * /old/plugin-cron run controlled '
                   '# plugincron:controlled\n'
                   '* * * * * /old/plugin-cron run bad-interval '
                   '# plugincron:bad-interval\n')
    result = sync(cron_env)
    assert sorted(result.stdout.splitlines()) == [
        'added plugincron-dispatcher', 'added plugincron-manager',
        'added window-logger', 'removed bad-interval', 'removed controlled', 'removed gone',
        'removed x', 'updated controlled']
    assert sorted(jobs(tab)) == INSTALLED
    assert without_managed(tab.read_bytes()) == FOREIGN.encode()


def test_new_plugin_is_added_and_uninstalled_one_removed(cron_env, tab,
                                                         extra_site):
    sync(cron_env)
    distgen.write_plugin(extra_site, 'late-plugin', ['late'],
                         interval='@hourly')
    result = sync(cron_env, extra_site=extra_site)
    assert result.stdout.split() == ['added', 'late']
    assert '\n0 * * * * ' in tab.read_text()
    assert jobs(tab)['late'].slices == '0 * * * *'
    # pip uninstall, as far as entry points are concerned.
    for path in extra_site.iterdir():
        if path.is_dir():
            for child in path.iterdir():
                child.unlink()
            path.rmdir()
    result = sync(cron_env, extra_site=extra_site)
    assert result.stdout.split() == ['removed', 'late']
    assert sorted(jobs(tab)) == INSTALLED


def test_invalid_interval_gets_no_line_and_others_are_unaffected(cron_env,
                                                                 tab):
    cron_env.write_conf(controlled={'interval': '61 * * * *'})
    result = sync(cron_env)
    assert "plugin 'controlled': invalid interval '61 * * * *'" \
        in result.stderr
    assert sorted(jobs(tab)) == ['plugincron-dispatcher', 'plugincron-manager',
                                 'window-logger']


def test_foreign_lines_are_kept_byte_for_byte(cron_env, tab):
    # Odd spacing, CRLF, a non-UTF-8 byte, and no newline at the end.
    original = (FOREIGN.encode() + b'0 3 * * * echo caf\xe9\r\n'
                b'# SHELL=/bin/bash\n  \t\n5 4 * * * /bin/last-line')
    tab.write_bytes(original)
    sync(cron_env)
    data = tab.read_bytes()
    assert data.startswith(original + b'\n')
    assert without_managed(data) == original + b'\n'
    run(cron_env, 'remove')
    assert tab.read_bytes() == original + b'\n'


def test_second_sync_writes_nothing(cron_env, tab):
    tab.write_text(FOREIGN)
    sync(cron_env)
    stat = tab.stat()
    result = sync(cron_env)
    assert result.stdout.strip() == 'crontab file %s is up to date' % tab
    assert (tab.stat().st_ino, tab.stat().st_mtime_ns) == (
        stat.st_ino, stat.st_mtime_ns)


def test_write_is_a_rename_and_keeps_the_mode(cron_env, tab):
    tab.write_text(FOREIGN)
    tab.chmod(0o600)
    inode = tab.stat().st_ino
    sync(cron_env)
    assert tab.stat().st_ino != inode
    assert tab.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tab.parent.iterdir()
            if p.name.startswith('.plugincron-')] == []


def test_dry_run_prints_the_diff_and_writes_nothing(cron_env, tab):
    tab.write_text(FOREIGN)
    result = sync(cron_env, '--dry-run')
    assert tab.read_text() == FOREIGN
    added = [line[1:] for line in result.stdout.splitlines()
             if line.startswith('+') and not line.startswith('+++')]
    assert sorted(managed_lines('\n'.join(added))) == sorted(added)
    assert len(added) == len(INSTALLED)


def test_unparseable_crontab_is_reported_and_left_alone(cron_env, tab):
    text = FOREIGN + 'this is not a cron line\n'
    tab.write_text(text)
    result = run(cron_env, 'sync')
    assert result.returncode == 2
    assert "line 8: cannot parse 'this is not a cron line'" in result.stderr
    assert tab.read_text() == text


def test_enable_false_removes_every_line(cron_env, tab):
    tab.write_text(FOREIGN)
    sync(cron_env)
    cron_env.write_conf(cron={'enable': 'false'})
    result = run(cron_env, 'sync')
    assert result.returncode == 0, result.stderr
    assert tab.read_text() == FOREIGN


def test_system_format_has_a_user_column(cron_env, tab):
    tab.write_text('SHELL=/bin/sh\n17 * * * * root cd / && run-parts x\n')
    cron_env.write_conf(cron={'crontab_user': 'www-data'})
    sync(cron_env)
    found = jobs(tab, system=True)
    assert sorted(found) == INSTALLED
    assert {job.user for job in found.values()} == {'www-data'}
    line, = [l for l in tab.read_text().splitlines()
             if l.endswith('plugincron:controlled')]
    assert line.startswith('* * * * * www-data ')
    assert tab.read_text().startswith(
        'SHELL=/bin/sh\n17 * * * * root cd / && run-parts x\n')


def test_system_format_refuses_a_line_without_user(cron_env, tab):
    tab.write_text('17 * * * * /usr/bin/true\n')
    cron_env.write_conf(cron={'crontab_user': 'root'})
    result = run(cron_env, 'sync')
    assert result.returncode == 2
    assert 'line 1: cannot parse' in result.stderr


@pytest.mark.parametrize('path, message', [
    ('relative/crontab', 'absolute file path'),
    ('/etc/cron.d/my.app', 'cron ignores files'),
])
def test_bad_crontab_option_is_a_usage_error(cron_env, path, message):
    cron_env.write_conf(cron={'crontab': path})
    result = run(cron_env, 'sync')
    assert result.returncode == 2
    assert message in result.stderr


def test_cron_d_target_defaults_to_system_format(plugin_site):
    from oslo_config import cfg
    from plugincron import opts
    from plugincron.crontab import targets
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([])
    conf.set_override('crontab', '/etc/cron.d/myservice', group='cron')
    target = targets.from_conf(conf)
    assert target.system and target.column_user == targets.current_user()
    conf.set_override('crontab_user', 'svc', group='cron')
    assert targets.from_conf(conf).column_user == 'svc'


ARGV_DUMP = 'import json, sys; print(json.dumps(sys.argv[1:]))'

HOSTILE_NAMES = ['evil;touch${IFS}PWNED', "it's", '$(touch${IFS}PWNED)',
                 '`touch${IFS}PWNED`', 'a|b&&c>d', 'x\\y"z']


def test_hostile_names_and_paths_are_quoted(cron_env, tab, extra_site):
    distgen.write_plugin(extra_site, 'hostile', HOSTILE_NAMES)
    distgen.write_plugin(extra_site, 'unsafe', ['white space', '-rf',
                                                'per%cent'])
    # No "$": oslo.config interpolates it in --config-file itself.
    odd_dir = cron_env.root / 'it\'s a "dir" & (x) # y'
    odd_dir.mkdir()
    conf_file = odd_dir / 'host; rm -rf ~.conf'
    conf_file.write_text(cron_env.conf_file.read_text())
    script = odd_dir / 'argv dump.py'
    script.write_text(ARGV_DUMP)
    runner = '%s %s' % (shlex.quote(sys.executable), shlex.quote(str(script)))
    env = cron_env.env
    env['PYTHONPATH'] += os.pathsep + str(extra_site)
    with open(conf_file, 'a') as out:
        # "$$": oslo.config's escape of "$".
        out.write('\n[cron]\nrunner_command = %s\n'
                  % runner.replace('$', '$$'))
    result = subprocess.run(
        [sys.executable, '-m', 'plugincron', '--config-file', str(conf_file),
         'sync'], env=env, capture_output=True, text=True, timeout=60,
        cwd=cron_env.root)
    assert result.returncode == 1
    for name in ('white space', '-rf', 'per%cent'):
        assert 'plugin %r: name cannot be used in a crontab line' % name \
            in result.stderr
    lines = {}
    for line in tab.read_text().splitlines():
        name = line.rsplit('# plugincron:', 1)[1]
        lines[name] = line
    assert sorted(lines) == sorted(INSTALLED + HOSTILE_NAMES)
    for name in HOSTILE_NAMES:
        # What cron does: five fields off, "\%" to "%", the rest to sh.
        command = lines[name].split(' ', 5)[5].replace('\\%', '%')
        done = subprocess.run(['/bin/sh', '-c', command], cwd=cron_env.root,
                              capture_output=True, text=True, check=True)
        assert json.loads(done.stdout) == [
            '--config-file', str(conf_file), 'run', name]
    assert not list(cron_env.root.glob('PWNED*'))
    # python-crontab reads every line as a valid job.  (It takes the first
    # " #" as the comment, quoted or not, so it misses our tags here; we
    # find them at the end of the line.)
    tab_read = pycrontab.CronTab(tabfile=str(tab))
    assert len(tab_read) == len(lines)
    assert all(job.is_valid() and job.is_enabled() for job in tab_read)


def test_sync_waits_for_another_sync(cron_env, tab):
    import fcntl
    cron_env.state_dir.mkdir()
    with open(cron_env.state_dir / 'crontab.lock', 'w') as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        waiting = cron_env.start('sync')
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(3)
        assert not tab.exists()
    assert waiting.wait(30) == 1
    assert sorted(jobs(tab)) == INSTALLED
