"""File locks: the embedded default, for the runners of one host.

``flock()`` on a file per plugin.  The kernel drops the lock when the
holding process exits, however it exits (``kill -9`` included), so a
crashed run never leaves a stale lock behind.
"""

import fcntl
import os
import urllib.parse

from plugincron import exceptions
from plugincron.locks import base


class FileLock(base.Lock):

    def __init__(self, name, path):
        super().__init__(name)
        self.path = path
        self._fd = None

    def acquire(self):
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                         0o600)
        except OSError as exc:
            raise exceptions.LockError('cannot open lock file %s: %s'
                                       % (self.path, exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self):
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


class FileLockManager(base.LockManager):
    """Lock files named after each plugin in one directory."""

    MULTI_HOST_SAFE = False

    def __init__(self, directory):
        self.directory = directory
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            raise exceptions.LockError('cannot create lock directory %s: %s'
                                       % (directory, exc)) from None

    def get_lock(self, name):
        # Quoted, so that no plugin name can point outside the directory.
        filename = urllib.parse.quote(name, safe='') + '.lock'
        return FileLock(name, os.path.join(self.directory, filename))
