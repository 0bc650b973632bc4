"""``plugin-cron at/every/call/jobs/cancel/reschedule`` as subprocesses."""

import datetime
import json
import re

import pytest

from tests.conftest import REPO

T1 = '2099-01-01T10:00:00Z'
T2 = '2099-01-01T11:00:00Z'
T3 = '2099-01-01T12:00:00Z'


def _ok(result):
    assert result.returncode == 0, result.stderr
    return result.stdout


def _jobs_json(cron_env, *args):
    return json.loads(_ok(cron_env.run('jobs', *args, '--format', 'json')))


@pytest.fixture
def jobs_env(cron_env):
    # Cron expressions are read in UTC whatever the test host's zone.
    cron_env.write_conf(cron={'timezone': 'UTC'})
    return cron_env


def _fail_entry(cron_env, name):
    """Claim the job's first entry as a dispatcher would and record a
    failure, without running the dispatcher."""
    from plugincron.state import jobs as rows
    with cron_env.store() as store:
        entry = store.entries(name=name, limit=1)[0]
        now = entry.fire_at
        claimed, missed = store.claim_entries(
            now, 'test:1', now + datetime.timedelta(minutes=5), 10,
            lambda job, entry: None)
        assert [e.id for _, e in claimed] == [entry.id] and not missed
        assert store.finish_entries([rows.Outcome(
            entry.id, 'failed', now + datetime.timedelta(seconds=1),
            status=3, duration=0.25, error='Traceback...\nboom: it broke')],
            'test:1') == 1


# -- scheduling --------------------------------------------------------------

def test_at_confirms_the_entry_id_and_utc_time(jobs_env):
    out = _ok(jobs_env.run('at', '2099-01-01T11:15:00+01:00', '--name',
                           'bot.3', '--', 'echo', 'hi'))
    assert out == 'scheduled bot.3@2099-01-01T10:15:00Z: echo hi\n'
    job = _jobs_json(jobs_env, 'bot.3')
    assert job['kind'] == 'once'
    assert job['target']['argv'] == ['echo', 'hi']
    assert [e['id'] for e in job['entries']] == [
        'bot.3@2099-01-01T10:15:00Z']


def test_at_relative_time_and_generated_name(jobs_env):
    before = datetime.datetime.now(datetime.timezone.utc)
    out = _ok(jobs_env.run('at', '+10m', '--owner', 'alice', '--', 'true'))
    m = re.fullmatch(r'scheduled (alice\.1)@(\S+): true\n', out)
    assert m, out
    due = datetime.datetime.fromisoformat(m.group(2).replace('Z', '+00:00'))
    assert before + datetime.timedelta(minutes=10) <= due <= \
        before + datetime.timedelta(minutes=11)
    assert _jobs_json(jobs_env, 'alice.1')['owner'] == 'alice'


def test_command_vector_is_stored_exactly(jobs_env):
    _ok(jobs_env.run('at', '+10m', '--name', 'sh', '--', 'sh', '-c',
                     'echo $HOME; ls'))
    # Options after -- belong to the command, ours and the global -v too.
    _ok(jobs_env.run('at', '+10m', '--name', 'opts', '--env', 'A=1=2',
                     '--env', 'B=', '--cwd', str(jobs_env.root),
                     '--timeout', '90s', '--', 'ls', '-v', '--name', 'x',
                     '--', '-d'))
    # Right after WHEN too: argparse would eat that -- on Python 3.11.
    _ok(jobs_env.run('at', '+10m', '--name', 'dash', '--', '-v', '-h'))
    _ok(jobs_env.run('at', '+10m', '--', '--name', 'x'))
    assert _jobs_json(jobs_env, 'sh')['target']['argv'] == [
        'sh', '-c', 'echo $HOME; ls']
    assert _jobs_json(jobs_env, 'dash')['target']['argv'] == ['-v', '-h']
    assert [j['target']['argv'] for j in _jobs_json(jobs_env)
            if j['name'] not in ('sh', 'dash', 'opts')] == [['--name', 'x']]
    target = _jobs_json(jobs_env, 'opts')['target']
    assert target['argv'] == ['ls', '-v', '--name', 'x', '--', '-d']
    assert target['env'] == [['A', '1=2'], ['B', '']]
    assert target['cwd'] == str(jobs_env.root)
    assert target['timeout'] == 90.0


def test_options_before_when_and_without_dashes(jobs_env):
    _ok(jobs_env.run('at', '--name', 'early', T1, 'echo', '-n', 'x'))
    job = _jobs_json(jobs_env, 'early')
    assert job['target']['argv'] == ['echo', '-n', 'x']


