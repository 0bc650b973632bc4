"""The list-timers columns."""

import datetime

from plugincron import loader
from plugincron.cli.timers import human_delta, timer_fields
from plugincron.schedule import Schedule
from plugincron.state import base
from tests.conftest import utc

UTC = datetime.timezone.utc


def test_human_delta():
    minutes = [0.5, 3, 65, 120, 60 * 24 * 2 + 60 * 4, 60 * 24]
    assert [human_delta(datetime.timedelta(minutes=m)) for m in minutes] == [
        '<1min', '3min', '1h 5min', '2h', '2d 4h', '1d']


def _loaded(enabled=True):
    return loader.LoadedPlugin('p', None, enabled,
                               Schedule('*/15 * * * *', UTC))


def test_fields_of_a_plugin_that_ran():
    now = utc(2026, 1, 5, 10, 7)
    run = base.RunRecord(1, 'p', 'succeeded', None, None,
                         utc(2026, 1, 5, 10, 0, 2), None, 'h', 1, None, None)
    assert timer_fields(_loaded(), base.PluginState('p'), run, now) == {
        'next': '2026-01-05T10:15:00Z', 'left': '8min',
        'last': '2026-01-05T10:00:02Z', 'passed': '6min ago',
        'description': 'Every 15th minute of every hour'}


def test_disabled_or_paused_has_no_next():
    now = utc(2026, 1, 5, 10, 7)
    assert timer_fields(_loaded(False), None, None, now)['next'] is None
    paused = base.PluginState('p', paused=True)
    assert timer_fields(_loaded(), paused, None, now)['left'] is None
    assert timer_fields(None, None, None, now)['description'] is None
