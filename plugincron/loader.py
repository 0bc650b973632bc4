"""Finding and building cron plugins through stevedore.

Two ways in: :func:`load` builds the one plugin a runner needs (so a cron
tick never imports every installed plugin), and :func:`discover` builds
them all for the reconciler and ``plugin-cron list``, isolating each
failure so one broken plugin never hides the others.
"""

import dataclasses
import logging

from stevedore import extension, named
from stevedore import exception as stevedore_exc

from plugincron import exceptions, schedule as schedule_mod

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class LoadedPlugin:
    """A plugin built and checked, ready for the runner or the crontab."""

    name: str
    plugin: object
    enabled: bool
    schedule: schedule_mod.Schedule


def _raise_load_error(manager, entry_point, err):
    raise exceptions.PluginLoadError(entry_point.name, err) from err


def _check(name, plugin, conf):
    """Ask the plugin for its state; any error names the plugin."""
    plugin.entry_point_name = name
    try:
        enabled = bool(plugin.enabled())
        expression = plugin.interval()
    except Exception as exc:
        raise exceptions.PluginLoadError(name, exc) from exc
    sched = schedule_mod.Schedule(expression, schedule_mod.timezone_from_conf(
        conf), plugin=name)
    return LoadedPlugin(name, plugin, enabled, sched)


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
