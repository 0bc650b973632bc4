"""What window is due: the heart of plugincron, free of I/O.

Given a plugin's schedule, the end of its last committed window and the
time now, :func:`plan` says which windows to hand to ``run()`` and which
spans to record as missed.  The rules (see doc/source/windows.rst):

* a window ends on a tick: the latest tick at or before now, so every
  runner that fires for the same tick computes the same window;
* a window starts at the committed end of the previous one; with nothing
  committed yet, one interval before its end;
* missed ticks are caught up by policy: ``coalesce`` one window, ``each``
  one per tick, ``skip`` only the latest interval;
* time older than ``max_catchup`` is recorded as missed, not run.
"""

import dataclasses
import datetime

POLICIES = ('coalesce', 'each', 'skip')

#: Why a runner had nothing to run.
UP_TO_DATE = 'window already committed'
CLOCK_BACKWARDS = 'clock went backwards'


@dataclasses.dataclass(frozen=True)
class Window:
    """The half-open span ``[start, end)`` in UTC."""

    start: datetime.datetime
    end: datetime.datetime

    def __str__(self):
        return '[%s, %s)' % (self.start.isoformat(), self.end.isoformat())


@dataclasses.dataclass
class Plan:
    """What a runner should do now.

    ``missed`` spans come before ``runs`` in time; together they tile time
    from the committed end, without gap or overlap.
    """

    runs: list
    missed: list = dataclasses.field(default_factory=list)
    missed_reason: str = ''
    idle_reason: str = ''


def plan(schedule, committed_end, now, policy='coalesce', max_catchup=None):
    """Work out the windows due at ``now``.

    :param schedule: a :class:`plugincron.schedule.Schedule`.
    :param committed_end: aware UTC datetime, or ``None`` before the first
        successful run.
    :param now: aware datetime at which the schedule is evaluated.
    :param policy: one of :data:`POLICIES`.
    :param max_catchup: :class:`datetime.timedelta` or ``None``.
    :rtype: :class:`Plan`
    """
    if policy not in POLICIES:
        raise ValueError('unknown catch-up policy %r' % policy)
    end = schedule.previous_tick(now)
    if committed_end is None:
        start = schedule.previous_tick(end - datetime.timedelta(seconds=1))
        return Plan(runs=[Window(start, end)])
    if now < committed_end:
        return Plan(runs=[], idle_reason=CLOCK_BACKWARDS)
    if end <= committed_end:
        return Plan(runs=[], idle_reason=UP_TO_DATE)

    start = committed_end
    missed = []
    reason = ''
    if max_catchup is not None and start < end - max_catchup:
        # Resume on the first tick inside the catch-up horizon, so the
        # windows that follow still end on ticks.
        resume = schedule.next_tick(end - max_catchup -
                                    datetime.timedelta(microseconds=1))
        resume = min(resume, end)
        missed.append(Window(start, resume))
        reason = 'older than max_catchup (%s)' % max_catchup
        start = resume
    if policy == 'skip':
        latest = max(start,
                     schedule.previous_tick(end - datetime.timedelta(
                         seconds=1)))
        if latest > start:
            if missed:
                missed[-1] = Window(missed[-1].start, latest)
            else:
                missed.append(Window(start, latest))
            reason = 'catch-up policy skip'
        start = latest
    if start >= end:
        return Plan(runs=[], missed=missed, missed_reason=reason)
    if policy == 'each':
        runs = []
        for tick in schedule.ticks(start, end):
            runs.append(Window(start, tick))
            start = tick
    else:
        runs = [Window(start, end)]
    return Plan(runs=runs, missed=missed, missed_reason=reason)