def test_every_duration_confirms_next_time(jobs_env):
    out = _ok(jobs_env.run('every', '10m', '--name', 'status.123',
                           '--start', T1, '--max-delay', '1m', '--retry',
                           '2', '--', 'notify-owner', '123'))
    assert out == ('scheduled status.123 every 10m, next at '
                   '2099-01-01T10:00:00Z: notify-owner 123\n')
    job = _jobs_json(jobs_env, 'status.123')
    assert (job['kind'], job['schedule'], job['retries'],
            job['max_delay']) == ('every', 'every 10m', 2, 60.0)


def test_every_cron_expression(jobs_env):
    out = _ok(jobs_env.run('every', '*/5 * * * *', '--name', 'five',
                           '--start', '2099-01-01T10:01:00Z', '--', 'true'))
    assert out == ('scheduled five cron */5 * * * *, next at '
                   '2099-01-01T10:05:00Z: true\n')


def test_call_once_and_every(jobs_env):
    out = _ok(jobs_env.run('call', T1, 'http://127.0.0.1:9/hook',
                           '--method', 'put', '--header', 'X-Token: s3 cr',
                           '--header', 'Content-Type:application/json',
                           '--data', '{"a": 1}', '--expect', '204',
                           '--retry', '3', '--timeout', '5s', '--name',
                           'cb'))
    assert out == ('scheduled cb@2099-01-01T10:00:00Z: '
                   'PUT http://127.0.0.1:9/hook\n')
    job = _jobs_json(jobs_env, 'cb')
    assert job['retries'] == 3
    assert job['target'] == {
        'kind': 'http', 'url': 'http://127.0.0.1:9/hook', 'method': 'PUT',
        'headers': [['X-Token', 's3 cr'],
                    ['Content-Type', 'application/json']],
        'body': '{"a": 1}', 'expect': 204, 'timeout': 5.0}
    out = _ok(jobs_env.run('call', T1, 'https://example.test/tick',
                           '--every', '1h', '--name', 'tick'))
    assert out == ('scheduled tick every 1h, next at 2099-01-01T10:00:00Z: '
                   'GET https://example.test/tick\n')
    assert _jobs_json(jobs_env, 'tick')['retries'] == 1


# -- listing -----------------------------------------------------------------

def test_jobs_table_and_json(jobs_env):
    _ok(jobs_env.run('at', T1, '--name', 'a', '--', 'echo', 'hi'))
    _ok(jobs_env.run('every', '5m', '--name', 'b', '--start', T2, '--owner',
                     'bob', '--', 'true'))
    lines = _ok(jobs_env.run('jobs')).splitlines()
    assert lines[0].split() == ['NAME', 'OWNER', 'SCHEDULE', 'STATE', 'NEXT',
                                'ATTEMPTS', 'LAST', 'TARGET']
    assert lines[1].split()[0:1] + lines[1].split()[2:] == [
        'a', 'once', 'pending', T1, '0', '-', 'echo', 'hi']
    assert lines[2].split() == ['b', 'bob', 'every', '5m', 'pending', T2,
                                '0', '-', 'true']
    jobs = _jobs_json(jobs_env)
    assert [(j['name'], j['next_fire_at']) for j in jobs] == [
        ('a', T1), ('b', T2)]
    assert [j['name'] for j in _jobs_json(jobs_env, '--owner', 'bob')] == \
        ['b']


def test_jobs_paging(jobs_env):
    for name in ('p1', 'p2', 'p3'):
        _ok(jobs_env.run('at', T1, '--name', name, '--', 'true'))
    first = jobs_env.run('jobs', '--limit', '2', '--format', 'json')
    assert [j['name'] for j in json.loads(_ok(first))] == ['p1', 'p2']
    assert first.stderr == 'plugin-cron: more: --start-from p3\n'
    last = jobs_env.run('jobs', '--start-from', 'p3', '--limit', '2')
    assert [line.split()[0] for line in _ok(last).splitlines()[1:]] == ['p3']
    assert last.stderr == ''


