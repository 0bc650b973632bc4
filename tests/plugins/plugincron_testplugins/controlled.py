"""A plugin a test steers through files.

``[controlled] fail_file``: while it exists, run() raises.
``[controlled] block_file``: while it exists, run() writes
``<block_file>.started`` and waits (so a test can kill it, or race it).
``[controlled] hang_file``: while it exists, run() writes
``<hang_file>.started`` and hangs in a C call with SIGTERM, SIGINT and
SIGALRM blocked: only SIGKILL stops it.
Every call appends ``start end`` to ``calls_file``; every successful call
appends the same line to ``output_file``.
"""

import os
import signal
import time

from oslo_config import cfg

from plugincron import CronPluginBase

OPTS = [
    cfg.StrOpt('interval', default='* * * * *'),
    cfg.BoolOpt('enabled', default=True),
    cfg.StrOpt('output_file'),
    cfg.StrOpt('calls_file'),
    cfg.StrOpt('fail_file'),
    cfg.StrOpt('block_file'),
    cfg.StrOpt('hang_file'),
]


def _append(path, line):
    if path:
        with open(path, 'a') as out:
            out.write(line)


class Controlled(CronPluginBase):

    def __init__(self, config):
        super().__init__(config)
        config.register_opts(OPTS, group='controlled')
        self.opts = config.controlled

    def enabled(self):
        return self.opts.enabled

    def interval(self):
        return self.opts.interval

    def run(self, start_time, end_time):
        line = '%s %s\n' % (start_time.isoformat(), end_time.isoformat())
        _append(self.opts.calls_file, line)
        block = self.opts.block_file
        if block and os.path.exists(block):
            _append(block + '.started', '%d\n' % os.getpid())
            while os.path.exists(block):
                time.sleep(0.05)
        hang = self.opts.hang_file
        if hang and os.path.exists(hang):
            signal.pthread_sigmask(signal.SIG_BLOCK, {
                signal.SIGTERM, signal.SIGINT, signal.SIGALRM})
            _append(hang + '.started', '%d\n' % os.getpid())
            signal.sigwait({signal.SIGUSR2})  # blocks in C, signals masked
        if self.opts.fail_file and os.path.exists(self.opts.fail_file):
            raise RuntimeError('failing on purpose')
        _append(self.opts.output_file, line)
