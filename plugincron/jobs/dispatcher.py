"""``plugincron-dispatcher``: the built-in cron plugin that fires jobs.

Cron starts it every minute; within its minute it claims each job at its
due second (sleeping until the next one is due, and looking again every
``[jobs] poll_interval`` for jobs scheduled meanwhile), fires it on a
worker thread and records the outcome.  It leaves before the next minute
starts, so that the next tick's dispatcher takes over; one that still has
jobs running at that point keeps dispatching for one more minute instead
(the next tick finds the plugin's lock held and skips), so there is
always exactly one dispatcher per host serving due jobs.

Claims are transactions of the state store (see
:mod:`plugincron.state.jobs`), so dispatchers on several hosts never fire
the same entry.  A dispatcher that dies leaves its entries running; the
next one finds them (same host: the process is gone; any host: the lease
is over) and treats each as a failed attempt: retried if the job has
retries left, else failed -- never silently fired a second time.
"""

import concurrent.futures
import datetime
import logging
import os
import queue
import socket

from plugincron import base, opts, state
from plugincron.jobs import model, service
from plugincron.state import jobs as rows

LOG = logging.getLogger(__name__)
NAME = 'plugincron-dispatcher'
UTC = datetime.timezone.utc

#: The dispatcher stops claiming this long before the next tick.
MARGIN = datetime.timedelta(seconds=1)
#: Added to a job's own timeout for its lease.
LEASE_GRACE = datetime.timedelta(seconds=60)
#: Lease of a job without a time limit.
LONG_LEASE = datetime.timedelta(days=1)
RETRY_CAP = datetime.timedelta(minutes=5)


def _seconds(duration):
    if duration == opts.NO_LIMIT or duration is None:
        return None
    return duration.total_seconds()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Dispatcher(base.CronPluginBase):
    """Fires the jobs that are due, every minute."""

    def __init__(self, config):
        super().__init__(config)
        opts.register_opts(config)

    def enabled(self):
        return self.config.jobs.dispatcher

    def interval(self):
        return '* * * * *'

    def run(self, start_time, end_time):
        deadline = end_time + datetime.timedelta(minutes=1) - MARGIN
        linger = self.config.jobs.linger
        if linger != opts.NO_LIMIT:
            deadline = min(deadline, service.utcnow() + linger)
        with state.from_conf(self.config) as store:
            Loop(self.config, store).run(deadline)


