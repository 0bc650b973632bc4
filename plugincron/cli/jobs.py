"""Dynamic jobs from the command line: at, every, call, jobs, cancel,
reschedule.

Thin wrappers around :class:`plugincron.jobs.service.JobService`, imported
inside the handlers: this module is imported on every cron tick to build
the parser.  A refused request raises a
:class:`~plugincron.exceptions.PluginCronError` that
:func:`plugincron.cli.main` prints as one line (exit 2); nothing is stored.

A command vector follows ``--`` and is stored exactly as given, options
that look like ours (``-v``, ``--name``) included::

    plugin-cron at +10m --name backup -- sh -c 'tar czf /tmp/b.tgz ~; ls'
"""

import argparse
import json
import sys

from plugincron.cli import ops

ENTRY_COLUMNS = ('ID', 'DUE', 'STATE', 'ATTEMPTS', 'STATUS', 'DURATION',
                 'ERROR')
JOB_COLUMNS = ('NAME', 'OWNER', 'SCHEDULE', 'STATE', 'NEXT', 'ATTEMPTS',
               'LAST', 'TARGET')
#: Characters of an error shown in a table cell; JSON has all of it.
SHORT = 60


# -- the parsers -----------------------------------------------------------

class _CommandVector(argparse.Action):
    """WHEN (or SPEC), our options, ``--``, then the command vector, kept
    verbatim.

    A ``nargs='*'`` positional for the command cannot follow options and
    ``--`` reliably (argparse gives it an empty list as soon as it meets
    WHEN), and a positional WHEN swallows the ``--`` right after it on
    some Python versions (then ``at +10m -- -v`` would read ``-v`` as an
    option).  So everything from WHEN on is taken whole (``REMAINDER``
    keeps ``--``) and split here at the first ``--``.  Without ``--`` the
    rest is the command, unless it starts with an option.
    """

    def __init__(self, option_strings, dest, options=None, **kwargs):
        self.options = options
        super().__init__(option_strings, dest, nargs=argparse.REMAINDER,
                         **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        values = list(values)
        if values[:1] == ['--']:         # at -- +10m ls
            values = values[1:]
        if not values:
            parser.error('the following arguments are required: %s'
                         % self.dest.upper())
        first, values = values[0], values[1:]
        if '--' in values:
            cut = values.index('--')
            before, command = values[:cut], values[cut + 1:]
        elif values and values[0].startswith('-'):
            before, command = values, []
        else:
            before, command = [], values
        if '-h' in before or '--help' in before:
            parser.print_help()
            parser.exit()
        if before:
            try:
                self.options.parse_args(before, namespace)
            except _OptionsError as exc:
                hint = '' if '--' in values else ' (the command goes ' \
                    'after --)'
                parser.error('%s%s' % (exc, hint))
        setattr(namespace, self.dest, first)
        setattr(namespace, 'command_argv', command)


class _OptionsError(Exception):
    pass


class _OptionsParser(argparse.ArgumentParser):
    """Parses the options written between WHEN and ``--``."""

    def error(self, message):
        raise _OptionsError(message)


def _owner_arg(parser):
    parser.add_argument('--owner', metavar='O',
                        help='who the job belongs to (default: the Unix '
                             'user)')


def _name_arg(parser):
    # Not dest='name': oslo.config's SubCommandAttr reserves it.
    parser.add_argument('--name', dest='job_name', metavar='N',
                        help='the job name (default: OWNER.N, numbered); '
                             'a one-shot job of the same target by that '
                             'name gets another entry')


def _delivery_args(parser):
    parser.add_argument('--retry', metavar='N',
                        help='retries after a failed attempt (default: 0 '
                             'for a command, 1 for a call)')
    parser.add_argument('--max-delay', metavar='D',
                        help='not fired, but marked missed, when it could '
                             'not fire within D of its time, e.g. 10m '
                             '(default: [jobs] max_delay)')
    parser.add_argument('--timeout', metavar='D',
                        help='how long one attempt may take, e.g. 30s '
                             '(default: [jobs] command_timeout or '
                             'http_timeout)')


def _command_options(parser, start=False):
    _name_arg(parser)
    _owner_arg(parser)
    if start:
        parser.add_argument('--start', metavar='WHEN',
                            help='the first time (default: one period from '
                                 'now, or the next tick of the expression)')
    _delivery_args(parser)
    parser.add_argument('--cwd', metavar='DIR',
                        help='working directory of the command (made '
                             'absolute here)')
    parser.add_argument('--env', action='append', metavar='K=V',
                        help='a variable added to the environment; '
                             'repeatable')


def _command_parser(subparsers, name, first, first_help, help,
                    start=False):
    """``NAME FIRST [options] -- CMD ARGS...``; ``first`` is FIRST's dest."""
    p = subparsers.add_parser(
        name, help=help,
        usage='%%(prog)s %s [options] -- CMD ARGS...' % first.upper())
    _command_options(p, start=start)
    options = _OptionsParser(prog=p.prog, add_help=False)
    _command_options(options, start=start)
    p.add_argument(first, metavar='%s -- CMD ARGS' % first.upper(),
                   action=_CommandVector, options=options,
                   help=first_help + '; then the command and its '
                   'arguments, run without a shell')
    return p


def add_parsers(subparsers):
    p = _command_parser(
        subparsers, 'at', 'when',
        '+10m, 15:30, 15:30:00Z, an ISO 8601 time or a Unix timestamp; '
        'not in the past', help='run a command once at a time')
    p.set_defaults(handler=take_at)

    p = _command_parser(
        subparsers, 'every', 'spec',
        "a duration (5m, 1h) or a quoted cron expression ('*/5 * * * *', "
        '@hourly, H allowed)', help='run a command periodically',
        start=True)
    p.set_defaults(handler=take_every)

    p = subparsers.add_parser('call', help='schedule an HTTP callback')
    p.add_argument('when', metavar='WHEN',
                   help='when to call (as for at); with --every, the first '
                        'time')
    p.add_argument('url', metavar='URL', help='http:// or https:// URL')
    p.add_argument('--method', metavar='M',
                   help='HTTP method (default: POST with --data, else GET)')
    p.add_argument('--header', action='append', metavar="'NAME: VALUE'",
                   help='a request header; repeatable')
    p.add_argument('--data', metavar='D', help='the request body')
    p.add_argument('--expect', metavar='CODE', default='200',
                   help='the status that counts as success (default: 200)')
    _delivery_args(p)
    p.add_argument('--every', metavar='SPEC',
                   help='call periodically: a duration or a cron '
                        'expression')
    _name_arg(p)
    _owner_arg(p)
    p.set_defaults(handler=take_call)

    p = subparsers.add_parser(
        'jobs', help='list jobs, or show one job and its entries')
    p.add_argument('job', metavar='NAME', nargs='?',
                   help="show this job and its entries")
    p.add_argument('--owner', metavar='O',
                   help='only jobs of this owner (default: every owner; '
                        'without NAME)')
    p.add_argument('--future-only', action='store_true',
                   help='only jobs (entries, with NAME) still to fire')
    p.add_argument('--start-from', metavar='X',
                   help='page from this job name, or with NAME from this '
                        'due time, inclusive')
    p.add_argument('--limit', metavar='N',
                   help='show at most N rows; when there are more, the '
                        '--start-from of the next page goes to standard '
                        'error')
    p.add_argument('--format', choices=('table', 'json'), default='table',
                   help='output format (default: table)')
    p.set_defaults(handler=take_jobs)

    p = subparsers.add_parser(
        'cancel', help="cancel a job's pending entries, or one entry")
    p.add_argument('key', metavar='NAME[@TIME]',
                   help='a job, or one entry of it (NAME@2026-11-23T10:15'
                        ':00Z); a periodic job gets no further entries')
    p.set_defaults(handler=take_cancel)

    p = subparsers.add_parser(
        'reschedule', help="fire a job's failed entries again; exits 0 "
                           'also when there is none')
    p.add_argument('key', metavar='NAME[@TIME]',
                   help='a job, or one entry of it')
    p.add_argument('--at', metavar='WHEN',
                   help='when to fire them (default: the next minute)')
    p.add_argument('--all', action='store_true',
                   help='every finished entry (succeeded, missed, '
                        'cancelled too), not only failed ones')
    p.set_defaults(handler=take_reschedule)


# -- helpers ---------------------------------------------------------------

def _error(message):
    from plugincron.jobs import model
    return model.JobError(message)


def _count(text, option, low):
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low:
        raise _error('bad %s %r: expected a whole number, %d or more'
                     % (option, text, low))
    return value


def _seconds(text):
    if text is None:
        return None
    from plugincron.jobs import timespec
    try:
        return timespec.parse_duration(text).total_seconds()
    except timespec.BadTimeSpec as exc:
        raise timespec.BadTimeSpec(text, exc.reason, '--timeout') from None


def _max_delay(text):
    # Checked here to name the option; the service parses it again.
    if text is not None:
        from plugincron.jobs import timespec
        try:
            timespec.parse_duration(text)
        except timespec.BadTimeSpec as exc:
            raise timespec.BadTimeSpec(text, exc.reason,
                                       '--max-delay') from None
    return text


def _service(conf, owner=None):
    from plugincron.jobs import service
    return service.JobService(conf, owner=owner)


def _command_target(args):
    import os

    from plugincron.jobs import model
    env = []
    for item in args.env or ():
        key, eq, value = item.partition('=')
        if not eq:
            raise _error('bad --env %r: expected NAME=VALUE' % item)
        env.append((key, value))
    cwd = os.path.abspath(args.cwd) if args.cwd else None
    return model.CommandTarget(tuple(args.command_argv or ()), cwd,
                               tuple(env), _seconds(args.timeout))


def scheduled_entry(entry, target):
    return 'scheduled %s: %s' % (entry.key, target.describe())


def scheduled_job(job):
    return 'scheduled %s %s, next at %s: %s' % (
        job.name, job.schedule, ops.show_time(job.next_fire_at),
        job.target.describe())


def short(text, width=SHORT):
    """The last line of ``text``, cut to ``width``: a table cell."""
    if not text:
        return None
    lines = [line for line in text.strip().splitlines() if line.strip()]
    line = lines[-1].strip() if lines else ''
    return line if len(line) <= width else line[:width - 3] + '...'


def _duration(seconds):
    return None if seconds is None else '%.1fs' % seconds


def last_cell(entry):
    """``failed 1 0.2s: boom``: the state, status, duration and error of
    a job's last entry."""
    if entry is None:
        return None
    text = ' '.join(part for part in (
        entry.state, None if entry.status is None else str(entry.status),
        _duration(entry.duration)) if part)
    error = short(entry.error)
    return '%s: %s' % (text, error) if error else text


def job_row(job):
    return (job.name, job.owner, job.schedule, job.state,
            ops.show_time(job.next_fire_at), job.attempts,
            last_cell(job.last), job.target.describe())


def entry_row(entry):
    return (entry.key, ops.show_time(entry.due_at), entry.state,
            entry.attempts, entry.status, _duration(entry.duration),
            short(entry.error))


def _more(next_start):
    print('plugin-cron: more: --start-from %s' % next_start,
          file=sys.stderr)


# -- handlers --------------------------------------------------------------

def take_at(conf):
    args = conf.command
    target = _command_target(args)
    with _service(conf, args.owner) as jobs:
        entry = jobs.at(args.when, target, name=args.job_name,
                        retries=_count(args.retry, '--retry', 0),
                        max_delay=_max_delay(args.max_delay))
    print(scheduled_entry(entry, target))
    return 0


def take_every(conf):
    args = conf.command
    target = _command_target(args)
    with _service(conf, args.owner) as jobs:
        job = jobs.every(args.spec, target, name=args.job_name,
                         start=args.start,
                         retries=_count(args.retry, '--retry', 0),
                         max_delay=_max_delay(args.max_delay))
    print(scheduled_job(job))
    return 0


def take_call(conf):
    args = conf.command
    headers = []
    for header in args.header or ():
        key, colon, value = header.partition(':')
        if not colon or not key.strip():
            raise _error("bad --header %r: expected 'Name: value'"
                         % header)
        headers.append((key.strip(), value.strip()))
    try:
        expect = int(args.expect)
    except ValueError:
        expect = None
    if expect is None or not 100 <= expect <= 599:
        raise _error('bad --expect %r: expected an HTTP status, 100..599'
                     % args.expect)
    with _service(conf, args.owner) as jobs:
        result = jobs.call(args.when, args.url, method=args.method,
                           headers=headers, data=args.data, expect=expect,
                           retries=_count(args.retry, '--retry', 0),
                           max_delay=_max_delay(args.max_delay),
                           timeout=_seconds(args.timeout),
                           every=args.every, name=args.job_name)
        if args.every is not None:
            print(scheduled_job(result))
        else:
            target = jobs.get(result.job, entries=0).target
            print(scheduled_entry(result, target))
    return 0


def take_jobs(conf):
    args = conf.command
    limit = _count(args.limit, '--limit', 1)
    with _service(conf) as jobs:
        if args.job is None:
            found = jobs.list(owner=args.owner,
                              future_only=args.future_only,
                              start_from=args.start_from,
                              limit=None if limit is None else limit + 1)
            more = found[limit:] if limit is not None else []
            found = found[:limit]
            if args.format == 'json':
                print(json.dumps([job.to_dict() for job in found],
                                 indent=2))
            else:
                ops.print_table(JOB_COLUMNS, [job_row(j) for j in found])
            if more:
                _more(more[0].name)
            return 0
        job = jobs.get(args.job, entries=0)
        start = args.start_from
        if start is not None and '@' in start:
            start = start.rpartition('@')[2]   # an entry id will do
        entries = jobs.entries(args.job, future_only=args.future_only,
                               start_from=start,
                               limit=None if limit is None else limit + 1)
    more = entries[limit:] if limit is not None else []
    entries = entries[:limit]
    if args.format == 'json':
        print(json.dumps(dict(job.to_dict(), entries=[
            entry.to_dict() for entry in entries]), indent=2))
    else:
        ops.print_table(JOB_COLUMNS, [job_row(job)])
        print()
        ops.print_table(ENTRY_COLUMNS, [entry_row(e) for e in entries])
    if more:
        _more(ops.show_time(more[0].due_at))
    return 0


def take_cancel(conf):
    key = conf.command.key
    with _service(conf) as jobs:
        count = jobs.cancel(key)
    print('cancelled %d %s of %s%s' % (
        count, 'entry' if count == 1 else 'entries', key,
        '' if count else ': nothing was pending'))
    return 0


def take_reschedule(conf):
    args = conf.command
    with _service(conf) as jobs:
        entries = jobs.reschedule(args.key, when=args.at, all=args.all)
    for entry in entries:
        print('rescheduled %s to fire at %s' % (
            entry.key, ops.show_time(entry.fire_at)))
    if not entries:
        print('nothing to reschedule: %s has no %s entry' % (
            args.key, 'finished' if args.all else 'failed'))
    return 0
