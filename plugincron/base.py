"""The plugin contract.

A cron plugin is a subclass of :class:`CronPluginBase` registered under the
``plugin.cron`` entry point group.  The rules a plugin must follow:

* ``__init__(config)`` must be cheap and must not do I/O: the host builds
  every plugin to reconcile its crontab every five minutes.
* ``enabled()`` says whether the plugin should run; ``False`` keeps it
  installed (its crontab line commented out) without running it.
* ``interval()`` returns a 5-field cron expression or an ``@hourly``-style
  alias.  It is validated before it reaches a crontab.
* ``run(start_time, end_time)`` processes the half-open window
  ``[start_time, end_time)`` given as timezone-aware UTC datetimes.  It
  returns normally when the window is done; any exception means the window
  was not done and it will be handed out again.
* ``run()`` may be called again for a window it already processed, if the
  process died after ``run()`` returned but before the commit: make it
  idempotent where that matters.
"""

import abc


class PluginBase(abc.ABC):
    """Base of every plugincron plugin.

    :param config: the host's :class:`oslo_config.cfg.ConfigOpts`.
    """

    #: The entry point name, set by the loader; ``None`` for a plugin built
    #: by hand.
    entry_point_name = None

    def __init__(self, config):
        self.config = config

    @abc.abstractmethod
    def enabled(self):
        """Whether this plugin should run.

        :returns: ``True`` to run, ``False`` to keep it installed but idle.
        """

    def get_name(self):
        """The plugin's name: its entry point name, or its module path."""
        if self.entry_point_name:
            return self.entry_point_name
        return '%s:%s' % (type(self).__module__, type(self).__qualname__)


class CronPluginBase(PluginBase):
    """Base class of a plugin that runs periodically.

    Class attributes give defaults an operator can override per plugin:

    ``catchup``
        What to do about missed ticks: ``'coalesce'`` (one window from the
        last committed end to now), ``'each'`` (one run per missed tick) or
        ``'skip'`` (only the latest interval; the rest is recorded as
        missed).
    ``max_catchup``
        A :class:`datetime.timedelta`, or ``None``: time older than this is
        recorded as missed instead of being handed to ``run()``.
    ``timeout``
        Seconds a run may take before it is stopped, or ``None``.
    """

    catchup = 'coalesce'
    max_catchup = None
    timeout = None

    @abc.abstractmethod
    def interval(self):
        """The schedule, as a cron expression.

        :returns: e.g. ``'*/5 * * * *'`` or ``'@daily'``.
        """

    @abc.abstractmethod
    def run(self, start_time, end_time):
        """Do the work for the window ``[start_time, end_time)``.

        :param start_time: aware UTC datetime, inclusive.
        :param end_time: aware UTC datetime, exclusive.
        """