def test_job_entries_paging_and_future_only(jobs_env):
    for when in (T1, T2, T3):
        _ok(jobs_env.run('at', when, '--name', 'multi', '--', 'true'))
    _ok(jobs_env.run('cancel', 'multi@' + T1))
    page = jobs_env.run('jobs', 'multi', '--limit', '2', '--format', 'json')
    job = json.loads(_ok(page))
    assert job['name'] == 'multi' and job['next_fire_at'] == T2
    assert [(e['id'], e['state']) for e in job['entries']] == [
        ('multi@' + T1, 'cancelled'), ('multi@' + T2, 'pending')]
    assert page.stderr == 'plugin-cron: more: --start-from %s\n' % T3
    job = _jobs_json(jobs_env, 'multi', '--start-from', 'multi@' + T3)
    assert [e['due_at'] for e in job['entries']] == [T3]
    job = _jobs_json(jobs_env, 'multi', '--future-only')
    assert [e['due_at'] for e in job['entries']] == [T2, T3]
    lines = _ok(jobs_env.run('jobs', 'multi')).splitlines()
    assert lines[0].split()[0] == 'NAME' and lines[1].split()[0] == 'multi'
    assert lines[3].split() == ['ID', 'DUE', 'STATE', 'ATTEMPTS', 'STATUS',
                                'DURATION', 'ERROR']
    assert lines[4].split()[:3] == ['multi@' + T1, T1, 'cancelled']
    assert len(lines) == 7


def test_future_only_leaves_out_finished_jobs(jobs_env):
    _ok(jobs_env.run('at', T1, '--name', 'done', '--', 'true'))
    _ok(jobs_env.run('at', T1, '--name', 'todo', '--', 'true'))
    _ok(jobs_env.run('cancel', 'done'))
    assert [j['name'] for j in _jobs_json(jobs_env)] == ['done', 'todo']
    assert [j['name'] for j in _jobs_json(jobs_env, '--future-only')] == \
        ['todo']


# -- cancel / reschedule -----------------------------------------------------

def test_cancel(jobs_env):
    _ok(jobs_env.run('every', '10m', '--name', 'status.123', '--start', T1,
                     '--', 'notify-owner', '123'))
    assert _ok(jobs_env.run('cancel', 'status.123')) == \
        'cancelled 1 entry of status.123\n'
    job = _jobs_json(jobs_env, 'status.123')
    assert (job['state'], job['cancelled'], job['next_fire_at']) == \
        ('cancelled', True, None)
    assert job['entries'][0]['state'] == 'cancelled'
    assert _jobs_json(jobs_env)[0]['state'] == 'cancelled'
    again = jobs_env.run('cancel', 'status.123')
    assert _ok(again) == \
        'cancelled 0 entries of status.123: nothing was pending\n'


def test_reschedule_a_failed_entry(jobs_env):
    _ok(jobs_env.run('at', T1, '--name', 'flaky', '--', 'false'))
    _fail_entry(jobs_env, 'flaky')
    lines = _ok(jobs_env.run('jobs')).splitlines()
    assert lines[1].split()[3] == 'failed'
    assert 'failed 3 0.2s: boom: it broke' in lines[1]
    entry = _jobs_json(jobs_env, 'flaky')['entries'][0]
    assert (entry['state'], entry['status'], entry['attempts']) == \
        ('failed', 3, 1)
    out = _ok(jobs_env.run('reschedule', 'flaky', '--at', T2))
    assert out == 'rescheduled flaky@%s to fire at %s\n' % (T1, T2)
    job = _jobs_json(jobs_env, 'flaky')
    assert (job['state'], job['next_fire_at']) == ('pending', T2)
    assert job['entries'][0]['attempts'] == 0
    out = _ok(jobs_env.run('reschedule', 'flaky@' + T1))
    assert out == 'nothing to reschedule: flaky@%s has no failed entry\n' \
        % T1


def test_reschedule_defaults_to_the_next_minute(jobs_env):
    _ok(jobs_env.run('at', T1, '--name', 'flaky', '--', 'false'))
    _fail_entry(jobs_env, 'flaky')
    before = datetime.datetime.now(datetime.timezone.utc)
    out = _ok(jobs_env.run('reschedule', 'flaky@' + T1))
    m = re.fullmatch(r'rescheduled flaky@\S+ to fire at (\S+)\n', out)
    fire = datetime.datetime.fromisoformat(m.group(1).replace('Z', '+00:00'))
    assert fire.second == 0 and fire.microsecond == 0
    assert before < fire <= before + datetime.timedelta(minutes=1, seconds=5)


# -- refused input -----------------------------------------------------------

URL = 'http://127.0.0.1:9/hook'

