"""Running ``run()`` under a timeout that really stops it.

A plugin with a timeout runs in a forked child process.  The parent waits
for it; past the deadline it sends SIGTERM to the child's process group
(the plugin and anything it started), waits ``[cron] timeout_grace``
seconds, then sends SIGKILL, which no process can block or ignore.

Why not SIGALRM in the same process: Python runs a signal handler only
between bytecodes, so a plugin stuck in a C call (a driver waiting on a
socket with signals masked, a C loop that never checks for signals) would
never see it; and a plugin that catches the exception it raises would run
on.  A forked child costs a millisecond, imports nothing new, and keeps
the parent -- which holds the lock and commits -- out of the plugin's way.

What the plugin sees: its ``run()`` runs in a copy of the runner process,
so changes it makes to its own attributes are not seen by the next window
of the same invocation (``catchup = 'each'``).  On Linux the child is
killed if the runner dies (``PR_SET_PDEATHSIG``), so it never outlives the
lock it runs under.
"""

import os
import signal
import sys
import time
import traceback


class Outcome:
    """How a call ended: ``ok``, or ``timed_out``, ``reason``, ``error``."""

    def __init__(self, ok=True, timed_out=False, reason=None, error=None):
        self.ok = ok
        self.timed_out = timed_out
        self.reason = reason
        self.error = error


def describe(exc):
    return '%s: %s' % (type(exc).__name__, exc)


def call(func, timeout=None, grace=5.0):
    """Call ``func()``; with a ``timeout`` (seconds), in a child process.

    :returns: an :class:`Outcome`; the function's exceptions (and
        ``SystemExit``) are reported there, never raised.
    """
    if timeout is None:
        try:
            func()
        except (Exception, SystemExit) as exc:
            return Outcome(False, reason=describe(exc),
                           error=traceback.format_exc())
        return Outcome()
    return _call_in_child(func, timeout, grace)


def _die_with_parent(parent):
    if sys.platform.startswith('linux'):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _child(func, report, parent):
    code = 0
    try:
        os.setpgid(0, 0)
        _die_with_parent(parent)
        func()
    except BaseException as exc:
        code = 1
        try:
            import json
            report.write(json.dumps({
                'reason': describe(exc),
                'error': traceback.format_exc()}).encode('utf-8'))
            report.flush()
        except BaseException:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            # No atexit handlers, no finalizers: the parent's store
            # connection and lock belong to the parent.
            os._exit(code)


def _wait(pid, deadline):
    """The child's wait status, or ``None`` if it still runs at
    ``deadline`` (a :func:`time.monotonic` time)."""
    pidfd = None
    if hasattr(os, 'pidfd_open'):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if pidfd is not None:
                import select
                select.select([pidfd], [], [], left)
            else:
                time.sleep(min(left, 0.05))
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _kill_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _call_in_child(func, timeout, grace):
    import tempfile
    report = tempfile.TemporaryFile()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError as exc:
            return Outcome(False, reason='cannot start the run: %s' % exc)
        if pid == 0:  # pragma: no cover - the child never returns
            _child(func, report, parent)
        try:
            # Also here: the child may not have run setpgid yet when we
            # signal its group.
            os.setpgid(pid, pid)
        except OSError:
            pass
        try:
            status = _wait(pid, time.monotonic() + timeout)
            if status is None:
                _kill_group(pid, signal.SIGTERM)
                status = _wait(pid, time.monotonic() + grace)
                if status is None:
                    _kill_group(pid, signal.SIGKILL)
                    status = os.waitpid(pid, 0)[1]
                _kill_group(pid, signal.SIGKILL)  # what it started
                return Outcome(False, timed_out=True,
                               reason='timed out after %gs' % timeout)
        except BaseException:
            _kill_group(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return Outcome()
        report.seek(0)
        text = report.read().decode('utf-8', 'replace')
        if text:
            import json
            details = json.loads(text)
            return Outcome(False, reason=details['reason'],
                           error=details['error'])
        if os.WIFSIGNALED(status):
            return Outcome(False, reason='killed by signal %d'
                           % os.WTERMSIG(status))
        return Outcome(False, reason='exited with status %d'
                       % os.WEXITSTATUS(status))
    finally:
        report.close()
