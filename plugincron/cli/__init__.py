"""``plugin-cron``: the runner cron starts, and the operator's commands.

This module only declares the command line; each subcommand's code lives
in its own module, imported when that subcommand runs, so the runner cron
starts every tick pays only for what ``run`` needs.

Exit codes: 0 done (or nothing to do), 1 a plugin failed, 2 bad usage or
configuration, with one line on standard error saying what is wrong.
"""

import importlib
import logging
import sys

from oslo_config import cfg

from plugincron import exceptions, opts

PROG = 'plugin-cron'


def _add_run(subparsers):
    p = subparsers.add_parser(
        'run', help="run a plugin's due window (what cron calls)")
    p.add_argument('plugin', metavar='NAME', help='plugin name')
    p.add_argument('--now', metavar='ISO8601',
                   help='evaluate the schedule as if it were this time '
                        '(not in the future); without an offset, UTC')
    p.set_defaults(handler='plugincron.cli.run:take_run')


#: Each adds one subcommand; handlers are "module:function" names.
COMMANDS = [_add_run]


def _add_commands(subparsers):
    for add in COMMANDS:
        add(subparsers)


def build_conf():
    """A fresh ``ConfigOpts`` with plugincron's options and commands."""
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf.register_cli_opts(opts.cli_opts)
    conf.register_cli_opt(cfg.SubCommandOpt(
        'command', title='commands', handler=_add_commands))
    return conf


def fail(message):
    """Print the one-line error the CLI promises; return exit code 2."""
    print('%s: error: %s' % (PROG, message), file=sys.stderr)
    return 2


def _setup_logging(conf):
    level = logging.WARNING
    if conf.verbose:
        level = logging.INFO
    if conf.debug:
        level = logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr,
                        format='%(asctime)s %(levelname)s %(name)s: '
                               '%(message)s')


def main(argv=None):
    """Entry point of ``plugin-cron``; returns the exit code."""
    conf = build_conf()
    try:
        conf(sys.argv[1:] if argv is None else argv, project='plugincron',
             prog=PROG)
    except cfg.Error as exc:
        return fail(exc)
    try:
        _setup_logging(conf)
        module, _, func = conf.command.handler.partition(':')
        handler = getattr(importlib.import_module(module), func)
        return handler(conf)
    except (exceptions.PluginCronError, cfg.Error) as exc:
        return fail(exc)
    finally:
        conf.reset()
