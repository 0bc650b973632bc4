"""JobService: scheduling, inspection and changes, on the embedded store."""

import datetime

import pytest
from oslo_config import cfg

from plugincron import opts
from plugincron.jobs import model, service, timespec
from plugincron.state import jobs as rows
from tests.conftest import utc

NOW = utc(2026, 11, 23, 10, 0)
S = datetime.timedelta(seconds=1)
URL = 'http://127.0.0.1:9/callback'


@pytest.fixture
def conf(tmp_path):
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([])
    conf.set_override('state_dir', str(tmp_path), 'cron')
    conf.set_override('timezone', 'Europe/Berlin', 'cron')
    yield conf
    conf.reset()


@pytest.fixture
def jobs(conf):
    clock = Clock()
    with service.JobService(conf, owner='bot', clock=clock) as svc:
        svc.now = clock
        yield svc


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


def snapshot(svc):
    return ([j.to_dict() for j in svc.list()],
            [e.to_dict() for j in svc.list() for e in svc.entries(j.name)])


def test_at_resolves_the_time_and_generates_a_name(jobs):
    entry = jobs.at('+10m', ['echo', 'hi'])
    assert entry.key == 'bot.1@2026-11-23T10:10:00Z'
    assert entry.state == 'pending'
    # 15:30 in Berlin (UTC+1 in November).
    assert jobs.at('15:30', ['echo']).due_at == utc(2026, 11, 23, 14, 30)
    assert jobs.at('1795500000', ['echo']).key == \
        'bot.3@2026-11-24T06:00:00Z'
    job = jobs.get('bot.1')
    assert (job.kind, job.schedule, job.state, job.next_fire_at,
            job.target) == ('once', 'once', 'pending', NOW + 600 * S,
                            model.CommandTarget(('echo', 'hi')))


def test_a_name_holds_several_one_shot_entries(jobs):
    jobs.at('+10m', ['notify'], name='remind')
    second = jobs.at('+2d', ['notify'], name='remind')
    assert second.key == 'remind@2026-11-25T10:00:00Z'
    assert [e.key for e in jobs.entries('remind')] == [
        'remind@2026-11-23T10:10:00Z', 'remind@2026-11-25T10:00:00Z']
    # The same time twice, or another target under the name: refused.
    with pytest.raises(model.DuplicateJob, match='an entry at that time'):
        jobs.at('+10m', ['notify'], name='remind')
    with pytest.raises(model.DuplicateJob, match='one-shot job of bot'):
        jobs.at('+1h', ['other'], name='remind')


def test_every_counts_from_its_anchor(jobs):
    job = jobs.every('10m', ['notify-owner', '123'], name='status.123')
    assert (job.kind, job.schedule, job.next_fire_at) == (
        'every', 'every 10m', NOW + 600 * S)
    record = jobs.store.get_job('status.123')
    entry = jobs.store.entries(name='status.123')[0]
    # The next entry comes from the schedule, not from when one finished:
    # a run that ended at 10:13:20 is followed by 10:20.
    assert service.following(record, entry, NOW + 800 * S) == (
        NOW + 1200 * S, NOW + 1800 * S)
    # After an outage, ticks older than max_delay are passed over.
    assert service.following(record, entry, NOW + 4000 * S)[0] == \
        NOW + 3600 * S


def test_cron_jobs_hash_h_from_the_name_in_the_configured_zone(jobs):
    job = jobs.cron('H 9 * * *', model.HTTPTarget(URL), name='daily')
    record = jobs.store.get_job('daily')
    assert record.timezone == 'Europe/Berlin'
    minute = int(record.schedule.split()[0])
    assert job.next_fire_at == utc(2026, 11, 24, 8, minute)
    # Another name, another minute (for these two names).
    jobs.cron('H 9 * * *', model.HTTPTarget(URL), name='nightly')
    assert jobs.store.get_job('nightly').schedule != record.schedule


def test_call_defaults_to_one_retry_and_ten_minutes_max_delay(jobs):
    entry = jobs.call('+6h', URL, data='{"a": 1}',
                      headers=[('X-Token', 't')])
    job = jobs.get(entry.job)
    assert (job.retries, job.max_delay) == (1, datetime.timedelta(
        minutes=10))
    assert job.target == model.HTTPTarget(URL, 'POST', (('X-Token', 't'),),
                                          '{"a": 1}', 200)
    assert jobs.at('+1m', ['true']).job and \
        jobs.get('bot.2').retries == 0
    periodic = jobs.call('+1m', URL, every='@hourly', name='hook')
    assert periodic.kind == 'cron' and periodic.next_fire_at == \
        utc(2026, 11, 23, 11, 0)


