"""The public test helper, and the runner's catch-up rules through it."""

import datetime

import pytest

from plugincron import CronPluginBase, exceptions, testing
from plugincron.testing import window


class Recorder(CronPluginBase):
    """Records its windows; fails for windows listed in ``fail``."""

    interval_text = '0 * * * *'

    def __init__(self, config):
        super().__init__(config)
        self.calls = []
        self.fail = set()

    def enabled(self):
        return True

    def interval(self):
        return self.interval_text

    def run(self, start_time, end_time):
        self.calls.append((start_time, end_time))
        if start_time in self.fail:
            raise RuntimeError('no data for %s' % start_time)


def test_first_tick_then_catch_up():
    with testing.PluginHarness(Recorder) as harness:
        report = harness.tick('2026-01-05T10:07:00Z')
        assert report.committed == [window('2026-01-05T09:00Z',
                                           '2026-01-05T10:00Z')]
        harness.tick('2026-01-05T13:30:00Z')
        assert harness.committed_windows() == [
            window('2026-01-05T09:00Z', '2026-01-05T10:00Z'),
            window('2026-01-05T10:00Z', '2026-01-05T13:00Z')]
        assert harness.committed_end == testing.parse_time(
            '2026-01-05T13:00Z')
        assert [r.status for r in harness.history()] == ['succeeded'] * 2


def test_each_stops_at_the_first_failure_and_resumes_there():
    with testing.PluginHarness(Recorder, name='rec', overrides={
            'plugin:rec': {'catchup': 'each'}}) as harness:
        harness.tick('2026-01-05T10:00:00Z')
        harness.plugin.fail = {testing.parse_time('2026-01-05T11:00Z')}
        report = harness.tick('2026-01-05T13:00:00Z')
        assert report.outcome == 'failed'
        assert report.committed == [window('2026-01-05T10:00Z',
                                           '2026-01-05T11:00Z')]
        assert harness.plugin.calls[-1][0].hour == 11  # 12:00 never tried
        harness.plugin.fail = set()
        report = harness.tick('2026-01-05T13:10:00Z')
        assert report.committed == [
            window('2026-01-05T11:00Z', '2026-01-05T12:00Z'),
            window('2026-01-05T12:00Z', '2026-01-05T13:00Z')]


@pytest.mark.parametrize('policy, runs, reason', [
    ('coalesce', [('2026-01-05T08:00Z', '2026-01-05T10:00Z')],
     'older than max_catchup (2:00:00)'),
    ('each', [('2026-01-05T08:00Z', '2026-01-05T09:00Z'),
              ('2026-01-05T09:00Z', '2026-01-05T10:00Z')],
     'older than max_catchup (2:00:00)'),
    ('skip', [('2026-01-05T09:00Z', '2026-01-05T10:00Z')],
     'catch-up policy skip'),
])
def test_skipped_time_is_recorded_with_its_reason(policy, runs, reason):
    with testing.PluginHarness(Recorder, name='rec', overrides={
            'plugin:rec': {'catchup': policy, 'max_catchup': '2h'}}
            ) as harness:
        harness.tick('2026-01-05T01:00:00Z')
        report = harness.tick('2026-01-05T10:30:00Z')
        assert report.committed == [window(*r) for r in runs]
        (missed,) = [r for r in harness.history() if r.status == 'missed']
        assert missed.reason == reason
        assert missed.window_start == testing.parse_time('2026-01-05T01:00Z')
        assert missed.window_end == report.committed[0].start
        assert harness.committed_windows()[-1].end == harness.committed_end


def test_pause_records_a_skip_and_resume_catches_up():
    with testing.PluginHarness(Recorder) as harness:
        harness.tick('2026-01-05T10:00:00Z')
        harness.pause()
        assert harness.tick('2026-01-05T12:00:00Z').reason == 'plugin paused'
        harness.resume()
        assert harness.tick('2026-01-05T13:00:00Z').committed == [
            window('2026-01-05T10:00Z', '2026-01-05T13:00Z')]
        assert [r.status for r in harness.history()][:4] == [
            'succeeded', 'resumed', 'skipped', 'paused']


def test_lock_held_records_a_skip():
    with testing.PluginHarness(Recorder) as harness:
        lock = harness.hold_lock()
        report = harness.tick('2026-01-05T10:00:00Z')
        lock.release()
        assert report.reason == 'another run holds the lock'
        assert harness.committed_end is None


def test_backfill_never_moves_the_committed_end():
    with testing.PluginHarness(Recorder) as harness:
        harness.tick('2026-01-05T10:00:00Z')
        report = harness.backfill('2026-01-04T21:30Z', '2026-01-05T00:00Z',
                                  each=True)
        assert report.backfilled == [
            window('2026-01-04T21:30Z', '2026-01-04T22:00Z'),
            window('2026-01-04T22:00Z', '2026-01-04T23:00Z'),
            window('2026-01-04T23:00Z', '2026-01-05T00:00Z')]
        assert harness.committed_end == testing.parse_time(
            '2026-01-05T10:00Z')
        assert [r.status for r in harness.history()][:3] == \
            ['backfilled'] * 3
        with pytest.raises(exceptions.ConfigError, match='committed end'):
            harness.backfill('2026-01-05T09:00Z', '2026-01-05T11:00Z',
                             now='2026-01-05T11:30Z')
        lock = harness.hold_lock()
        with pytest.raises(exceptions.LockHeld, match='backfill refused'):
            harness.backfill('2026-01-04T00:00Z', '2026-01-04T01:00Z')
        lock.release()


def test_timeout_through_the_harness():
    import time

    class Slow(Recorder):
        timeout = 0.3

        def run(self, start_time, end_time):
            time.sleep(30)

    with testing.PluginHarness(Slow, timeout_grace=0.2) as harness:
        report = harness.tick('2026-01-05T10:00:00Z')
        assert (report.outcome, report.reason) == ('failed',
                                                   'timed out after 0.3s')
        assert harness.history()[0].status == 'timed_out'
        assert harness.committed_end is None


def test_interval_in_a_zone_and_with_h():
    class Daily(Recorder):
        interval_text = 'H 2 * * *'

    with testing.PluginHarness(Daily, name='nightly',
                               timezone='Europe/Berlin') as harness:
        minute = int(harness.loaded.schedule.expression.split()[0])
        report = harness.tick(datetime.datetime(
            2026, 1, 6, 12, tzinfo=datetime.timezone.utc))
        assert report.committed[0].end == testing.parse_time(
            '2026-01-06T01:%02d:00Z' % minute)  # 02:MM CET
