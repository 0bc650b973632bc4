"""``plugin-cron run NAME``: what system cron starts on every tick."""

import datetime
import os
import socket

from plugincron import exceptions, loader, locks, runner, state

UTC = datetime.timezone.utc


def add_parsers(subparsers):
    p = subparsers.add_parser(
        'run', help="run a plugin's due window (what cron calls)")
    p.add_argument('plugin', metavar='NAME', help='plugin name')
    p.add_argument('--now', metavar='ISO8601',
                   help='evaluate the schedule as if it were this time '
                        '(not in the future); without an offset, UTC')
    p.set_defaults(handler=take_run)


def parse_now(text, real_now):
    """``--now``: an ISO 8601 time not in the future (naive means UTC)."""
    try:
        when = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        raise exceptions.ConfigError(
            '--now %r is not an ISO 8601 date and time' % text,
            option='now', value=text) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when > real_now + datetime.timedelta(seconds=1):
        raise exceptions.ConfigError(
            '--now %s is in the future; only past times can be replayed'
            % text, option='now', value=text)
    return when


def take_run(conf):
    real_now = runner.utcnow()
    now = None
    if conf.command.now:
        now = parse_now(conf.command.now, real_now)
    loaded = loader.load(conf, conf.command.plugin)
    host = conf.cron.host or socket.gethostname()
    with state.from_conf(conf) as store, \
            locks.from_conf(conf, '%s-%d' % (host, os.getpid())) as lockman:
        report = runner.Runner(
            store, lockman, host=host,
            timeout_grace=conf.cron.timeout_grace).run(loaded, now=now)
    return 1 if report.outcome == runner.FAILED else 0
