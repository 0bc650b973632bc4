"""Write installed distributions straight into a site directory.

What pip leaves behind for a package with entry points: a
``NAME-VERSION.dist-info`` directory with ``METADATA`` and
``entry_points.txt``, and the module.  Enough for importlib.metadata and
stevedore to find the plugins; used where a test or the benchmark needs
plugins pip would take too long to build.
"""

import pathlib

PLUGIN_SOURCE = '''\
from plugincron import CronPluginBase


class Plugin(CronPluginBase):
    """A tiny plugin: enabled, every %(interval)r, does nothing."""

    def enabled(self):
        return True

    def interval(self):
        return %(interval)r

    def run(self, start_time, end_time):
        pass
'''


def write_dist(site, dist, entry_points, module=None, source=None,
               group='plugin.cron'):
    """Install distribution ``dist`` into ``site``.

    :param entry_points: ``{entry point name: 'module:attr'}``.
    :param module: name of a module to write with ``source``.
    """
    site = pathlib.Path(site)
    info = site / ('%s-1.0.dist-info' % dist.replace('-', '_'))
    info.mkdir(parents=True, exist_ok=True)
    (info / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n' % dist)
    (info / 'entry_points.txt').write_text(
        '[%s]\n' % group + ''.join('%s = %s\n' % item
                                   for item in entry_points.items()))
    if module:
        (site / (module + '.py')).write_text(source)
    return info


def write_plugin(site, dist, names, interval='* * * * *'):
    """One distribution with a module ``<dist>_mod`` registering ``names``
    as the same tiny plugin class."""
    module = dist.replace('-', '_') + '_mod'
    write_dist(site, dist, {name: module + ':Plugin' for name in names},
               module, PLUGIN_SOURCE % {'interval': interval})
    return module
