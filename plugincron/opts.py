"""Every option plugincron registers, in one place.

``list_opts()`` is registered under the ``oslo.config.opts`` entry point, so
``oslo-config-generator --namespace plugincron`` writes a sample file and
the docs render the reference with ``.. show-options:: plugincron``.
"""

import datetime
import os
import re

from oslo_config import cfg

GROUP = 'cron'

#: The group holding one plugin's overrides: ``[plugin:NAME]``.
PLUGIN_GROUP = 'plugin:%s'

#: An override value that removes a plugin's limit (``max_catchup``,
#: ``timeout``) instead of changing it.
NO_LIMIT = 'none'

_DURATION = re.compile(r'^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?'
                       r'(?:(\d+(?:\.\d+)?)s?)?$')


class Duration:
    """oslo.config type of a duration: ``90`` (seconds), ``90s``, ``15m``,
    ``2h``, ``1d12h``, ``1w``; ``none`` for no limit."""

    type_name = 'duration'

    def __call__(self, value):
        return parse_duration(value)

    def __repr__(self):
        return 'Duration'

    def _formatter(self, value):
        return str(value)


def parse_duration(value):
    """A :class:`datetime.timedelta` from a duration; :data:`NO_LIMIT` for
    ``none`` or an empty value.

    :param value: text as in :class:`Duration`, a number of seconds or a
        timedelta.
    :raises ValueError: for anything else, or a duration not above zero.
    """
    if isinstance(value, datetime.timedelta):
        result = value
    elif isinstance(value, bool):
        raise ValueError('%r is not a duration' % value)
    elif isinstance(value, (int, float)):
        result = datetime.timedelta(seconds=value)
    else:
        text = str(value).strip().lower().replace(' ', '')
        if text in ('', NO_LIMIT):
            return NO_LIMIT
        match = _DURATION.match(text)
        if not match or not any(match.groups()):
            raise ValueError('%r is not a duration such as 90s, 15m, 2h, '
                             '1d12h or none' % value)
        weeks, days, hours, minutes, seconds = (
            float(g) if g else 0 for g in match.groups())
        result = datetime.timedelta(weeks=weeks, days=days, hours=hours,
                                    minutes=minutes, seconds=seconds)
    if result <= datetime.timedelta(0):
        raise ValueError('%r: a duration must be above zero' % value)
    return result


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
    cfg.FloatOpt('timeout_grace',
                 default=5.0,
                 min=0,
                 help='Seconds a run that exceeded its timeout is given to '
                      'exit after SIGTERM before it is killed with '
                      'SIGKILL.'),
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

#: Registered by the loader in ``[plugin:NAME]`` for each plugin it builds.
#: Unset options keep what the plugin says.
plugin_opts = [
    cfg.BoolOpt('enabled',
                help='Run this plugin (true) or keep it installed but idle '
                     '(false), whatever its enabled() says.'),
    cfg.StrOpt('interval',
               help="Cron expression or alias (such as @daily) replacing "
                    "the plugin's interval(). H in a field stands for a "
                    "value hashed from the plugin name."),
    cfg.StrOpt('catchup',
               choices=[('coalesce', 'one window from the last committed '
                                     'end to the latest tick'),
                        ('each', 'one run per missed tick, oldest first; '
                                 'stops at the first failure'),
                        ('skip', 'run only the latest interval and record '
                                 'the rest as missed')],
               help='What to do about missed ticks.'),
    cfg.Opt('max_catchup',
            type=Duration(),
            help='Time older than this, counted back from the latest tick, '
                 'is recorded as missed instead of being run: for example '
                 '6h or 2d; none for no limit.'),
    cfg.Opt('timeout',
            type=Duration(),
            help='How long one run() may take before it is stopped and '
                 'recorded as timed out, for example 90s or 10m; none for '
                 'no limit.'),
]

JOBS_GROUP = 'jobs'

job_opts = [
    cfg.BoolOpt('dispatcher',
                default=True,
                help='Whether the plugincron-dispatcher plugin fires the '
                     'jobs scheduled with plugin-cron at, every and call. '
                     'When false its crontab line is commented out and '
                     'jobs wait.'),
    cfg.IntOpt('workers',
               default=16,
               min=1,
               help='How many jobs one dispatcher fires at the same time.'),
    cfg.Opt('max_delay',
            type=Duration(),
            default='10m',
            help='Default for how late a job may fire: one that could not '
                 'fire within this of its time (the dispatcher or the host '
                 'was down) is marked missed instead.'),
    cfg.Opt('command_timeout',
            type=Duration(),
            default='1h',
            help='Default time a command job may run before it is killed; '
                 'none for no limit.'),
    cfg.Opt('http_timeout',
            type=Duration(),
            default='30s',
            help='Default time an HTTP callback may take.'),
    cfg.Opt('retry_delay',
            type=Duration(),
            default='2s',
            help='Wait before the first retry of a failed job; it doubles '
                 'with each further retry, up to 5 minutes.'),
    cfg.Opt('linger',
            type=Duration(),
            default=NO_LIMIT,
            help='How long a dispatcher started by cron waits for jobs '
                 'that come due within its minute; none: until just before '
                 'the next tick. Shorter makes jobs due later in the '
                 'minute wait for the next tick.'),
    cfg.FloatOpt('poll_interval',
                 default=0.5,
                 min=0.05,
                 help='Longest time in seconds the dispatcher sleeps '
                      'before looking for jobs scheduled meanwhile.'),
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
    conf.register_opts(job_opts, group=JOBS_GROUP)


def list_opts():
    """Options for oslo-config-generator and the Sphinx extension."""
    return [(GROUP, cron_opts), (JOBS_GROUP, job_opts),
            ('DEFAULT', cli_opts),
            (PLUGIN_GROUP % 'NAME', plugin_opts)]


def register_plugin_opts(conf, name):
    """Register ``[plugin:NAME]`` on ``conf``; returns the group's name."""
    group = PLUGIN_GROUP % name
    conf.register_opts(plugin_opts, group=group)
    return group
