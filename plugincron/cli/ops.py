"""The operator's commands: history, pause, resume, backfill, reset, check.

Each handler returns the exit code; errors are raised as
:class:`~plugincron.exceptions.PluginCronError` and printed by
:func:`plugincron.cli.main` as one line (exit 2).  Commands that print
data take ``--format json``.
"""

import datetime
import json
import sys

UTC = datetime.timezone.utc

# Nagios plugin exit codes, as 'check' returns them.
OK, WARNING, CRITICAL = 0, 1, 2
_LEVELS = {OK: 'OK', WARNING: 'WARNING', CRITICAL: 'CRITICAL'}


def _plugin_arg(parser):
    # Not dest='name': oslo.config's SubCommandAttr reserves it.
    parser.add_argument('plugin', metavar='NAME', help='plugin name')


def _format_arg(parser):
    parser.add_argument('--format', choices=('table', 'json'),
                        default='table',
                        help='output format (default: table)')


def add_parsers(subparsers):
    p = subparsers.add_parser(
        'history', help="a plugin's runs, skips and failures, newest first")
    _plugin_arg(p)
    p.add_argument('--limit', type=int, default=20, metavar='N',
                   help='show at most N records (default: 20)')
    _format_arg(p)
    p.set_defaults(handler=take_history)

    p = subparsers.add_parser(
        'pause', help='stop running a plugin (each tick records a skip)')
    _plugin_arg(p)
    p.set_defaults(handler=take_pause)

    p = subparsers.add_parser(
        'resume', help='run a paused plugin again; the time it missed is '
                       'caught up by its policy')
    _plugin_arg(p)
    p.set_defaults(handler=take_resume)

    p = subparsers.add_parser(
        'backfill', help='run historical windows without moving the '
                         'committed end')
    _plugin_arg(p)
    p.add_argument('--start', required=True, metavar='ISO8601',
                   help='start of the span, inclusive (naive means UTC)')
    p.add_argument('--end', required=True, metavar='ISO8601',
                   help='end of the span, exclusive, not after the '
                        'committed end')
    p.add_argument('--each', action='store_true',
                   help="one run per interval of the plugin's schedule, "
                        'oldest first, instead of one run for the span')
    p.set_defaults(handler=take_backfill)

    p = subparsers.add_parser(
        'reset', help='move the committed end (the next window starts '
                      'there)')
    _plugin_arg(p)
    p.add_argument('--to', required=True, metavar='ISO8601',
                   help='new committed end (naive means UTC)')
    p.add_argument('--yes', action='store_true',
                   help='confirm: time after it is handed out again, or '
                        'time before it is never handed out')
    p.set_defaults(handler=take_reset)

    p = subparsers.add_parser(
        'check', help='monitoring check with Nagios exit codes (0 ok, '
                      '1 warning, 2 critical)')
    p.add_argument('--max-late', type=int, default=2, metavar='N',
                   help='critical when the last committed window ended '
                        'more than N intervals ago (default: 2)')
    _format_arg(p)
    p.set_defaults(handler=take_check)


# -- helpers ---------------------------------------------------------------

def parse_time(text, option):
    """An aware UTC datetime from ISO 8601 text; naive means UTC."""
    from plugincron import exceptions
    try:
        when = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        raise exceptions.ConfigError(
            '--%s %r is not an ISO 8601 date and time' % (option, text),
            option=option, value=text) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def show_time(when):
    """``2026-01-05T10:00:00Z``; ``None`` stays ``None``."""
    if when is None:
        return None
    when = when.astimezone(UTC)
    text = when.strftime('%Y-%m-%dT%H:%M:%S')
    if when.microsecond:
        text += '.%06d' % when.microsecond
    return text + 'Z'


def print_table(headers, rows, out=None):
    """Columns padded to their widest cell; ``None`` shows as ``-``."""
    out = out or sys.stdout
    cells = [[('-' if value is None else str(value)) for value in row]
             for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells])
              for i, h in enumerate(headers)]
    for row in [list(headers)] + cells:
        print('  '.join(cell.ljust(width) for cell, width
                        in zip(row, widths)).rstrip(), file=out)


def _open(conf):
    import os
    import socket

    from plugincron import locks, runner, state
    host = conf.cron.host or socket.gethostname()
    store = state.from_conf(conf)
    try:
        lockman = locks.from_conf(conf, '%s-%d' % (host, os.getpid()))
    except BaseException:
        store.close()
        raise
    return store, lockman, runner.Runner(
        store, lockman, host=host, timeout_grace=conf.cron.timeout_grace)


def _known(conf, name, store):
    """Refuse a name that is neither installed nor in the store (a typo
    would otherwise create state for a plugin that does not exist)."""
    from importlib import metadata

    from plugincron import exceptions
    namespace = conf.cron.namespace
    installed = {ep.name for ep in metadata.entry_points(group=namespace)}
    if name not in installed and name not in store.list_plugins():
        raise exceptions.PluginNotFound(name, namespace)


# -- history ---------------------------------------------------------------

def record_dict(record):
    return {
        'id': record.id, 'plugin': record.plugin, 'status': record.status,
        'window_start': show_time(record.window_start),
        'window_end': show_time(record.window_end),
        'started_at': show_time(record.started_at),
        'finished_at': show_time(record.finished_at),
        'duration': record.duration, 'host': record.host,
        'pid': record.pid, 'reason': record.reason, 'error': record.error,
    }


