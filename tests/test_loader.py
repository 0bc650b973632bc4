"""Discovery through stevedore, with the plugin distributions installed."""

import logging

import pytest
from oslo_config import cfg

from plugincron import exceptions, loader, opts


@pytest.fixture
def conf(plugin_site):
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], default_config_files=[])
    return conf


def test_broken_plugins_never_stop_the_good_ones(conf, caplog):
    caplog.set_level(logging.ERROR)
    found = loader.discover(conf)
    assert {'controlled', 'window-logger'} <= set(found.plugins)
    assert set(found.failures) == {'broken-import', 'broken-init',
                                   'broken-enabled', 'bad-interval'}
    reasons = {name: str(err) for name, err in found.failures.items()}
    assert 'cannot be imported, on purpose' in reasons['broken-import']
    assert 'constructor fails on purpose' in reasons['broken-init']
    assert 'enabled() fails on purpose' in reasons['broken-enabled']
    assert "invalid interval '? * * * *'" in reasons['bad-interval']
    for name in found.failures:  # each failure is logged with its name
        assert "plugin '%s'" % name in caplog.text


def test_loaded_plugin_carries_name_state_and_schedule(conf):
    loaded = loader.discover(conf).plugins['window-logger']
    assert loaded.name == loaded.plugin.get_name() == 'window-logger'
    assert loaded.enabled is True
    assert loaded.schedule.expression == '* * * * *'


def test_load_one(conf):
    assert loader.load(conf, 'controlled').name == 'controlled'


@pytest.mark.parametrize('name, error, text', [
    ('nope', exceptions.PluginNotFound, "no plugin named 'nope'"),
    ('broken-import', exceptions.PluginLoadError, 'cannot be imported'),
    ('broken-init', exceptions.PluginLoadError, 'constructor fails'),
    ('broken-enabled', exceptions.PluginLoadError, 'enabled() fails'),
    ('bad-interval', exceptions.InvalidInterval, "'? * * * *'"),
])
def test_load_errors_name_the_plugin(conf, name, error, text):
    with pytest.raises(error) as info:
        loader.load(conf, name)
    assert text in str(info.value)
    assert name in str(info.value)


def test_namespace_option(conf):
    conf.set_override('namespace', 'no.such.group', group='cron')
    assert loader.discover(conf).plugins == {}
    with pytest.raises(exceptions.PluginNotFound, match='no.such.group'):
        loader.load(conf, 'controlled')


def test_bad_timezone_is_a_config_error(conf):
    conf.set_override('timezone', 'Mars/Olympus', group='cron')
    with pytest.raises(exceptions.ConfigError, match="'Mars/Olympus'"):
        loader.load(conf, 'controlled')
