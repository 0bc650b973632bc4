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
    'postgresql': 'plugincron.state.sqlalchemy:PostgreSQLStore',
    'mysql': 'plugincron.state.sqlalchemy:MySQLStore',
}


def default_url(state_dir):
    """The embedded default: ``state.sqlite`` in ``state_dir``."""
    return 'sqlite:///' + os.path.join(os.path.abspath(state_dir),
                                       'state.sqlite')


def backend(url):
    """The store class for ``url``, imported but not opened.

    :raises ConfigError: for a scheme no backend handles.
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
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise exceptions.ConfigError(
            'state_url %r needs %s, which is not installed: pip install '
            "'plugincron[sql]'" % (scheme, exc.name),
            option='state_url', value=url) from None


def get_store(url, **kwargs):
    """Open the state store ``url`` names.

    :raises ConfigError: for a scheme no backend handles.
    :raises StateError: if the store cannot be used.
    """
    return backend(url)(url, **kwargs)


def conf_url(conf):
    """The URL ``[cron] state_url`` names, or the embedded default."""
    return conf.cron.state_url or default_url(conf.cron.state_dir)


def from_conf(conf):
    """Open the store ``[cron] state_url`` (or its default) names.

    :raises ConfigError: if ``[cron] multi_host`` is set and the store is
        not safe across hosts.
    """
    url = conf_url(conf)
    if conf.cron.multi_host and not backend(url).MULTI_HOST_SAFE:
        raise exceptions.ConfigError(
            '[cron] multi_host = true, but the state store %s is only safe '
            'on one host: set [cron] state_url to a postgresql:// or '
            'mysql+pymysql:// URL' % url, option='state_url', value=url)
    return get_store(url)