@pytest.mark.parametrize('schedule, problem', [
    (lambda s: s.at('2026-11-23T09:00:00Z', ['x']), 'in the past'),
    (lambda s: s.at('tomorrowish', ['x']), "invalid time 'tomorrowish'"),
    (lambda s: s.at('+10m', []), 'empty command'),
    (lambda s: s.at('+10m', ['x'], name='bad name'), 'bad job name'),
    (lambda s: s.at('+10m', ['x'], retries=-1), 'bad retries'),
    (lambda s: s.at('+10m', ['x'], max_delay='soon'),
     "invalid duration 'soon'"),
    (lambda s: s.every('5x', ['x']), "invalid schedule '5x'"),
    (lambda s: s.every('61 * * * *', ['x']), "invalid schedule"),
    (lambda s: s.cron('5m', ['x']), 'is a duration'),
    (lambda s: s.call('+1m', 'ftp://host/x'), 'bad URL'),
    (lambda s: s.call('+1m', 'http://'), 'bad URL'),
    (lambda s: s.call('+1m', URL, expect=42), 'bad expected HTTP status'),
    (lambda s: s.call('+1m', URL, headers=[('Bad Header', 'x')]),
     'bad HTTP header'),
    (lambda s: s.call('+1m', URL, method='FETCH'), 'bad HTTP method'),
    (lambda s: s.every('5m', ['x'], name='taken'), "'taken' is taken"),
    (lambda s: s.at('+5m', ['x'], name='taken'), "'taken' is taken"),
])
def test_bad_input_is_refused_and_nothing_is_stored(jobs, schedule, problem):
    jobs.every('1h', ['keep'], name='taken')
    before = snapshot(jobs)
    with pytest.raises((model.JobError, timespec.BadTimeSpec)) as caught:
        schedule(jobs)
    assert problem in str(caught.value)
    assert '\n' not in str(caught.value)
    assert snapshot(jobs) == before


def test_list_pages_by_name_and_filters(jobs):
    for name in ('a', 'b', 'c', 'd'):
        jobs.at('+1h', ['x'], name=name)
    jobs.cancel('b')
    assert [j.name for j in jobs.list(limit=2)] == ['a', 'b']
    assert [j.name for j in jobs.list(start_from='c')] == ['c', 'd']
    assert [j.name for j in jobs.list(future_only=True)] == ['a', 'c', 'd']
    assert jobs.get('b').state == 'cancelled'
    assert jobs.list(owner='nobody') == []


def test_entries_page_by_due_time(jobs):
    for hours in (1, 2, 3):
        jobs.at('+%dh' % hours, ['x'], name='n')
    later = jobs.entries('n', start_from=NOW + 7200 * S, limit=1)
    assert [e.key for e in later] == ['n@2026-11-23T12:00:00Z']
    jobs.cancel('n@2026-11-23T11:00:00Z')
    assert [e.state for e in jobs.entries('n')] == ['cancelled', 'pending',
                                                    'pending']
    assert len(jobs.entries('n', future_only=True)) == 2


def test_cancel_and_get_of_an_unknown_job(jobs):
    for call in (jobs.cancel, jobs.get, jobs.reschedule):
        with pytest.raises(model.JobNotFound, match="no job named 'nope'"):
            call('nope')


def fail(jobs, name):
    """Claim the entries of ``name`` that are due, and fail them."""
    claimed, _ = jobs.store.claim_entries(jobs.now(), 'h:1', jobs.now(),
                                          100, lambda j, e: None)
    jobs.store.finish_entries(
        [rows.Outcome(e.id, 'failed', jobs.now(), status=500,
                      error='HTTP 500, expected 200')
         for j, e in claimed if j.name == name], 'h:1')


def test_reschedule_only_failed_entries_by_default(jobs):
    jobs.call('+1m', URL, name='cb')
    jobs.call('+2m', URL, name='cb')
    jobs.call('+1h', URL, name='cb')
    jobs.now.now = NOW + 90 * S
    fail(jobs, 'cb')
    jobs.now.now = NOW + 150 * S
    claimed, _ = jobs.store.claim_entries(jobs.now(), 'h:1', jobs.now(), 9,
                                          lambda j, e: None)
    jobs.store.finish_entries([rows.Outcome(claimed[0][1].id, 'succeeded',
                                            jobs.now())], 'h:1')
    again = jobs.reschedule('cb')
    assert [e.key for e in again] == ['cb@2026-11-23T10:01:00Z']
    # To the next minute when no time is given; the identity stays.
    assert again[0].fire_at == utc(2026, 11, 23, 10, 3)
    assert again[0].state == 'pending' and again[0].attempts == 0
    assert [e.key for e in jobs.reschedule('cb', when='+1h', all=True)] == [
        'cb@2026-11-23T10:02:00Z']
    assert jobs.reschedule('cb@2026-11-23T10:02:00Z') == []
