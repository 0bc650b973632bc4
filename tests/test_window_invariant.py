"""Proof of the window invariant, by random sequences of events.

A hypothesis state machine drives the real :class:`plugincron.runner.Runner`
with the real SQLite store and file locks through ticks, failures, crashes
before and after ``run()``, runs that find the lock held, pauses, clock
jumps back and forth (across a DST change), schedule and policy changes
and backfills.  After every step:

* the committed records (succeeded and missed) tile time from the first
  start to the committed end: no gap, no overlap, oldest first;
* every succeeded window was handed to ``run()``, so every instant up to
  the committed end was handed to ``run()`` at least once or recorded as
  missed, with a reason;
* no window handed to ``run()`` ended after the time the runner ran at;
* the plugin's lock is free again.

The default example count keeps CI fast.  To run it long::

    PLUGINCRON_HYPOTHESIS_EXAMPLES=5000 PLUGINCRON_HYPOTHESIS_STEPS=100 \\
        python3 -m pytest tests/test_window_invariant.py -q
"""

import datetime
import os
import shutil
import tempfile
import time
import zoneinfo

import hypothesis
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize,
                                 invariant, rule)

from plugincron import CronPluginBase, loader, runner as runner_mod, state
from plugincron.locks import file as file_locks
from plugincron.schedule import Schedule
from plugincron.state import base
from plugincron.windows import Window

UTC = datetime.timezone.utc
NAME = 'probe'
EXPRESSIONS = ['* * * * *', '*/5 * * * *', '*/7 * * * *', '0 * * * *',
               '30 1 * * *', '0 2 * * *', 'H/10 * * * *', '*/15 1-3 * * *']
ZONES = ['UTC', 'Europe/Berlin', 'America/New_York']
# Near the 2026 DST changes, so that clock jumps cross them.
STARTS = [datetime.datetime(2026, 10, 24, 22, tzinfo=UTC),
          datetime.datetime(2026, 3, 28, 23, tzinfo=UTC),
          datetime.datetime(2026, 11, 1, 4, tzinfo=UTC)]


class Crash(BaseException):
    """The process dies: nothing below the runner catches this."""


class Probe(CronPluginBase):
    """Records every window handed to it in a file (a run under a timeout
    is a forked child); misbehaves as told."""

    def __init__(self, calls_file):
        super().__init__(None)
        self.calls_file = calls_file
        self.mode = 'ok'

    @property
    def calls(self):
        if not os.path.exists(self.calls_file):
            return []
        with open(self.calls_file) as calls:
            return [Window(*(datetime.datetime.fromisoformat(t)
                             for t in line.split()))
                    for line in calls]

    def enabled(self):
        return True

    def interval(self):  # pragma: no cover - the machine builds schedules
        return '* * * * *'

    def run(self, start_time, end_time):
        if self.mode == 'crash_before':
            raise Crash()
        with open(self.calls_file, 'a') as calls:
            calls.write('%s %s\n' % (start_time.isoformat(),
                                     end_time.isoformat()))
        if self.mode == 'hang':
            time.sleep(60)
        if self.mode == 'fail':
            raise RuntimeError('failing on purpose')
        if self.mode == 'crash_after':
            raise Crash()


