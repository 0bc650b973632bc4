"""A cron plugin that appends every window it is given to a file."""

import os

from oslo_config import cfg

from plugincron import CronPluginBase

OPTS = [
    cfg.StrOpt('output_file', default='windows.log',
               help='File to which each window is appended.'),
    cfg.StrOpt('interval', default='* * * * *',
               help='Cron expression of the plugin.'),
    cfg.BoolOpt('enabled', default=True, help='Whether the plugin runs.'),
]


class WindowLogger(CronPluginBase):
    """Writes one line ``START END`` per window, in ISO 8601 UTC."""

    def __init__(self, config):
        super().__init__(config)
        config.register_opts(OPTS, group='window_logger')

    def enabled(self):
        return self.config.window_logger.enabled

    def interval(self):
        return self.config.window_logger.interval

    def run(self, start_time, end_time):
        path = self.config.window_logger.output_file
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, 'a') as out:
            out.write('%s %s\n' % (start_time.isoformat(),
                                   end_time.isoformat()))
