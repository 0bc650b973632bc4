"""Every option plugincron registers, in one place.

``list_opts()`` is registered under the ``oslo.config.opts`` entry point, so
``oslo-config-generator --namespace plugincron`` writes a sample file and
the docs render the reference with ``.. show-options:: plugincron``.
"""

import os

from oslo_config import cfg

GROUP = 'cron'


def _default_state_dir():
    if os.geteuid() == 0:
        return '/var/lib/plugincron'
    base = os.environ.get('XDG_STATE_HOME') or os.path.join(
        os.path.expanduser('~'), '.local', 'state')
    return os.path.join(base, 'plugincron')


cron_opts = [
    cfg.BoolOpt('enable',
                default=True,
                help='Whether the host manages cron plugins at all. When '
                     'false, the host removes the crontab lines it '
                     'manages.'),
    cfg.StrOpt('namespace',
               default='plugin.cron',
               help='Entry point group in which cron plugins are '
                    'discovered.'),
    cfg.StrOpt('state_dir',
               default=_default_state_dir(),
               sample_default='$XDG_STATE_HOME/plugincron, or '
                              '/var/lib/plugincron as root',
               help='Directory for the embedded state database and the '
                    'lock files.'),
    cfg.StrOpt('state_url',
               help='URL of the state store that keeps committed windows, '
                    'run history and jobs. The scheme picks the backend: '
                    'sqlite:///relative/path or sqlite:////absolute/path '
                    '(embedded, one host), postgresql:// or '
                    'mysql+pymysql:// (shared by several hosts). Default: '
                    'an SQLite file named state.sqlite in state_dir.'),
    cfg.StrOpt('coordination_url',
               help='URL of a tooz coordination backend (for example '
                    'redis://127.0.0.1:6379) used for per-plugin locks. '
                    'Default: file locks in state_dir, which only exclude '
                    'runs on the same host.'),
    cfg.BoolOpt('multi_host',
                default=False,
                help='Whether several hosts run the same plugins. When '
                     'true, a state store or lock backend that is not '
                     'safe across hosts is refused.'),
    cfg.StrOpt('timezone',
               help='IANA time zone in which plugin intervals are '
                    'evaluated, for example Europe/Berlin. Default: the '
                    'system time zone, the one cron itself uses. Windows '
                    'are always reported in UTC.'),
    cfg.StrOpt('crontab',
               default='user',
               help='Where the managed crontab lines live: "user" for the '
                    'crontab of the user named by crontab_user (through '
                    'the crontab command), or the absolute path of a '
                    'crontab file. A file under /etc/cron.d is written in '
                    'the system format, with a user column.'),
    cfg.StrOpt('crontab_user',
               sample_default='the user the host runs as',
               help='User as whom cron starts the runner: whose crontab '
                    'is managed when crontab is "user", and the user '
                    'column of a system crontab file. When set, a crontab '
                    'file outside /etc/cron.d is written in the system '
                    'format too. Default: the user the host runs as.'),
    cfg.StrOpt('runner_command',
               help='Command that starts plugin-cron in the crontab lines, '
                    'split into words like a shell would, for example '
                    '"env PYTHONPATH=/srv/app /usr/bin/python3 -m '
                    'plugincron". Each word is quoted again when written. '
                    'Default: the plugin-cron script next to the running '
                    'Python interpreter, or that interpreter with -m '
                    'plugincron.'),
    cfg.StrOpt('manage_interval',
               default='*/5 * * * *',
               help='Cron expression on which the plugincron-manager '
                    'plugin reconciles the crontab with the installed '
                    'plugins.'),
    cfg.BoolOpt('remove_on_exit',
                default=True,
                help='Whether the host removes the crontab lines it '
                     'manages when its interpreter exits, after '
                     'plugincron.host.load_crontab() installed them.'),
    cfg.HostnameOpt('host',
                    default=None,
                    sample_default='the machine hostname',
                    help='Name of this host in the run history. Default: '
                         'the machine hostname.'),
]

cli_opts = [
    cfg.BoolOpt('debug', short='d', default=False,
                help='Log debug messages to standard error.'),
    cfg.BoolOpt('verbose', short='v', default=False,
                help='Log informational messages to standard error.'),
]


def register_opts(conf):
    """Register plugincron's options on ``conf``."""
    conf.register_opts(cron_opts, group=GROUP)


def list_opts():
    """Options for oslo-config-generator and the Sphinx extension."""
    return [(GROUP, cron_opts), ('DEFAULT', cli_opts)]
