"""The dispatcher firing real commands and real HTTP callbacks.

The loop runs in-process for a few seconds (the cron tick runs the same
:class:`~plugincron.jobs.dispatcher.Loop` for a minute); the crash and
race tests run dispatchers as separate processes.
"""

import collections
import datetime
import http.server
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from oslo_config import cfg

from plugincron import opts, state
from plugincron.jobs import dispatcher, model, service
from tests import services
from tests.conftest import REPO

UTC = datetime.timezone.utc
S = datetime.timedelta(seconds=1)


def now():
    return datetime.datetime.now(UTC)


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers each path with the next status queued for it (200 when
    none is), after the next stall queued for it, and records every
    request as it arrives."""

    protocol_version = 'HTTP/1.1'

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length).decode()
        server = self.server
        with server.lock:
            server.requests.append((time.time(), self.command, self.path,
                                    dict(self.headers), body))
            queued = server.statuses[self.path]
            status = queued.pop(0) if queued else 200
            stalls = server.stalls[self.path]
            stall = stalls.pop(0) if stalls else 0
        time.sleep(stall)
        self.send_response(status)
        self.send_header('Content-Length', '0')
        self.end_headers()

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Recorder)
    httpd.lock = threading.Lock()
    httpd.requests = []
    httpd.statuses = collections.defaultdict(list)
    httpd.stalls = collections.defaultdict(list)
    httpd.daemon_threads = True
    httpd.url = 'http://127.0.0.1:%d' % httpd.server_port
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def hits(server, path):
    return [r for r in server.requests if r[2] == path]


def make_conf(state_dir=None, state_url=None):
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([])
    if state_dir is not None:
        conf.set_override('state_dir', str(state_dir), 'cron')
    if state_url is not None:
        conf.set_override('state_url', state_url, 'cron')
    conf.set_override('retry_delay', '0.2s', 'jobs')
    conf.set_override('poll_interval', 0.1, 'jobs')
    return conf


@pytest.fixture
def conf(tmp_path):
    conf = make_conf(tmp_path / 'state')
    yield conf
    conf.reset()


@pytest.fixture
def jobs(conf):
    with service.JobService(conf, owner='t') as svc:
        yield svc


def dispatch(conf, seconds):
    with state.from_conf(conf) as store:
        return dispatcher.Loop(conf, store).run(now() + seconds * S)


def lateness(entry):
    return (entry.started_at - entry.due_at).total_seconds()


def test_commands_and_callbacks_fire_within_a_second(jobs, conf, server,
                                                     tmp_path):
    out = tmp_path / 'out'
    start = now()
    jobs.at(start + 1 * S, model.CommandTarget(
        (sys.executable, '-c', 'import os, sys; open(sys.argv[1], "a")'
         '.write(os.environ["WHO"] + " " + os.getcwd())', str(out)),
        cwd=str(tmp_path), env={'WHO': 'me'}), name='cmd')
    target = model.CommandTarget(('sh', '-c', 'echo "$WHO"; exit 3'),
                                 env={'WHO': 'env-added'})
    jobs.at(start + 1.5 * S, target, name='exit3')
    jobs.call(start + 2 * S, server.url + '/hook', method='PUT',
              headers=[('X-Token', 'secret')], data='{"id": 7}',
              name='hook')
    assert dispatch(conf, 3.5) == 3
    cmd, = jobs.entries('cmd')
    failed, = jobs.entries('exit3')
    hook, = jobs.entries('hook')
    assert cmd.state == 'succeeded' and cmd.status == 0
    assert out.read_text() == 'me ' + str(tmp_path)
    assert failed.state == 'failed' and failed.status == 3
    assert failed.output == 'env-added\n' and failed.error == 'exit status 3'
    assert hook.state == 'succeeded' and hook.status == 200
    for entry in (cmd, failed, hook):
        assert 0 <= lateness(entry) < 1, entry
    (_, method, path, headers, body), = hits(server, '/hook')
    assert (method, body, headers['X-Token']) == ('PUT', '{"id": 7}',
                                                  'secret')


def test_a_failed_callback_is_retried_up_to_its_limit(jobs, conf, server):
    server.statuses['/flaky'] = [503]
    server.statuses['/down'] = [500, 500, 500, 500]
    server.statuses['/created'] = [201]
    start = now() + S
    jobs.call(start, server.url + '/flaky', name='flaky')
    jobs.call(start, server.url + '/down', retries=2, name='down')
    jobs.call(start, server.url + '/created', expect=201, name='created')
    jobs.call(start, server.url + '/plain', expect=201, retries=0,
              name='plain')
    dispatch(conf, 4)
    flaky, = jobs.entries('flaky')
    assert (flaky.state, flaky.attempts, flaky.status) == ('succeeded', 2,
                                                           200)
    down, = jobs.entries('down')
    assert (down.state, down.attempts, down.status) == ('failed', 3, 500)
    assert down.error == 'HTTP 500, expected 200'
    assert len(hits(server, '/down')) == 3
    # Backoff doubles: 0.2 s, then 0.4 s.
    times = [r[0] for r in hits(server, '/down')]
    assert times[2] - times[1] > times[1] - times[0] >= 0.15
    assert jobs.entries('created')[0].state == 'succeeded'
    plain, = jobs.entries('plain')
    assert (plain.state, plain.error) == ('failed', 'HTTP 200, expected 201')


def test_past_max_delay_is_missed_not_fired(conf, server):
    past = now() - datetime.timedelta(minutes=20)
    with service.JobService(conf, owner='t', clock=lambda: past) as svc:
        svc.call('+1m', server.url + '/late', name='late')
        svc.call('+1m', server.url + '/patient', max_delay='1h',
                 name='patient')
    dispatch(conf, 1)
    with service.JobService(conf, owner='t') as svc:
        late, = svc.entries('late')
        patient, = svc.entries('patient')
    assert late.state == 'missed' and 'max_delay' in late.error
    assert hits(server, '/late') == []
    assert patient.state == 'succeeded' and len(hits(server,
                                                      '/patient')) == 1


def test_reschedule_fires_a_failed_entry_again(jobs, conf, server):
    server.statuses['/once-broken'] = [500]
    jobs.call(now() + 0.5 * S, server.url + '/once-broken', retries=0,
              name='cb')
    dispatch(conf, 1.5)
    assert jobs.get('cb').state == 'failed'
    (entry,) = jobs.reschedule('cb', when=now() + 0.5 * S)
    assert entry.state == 'pending'
    dispatch(conf, 1.5)
    again, = jobs.entries('cb')
    assert (again.key, again.state, again.attempts) == (entry.key,
                                                        'succeeded', 1)
    assert len(hits(server, '/once-broken')) == 2


def test_periodic_jobs_do_not_drift(jobs, conf, server):
    job = jobs.every('1s', model.HTTPTarget(server.url + '/tick'),
                     name='tick')
    anchor = job.next_fire_at
    dispatch(conf, 3.6)
    entries = jobs.entries('tick')
    done = [e for e in entries if e.state == 'succeeded']
    assert len(done) >= 3
    for index, entry in enumerate(entries):
        assert entry.due_at == anchor + index * S
    for entry in done:
        assert 0 <= lateness(entry) < 1
    assert entries[-1].state == 'pending'
    jobs.cancel('tick')
    assert jobs.get('tick').state == 'cancelled'


def test_the_dispatcher_plugin_runs_from_cron(cron_env, server):
    conf = make_conf(cron_env.state_dir)
    with service.JobService(conf, owner='t') as svc:
        svc.call(now() + 1 * S, server.url + '/from-cron', name='c')
    cron_env.write_conf(jobs={'poll_interval': '0.1', 'linger': '3s'})
    result = cron_env.run('run', 'plugincron-dispatcher', timeout=30)
    assert result.returncode == 0, result.stderr
    assert len(hits(server, '/from-cron')) == 1


CRASHER = textwrap.dedent('''
    import datetime, sys
    from plugincron import state
    from plugincron.jobs import dispatcher
    from tests.test_jobs_dispatcher import make_conf
    conf = make_conf(state_url=sys.argv[1])
    with state.from_conf(conf) as store:
        dispatcher.Loop(conf, store).run(datetime.datetime.now(
            datetime.timezone.utc) + datetime.timedelta(seconds=float(
                sys.argv[2])))
''')


def start_dispatcher(url, seconds):
    return subprocess.Popen(
        [sys.executable, '-c', CRASHER, url, str(seconds)],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO)]
                                                        + sys.path)))


def test_a_killed_dispatcher_is_recovered_not_fired_twice(tmp_path, server):
    url = state.default_url(str(tmp_path / 'state'))
    conf = make_conf(state_url=url)
    started = tmp_path / 'started'
    slow = ['sh', '-c', 'echo $$ >> "$0"; sleep 30', str(started)]
    with service.JobService(conf, owner='t') as svc:
        soon = now() + 1 * S
        for index in range(3):
            svc.at(soon, slow, name='slow%d' % index)
        svc.call(soon, server.url + '/retried', retries=1, name='retried',
                 max_delay='1h')
        svc.call(soon, server.url + '/no-retry', retries=0,
                 name='no-retry')
        # Both callbacks are in flight when the dispatcher dies.
        server.stalls['/retried'] = [30]
        server.stalls['/no-retry'] = [30]
        later = now() + 6 * S
        svc.call(later, server.url + '/later', name='later')
    crasher = start_dispatcher(url, 30)
    try:
        deadline = time.time() + 20
        while time.time() < deadline and (
                not started.exists() or
                len(started.read_text().split()) < 3 or
                not hits(server, '/retried') or
                not hits(server, '/no-retry')):
            time.sleep(0.1)
        assert len(started.read_text().split()) == 3
        # Mid-batch: the slow commands run, the later job is not due yet.
        crasher.send_signal(signal.SIGKILL)
        crasher.wait()
    finally:
        if crasher.poll() is None:
            crasher.kill()
        for pid in started.read_text().split() if started.exists() else ():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
    with service.JobService(conf, owner='t') as svc:
        assert {svc.get('slow%d' % i).state for i in range(3)} == {
            'running'}
    dispatch(conf, 8)
    with service.JobService(conf, owner='t') as svc:
        for index in range(3):
            entry, = svc.entries('slow%d' % index)
            assert entry.state == 'failed'
            assert 'died while this ran' in entry.error
            assert 'not fired again' in entry.error
        # Fired before the crash: an HTTP job with no retries left is not
        # fired again; one with a retry left is retried once.
        assert svc.entries('no-retry')[0].state == 'failed'
        assert len(hits(server, '/no-retry')) == 1
        retried, = svc.entries('retried')
        assert (retried.state, retried.attempts) == ('succeeded', 2)
        assert len(hits(server, '/retried')) == 2
        # Not yet claimed when it died: not lost.
        assert svc.entries('later')[0].state == 'succeeded'
        assert len(hits(server, '/later')) == 1
    assert len(started.read_text().split()) == 3


def test_two_dispatchers_racing_on_postgresql(server):
    url = services.new_database(services.POSTGRESQL_URL)
    conf = make_conf(state_url=url)
    due = now() + 3 * S
    with service.JobService(conf, owner='race') as svc:
        for index in range(200):
            svc.call(due, server.url + '/job/%d' % index)
    racers = [start_dispatcher(url, 8) for _ in range(2)]
    for racer in racers:
        assert racer.wait(timeout=60) == 0
    paths = collections.Counter(r[2] for r in server.requests)
    assert paths == {'/job/%d' % i: 1 for i in range(200)}
    with service.JobService(conf, owner='race') as svc:
        entries = [e for j in svc.list() for e in svc.entries(j.name)]
    assert [e.state for e in entries] == ['succeeded'] * 200
    late = sorted(lateness(e) for e in entries)
    assert late[-1] < 1.5, late[-5:]
