"""``plugincron-manager``: the built-in plugin that keeps the crontab.

It is registered under plugincron's own ``plugin.cron`` entry point, so
it reconciles its own line too: once the host has synced, cron keeps
reconciling every ``[cron] manage_interval`` even while the host is down.
"""

from plugincron import base, exceptions, opts

NAME = 'plugincron-manager'


class CronManager(base.CronPluginBase):
    """Reconciles the crontab with the installed cron plugins."""

    def __init__(self, config):
        super().__init__(config)
        opts.register_opts(config)

    def enabled(self):
        return self.config.cron.enable

    def interval(self):
        return self.config.cron.manage_interval

    def run(self, start_time, end_time):
        from plugincron.crontab import reconcile
        result = reconcile.reconcile(self.config)
        if result.errors:
            # The others' lines are written; failing the run puts the
            # broken plugins in the history and in cron's mail.
            raise exceptions.PluginCronError(
                'crontab reconciled, but %d plugin(s) have no line: %s' % (
                    len(result.errors), '; '.join(
                        str(err) for err in result.errors.values())))
