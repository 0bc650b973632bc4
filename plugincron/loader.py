"""Finding and building cron plugins through stevedore.

Two ways in: :func:`load` builds the one plugin a runner needs (so a cron
tick never imports every installed plugin), and :func:`discover` builds
them all for the reconciler and ``plugin-cron list``, isolating each
failure so one broken plugin never hides the others.
"""

import dataclasses
import datetime
import logging

from oslo_config import cfg
from stevedore import extension, named
from stevedore import exception as stevedore_exc

from plugincron import exceptions, opts, schedule as schedule_mod, windows

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class LoadedPlugin:
    """A plugin built and checked, ready for the runner or the crontab."""

    name: str
    plugin: object
    enabled: bool
    #: The interval, ``H`` resolved: ``schedule.expression`` is the line's.
    schedule: schedule_mod.Schedule
    #: The effective settings: the plugin's, or the operator's override.
    catchup: str = 'coalesce'
    #: :class:`datetime.timedelta` or ``None``.
    max_catchup: datetime.timedelta = None
    #: Seconds, or ``None``.
    timeout: float = None


def _raise_load_error(manager, entry_point, err):
    raise exceptions.PluginLoadError(entry_point.name, err) from err


def _overrides(conf, name):
    """The ``[plugin:NAME]`` options the operator set: ``{option: value}``.

    :raises ConfigError: naming the plugin and the option for a bad value.
    """
    group = opts.register_plugin_opts(conf, name)
    found = {}
    for opt in opts.plugin_opts:
        try:
            value = conf[group][opt.dest]
        except (cfg.Error, ValueError) as exc:
            detail = str(exc).partition('is not valid: ')[2] or str(exc)
            raise exceptions.ConfigError(
                'plugin %r: option [%s] %s: %s' % (name, group, opt.dest,
                                                   detail),
                option=opt.dest, plugin=name) from None
        if value is not None:
            found[opt.dest] = value
    return found


def _limit(name, option, value, given_by):
    """A plugin's or operator's duration as a timedelta, or ``None``."""
    if value is None:
        return None
    try:
        value = opts.parse_duration(value)
    except ValueError as exc:
        raise exceptions.ConfigError(
            'plugin %r: %s %s: %s' % (name, given_by, option, exc),
            option=option, value=value, plugin=name) from None
    return None if value == opts.NO_LIMIT else value


def _check(name, plugin, conf):
    """Ask the plugin for its state, apply the operator's overrides; any
    error names the plugin."""
    plugin.entry_point_name = name
    override = _overrides(conf, name)
    try:
        # An override replaces the call: an operator can disable a plugin
        # whose enabled() or interval() raises.
        enabled = override['enabled'] if 'enabled' in override else bool(
            plugin.enabled())
        expression = override.get('interval') or plugin.interval()
    except Exception as exc:
        raise exceptions.PluginLoadError(name, exc) from exc
    sched = schedule_mod.Schedule(expression, schedule_mod.timezone_from_conf(
        conf), plugin=name)
    catchup = override.get('catchup') or plugin.catchup
    if catchup not in windows.POLICIES:
        raise exceptions.ConfigError(
            'plugin %r: catchup %r is not one of %s'
            % (name, catchup, ', '.join(windows.POLICIES)),
            option='catchup', value=catchup, plugin=name)
    limits = {}
    for option in ('max_catchup', 'timeout'):
        if option in override:
            limits[option] = _limit(name, option, override[option],
                                    'option [%s]' % (opts.PLUGIN_GROUP % name))
        else:
            limits[option] = _limit(name, option, getattr(plugin, option),
                                    'class attribute')
    timeout = limits['timeout']
    return LoadedPlugin(name, plugin, enabled, sched, catchup=catchup,
                        max_catchup=limits['max_catchup'],
                        timeout=timeout.total_seconds() if timeout else None)


def prepare(conf, name, plugin):
    """Check a plugin built by hand as :func:`load` checks an installed one
    (for tests and :mod:`plugincron.testing`).

    :rtype: :class:`LoadedPlugin`
    """
    return _check(name, plugin, conf)


def load(conf, name):
    """Build the plugin named ``name``, and only that one.

    :raises PluginNotFound: no such entry point.
    :raises PluginLoadError: import, constructor or ``enabled()`` failed.
    :raises InvalidInterval: its interval is not a valid cron expression.
    """
    namespace = conf.cron.namespace
    try:
        manager = named.NamedExtensionManager(
            namespace, [name], invoke_on_load=True, invoke_args=(conf,),
            on_load_failure_callback=_raise_load_error,
            on_missing_entrypoints_callback=None,
            conflict_resolver=extension.error_on_conflict)
    except stevedore_exc.MultipleMatches:
        raise exceptions.PluginLoadError(
            name, ValueError('several installed distributions register '
                             'this name')) from None
    if not manager.extensions:
        raise exceptions.PluginNotFound(name, namespace)
    return _check(name, manager.extensions[0].obj, conf)


@dataclasses.dataclass
class Discovery:
    """Every plugin of the namespace: the good ones and why others failed."""

    plugins: dict
    failures: dict


def discover(conf):
    """Build every installed plugin, isolating failures.

    :rtype: :class:`Discovery`; ``failures`` maps a name to the
        :class:`~plugincron.exceptions.PluginCronError` that stopped it.
    """
    failures = {}

    def on_failure(manager, entry_point, err):
        failures[entry_point.name] = exceptions.PluginLoadError(
            entry_point.name, err)
        LOG.error('%s', failures[entry_point.name])

    manager = extension.ExtensionManager(
        conf.cron.namespace, invoke_on_load=True, invoke_args=(conf,),
        on_load_failure_callback=on_failure,
        conflict_resolver=extension.ignore_conflicts)
    plugins = {}
    for ext in manager:
        try:
            plugins[ext.name] = _check(ext.name, ext.obj, conf)
        except exceptions.PluginCronError as exc:
            failures[ext.name] = exc
            LOG.error('%s', exc)
    return Discovery(plugins, failures)
