"""State stores, chosen by URL scheme.

Backends are imported only when their scheme is configured: the runner
starts afresh on every cron tick, and the embedded default must not pay
for SQLAlchemy.
"""

import importlib
import os

from plugincron import exceptions

#: URL scheme (before any ``+driver``) -> "module:class".
BACKENDS = {
    'sqlite': 'plugincron.state.sqlite:SQLiteStore',
}


def default_url(state_dir):
    """The embedded default: ``state.sqlite`` in ``state_dir``."""
    return 'sqlite:///' + os.path.join(os.path.abspath(state_dir),
                                       'state.sqlite')


def get_store(url):
    """Open the state store ``url`` names.

    :raises ConfigError: for a scheme no backend handles.
    :raises StateError: if the store cannot be used.
    """
    scheme = url.partition(':')[0].partition('+')[0].lower()
    try:
        target = BACKENDS[scheme]
    except KeyError:
        raise exceptions.ConfigError(
            'state_url %r: unsupported scheme %r; use one of %s'
            % (url, scheme, ', '.join(sorted(BACKENDS))),
            option='state_url', value=url) from None
    module, _, cls = target.partition(':')
    return getattr(importlib.import_module(module), cls)(url)


def from_conf(conf):
    """Open the store ``[cron] state_url`` (or its default) names."""
    return get_store(conf.cron.state_url or default_url(conf.cron.state_dir))