class Loop:
    """One dispatcher's work until ``deadline``.

    :param clock: returns the aware UTC time.
    :param sleep: ``sleep(seconds)``-like wait that a finishing job may
        cut short; default waits on the outcome queue.
    """

    def __init__(self, conf, store, clock=service.utcnow, host=None,
                 pid=None):
        self.conf = conf
        self.store = store
        self.clock = clock
        self.host = host or conf.cron.host or socket.gethostname()
        self.pid = pid or os.getpid()
        self.me = '%s:%d' % (self.host, self.pid)
        self.workers = conf.jobs.workers
        self.outcomes = queue.Queue()
        self.in_flight = 0
        self._client = None
        self.fired = 0

    def run(self, deadline):
        self.recover()
        with concurrent.futures.ThreadPoolExecutor(
                self.workers, thread_name_prefix='job') as pool:
            try:
                self._serve(pool, deadline)
            finally:
                self._drain(block=True)
                if self._client is not None:
                    self._client.close()
        return self.fired

    def _serve(self, pool, deadline):
        poll = datetime.timedelta(seconds=self.conf.jobs.poll_interval)
        # When the store next needs a look: the earliest due entry, or a
        # poll for entries scheduled meanwhile.  A job that finishes wakes
        # the loop to record it, not to query the store again.
        next_look = self.clock()
        while True:
            self._drain()
            now = self.clock()
            if now >= deadline:
                if not self.in_flight:
                    return
                # Jobs still run: keep serving for another minute rather
                # than leave the next minute without a dispatcher.
                deadline += datetime.timedelta(minutes=1)
                LOG.info('jobs still running at the end of the minute; '
                         'dispatching until %s', deadline)
            free = self.workers - self.in_flight
            if free > 0 and now >= next_look:
                claimed, missed = self.store.claim_entries(
                    now, self.me, lambda job: self._lease(job, now), free,
                    self._follow)
                for job, entry in missed:
                    LOG.warning('job %s missed: %s',
                                service.entry_key(job.name, entry.due_at),
                                entry.error)
                for job, entry in claimed:
                    self._submit(pool, job, entry)
                if len(claimed) + len(missed) == free:
                    continue  # more may be due right now
                next_look = now + poll
                upcoming = self.store.next_fire_at()
                if upcoming is not None:
                    next_look = min(next_look, upcoming)
            wake = min(next_look, deadline) if free > 0 else now + poll
            self._wait((wake - self.clock()).total_seconds())

    def _lease(self, job, now):
        target = model.target_from_json(job.target)
        timeout = target.timeout or _seconds(
            self.conf.jobs.http_timeout if target.kind == 'http'
            else self.conf.jobs.command_timeout)
        if timeout is None:
            return now + LONG_LEASE
        return now + datetime.timedelta(seconds=timeout) + LEASE_GRACE

    def _follow(self, job, entry):
        return service.following(job, entry, self.clock())

    def _submit(self, pool, job, entry):
        target = model.target_from_json(job.target)
        self.in_flight += 1
        self.fired += 1
        LOG.info('firing %s (attempt %d): %s',
                 service.entry_key(job.name, entry.due_at), entry.attempts,
                 target.describe())
        pool.submit(self._fire, job, entry, target)

    def _fire(self, job, entry, target):
        from plugincron.jobs import targets
        try:
            if target.kind == 'http':
                result = targets.fire(
                    target, _seconds(self.conf.jobs.http_timeout),
                    client=self._http_client())
            else:
                result = targets.fire(
                    target, _seconds(self.conf.jobs.command_timeout))
        except Exception as exc:  # a bug must not kill the dispatcher
            LOG.exception('firing %s failed', job.name)
            result = model.Result(False, error='%s: %s'
                                  % (type(exc).__name__, exc))
        self.outcomes.put(self._outcome(job, entry, result, self.clock()))

    def _http_client(self):
        # Created on first use by a worker; one pooled client for all.
        if self._client is None:
            from plugincron.jobs import targets
            self._client = targets.make_client(self.workers)
        return self._client

    def _outcome(self, job, entry, result, now):
        outcome = rows.Outcome(
            entry.id, model.SUCCEEDED if result.ok else model.FAILED, now,
            status=result.status, duration=result.duration,
            output=model.tail(result.output), error=model.tail(result.error))
        key = service.entry_key(job.name, entry.due_at)
        if result.ok:
            LOG.info('%s succeeded in %.3fs', key, result.duration)
            return outcome
        if entry.attempts <= job.retries:
            delay = datetime.timedelta(
                seconds=self.conf.jobs.retry_delay.total_seconds()
                * 2 ** (entry.attempts - 1))
            retry_at = now + min(delay, RETRY_CAP)
            if retry_at <= entry.not_after:
                outcome.state, outcome.fire_at = model.PENDING, retry_at
                LOG.warning('%s failed (%s); retry %d of %d at %s', key,
                            result.error, entry.attempts, job.retries,
                            retry_at)
                return outcome
            outcome.error = '%s; not retried: past its max_delay' \
                % outcome.error
        LOG.warning('%s failed: %s', key, result.error)
        return outcome

    def _wait(self, seconds):
        if seconds <= 0:
            return
        try:
            outcome = self.outcomes.get(timeout=seconds)
        except queue.Empty:
            return
        self.outcomes.put(outcome)

    def _drain(self, block=False):
        """Record finished attempts, in one transaction per batch."""
        batch = []
        while self.in_flight > len(batch) or not block:
            try:
                batch.append(self.outcomes.get(block=block and bool(
                    self.in_flight - len(batch))))
            except queue.Empty:
                break
            if block and len(batch) == self.in_flight:
                break
        if batch:
            self.store.finish_entries(batch, self.me)
            self.in_flight -= len(batch)

    def recover(self):
        """Settle entries left running by a dispatcher that died."""
        now = self.clock()
        dead = {}
        for job, entry in self.store.running_entries():
            host, _, pid = (entry.claimed_by or '').rpartition(':')
            if host == self.host and pid.isdigit():
                if int(pid) == self.pid or _alive(int(pid)):
                    continue
            elif entry.lease_until is not None and entry.lease_until > now:
                continue
            error = ('the dispatcher %s died while this ran; ' %
                     entry.claimed_by)
            if entry.attempts <= job.retries:
                outcome = rows.Outcome(entry.id, model.PENDING, now,
                                       fire_at=now, error=error + 'retried')
            else:
                outcome = rows.Outcome(
                    entry.id, model.FAILED, now, error=error +
                    'not fired again, so as not to fire it twice '
                    "(use 'plugin-cron reschedule' to run it again)")
            dead.setdefault(entry.claimed_by, []).append(outcome)
        for claimed_by, outcomes in dead.items():
            self.store.finish_entries(outcomes, claimed_by)
            LOG.warning('recovered %d job(s) of the dead dispatcher %s',
                        len(outcomes), claimed_by)
        return sum(len(outcomes) for outcomes in dead.values())
