"""The status-page example: a plugin that schedules and cancels jobs.

The example distribution (``examples/status-page``) is installed by pip
and run by ``plugin-cron run status-page`` in a subprocess, as cron would;
the test looks at the jobs it left through :class:`JobService` on the
same configuration, and has the real dispatcher loop fire the reminder.

The example is installed into a site directory of its own rather than
the session's ``plugin_site``: the crontab tests expect an exact set of
installed plugins, and a plugin only this module needs has no place in it.
"""

import datetime
import http.server
import json
import os
import sys
import threading

import pytest
from oslo_config import cfg

from plugincron import opts, state
from plugincron.jobs import dispatcher, model, targets
from plugincron.jobs.service import JobService, utcnow
from tests.conftest import REPO, pip_install

UTC = datetime.timezone.utc
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture(scope='module')
def status_site(plugin_site, tmp_path_factory):
    site = tmp_path_factory.mktemp('status-site')
    pip_install(site, REPO / 'examples' / 'status-page')
    sys.path.insert(sys.path.index(str(plugin_site)) + 1, str(site))
    yield site
    sys.path.remove(str(site))
    for module in [m for m in sys.modules
                   if m.startswith('plugincron_status_page')]:
        del sys.modules[module]


@pytest.fixture
def page(cron_env, status_site):
    return StatusPageEnv(cron_env, status_site)


class StatusPageEnv:
    """A host with the status-page plugin configured, and its incidents."""

    def __init__(self, cron_env, site):
        self.cron_env = cron_env
        self.site = site
        self.incidents = cron_env.root / 'incidents.json'
        self.reminders = cron_env.root / 'reminders.log'
        cron_env.write_conf(status_page={
            'incidents_file': str(self.incidents),
            'reminders_file': str(self.reminders)})
        # Past ticks a minute apart, so that every run gets a window
        # (a second run of the same tick would find nothing to do).
        self.tick = utcnow().replace(second=0, microsecond=0) - 30 * MINUTE

    def write(self, **statuses):
        """``write(i123='open')``: the incidents file."""
        self.incidents.write_text(json.dumps([
            {'id': key[1:], 'owner': 'alice', 'status': status}
            for key, status in statuses.items()]))

    def run(self):
        """``plugin-cron run status-page`` at the next tick."""
        self.tick += MINUTE
        env = self.cron_env.env
        env['PYTHONPATH'] = os.pathsep.join([env['PYTHONPATH'],
                                             str(self.site)])
        import subprocess
        result = subprocess.run(
            self.cron_env.command('run', 'status-page', '--now',
                                  self.tick.isoformat()),
            env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result

    def conf(self):
        conf = cfg.ConfigOpts()
        opts.register_opts(conf)
        conf(['--config-file', str(self.cron_env.conf_file)],
             default_config_files=[])
        return conf

    def jobs(self):
        return JobService(self.conf(), owner='status-page')


def test_status_page_schedules_reminds_and_cancels(page):
    page.write(i123='open', i122='closed')
    before = utcnow()
    page.run()
    with page.jobs() as jobs:
        job = jobs.get('status.123')
        assert (job.owner, job.kind, job.schedule, job.state) == (
            'status-page', 'every', 'every 10m', 'pending')
        assert isinstance(job.target, model.CommandTarget)
        # First reminder one period after the incident was seen.
        assert before + 10 * MINUTE - datetime.timedelta(seconds=1) \
            <= job.next_fire_at <= utcnow() + 10 * MINUTE
        # The closed incident never had a job: nothing to cancel, no error.
        assert [j.name for j in jobs.list(owner='status-page')] == \
            ['status.123']

    # Idempotent: the next run finds the job and schedules nothing more.
    page.run()
    with page.jobs() as jobs:
        assert [j.name for j in jobs.list(owner='status-page')] == \
            ['status.123']
        pending, = jobs.entries('status.123', future_only=True)
        assert pending.due_at == job.next_fire_at

    # The real dispatcher loop fires the reminder, ten minutes on.
    conf = page.conf()
    later = datetime.timedelta(minutes=10, seconds=1)
    with state.from_conf(conf) as store:
        loop = dispatcher.Loop(conf, store, clock=lambda: utcnow() + later)
        assert loop.run(utcnow() + later + datetime.timedelta(
            seconds=1.5)) == 1
    line, = page.reminders.read_text().splitlines()
    assert line.endswith(' remind alice: incident 123 is still open')
    with page.jobs() as jobs:
        fired, following = jobs.entries('status.123')
        assert (fired.state, fired.status, fired.attempts) == (
            'succeeded', 0, 1)
        # Counted from the schedule: the next one is ten minutes on.
        assert (following.state, following.due_at) == (
            'pending', fired.due_at + 10 * MINUTE)

    # The incident closes: the next run cancels the job.
    page.write(i123='closed', i122='closed')
    page.run()
    with page.jobs() as jobs:
        job = jobs.get('status.123')
        assert job.cancelled and job.state == 'cancelled'
        assert job.next_fire_at is None
        assert jobs.entries('status.123', future_only=True) == []
        assert [e.state for e in jobs.entries('status.123')] == [
            'succeeded', 'cancelled']

    # Closing it again is a no-op; reopening it reminds again, under the
    # same name, with the old entries kept as history.
    page.run()
    page.write(i123='open')
    page.run()
    with page.jobs() as jobs:
        job = jobs.get('status.123')
        assert (job.state, job.cancelled) == ('pending', False)
        assert sorted(e.state for e in jobs.entries('status.123')) == [
            'cancelled', 'pending', 'succeeded']


def test_incident_id_that_cannot_name_a_job_does_not_stop_the_others(page):
    page.incidents.write_text(json.dumps([
        {'id': 'no spaces', 'owner': 'bob', 'status': 'open'},
        {'id': '7', 'owner': 'alice', 'status': 'open'}]))
    result = page.run()
    assert "bad job name 'status.no spaces'" in result.stderr
    with page.jobs() as jobs:
        assert [j.name for j in jobs.list()] == ['status.7']


class _Review(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        self.received.append((self.path, self.headers['Content-Type'],
                              json.loads(body)))
        self.send_response(202)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass


def test_host_schedules_a_one_shot_http_callback(page):
    pytest.importorskip('httpx')
    from plugincron_status_page.callbacks import schedule_review
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Review)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = 'http://127.0.0.1:%d/reviews' % server.server_port
    try:
        before = utcnow()
        entry = schedule_review(page.conf(), '123', url)
        assert entry.key.startswith('review.123@')
        # '+2d', rounded up to the whole second.
        assert before + datetime.timedelta(days=2) <= entry.due_at \
            <= utcnow() + datetime.timedelta(days=2, seconds=1)
        with page.jobs() as jobs:
            job = jobs.get('review.123')
        assert (job.kind, job.retries, job.max_delay) == (
            'once', 3, datetime.timedelta(hours=1))
        assert (job.target.method, job.target.expect, job.target.headers) \
            == ('POST', 202, (('Content-Type', 'application/json'),))
        # The stored call works: fire it as the dispatcher would.
        result = targets.fire(job.target)
        assert result.ok and result.status == 202
        assert _Review.received == [
            ('/reviews', 'application/json', {'incident': '123'})]
    finally:
        server.shutdown()
        server.server_close()
