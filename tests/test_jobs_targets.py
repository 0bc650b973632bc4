"""Firing targets against real programs and a real local HTTP server."""

import concurrent.futures
import http.server
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from plugincron.jobs import model
from plugincron.jobs import targets
from tests.conftest import REPO

PY = sys.executable


def command(*argv, **kwargs):
    return model.CommandTarget(argv=argv, **kwargs)


def python(code, *args, **kwargs):
    return command(PY, '-c', code, *args, **kwargs)


# -- commands ---------------------------------------------------------------

def test_command_success():
    result = targets.fire(python('print("hello")'))
    assert result.ok and result.status == 0 and result.error is None
    assert result.output == 'hello\n'
    assert result.duration > 0


def test_command_stderr_joins_stdout():
    result = targets.fire(python(
        'import sys; print("out", flush=True); print("err", file=sys.stderr)'))
    assert result.output == 'out\nerr\n'


def test_command_non_zero_exit():
    result = targets.fire(python('import sys; print("bad"); sys.exit(3)'))
    assert not result.ok
    assert result.status == 3
    assert result.error == 'exit status 3'
    assert result.output == 'bad\n'


def test_command_killed_by_signal():
    result = targets.fire(python('import os; os.kill(os.getpid(), 9)'))
    assert not result.ok
    assert result.status == -9
    assert result.error == 'killed by signal 9'


def test_command_output_tail_is_bounded():
    # A megabyte, so the reader's own trimming is exercised too.
    result = targets.fire(python(
        'import sys; sys.stdout.write("x" * 1000000 + "THE END")'))
    assert result.ok
    assert len(result.output) == model.OUTPUT_LIMIT
    assert result.output.startswith('...')
    assert result.output.endswith('x' * 100 + 'THE END')


def test_command_output_not_utf8_is_replaced():
    result = targets.fire(python(
        'import sys; sys.stdout.buffer.write(b"a\\xffb")'))
    assert result.output == 'a\ufffdb'


def test_command_env_added_to_inherited(monkeypatch):
    monkeypatch.setenv('PLUGINCRON_INHERITED', 'kept')
    result = targets.fire(python(
        'import os; print(os.environ["PLUGINCRON_INHERITED"], '
        'os.environ["PLUGINCRON_ADDED"])',
        env=(('PLUGINCRON_ADDED', 'new value'),)))
    assert result.ok, result
    assert result.output == 'kept new value\n'


def test_command_cwd(tmp_path):
    result = targets.fire(python('import os; print(os.getcwd())',
                                 cwd=str(tmp_path)))
    assert result.output.strip() == os.path.realpath(tmp_path)


def test_command_bad_cwd(tmp_path):
    missing = str(tmp_path / 'missing')
    result = targets.fire(python('pass', cwd=missing))
    assert not result.ok and result.status is None
    assert 'No such file or directory' in result.error
    assert missing in result.error


def test_command_not_found():
    result = targets.fire(command('plugincron-no-such-program', 'arg'))
    assert not result.ok and result.status is None
    assert result.error == 'command not found: plugincron-no-such-program'


def test_command_no_shell_interpretation():
    result = targets.fire(python('import sys; print(sys.argv[1])',
                                 '$HOME; echo x'))
    assert result.output == '$HOME; echo x\n'


def _running(pid):
    """True while ``pid`` runs; a zombie waiting for init counts as gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def test_command_timeout_kills_process_group(tmp_path):
    pidfile = tmp_path / 'child.pid'
    target = python(
        'import subprocess, sys\n'
        'child = subprocess.Popen(["sleep", "60"])\n'
        'open(sys.argv[1], "w").write(str(child.pid))\n'
        'print("started", flush=True)\n'
        'child.wait()\n', str(pidfile), timeout=1)
    start = time.monotonic()
    result = targets.fire(target)
    assert time.monotonic() - start < 10
    assert not result.ok and result.status is None
    assert result.error == 'timed out after 1s'
    assert result.output == 'started\n'
    child = int(pidfile.read_text())
    for _ in range(100):
        if not _running(child):
            break
        time.sleep(0.05)
    assert not _running(child), 'the sleeping child survived the timeout'


def test_command_timeout_after_closing_output():
    # Output closed but still running: the deadline must hold there too.
    result = targets.fire(command('/bin/sh', '-c', 'exec >&-; sleep 30'),
                          default_timeout=0.5)
    assert result.error == 'timed out after 0.5s'
    assert result.duration < 10


def test_command_target_timeout_wins_over_default():
    result = targets.fire(python('import time; time.sleep(1)', timeout=5),
                          default_timeout=0.2)
    assert result.ok, result


# -- HTTP ---------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers by path: /status/N, /sleep/S, /trickle, /redirect, /cookie,
    /big; records every request on the server."""

    def _serve(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length)
        self.server.requests.append(
            (self.command, self.path, dict(self.headers.items()), body))
        parts = self.path.strip('/').split('/')
        if parts[0] == 'sleep':
            time.sleep(float(parts[1]))
        if parts[0] == 'trickle':
            # HTTP/1.0 without a length: the body runs until we stop.
            self.send_response(200)
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b'.')
                self.wfile.flush()
                time.sleep(0.1)
            return
        status, headers, text = 200, {}, 'answer to %s' % self.command
        if parts[0] == 'status':
            status = int(parts[1])
        elif parts[0] == 'redirect':
            status, headers = 302, {'Location': '/status/200'}
        elif parts[0] == 'cookie':
            headers = {'Set-Cookie': 'session=secret; Path=/'}
        elif parts[0] == 'big':
            text = 'y' * 100000 + 'TAIL'
        data = text.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass        # clients that time out leave broken pipes behind


