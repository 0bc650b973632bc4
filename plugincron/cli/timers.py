"""The systemd ``list-timers`` columns of ``plugin-cron list``.

NEXT (the next tick), LEFT (time until it), LAST (when the last run
started), PASSED (time since), and a description of the schedule.
"""

import datetime


def human_delta(delta):
    """``3min``, ``1h 5min``, ``2d 4h``; ``<1min`` below a minute."""
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return '<1min'
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return '%dd %dh' % (days, hours) if hours else '%dd' % days
    if hours:
        return '%dh %dmin' % (hours, minutes) if minutes else '%dh' % hours
    return '%dmin' % minutes


def _show(when):
    return when.astimezone(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def timer_fields(loaded, plugin_state, last_run, now):
    """The columns of one plugin, as a dict of strings or ``None``.

    :param loaded: :class:`plugincron.loader.LoadedPlugin`, or ``None`` if
        it failed to load.
    :param plugin_state: :class:`plugincron.state.base.PluginState` or
        ``None``.
    :param last_run: the newest run record (a call to ``run()``) or
        ``None``.
    """
    fields = {'next': None, 'left': None, 'last': None, 'passed': None,
              'description': None}
    if loaded is not None:
        fields['description'] = loaded.schedule.describe()
        paused = plugin_state is not None and plugin_state.paused
        if loaded.enabled and not paused:
            upcoming = loaded.schedule.next_tick(now)
            fields['next'] = _show(upcoming)
            fields['left'] = human_delta(upcoming - now)
    if last_run is not None:
        fields['last'] = _show(last_run.started_at)
        fields['passed'] = human_delta(now - last_run.started_at) + ' ago'
    return fields