class WindowMachine(RuleBasedStateMachine):

    @initialize(zone=st.sampled_from(ZONES), start=st.sampled_from(STARTS),
                expression=st.sampled_from(EXPRESSIONS))
    def setup(self, zone, start, expression):
        # On tmpfs when there is one: the store fsyncs every commit, which
        # would make the disk, not the logic, the bottleneck.
        shm = '/dev/shm' if os.path.isdir('/dev/shm') else None
        self.dir = tempfile.mkdtemp(prefix='plugincron-prop-', dir=shm)
        self.store = state.get_store(state.default_url(self.dir))
        self.locks = file_locks.FileLockManager(
            os.path.join(self.dir, 'locks'))
        self.now = start
        self.runner = runner_mod.Runner(self.store, self.locks, host='h',
                                        clock=lambda: self.now,
                                        timeout_grace=0.5)
        self.tz = zoneinfo.ZoneInfo(zone)
        self.plugin = Probe(os.path.join(self.dir, 'calls'))
        self.expression = expression
        self.policy = 'coalesce'
        self.max_catchup = None
        self.timeout = None
        self.run_times = []  # (window, now) of every call

    def teardown(self):
        if hasattr(self, 'store'):
            self.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _loaded(self):
        return loader.LoadedPlugin(
            NAME, self.plugin, True,
            Schedule(self.expression, self.tz, plugin=NAME),
            catchup=self.policy, max_catchup=self.max_catchup,
            timeout=self.timeout)

    def _run(self, mode='ok'):
        self.plugin.mode = mode
        before = len(self.plugin.calls)
        try:
            self.runner.run(self._loaded(), now=self.now)
        except Crash:
            pass
        finally:
            self.plugin.mode = 'ok'
        calls = self.plugin.calls[before:]
        for call in calls:
            self.run_times.append((call, self.now))
        return len(calls)

    # -- events --------------------------------------------------------------

    @rule(minutes=st.integers(0, 400))
    def tick(self, minutes):
        self.now += datetime.timedelta(minutes=minutes)
        self._run()

    @rule(minutes=st.integers(0, 120),
          mode=st.sampled_from(['fail', 'crash_before', 'crash_after']))
    def misbehave(self, minutes, mode):
        self.now += datetime.timedelta(minutes=minutes)
        self._run(mode)

    @rule(minutes=st.integers(0, 120), hang=st.booleans())
    def under_timeout(self, minutes, hang):
        # In a forked child, killed past its (short) timeout if it hangs.
        self.now += datetime.timedelta(minutes=minutes)
        self.timeout = 0.05
        try:
            ran = self._run('hang' if hang else 'ok')
        finally:
            self.timeout = None
        if hang and ran:
            assert self.store.history(NAME, limit=1)[0].status == \
                base.TIMED_OUT

    @rule(minutes=st.integers(0, 120))
    def lock_held(self, minutes):
        self.now += datetime.timedelta(minutes=minutes)
        other = self.locks.get_lock(NAME)
        assert other.acquire()
        try:
            calls = len(self.plugin.calls)
            self._run()
            assert len(self.plugin.calls) == calls
        finally:
            other.release()

    @rule(paused=st.booleans())
    def pause(self, paused):
        self.runner.set_paused(NAME, paused)

    @rule(minutes=st.integers(-300, 300), seconds=st.integers(0, 59))
    def clock_jump(self, minutes, seconds):
        self.now += datetime.timedelta(minutes=minutes, seconds=seconds)

    @rule(expression=st.sampled_from(EXPRESSIONS))
    def change_schedule(self, expression):
        self.expression = expression

    @rule(policy=st.sampled_from(['coalesce', 'each', 'skip']),
          max_catchup=st.sampled_from([None, 1, 30, 90, 600]))
    def change_policy(self, policy, max_catchup):
        self.policy = policy
        self.max_catchup = None if max_catchup is None else \
            datetime.timedelta(minutes=max_catchup)

    @rule(minutes=st.integers(1, 300), each=st.booleans())
    def backfill(self, minutes, each):
        end = self.store.get_plugin(NAME).committed_end
        if end is None or end > self.now:
            return
        start = end - datetime.timedelta(minutes=minutes)
        report = self.runner.backfill(self._loaded(), start, end, each=each,
                                      now=self.now)
        assert report.backfilled[0].start == start
        assert report.backfilled[-1].end == end

    # -- the invariant -------------------------------------------------------

    @invariant()
    def windows_tile_time(self):
        if not hasattr(self, 'store'):
            return
        records = list(reversed(self.store.history(
            NAME, limit=None, statuses=base.COMMITTED)))
        committed_end = self.store.get_plugin(NAME).committed_end
        if not records:
            assert committed_end is None
            return
        for record in records:
            assert record.window_start < record.window_end, record
            if record.status == base.MISSED:
                assert record.reason, record
        for before, after in zip(records, records[1:]):
            assert before.window_end == after.window_start, (before, after)
        assert records[-1].window_end == committed_end
        # Every instant up to the committed end was handed to run() or
        # recorded as missed: succeeded windows are exactly calls.
        calls = set(self.plugin.calls)
        for record in records:
            if record.status == base.SUCCEEDED:
                assert Window(record.window_start, record.window_end) in \
                    calls, record
        covered = sorted([(w.start, w.end) for w in calls] +
                         [(r.window_start, r.window_end) for r in records
                          if r.status == base.MISSED])
        reach = records[0].window_start
        for start, end in covered:
            if start <= reach:
                reach = max(reach, end)
        assert reach >= committed_end

    @invariant()
    def never_in_the_future_and_lock_free(self):
        if not hasattr(self, 'store'):
            return
        for window, now in self.run_times:
            assert window.end <= now
        probe = self.locks.get_lock(NAME)
        assert probe.acquire()
        probe.release()


WindowMachine.TestCase.settings = hypothesis.settings(
    max_examples=int(os.environ.get('PLUGINCRON_HYPOTHESIS_EXAMPLES', '30')),
    stateful_step_count=int(os.environ.get('PLUGINCRON_HYPOTHESIS_STEPS',
                                           '25')),
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
TestWindowInvariant = WindowMachine.TestCase
