"""The lock contract: one run per plugin at a time.

A backend hands out one :class:`Lock` per plugin name.  ``acquire()``
never waits: a runner that finds the lock held records a skip and exits.
A lock whose holder dies must be freed by the backend itself (the kernel
for file locks, expiry for distributed ones), never by a timeout guessed
here.
"""

import abc


class Lock(abc.ABC):
    """A non-blocking, per-plugin mutual exclusion lock."""

    def __init__(self, name):
        self.name = name

    @abc.abstractmethod
    def acquire(self):
        """Take the lock without waiting.

        :returns: ``True`` if taken, ``False`` if someone else holds it.
        :raises LockError: if the backend cannot be used.
        """

    @abc.abstractmethod
    def release(self):
        """Give the lock back; a no-op if not held."""

    def still_held(self):
        """Whether this holder still owns the lock.

        Backends whose locks can expire under a live holder (network
        partitions) answer from the backend; a file lock cannot be lost.
        """
        return True


class LockManager(abc.ABC):
    """Makes the :class:`Lock` of each plugin."""

    #: Whether the locks exclude runners on other hosts.
    MULTI_HOST_SAFE = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @abc.abstractmethod
    def get_lock(self, name):
        """:rtype: :class:`Lock`"""

    def close(self):
        """Release connections to the backend."""
