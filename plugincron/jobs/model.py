"""What a job fires, and what came of it.

Targets are plain frozen dataclasses stored as JSON in the state store, so
a job scheduled by one version of a host service is read by another.
Validation happens here, when a job is scheduled, so that a bad target is
refused with one line and nothing is stored.
"""

import dataclasses
import json
import re
import urllib.parse

from plugincron import exceptions

#: Entry states.  ``running`` covers an entry claimed by a dispatcher that
#: has not started it yet (``started_at`` empty).
PENDING = 'pending'
RUNNING = 'running'
SUCCEEDED = 'succeeded'
FAILED = 'failed'
MISSED = 'missed'          # not fired: past its max_delay
CANCELLED = 'cancelled'
STATES = (PENDING, RUNNING, SUCCEEDED, FAILED, MISSED, CANCELLED)
#: States an entry can leave only through ``reschedule``.
FINISHED = (SUCCEEDED, FAILED, MISSED, CANCELLED)

#: Characters kept of a run's output or error: the tail, where the
#: interesting part of a failure usually is.
OUTPUT_LIMIT = 4096

_HTTP_METHODS = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS')
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class JobError(exceptions.PluginCronError):
    """A job cannot be scheduled, found or changed as asked; nothing was
    stored or changed."""


class JobNotFound(JobError):
    def __init__(self, name):
        super().__init__('no job named %r' % name)
        self.name = name


class DuplicateJob(JobError):
    def __init__(self, name, what='a job'):
        super().__init__('job name %r is taken by %s; choose another '
                         '--name or cancel it first' % (name, what))
        self.name = name


def tail(text, limit=OUTPUT_LIMIT):
    """The last ``limit`` characters of ``text``, marked when cut."""
    if text is None or len(text) <= limit:
        return text
    return '...' + text[-(limit - 3):]


@dataclasses.dataclass(frozen=True)
class CommandTarget:
    """An argument vector, run without a shell.

    :param env: variables added to the dispatcher's environment.
    :param timeout: seconds before the command is killed (``None``: the
        ``[jobs] command_timeout`` default).
    """

    argv: tuple
    cwd: str = None
    env: tuple = ()          # ((name, value), ...), kept sorted
    timeout: float = None

    kind = 'command'

    def __post_init__(self):
        argv = tuple(str(arg) for arg in self.argv or ())
        if not argv or not argv[0]:
            raise JobError('empty command: give the program and its '
                           'arguments after --')
        object.__setattr__(self, 'argv', argv)
        env = dict(self.env or ())
        for name in env:
            if not name or '=' in name or '\0' in name:
                raise JobError('bad environment variable name %r' % name)
        object.__setattr__(self, 'env', tuple(sorted(env.items())))
        _check_timeout(self.timeout)

    def describe(self):
        import shlex
        return shlex.join(self.argv)


@dataclasses.dataclass(frozen=True)
class HTTPTarget:
    """An HTTP callback.

    :param method: ``None`` picks ``POST`` when there is a body, else
        ``GET`` (as curl does).
    :param expect: the status that counts as success.
    :param timeout: seconds for the whole request (``None``: the
        ``[jobs] http_timeout`` default).
    """

    url: str
    method: str = None
    headers: tuple = ()      # ((name, value), ...) in the order given
    body: str = None
    expect: int = 200
    timeout: float = None

    kind = 'http'

    def __post_init__(self):
        parts = urllib.parse.urlsplit(self.url or '')
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise JobError('bad URL %r: expected http://host/... or '
                           'https://host/...' % self.url)
        try:
            parts.port
        except ValueError as exc:
            raise JobError('bad URL %r: %s' % (self.url, exc)) from None
        method = (self.method or ('POST' if self.body is not None
                                  else 'GET')).upper()
        if method not in _HTTP_METHODS:
            raise JobError('bad HTTP method %r: use one of %s'
                           % (self.method, ', '.join(_HTTP_METHODS)))
        object.__setattr__(self, 'method', method)
        headers = tuple((str(k), str(v)) for k, v in self.headers or ())
        for name, value in headers:
            # HTTP/1.1 header values are Latin-1 octets; httpx refuses
            # anything else only when it sends, too late to say so.
            if not _HEADER_NAME.match(name) or '\n' in value \
                    or '\r' in value or not value.isascii():
                raise JobError('bad HTTP header %r' % ('%s: %s'
                                                       % (name, value)))
        object.__setattr__(self, 'headers', headers)
        if isinstance(self.expect, bool) or not isinstance(self.expect, int) \
                or not 100 <= self.expect <= 599:
            raise JobError('bad expected HTTP status %r: expected 100..599'
                           % (self.expect,))
        _check_timeout(self.timeout)

    def describe(self):
        return '%s %s' % (self.method, self.url)


def _check_timeout(timeout):
    if timeout is not None and not (isinstance(timeout, (int, float))
                                    and timeout > 0):
        raise JobError('bad timeout %r: expected seconds above zero'
                       % (timeout,))


TARGETS = {cls.kind: cls for cls in (CommandTarget, HTTPTarget)}


def target_to_json(target):
    data = dataclasses.asdict(target)
    data['kind'] = target.kind
    return json.dumps(data, sort_keys=True)


def target_from_json(text):
    data = json.loads(text)
    cls = TARGETS[data.pop('kind')]
    return cls(**{key: (tuple(map(tuple, value))
                        if key in ('headers', 'env') else value)
                  for key, value in data.items()})


@dataclasses.dataclass
class Result:
    """What one attempt of a target gave.

    :param status: the command's exit status (negative: killed by that
        signal) or the HTTP status; ``None`` if there was none (timeout,
        connection refused, command not found).
    """

    ok: bool
    status: int = None
    duration: float = 0.0
    output: str = None
    error: str = None