@pytest.fixture
def server():
    srv = _Server(('127.0.0.1', 0), _Handler)
    srv.requests = []
    srv.url = 'http://127.0.0.1:%d' % srv.server_address[1]
    thread = threading.Thread(target=srv.serve_forever,
                              kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def call(url, **kwargs):
    return model.HTTPTarget(url=url, **kwargs)


def test_http_request_arrives(server):
    result = targets.fire(call(
        server.url + '/hook?x=1', method='PUT', body='{"caf\u00e9": 1}',
        headers=(('X-Token', 'abc'), ('Content-Type', 'application/json'))))
    assert result.ok, result
    assert result.status == 200
    assert result.output == 'answer to PUT'
    [(method, path, headers, body)] = server.requests
    assert (method, path) == ('PUT', '/hook?x=1')
    assert headers['X-Token'] == 'abc'
    assert headers['Content-Type'] == 'application/json'
    assert body == '{"caf\u00e9": 1}'.encode('utf-8')


def test_http_expected_status(server):
    result = targets.fire(call(server.url + '/status/201', expect=201))
    assert result.ok and result.status == 201 and result.error is None


def test_http_unexpected_status(server):
    result = targets.fire(call(server.url + '/status/500'))
    assert not result.ok
    assert result.status == 500
    assert result.error == 'HTTP 500, expected 200'
    assert result.output == 'answer to GET'


def test_http_redirect_not_followed(server):
    result = targets.fire(call(server.url + '/redirect'))
    assert result.status == 302 and not result.ok
    assert result.error == 'HTTP 302, expected 200'
    assert len(server.requests) == 1
    assert targets.fire(call(server.url + '/redirect', expect=302)).ok


def test_http_output_tail_is_bounded(server):
    result = targets.fire(call(server.url + '/big'))
    assert len(result.output) == model.OUTPUT_LIMIT
    assert result.output.endswith('yyyTAIL')


def test_http_connection_refused():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    result = targets.fire(call('http://127.0.0.1:%d/' % port))
    assert not result.ok and result.status is None
    assert result.error.startswith('ConnectError: ')
    assert 'refused' in result.error and '\n' not in result.error


def test_http_timeout(server):
    result = targets.fire(call(server.url + '/sleep/3', timeout=0.3))
    assert not result.ok and result.status is None
    assert result.error == 'ReadTimeout: timed out'
    assert result.duration < 2


def test_http_default_timeout_used(server):
    result = targets.fire(call(server.url + '/sleep/3'), default_timeout=0.3)
    assert result.error == 'ReadTimeout: timed out'


def test_http_timeout_bounds_a_trickling_answer(server):
    # Each read succeeds within the timeout; only the deadline stops it.
    result = targets.fire(call(server.url + '/trickle', timeout=0.5))
    assert not result.ok and result.status == 200
    assert result.error == 'timed out after 0.5s reading the response'
    assert result.output.startswith('..')
    assert result.duration < 3


def test_http_shared_client_across_threads(server):
    client = targets.make_client(max_connections=4)
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(
                lambda i: targets.fire(call(server.url + '/job/%d' % i),
                                       client=client), range(40)))
        # Still usable afterwards: fire() must not close a client it
        # was lent.
        assert targets.fire(call(server.url + '/after'), client=client).ok
    finally:
        client.close()
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert sorted(path for _, path, _, _ in server.requests) == sorted(
        ['/job/%d' % i for i in range(40)] + ['/after'])


def test_http_shared_client_keeps_no_cookies(server):
    client = targets.make_client()
    try:
        assert targets.fire(call(server.url + '/cookie'), client=client).ok
        assert targets.fire(call(server.url + '/next'), client=client).ok
    finally:
        client.close()
    assert 'Cookie' not in server.requests[1][2]


def test_http_non_ascii_header_is_refused_when_scheduled():
    # httpx could only fail when sending; the target refuses it up front.
    with pytest.raises(model.JobError, match='bad HTTP header'):
        call('http://127.0.0.1/', headers=(('X-A', '\u2603'),))


def test_http_without_httpx(monkeypatch, server):
    monkeypatch.setitem(sys.modules, 'httpx', None)     # import fails
    result = targets.fire(call(server.url + '/'))
    assert result == model.Result(ok=False, error=targets.NO_HTTPX,
                                  duration=result.duration)
    assert targets.make_client() is None
    assert server.requests == []


def test_import_does_not_import_httpx():
    code = ('import sys, plugincron.jobs.targets\n'
            'assert "httpx" not in sys.modules, "httpx imported"\n')
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run([PY, '-c', code], env=env, check=True)
