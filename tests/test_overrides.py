"""Operator overrides in ``[plugin:NAME]``, and Jenkins-style ``H``."""

import datetime

import pytest
from oslo_config import cfg

from plugincron import exceptions, loader, opts
from plugincron.schedule import Schedule, resolve


def _conf(tmp_path, text):
    path = tmp_path / 'host.conf'
    path.write_text(text)
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf(['--config-file', str(path)], default_config_files=[])
    return conf


def test_no_override_keeps_the_plugins_settings(plugin_site, tmp_path):
    loaded = loader.load(_conf(tmp_path, ''), 'controlled')
    assert (loaded.enabled, loaded.schedule.expression, loaded.catchup,
            loaded.max_catchup, loaded.timeout) == (
        True, '* * * * *', 'coalesce', None, None)


def test_every_override(plugin_site, tmp_path):
    conf = _conf(tmp_path, '[plugin:controlled]\nenabled = false\n'
                 'interval = */10 * * * *\ncatchup = each\n'
                 'max_catchup = 1d12h\ntimeout = 90s\n')
    loaded = loader.load(conf, 'controlled')
    assert (loaded.enabled, loaded.schedule.expression, loaded.catchup,
            loaded.max_catchup, loaded.timeout) == (
        False, '*/10 * * * *', 'each', datetime.timedelta(hours=36), 90.0)


def test_override_only_touches_its_plugin(plugin_site, tmp_path):
    conf = _conf(tmp_path, '[plugin:window-logger]\ninterval = @daily\n')
    assert loader.load(conf, 'controlled').schedule.expression == \
        '* * * * *'
    assert loader.load(conf, 'window-logger').schedule.expression == \
        '0 0 * * *'


def test_override_disables_a_plugin_whose_enabled_raises(plugin_site,
                                                         tmp_path):
    conf = _conf(tmp_path, '[plugin:broken-enabled]\nenabled = false\n')
    assert loader.load(conf, 'broken-enabled').enabled is False


def test_none_removes_a_class_limit(plugin_site, tmp_path):
    from plugincron_testplugins.controlled import Controlled

    class Limited(Controlled):
        max_catchup = datetime.timedelta(hours=1)
        timeout = 30

    conf = _conf(tmp_path, '[plugin:limited]\nmax_catchup = none\n')
    loaded = loader.prepare(conf, 'limited', Limited(conf))
    assert (loaded.max_catchup, loaded.timeout) == (None, 30.0)


@pytest.mark.parametrize('line, option, text', [
    ('catchup = sometimes', 'catchup', "found 'sometimes'"),
    ('max_catchup = soon', 'max_catchup', "'soon' is not a duration"),
    ('timeout = -5', 'timeout', 'is not a duration'),
    ('timeout = 0', 'timeout', 'above zero'),
    ('enabled = maybe', 'enabled', 'maybe'),
])
def test_bad_override_names_plugin_and_option(plugin_site, tmp_path, line,
                                              option, text):
    conf = _conf(tmp_path, '[plugin:controlled]\n%s\n' % line)
    with pytest.raises(exceptions.ConfigError) as info:
        loader.load(conf, 'controlled')
    message = str(info.value)
    assert message.startswith("plugin 'controlled': option "
                              "[plugin:controlled] %s: " % option)
    assert text in message
    assert (info.value.plugin, info.value.option) == ('controlled', option)


def test_bad_interval_override_names_the_plugin(plugin_site, tmp_path):
    conf = _conf(tmp_path, '[plugin:controlled]\ninterval = 61 * * * *\n')
    with pytest.raises(exceptions.InvalidInterval) as info:
        loader.load(conf, 'controlled')
    assert info.value.plugin == 'controlled'


def test_bad_class_attribute_is_a_clear_error(plugin_site, tmp_path):
    from plugincron_testplugins.controlled import Controlled

    class Odd(Controlled):
        catchup = 'sometimes'

    conf = _conf(tmp_path, '')
    with pytest.raises(exceptions.ConfigError, match="plugin 'odd': catchup "
                       "'sometimes' is not one of coalesce, each, skip"):
        loader.prepare(conf, 'odd', Odd(conf))


def test_bad_override_on_the_command_line_exits_2(cron_env):
    cron_env.write_conf(**{'plugin:controlled': {'catchup': 'sometimes'}})
    result = cron_env.run('run', 'controlled')
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("plugin-cron: error: plugin 'controlled': option "
                           "[plugin:controlled] catchup: ")


@pytest.mark.parametrize('text, expected', [
    ('90', 90), ('90s', 90), ('1.5s', 1.5), ('15m', 900), ('2h', 7200),
    ('1d12h', 129600), ('1w', 604800), ('1h 30m', 5400),
])
def test_durations(text, expected):
    assert opts.parse_duration(text).total_seconds() == expected


# -- H ---------------------------------------------------------------------

def test_h_is_stable_and_spread():
    minutes = {resolve('H * * * *', seed='plugin-%d' % i).split()[0]
               for i in range(200)}
    assert len(minutes) > 40  # not all at minute 0
    assert resolve('H * * * *', seed='summary-email') == \
        resolve('H * * * *', seed='summary-email')


def test_h_forms_resolve_within_their_ranges():
    for i in range(100):
        seed = 'p%d' % i
        minute, hour, dom, month, dow = resolve('H H(0-5) H * H',
                                                seed=seed).split()
        assert 0 <= int(minute) <= 59
        assert 0 <= int(hour) <= 5
        assert 1 <= int(dom) <= 28
        assert 0 <= int(dow) <= 6
        every15 = resolve('H/15 * * * *', seed=seed).split()[0]
        start, _, step = every15.partition('/')
        first, last = start.split('-')
        assert 0 <= int(first) < 15 and last == '59' and step == '15'
        assert resolve('H(0-5)/10 * * * *', seed=seed).split()[0] in \
            {str(m) for m in range(6)}


def test_h_minute_and_hour_differ_for_most_names():
    same = sum(1 for i in range(100)
               if len(set(resolve('H H * * *', seed=str(i)).split()[:2]))
               == 1)
    assert same < 10


def test_schedule_keeps_given_and_resolved():
    schedule = Schedule('H/15 * * * *', datetime.timezone.utc,
                        plugin='summary-email')
    assert schedule.given == 'H/15 * * * *'
    assert 'H' not in schedule.expression
    assert len(schedule.expression.split()) == 5


@pytest.mark.parametrize('given, problem', [
    ('H(0-70) * * * *', 'H range must be within 0-59'),
    ('H(5-1) * * * *', 'H range'),
    ('H/0 * * * *', 'step must be at least 1'),
    ('HH * * * *', r'use H, H\(a-b\)'),
])
def test_bad_h(given, problem):
    with pytest.raises(exceptions.InvalidInterval, match=problem):
        resolve(given, seed='x')


def test_h_needs_a_name():
    with pytest.raises(exceptions.InvalidInterval, match='plugin name'):
        resolve('H * * * *')


def test_h_through_an_override(plugin_site, tmp_path):
    conf = _conf(tmp_path, '[plugin:controlled]\ninterval = H H(0-5) * * *\n')
    expression = loader.load(conf, 'controlled').schedule.expression
    assert expression == resolve('H H(0-5) * * *', seed='controlled')
