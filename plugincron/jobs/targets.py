"""Firing a job's target once: run the command or make the HTTP call.

:func:`fire` never raises for the target's own failures (a non-zero exit,
a missing program, a refused connection, a timeout); they come back as a
:class:`~plugincron.jobs.model.Result` the dispatcher records.

httpx is imported only when an HTTP target fires: cron starts the runner
as a fresh process every minute, and a command-only host must not pay for
importing an HTTP client it never uses (see DESIGN.md, "Layers").
"""

import os
import selectors
import signal
import subprocess
import time

from plugincron.jobs import model

#: Seconds an HTTP callback may take when neither the target nor the
#: caller says.
HTTP_TIMEOUT = 30.0

NO_HTTPX = "HTTP callbacks need httpx: pip install 'plugincron[http]'"

# UTF-8 needs at most 4 bytes a character: keeping this many bytes of a
# command's output always leaves more than OUTPUT_LIMIT characters, so
# model.tail() still sees (and marks) the cut.
_KEEP_BYTES = 4 * model.OUTPUT_LIMIT + 8


def fire(target, default_timeout=None, client=None):
    """Fire ``target`` once and say what came of it.

    :param target: a :class:`~plugincron.jobs.model.CommandTarget` or
        :class:`~plugincron.jobs.model.HTTPTarget`.
    :param default_timeout: seconds used when the target has no timeout
        (``None`` for a command: no limit; for HTTP: :data:`HTTP_TIMEOUT`).
    :param client: an :class:`httpx.Client` to reuse for HTTP targets, e.g.
        from :func:`make_client`; ``None`` opens and closes one per call.
    :returns: a :class:`~plugincron.jobs.model.Result`.
    """
    start = time.monotonic()
    if isinstance(target, model.CommandTarget):
        result = _run_command(target, target.timeout or default_timeout)
    elif isinstance(target, model.HTTPTarget):
        result = _call_http(target, target.timeout or default_timeout
                            or HTTP_TIMEOUT, client)
    else:
        raise TypeError('not a job target: %r' % (target,))
    result.duration = time.monotonic() - start
    result.output = model.tail(result.output)
    result.error = model.tail(result.error)
    return result


def make_client(max_connections=100):
    """An :class:`httpx.Client` to share between threads firing callbacks.

    Redirects are not followed (see :func:`_call_http`) and cookies are
    never stored: one shared client serves the callbacks of many job
    owners, and a cookie set for one must not ride along on another's.

    :param max_connections: connections open at once; a callback that
        finds them all busy waits for one, within its own timeout.
    :returns: the client, or ``None`` if httpx is not installed.
    """
    try:
        import httpx
    except ImportError:
        return None
    import http.cookiejar
    no_cookies = http.cookiejar.CookieJar(
        policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.Client(
        limits=httpx.Limits(max_connections=max_connections,
                            max_keepalive_connections=max_connections),
        cookies=no_cookies, follow_redirects=False, timeout=HTTP_TIMEOUT)


# -- commands ---------------------------------------------------------------

def _run_command(target, timeout):
    env = dict(os.environ)
    env.update(target.env)
    try:
        # A session of its own makes the command the leader of a process
        # group, so a timeout can kill whatever it started too.
        proc = subprocess.Popen(
            target.argv, cwd=target.cwd, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as exc:
        return model.Result(ok=False, error=_spawn_error(target, exc))
    buf = bytearray()
    with proc:
        try:
            _read_tail(proc, timeout, buf)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            # What it printed before it hung is often the clue why.
            return model.Result(ok=False, output=_decode(buf),
                                error='timed out after %gs' % timeout)
        except BaseException:
            _kill_group(proc)       # e.g. the dispatcher is interrupted
            raise
    text = _decode(buf)
    status = proc.returncode
    if status == 0:
        return model.Result(ok=True, status=0, output=text)
    if status < 0:
        error = 'killed by signal %d' % -status
    else:
        error = 'exit status %d' % status
    return model.Result(ok=False, status=status, output=text, error=error)


def _spawn_error(target, exc):
    # Popen reports a missing cwd as ENOENT too; it names the directory.
    if (isinstance(exc, FileNotFoundError) and exc.filename == target.argv[0]
            and (target.cwd is None or os.path.isdir(target.cwd))):
        return 'command not found: %s' % target.argv[0]
    return str(exc)


def _decode(buf):
    return bytes(buf[-_KEEP_BYTES:]).decode('utf-8', errors='replace')


def _read_tail(proc, timeout, buf):
    """Wait for ``proc``, keeping the tail of its output in ``buf``.

    Unlike ``communicate()`` this holds a bounded buffer: a job that
    prints gigabytes must not cost the dispatcher gigabytes.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    fd = proc.stdout.fileno()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            if not sel.select(_remaining(deadline, proc, timeout)):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
            if len(buf) > 2 * _KEEP_BYTES:     # trim in batches, not per read
                del buf[:-_KEEP_BYTES]
    # Output closed, but the command may still be running.
    proc.wait(_remaining(deadline, proc, timeout))


def _remaining(deadline, proc, timeout):
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise subprocess.TimeoutExpired(proc.args, timeout)
    return left


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass                # the whole group is gone already
    proc.wait()


# -- HTTP callbacks ---------------------------------------------------------

def _call_http(target, timeout, client):
    """Make the call; a redirect is an answer like any other.

    Redirects are not followed: the callback's owner says with ``expect``
    what counts as success, so a 302 they did not expect is a failure
    worth seeing, not something to chase to wherever it points.
    """
    try:
        import httpx
    except ImportError:
        return model.Result(ok=False, error=NO_HTTPX)
    own = client is None
    if own:
        client = make_client(max_connections=1)
    body = None if target.body is None else target.body.encode('utf-8')
    # httpx's timeout bounds each connect/read/write, not the call: a
    # server trickling bytes could go on for ever, so also watch a
    # deadline between chunks (overrun: at most one read timeout).
    deadline = time.monotonic() + timeout
    try:
        with client.stream(target.method, target.url,
                           headers=list(target.headers), content=body,
                           timeout=timeout, follow_redirects=False) as resp:
            text = ''
            for chunk in resp.iter_text():
                text = (text + chunk)[-(model.OUTPUT_LIMIT + 1):]
                if time.monotonic() > deadline:
                    return model.Result(
                        ok=False, status=resp.status_code, output=text,
                        error='timed out after %gs reading the response'
                        % timeout)
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeEncodeError) as exc:
        # UnicodeEncodeError: a header value httpx cannot send as ASCII.
        return model.Result(ok=False, error=_one_line(exc))
    finally:
        if own:
            client.close()
    if resp.status_code == target.expect:
        return model.Result(ok=True, status=resp.status_code, output=text)
    return model.Result(ok=False, status=resp.status_code, output=text,
                        error='HTTP %d, expected %d'
                        % (resp.status_code, target.expect))


def _one_line(exc):
    message = ' '.join(str(exc).split())
    name = type(exc).__name__
    return '%s: %s' % (name, message) if message else name
