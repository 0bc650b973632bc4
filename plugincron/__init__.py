"""plugincron: periodic work for Python services, grown through plugins."""

from plugincron.base import CronPluginBase, PluginBase
from plugincron.exceptions import PluginCronError

__all__ = ['CronPluginBase', 'PluginBase', 'PluginCronError']