BAD = [
    # (arguments, what the one line says)
    (('at', '2020-01-01T00:00:00Z', '--', 'echo'), 'is in the past'),
    (('call', '2020-01-01T00:00:00Z', URL), 'is in the past'),
    (('every', '5m', '--start', '2020-01-01T00:00', '--', 'echo'),
     'is in the past'),
    (('at', 'soonish', '--', 'echo'), "invalid time 'soonish'"),
    (('at', '1015', '--', 'echo'), "did you mean '10:15'"),
    (('every', '5x', '--', 'echo'), "invalid schedule '5x'"),
    (('every', '61 * * * *', '--', 'echo'), 'invalid schedule'),
    (('call', '+10m', URL, '--every', 'often'), "invalid schedule 'often'"),
    (('at', '+10m', '--max-delay', '5x', '--', 'echo'),
     "invalid --max-delay '5x'"),
    (('call', '+10m', URL, '--max-delay', '10'), 'invalid --max-delay'),
    (('at', '+10m', '--timeout', 'soon', '--', 'echo'), 'invalid --timeout'),
    (('at', '+10m', '--'), 'empty command'),
    (('at', '+10m'), 'empty command'),
    (('every', '5m', '--name', 'e', '--'), 'empty command'),
    (('at', '+10m', '--name', 'e'), 'empty command'),
    (('call', '+10m', 'ftp://127.0.0.1/x'), "bad URL 'ftp://127.0.0.1/x'"),
    (('call', '+10m', 'example.com/hook'), 'bad URL'),
    (('at', '+10m', '--name', 'taken', '--', 'echo', 'other'),
     "job name 'taken' is taken"),
    (('every', '5m', '--name', 'taken', '--', 'echo', 'taken'),
     "job name 'taken' is taken"),
    (('call', '+10m', URL, '--name', 'taken'), "job name 'taken' is taken"),
    (('at', '+10m', '--name', 'bad name', '--', 'echo'), 'bad job name'),
    (('call', '+10m', URL, '--header', 'X-Token'), "bad --header 'X-Token'"),
    (('call', '+10m', URL, '--header', 'X Y: z'), 'bad HTTP header'),
    (('call', '+10m', URL, '--expect', 'ok'), "bad --expect 'ok'"),
    (('call', '+10m', URL, '--expect', '99'), "bad --expect '99'"),
    (('call', '+10m', URL, '--method', 'FETCH'), 'bad HTTP method'),
    (('at', '+10m', '--env', 'NOEQ', '--', 'echo'), "bad --env 'NOEQ'"),
    (('at', '+10m', '--env', '=1', '--', 'echo'),
     'bad environment variable name'),
    (('at', '+10m', '--retry', 'twice', '--', 'echo'), 'bad --retry'),
    (('at', '+10m', '--owner', 'no one', '--', 'echo'), 'bad owner'),
    (('cancel', 'nope'), "no job named 'nope'"),
    (('cancel', 'taken@2099-02-01T00:00:00Z'),
     "job 'taken' has no entry due at 2099-02-01T00:00:00Z"),
    (('reschedule', 'nope'), "no job named 'nope'"),
    (('reschedule', 'nope@' + T1, '--all'), "no job named 'nope'"),
    (('reschedule', 'taken', '--at', 'yesterday'), "invalid time"),
    (('jobs', 'nope'), "no job named 'nope'"),
    (('jobs', '--limit', '0'), "bad --limit '0'"),
]


@pytest.fixture(scope='module')
def refusing_env(tmp_path_factory, plugin_site):
    from tests.conftest import CronEnv
    env = CronEnv(tmp_path_factory.mktemp('refusing'), plugin_site)
    _ok(env.run('at', T1, '--name', 'taken', '--', 'echo', 'taken'))
    return env


@pytest.mark.parametrize('args,message', BAD,
                         ids=[' '.join(args) for args, _ in BAD])
def test_bad_input_is_refused_with_one_line(refusing_env, args, message):
    before = _ok(refusing_env.run('jobs', '--format', 'json'))
    result = refusing_env.run(*args)
    assert result.returncode == 2, result.stdout
    assert result.stdout == ''
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith('plugin-cron: error: ')
    assert message in result.stderr
    assert _ok(refusing_env.run('jobs', '--format', 'json')) == before


def test_the_command_goes_after_dashes(jobs_env):
    # A usage error (argparse's usage and one error line), nothing stored.
    result = jobs_env.run('at', '+10m', '--name', 'x', 'ls', '-l')
    assert result.returncode == 2
    assert 'the command goes after --' in result.stderr
    assert _jobs_json(jobs_env) == []


def test_module_imports_no_job_machinery():
    import subprocess
    import sys
    code = ('import sys, plugincron.cli.jobs; print(sorted(m for m in '
            'sys.modules if m.startswith(("plugincron.jobs", '
            '"plugincron.state", "sqlalchemy"))))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True, cwd=REPO).stdout
    assert out == '[]\n'
