"""Test helpers for plugin authors.

:class:`PluginHarness` runs your plugin in your test process exactly as
``plugin-cron run`` would -- same window planning, catch-up policy,
timeouts, commits and history -- against an SQLite store and file locks
in a temporary directory, at times you choose::

    from plugincron import testing

    def test_summary_covers_the_hour():
        with testing.PluginHarness(SummaryEmail,
                                   overrides={'summary': {'to': 'x@y'}}
                                   ) as harness:
            report = harness.tick('2026-01-05T10:07:00Z')
            assert report.committed == [testing.window(
                '2026-01-05T09:00:00Z', '2026-01-05T10:00:00Z')]
            harness.tick('2026-01-05T13:30:00Z')   # three hours later
            assert harness.committed_end == testing.parse_time(
                '2026-01-05T13:00:00Z')

To run ``run()`` for one exact window, as ``plugin-cron backfill`` does,
use :meth:`PluginHarness.backfill`.
"""

import datetime
import shutil
import tempfile

from oslo_config import cfg

from plugincron import loader, locks as locks_mod, opts, runner, state
from plugincron.state import base
from plugincron.windows import Window

UTC = datetime.timezone.utc


def parse_time(value):
    """An aware UTC datetime from a datetime or ISO 8601 text (naive means
    UTC)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def window(start, end):
    """A :class:`~plugincron.windows.Window` from two times."""
    return Window(parse_time(start), parse_time(end))


class PluginHarness:
    """One plugin, a private store and lock directory, and a fake clock.

    :param plugin: the plugin class (built with the harness's config) or
        an instance.
    :param name: the plugin's name, as its entry point would give it
        (``H`` in intervals is hashed from it); default the class name.
    :param config: a :class:`oslo_config.cfg.ConfigOpts`; default a fresh
        one with plugincron's options and no config file.
    :param overrides: ``{group: {option: value}}`` set after the plugin is
        built (so its own options are registered), e.g.
        ``{'plugin:NAME': {'catchup': 'each'}}``.
    :param timezone: zone the interval is read in; default UTC, so tests
        do not depend on the machine's zone.
    :param timeout_grace: seconds between SIGTERM and SIGKILL for a run
        past its timeout.
    """

    def __init__(self, plugin, name=None, config=None, overrides=None,
                 timezone='UTC', timeout_grace=1.0):
        self._dir = tempfile.mkdtemp(prefix='plugincron-test-')
        if config is None:
            config = cfg.ConfigOpts()
            config([], project='plugincron-test', default_config_files=[],
                   default_config_dirs=[])
        try:
            opts.register_opts(config)
        except cfg.DuplicateOptError:  # pragma: no cover
            pass
        self.config = config
        config.set_override('state_dir', self._dir, group='cron')
        if timezone is not None:
            config.set_override('timezone', timezone, group='cron')
        if isinstance(plugin, type):
            plugin = plugin(config)
        self.plugin = plugin
        self.name = name or type(plugin).__name__
        opts.register_plugin_opts(config, self.name)
        for group, values in (overrides or {}).items():
            for option, value in values.items():
                config.set_override(option, value, group=group)
        self.now = None
        self.store = state.from_conf(config)
        self.locks = locks_mod.from_conf(config)
        self.runner = runner.Runner(self.store, self.locks, host='test',
                                    clock=self._clock,
                                    timeout_grace=timeout_grace)

    def _clock(self):
        return self.now or runner.utcnow()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Close the store and remove the temporary directory."""
        self.store.close()
        self.locks.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def loaded(self):
        """The plugin as the runner sees it, overrides applied (checked
        again on every call, as each cron tick would)."""
        return loader.prepare(self.config, self.name, self.plugin)

    def tick(self, now):
        """Run the plugin as ``plugin-cron run`` would at time ``now``.

        :rtype: :class:`plugincron.runner.Report` (``committed``,
            ``missed``, ``outcome``, ``reason``)
        """
        self.now = parse_time(now)
        return self.runner.run(self.loaded, now=self.now)

    def backfill(self, start, end, each=False, now=None):
        """Run ``run()`` for ``[start, end)`` without committing anything.

        :rtype: :class:`plugincron.runner.Report` (``backfilled``)
        """
        self.now = parse_time(now) if now is not None else self.now
        return self.runner.backfill(self.loaded, parse_time(start),
                                    parse_time(end), each=each,
                                    now=self.now)

    def pause(self):
        self.runner.set_paused(self.name, True)

    def resume(self):
        self.runner.set_paused(self.name, False)

    def hold_lock(self):
        """Take the plugin's lock as a concurrent run would; returns the
        lock, ``release()`` it when done."""
        lock = self.locks.get_lock(self.name)
        assert lock.acquire(), 'the lock is already held'
        return lock

    @property
    def committed_end(self):
        """End of the last committed window, or ``None``."""
        return self.store.get_plugin(self.name).committed_end

    def committed_windows(self):
        """Windows that ran and were committed, or were recorded as missed,
        oldest first: they tile time up to :attr:`committed_end`."""
        return [Window(r.window_start, r.window_end)
                for r in reversed(self.store.history(
                    self.name, limit=None, statuses=base.COMMITTED))]

    def history(self, limit=None):
        """Every record of the plugin, newest first.

        :rtype: list of :class:`plugincron.state.base.RunRecord`
        """
        return self.store.history(self.name, limit=limit)
