"""One tick of one plugin: lock -> window -> run() -> commit.

The order is the project's promise.  The lock is taken before the
committed end is read, so two runners never plan from the same state; the
new end is committed only after ``run()`` returns, and only if the
committed end is still the one the run started from (a fencing check that
also protects against a lock lost mid-run).  Anything else -- an
exception, a kill, a lost lock -- commits nothing, and the next run is
handed the same window, extended.
"""

import dataclasses
import datetime
import logging
import os
import socket

from plugincron import deadline, exceptions, windows
from plugincron.state import base as state

LOG = logging.getLogger(__name__)

# Outcomes of one invocation, as the CLI maps them to exit codes.
RAN = 'ran'            # every due window ran and was committed
IDLE = 'idle'          # nothing due (up to date, clock went backwards)
SKIPPED = 'skipped'    # lock held elsewhere, paused, disabled
FAILED = 'failed'      # run() raised or the commit was refused


@dataclasses.dataclass
class Report:
    """What one invocation of the runner did."""

    outcome: str
    committed: list = dataclasses.field(default_factory=list)
    missed: list = dataclasses.field(default_factory=list)
    reason: str = ''
    #: Windows a backfill ran (they commit nothing).
    backfilled: list = dataclasses.field(default_factory=list)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class Runner:
    """Runs due windows of plugins against one store and lock backend.

    :param store: a :class:`plugincron.state.base.StateStore`.
    :param locks: a :class:`plugincron.locks.base.LockManager`.
    :param host: name recorded in the history; default the hostname.
    :param clock: callable returning the real time (aware UTC).
    :param timeout_grace: seconds between SIGTERM and SIGKILL for a run
        past its timeout.
    """

    def __init__(self, store, locks, host=None, clock=utcnow,
                 timeout_grace=5.0):
        self.store = store
        self.locks = locks
        self.host = host or socket.gethostname()
        self.pid = os.getpid()
        self.clock = clock
        self.timeout_grace = timeout_grace

    def _record(self, name, status, window=None, reason=None, error=None):
        return self.store.record(name, status, self.clock(), window=window,
                                 host=self.host, pid=self.pid,
                                 reason=reason, error=error)

    def run(self, loaded, now=None):
        """Run whatever windows of ``loaded`` are due at ``now``.

        :param loaded: a :class:`plugincron.loader.LoadedPlugin`.
        :param now: aware datetime at which the schedule is evaluated;
            default the real time.
        :rtype: :class:`Report`
        """
        name = loaded.name
        if not loaded.enabled:
            self._record(name, state.SKIPPED, reason='plugin disabled')
            return Report(SKIPPED, reason='plugin disabled')
        lock = self.locks.get_lock(name)
        if not lock.acquire():
            reason = 'another run holds the lock'
            self._record(name, state.SKIPPED, reason=reason)
            LOG.info('%s: %s', name, reason)
            return Report(SKIPPED, reason=reason)
        try:
            return self._run_locked(loaded, lock, now or self.clock())
        finally:
            lock.release()

    def _run_locked(self, loaded, lock, now):
        name, plugin = loaded.name, loaded.plugin
        dead = self.store.abandon_running(
            name, self.clock(), 'its process ended without recording how')
        if dead:
            LOG.warning('%s: %d earlier run(s) died mid-run; their window '
                        'is handed out again', name, dead)
        current = self.store.get_plugin(name)
        if current.paused:
            self._record(name, state.SKIPPED, reason='plugin paused')
            return Report(SKIPPED, reason='plugin paused')
        todo = windows.plan(loaded.schedule, current.committed_end, now,
                            policy=loaded.catchup,
                            max_catchup=loaded.max_catchup)
        report = Report(RAN)
        committed_end = current.committed_end
        for span in todo.missed:
            if not self.store.commit(name, committed_end, span, self.clock(),
                                     status=state.MISSED, host=self.host,
                                     pid=self.pid,
                                     reason=todo.missed_reason):
                return self._fenced(name, report)
            LOG.warning('%s: recorded %s as missed: %s', name, span,
                        todo.missed_reason)
            report.missed.append(span)
            committed_end = span.end
        if not todo.runs:
            reason = todo.idle_reason or todo.missed_reason
            self._record(name, state.SKIPPED, reason=reason)
            LOG.info('%s: nothing to run: %s', name, reason)
            report.outcome, report.reason = IDLE, reason
            if todo.idle_reason == windows.CLOCK_BACKWARDS:
                LOG.warning('%s: the clock (%s) is before the committed end '
                            '(%s); running nothing', name, now.isoformat(),
                            committed_end.isoformat())
            return report
        for window in todo.runs:
            run_id = self.store.start_run(name, window, self.host, self.pid,
                                          self.clock())
            LOG.info('%s: running window %s', name, window)
            outcome = self.call(loaded, window)
            if not outcome.ok:
                status = state.TIMED_OUT if outcome.timed_out else \
                    state.FAILED
                LOG.error('%s: window %s %s: %s; it will be handed out '
                          'again%s', name, window, status.replace('_', ' '),
                          outcome.reason,
                          '\n' + outcome.error if outcome.error else '')
                self.store.finish_run(run_id, status, self.clock(),
                                      reason=outcome.reason,
                                      error=outcome.error)
                report.outcome, report.reason = FAILED, outcome.reason
                return report
            if not lock.still_held() or not self.store.commit(
                    name, committed_end, window, self.clock(), run_id=run_id):
                self.store.finish_run(run_id, state.FAILED, self.clock(),
                                      reason='lost the lock; not committed')
                return self._fenced(name, report)
            report.committed.append(window)
            committed_end = window.end
        return report

    # -- operator actions -------------------------------------------------

    def _locked(self, name, action):
        lock = self.locks.get_lock(name)
        if not lock.acquire():
            raise exceptions.LockHeld(name, action)
        return lock

    def backfill(self, loaded, start, end, each=False, now=None):
        """Run historical windows of ``[start, end)`` without committing.

        The committed end never moves (so never backwards); each window is
        recorded as ``backfilled``, or failed.  With ``each`` the span is
        cut at the schedule's ticks, oldest first; the first failure stops
        the rest.

        :raises LockHeld: while a run holds the plugin's lock.
        :raises ConfigError: for a span that is empty, in the future or
            past the committed end (time the runner will hand out itself).
        :rtype: :class:`Report`
        """
        name = loaded.name
        now = now or self.clock()
        if not start < end:
            raise exceptions.ConfigError(
                'backfill: --start %s is not before --end %s'
                % (start.isoformat(), end.isoformat()), option='start')
        if end > now:
            raise exceptions.ConfigError(
                'backfill: --end %s is in the future' % end.isoformat(),
                option='end')
        lock = self._locked(name, 'backfill')
        try:
            committed_end = self.store.get_plugin(name).committed_end
            if committed_end is not None and end > committed_end:
                raise exceptions.ConfigError(
                    'backfill: --end %s is after the committed end %s; '
                    'later time is handed out by the runner itself'
                    % (end.isoformat(), committed_end.isoformat()),
                    option='end')
            self.store.abandon_running(
                name, self.clock(), 'its process ended without recording how')
            spans = []
            if each:
                for tick in loaded.schedule.ticks(start, end):
                    if tick < end:
                        spans.append(windows.Window(start, tick))
                        start = tick
            spans.append(windows.Window(start, end))
            report = Report(RAN)
            for window in spans:
                run_id = self.store.start_run(name, window, self.host,
                                              self.pid, self.clock())
                LOG.info('%s: backfilling window %s', name, window)
                outcome = self.call(loaded, window)
                if not outcome.ok:
                    status = state.TIMED_OUT if outcome.timed_out else \
                        state.FAILED
                    self.store.finish_run(run_id, status, self.clock(),
                                          reason='backfill: ' + outcome.reason,
                                          error=outcome.error)
                    LOG.error('%s: backfill of %s %s: %s', name, window,
                              status.replace('_', ' '), outcome.reason)
                    report.outcome, report.reason = FAILED, outcome.reason
                    return report
                self.store.finish_run(run_id, state.BACKFILLED, self.clock(),
                                      reason='backfill')
                report.backfilled.append(window)
            return report
        finally:
            lock.release()

    def reset(self, name, to, now=None):
        """Move the committed end to ``to`` (forwards or backwards).

        Recorded as ``reset`` with the window ``[old end, new end)``.

        :raises LockHeld: while a run holds the plugin's lock.
        :raises ConfigError: for a time in the future.
        """
        now = now or self.clock()
        if to > now:
            raise exceptions.ConfigError(
                'reset: --to %s is in the future' % to.isoformat(),
                option='to')
        lock = self._locked(name, 'reset')
        try:
            old = self.store.get_plugin(name).committed_end
            reason = 'committed end moved from %s to %s by an operator' % (
                old.isoformat() if old else 'nothing', to.isoformat())
            if not self.store.commit(name, old, windows.Window(old or to, to),
                                     self.clock(), status=state.RESET,
                                     host=self.host, pid=self.pid,
                                     reason=reason):
                raise exceptions.StateError(
                    'reset: the committed end of %r changed meanwhile; '
                    'nothing done' % name)
            LOG.warning('%s: %s', name, reason)
            return old
        finally:
            lock.release()

    def set_paused(self, name, paused):
        """Pause or resume a plugin, and record who did it."""
        self.store.set_paused(name, paused)
        self._record(name, state.PAUSED if paused else state.RESUMED,
                     reason='by an operator')

    def call(self, loaded, window):
        """Call ``run()`` for ``window`` under the plugin's timeout.

        :rtype: :class:`plugincron.deadline.Outcome`
        """
        return deadline.call(
            lambda: loaded.plugin.run(window.start, window.end),
            timeout=loaded.timeout, grace=self.timeout_grace)

    @staticmethod
    def _fenced(name, report):
        LOG.error('%s: the lock was lost or another run committed first; '
                  'nothing more is committed by this run', name)
        report.outcome, report.reason = FAILED, 'lost the lock'
        return report
