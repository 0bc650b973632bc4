"""``plugin-cron``: the runner cron starts, and the operator's commands.

Each module named in :data:`COMMAND_MODULES` declares its subcommands in
``add_parsers(subparsers)`` and keeps heavy imports inside its handlers:
all of them are imported to build the parser, and cron starts the runner
afresh every tick.

Exit codes: 0 done (or nothing to do), 1 a plugin failed, 2 bad usage or
configuration, with one line on standard error saying what is wrong.
"""

import importlib
import logging
import sys

from oslo_config import cfg

from plugincron import exceptions, opts

PROG = 'plugin-cron'


#: Modules whose ``add_parsers(subparsers)`` declare the subcommands; a
#: parser names its handler as ``set_defaults(handler=function)``.
COMMAND_MODULES = [
    'plugincron.cli.run',
    'plugincron.cli.sync',
    'plugincron.cli.listing',
    'plugincron.cli.db',
    'plugincron.cli.ops',
    'plugincron.cli.jobs',
]


def _add_commands(subparsers):
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parsers(subparsers)


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
        return conf.command.handler(conf)
    except (exceptions.PluginCronError, cfg.Error) as exc:
        return fail(exc)
    finally:
        conf.reset()
