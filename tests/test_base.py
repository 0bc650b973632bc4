"""The plugin contract of DESIGN.md."""

import pytest
from oslo_config import cfg

from plugincron import CronPluginBase, PluginBase


class Hourly(CronPluginBase):

    def enabled(self):
        return True

    def interval(self):
        return '@hourly'

    def run(self, start_time, end_time):
        self.window = (start_time, end_time)


def test_abstract_methods_are_required():
    class NoRun(CronPluginBase):
        def enabled(self):
            return True

        def interval(self):
            return '* * * * *'

    with pytest.raises(TypeError, match='run'):
        NoRun(cfg.ConfigOpts())
    with pytest.raises(TypeError, match='enabled'):
        PluginBase(cfg.ConfigOpts())


def test_constructor_keeps_the_config():
    conf = cfg.ConfigOpts()
    assert Hourly(conf).config is conf


def test_name_is_the_entry_point_name_when_discovered(plugin_site):
    from plugincron import loader, opts
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], default_config_files=[])
    loaded = loader.load(conf, 'window-logger')
    assert loaded.plugin.get_name() == 'window-logger'
    assert Hourly(conf).get_name() == 'tests.test_base:Hourly'


def test_defaults_for_catch_up():
    assert (Hourly.catchup, Hourly.max_catchup, Hourly.timeout) == (
        'coalesce', None, None)
