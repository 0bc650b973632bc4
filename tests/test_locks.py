"""File locks: one holder at a time, freed by the kernel on any exit."""

import os
import signal
import subprocess
import sys
import time

import pytest

from plugincron import exceptions
from plugincron.locks.file import FileLockManager

HOLD = '''
import sys, time
from plugincron.locks.file import FileLockManager
lock = FileLockManager(sys.argv[1]).get_lock(sys.argv[2])
assert lock.acquire()
print('held', flush=True)
time.sleep(600)
'''


def _hold_in_child(directory, name):
    child = subprocess.Popen([sys.executable, '-c', HOLD, str(directory),
                              name], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == 'held'
    return child


def test_second_holder_is_refused_until_release(tmp_path):
    locks = FileLockManager(str(tmp_path))
    first, second = locks.get_lock('p'), locks.get_lock('p')
    assert first.acquire()
    assert not second.acquire()
    assert locks.get_lock('other').acquire()
    first.release()
    assert second.acquire()


def test_killed_holder_frees_the_lock(tmp_path):
    child = _hold_in_child(tmp_path, 'p')
    lock = FileLockManager(str(tmp_path)).get_lock('p')
    assert not lock.acquire()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 5
    while not lock.acquire():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_names_cannot_escape_the_directory(tmp_path):
    lock = FileLockManager(str(tmp_path / 'locks')).get_lock('../../etc/x')
    assert os.path.dirname(lock.path) == str(tmp_path / 'locks')
    assert lock.acquire()


def test_unusable_directory(tmp_path):
    (tmp_path / 'file').write_text('')
    with pytest.raises(exceptions.LockError, match='cannot create lock'):
        FileLockManager(str(tmp_path / 'file' / 'locks'))