def take_history(conf):
    from plugincron import exceptions, state
    if conf.command.limit < 1:
        raise exceptions.ConfigError('--limit must be at least 1',
                                     option='limit',
                                     value=conf.command.limit)
    with state.from_conf(conf) as store:
        records = store.history(conf.command.plugin,
                                limit=conf.command.limit)
    rows = [record_dict(r) for r in records]
    if conf.command.format == 'json':
        print(json.dumps(rows, indent=2))
        return 0
    print_table(
        ('ID', 'STATUS', 'WINDOW START', 'WINDOW END', 'STARTED', 'HOST',
         'PID', 'DURATION', 'REASON'),
        [(r['id'], r['status'], r['window_start'], r['window_end'],
          r['started_at'], r['host'], r['pid'],
          None if r['duration'] is None else '%.1fs' % r['duration'],
          r['reason']) for r in rows])
    return 0


# -- pause / resume --------------------------------------------------------

def _set_paused(conf, paused):
    store, lockman, runner = _open(conf)
    with store, lockman:
        _known(conf, conf.command.plugin, store)
        runner.set_paused(conf.command.plugin, paused)
    print('%s %s' % (conf.command.plugin, 'paused' if paused else 'resumed'))
    return 0


def take_pause(conf):
    return _set_paused(conf, True)


def take_resume(conf):
    return _set_paused(conf, False)


# -- backfill / reset ------------------------------------------------------

def take_backfill(conf):
    from plugincron import loader, runner as runner_mod
    start = parse_time(conf.command.start, 'start')
    end = parse_time(conf.command.end, 'end')
    loaded = loader.load(conf, conf.command.plugin)
    store, lockman, runner = _open(conf)
    with store, lockman:
        report = runner.backfill(loaded, start, end, each=conf.command.each)
    for window in report.backfilled:
        print('backfilled %s' % window)
    if report.outcome == runner_mod.FAILED:
        print('%s: backfill stopped: %s' % (loaded.name, report.reason),
              file=sys.stderr)
        return 1
    return 0


def take_reset(conf):
    from plugincron import exceptions
    to = parse_time(conf.command.to, 'to')
    if not conf.command.yes:
        raise exceptions.ConfigError(
            'reset moves the committed end of %r: time after --to is '
            'handed out again, time before it never is; add --yes'
            % conf.command.plugin, option='yes')
    store, lockman, runner = _open(conf)
    with store, lockman:
        _known(conf, conf.command.plugin, store)
        old = runner.reset(conf.command.plugin, to)
    print('%s: committed end moved from %s to %s' % (
        conf.command.plugin, show_time(old) or 'nothing', show_time(to)))
    return 0


# -- check -----------------------------------------------------------------

def _intervals_late(schedule, committed_end, now, cap):
    """How many ticks at or before ``now`` are after ``committed_end``
    (counted up to ``cap``)."""
    late = 0
    for _ in schedule.ticks(committed_end, now):
        late += 1
        if late >= cap:
            break
    return late


def plugin_health(loaded, plugin_state, last_run, now, max_late):
    """``(level, problem)`` of one discovered plugin."""
    from plugincron.state import base
    if not loaded.enabled:
        return OK, 'disabled'
    if plugin_state.paused:
        return WARNING, 'paused'
    if last_run is not None and last_run.status in (
            base.FAILED, base.TIMED_OUT, base.ABANDONED):
        return CRITICAL, 'last run %s: %s' % (last_run.status,
                                              last_run.reason)
    if plugin_state.committed_end is None:
        return WARNING, 'never ran'
    late = _intervals_late(loaded.schedule, plugin_state.committed_end, now,
                           cap=max_late + 1)
    if late > max_late:
        return CRITICAL, 'last window ended more than %d intervals ago ' \
            '(%s)' % (max_late, show_time(plugin_state.committed_end))
    return OK, None


def take_check(conf):
    from plugincron import exceptions, loader, runner, state
    from plugincron.state import base
    max_late = conf.command.max_late
    if max_late < 1:
        raise exceptions.ConfigError('--max-late must be at least 1',
                                     option='max_late', value=max_late)
    now = runner.utcnow()
    found = loader.discover(conf)
    results = []
    with state.from_conf(conf) as store:
        for name, loaded in sorted(found.plugins.items()):
            runs = store.history(name, limit=1, statuses=(
                base.SUCCEEDED, base.FAILED, base.TIMED_OUT, base.ABANDONED))
            plugin_state = store.get_plugin(name)
            level, problem = plugin_health(
                loaded, plugin_state, runs[0] if runs else None, now,
                max_late)
            results.append({
                'name': name, 'state': _LEVELS[level], 'problem': problem,
                'committed_end': show_time(plugin_state.committed_end),
                'last_run': runs[0].status if runs else None})
    for name, error in sorted(found.failures.items()):
        results.append({'name': name, 'state': _LEVELS[WARNING],
                        'problem': 'failed to load: %s' % error,
                        'committed_end': None, 'last_run': None})
    levels = {text: level for level, text in _LEVELS.items()}
    code = max([OK] + [levels[r['state']] for r in results])
    counts = {text: sum(1 for r in results if r['state'] == text)
              for text in _LEVELS.values()}
    problems = ['%s: %s' % (r['name'], r['problem']) for r in results
                if r['state'] != 'OK']
    summary = 'PLUGINCRON %s - %d critical, %d warning, %d ok' % (
        _LEVELS[code], counts['CRITICAL'], counts['WARNING'], counts['OK'])
    if problems:
        summary += ': ' + '; '.join(problems)
    if conf.command.format == 'json':
        print(json.dumps({'status': _LEVELS[code], 'code': code,
                          'summary': summary, 'plugins': results},
                         indent=2))
    else:
        print(' '.join(summary.split()))  # one line, whatever the reasons
    return code
