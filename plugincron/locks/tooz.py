"""Distributed locks through tooz, when ``[cron] coordination_url`` is set.

The coordinator is started with heartbeats (``start(start_heart=True)``):
a thread keeps the locks this runner holds alive, so a lock whose holder
crashed or lost its network expires after the backend's timeout instead
of blocking the plugin forever.  For Redis that timeout is the URL's
``lock_timeout`` (default ``timeout``, 30 seconds): for example
``redis://127.0.0.1:6379?timeout=10``.

A holder that stalled longer than that timeout (stopped process, long GC
pause, partition) may find its lock gone, or taken by another host.
:meth:`ToozLock.still_held` asks the backend when the driver can answer
(tooz's ``is_still_owner()``: Redis compares its token with the key's,
ZooKeeper and memcached check their own records); for drivers that cannot,
it answers from the heartbeats.  Either way the runner's commit is a
compare-and-set on the committed end, so a stale holder can never move it
after another host committed.
"""

import logging
import os
import socket
import urllib.parse

import tooz
from tooz import coordination

from plugincron import exceptions
from plugincron.locks import base

LOG = logging.getLogger(__name__)

#: Prefix of every lock name, so that plugincron's locks never collide
#: with other users of the same coordination backend.
PREFIX = b'plugincron.'

#: Seconds to wait for the heartbeat thread to stop on close.
HEART_STOP_TIMEOUT = 5


def _one_line(exc):
    return ' '.join(str(exc).split()) or type(exc).__name__


class ToozLock(base.Lock):
    """A plugin's lock in the coordination backend."""

    def __init__(self, name, manager):
        super().__init__(name)
        self._manager = manager
        self._lock = manager.coordinator.get_lock(
            PREFIX + name.encode('utf-8'))
        self._held = False

    def _fail(self, what, exc):
        return exceptions.LockError(
            'coordination backend %s: cannot %s the lock of %r: %s'
            % (self._manager.display_url, what, self.name, _one_line(exc)))

    def acquire(self):
        if self._held:
            return True
        try:
            self._held = bool(self._lock.acquire(blocking=False))
        except tooz.ToozError as exc:
            raise self._fail('take', exc) from None
        return self._held

    def release(self):
        if not self._held:
            return
        self._held = False
        try:
            if not self._lock.release():
                LOG.warning('%s: the lock had already expired or was taken '
                            'over when released', self.name)
        except tooz.ToozError as exc:
            # Expiry frees it anyway; nothing is committed after release.
            LOG.warning('%s: could not release the lock: %s; it expires '
                        'on its own', self.name, _one_line(exc))

    def still_held(self):
        if not self._held:
            return False
        try:
            owned = self._lock.is_still_owner()
        except tooz.NotImplemented:
            # The driver cannot tell (e.g. PostgreSQL/MySQL advisory locks,
            # held as long as the session lives): trust the heartbeats.
            owned = self._manager.heart_alive()
        except tooz.ToozError as exc:
            LOG.error('%s: cannot check the lock: %s', self.name,
                      _one_line(exc))
            owned = False
        if not owned:
            LOG.error('%s: the lock expired or was taken by another host '
                      'during the run', self.name)
        return owned


class ToozLockManager(base.LockManager):
    """Locks from the tooz coordinator ``url`` names.

    :param url: a tooz backend URL (``redis://``, ``etcd3+http://``,
        ``zookeeper://``, ``postgresql://``, ``mysql://``...).
    :param member_id: this runner's identity; default host and pid.
    :raises LockError: if the backend cannot be reached.
    """

    def __init__(self, url, member_id=None):
        self.url = url
        self.display_url = _mask(url)
        member_id = member_id or '%s-%d' % (socket.gethostname(), os.getpid())
        try:
            self.coordinator = coordination.get_coordinator(
                url, member_id.encode('utf-8'))
        except (tooz.ToozError, RuntimeError, ValueError) as exc:
            raise exceptions.ConfigError(
                'coordination_url %s: %s' % (self.display_url,
                                             _one_line(exc)),
                option='coordination_url', value=url) from None
        self.MULTI_HOST_SAFE = (
            coordination.Characteristics.DISTRIBUTED_ACROSS_HOSTS
            in getattr(self.coordinator, 'CHARACTERISTICS', ()))
        self._started = False

    def _fail_fast(self):
        # tooz's Redis driver already retries a refused connection 15
        # times; on top of redis-py's own retries with backoff, a runner
        # facing a dead Redis would hang for a minute on every tick.
        make_client = getattr(self.coordinator, '_make_client', None)
        if make_client is None:
            return
        try:
            from redis import backoff, retry
        except ImportError:
            return

        def _make_client(*args, **kwargs):
            client = make_client(*args, **kwargs)
            client.set_retry(retry.Retry(backoff.NoBackoff(), 0))
            return client
        self.coordinator._make_client = _make_client

    def start(self):
        """Connect, and start the heartbeat thread."""
        self._fail_fast()
        try:
            self.coordinator.start(start_heart=True)
        except tooz.ToozError as exc:
            raise exceptions.LockError(
                'cannot reach coordination backend %s: %s'
                % (self.display_url, _one_line(exc))) from None
        self._started = True
        return self

    def heart_alive(self):
        heart = getattr(self.coordinator, 'heart', None)
        return heart is None or heart.is_alive()

    def get_lock(self, name):
        return ToozLock(name, self)

    def close(self):
        if not self._started:
            return
        self._started = False
        heart = getattr(self.coordinator, 'heart', None)
        if heart is not None and heart.is_alive():
            heart.stop()
            # tooz's heart retries a failing heartbeat forever and its
            # stop() joins it without a timeout: with the backend gone,
            # a runner would never exit.  The runner's process is about
            # to end, and the backend's expiry frees whatever it held.
            if heart.wait(HEART_STOP_TIMEOUT):
                LOG.warning('coordination backend %s does not answer; '
                            'leaving its locks to expire', self.display_url)
                return
        try:
            self.coordinator.stop()
        except tooz.ToozError as exc:
            LOG.warning('coordination backend %s: %s', self.display_url,
                        _one_line(exc))


def _mask(url):
    """``url`` without its password, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(':%s@' % parts.password, ':***@', 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
