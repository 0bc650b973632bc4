"""Per-plugin locks: file locks by default, tooz when configured.

tooz is imported only when ``[cron] coordination_url`` is set.
"""

import os

from plugincron import exceptions


def from_conf(conf, member_id=None):
    """The lock manager the configuration asks for, started.

    :raises ConfigError: if ``[cron] multi_host`` is set and the locks
        would not exclude runners on other hosts.
    :raises LockError: if the coordination backend cannot be reached.
    """
    url = conf.cron.coordination_url
    if not url:
        if conf.cron.multi_host:
            raise exceptions.ConfigError(
                '[cron] multi_host = true, but file locks only exclude runs '
                'on one host: set [cron] coordination_url to a tooz backend '
                'such as redis://HOST:6379', option='coordination_url')
        from plugincron.locks import file
        return file.FileLockManager(os.path.join(conf.cron.state_dir,
                                                 'locks'))
    try:
        from plugincron.locks import tooz
    except ImportError as exc:
        raise exceptions.ConfigError(
            "coordination_url needs %s, which is not installed: pip install "
            "'plugincron[tooz]'" % exc.name, option='coordination_url',
            value=url) from None
    manager = tooz.ToozLockManager(url, member_id)
    if conf.cron.multi_host and not manager.MULTI_HOST_SAFE:
        raise exceptions.ConfigError(
            '[cron] multi_host = true, but the coordination backend %s only '
            'locks within one host: set [cron] coordination_url to a backend '
            'shared by the hosts (redis://, etcd3+http://, zookeeper://...)'
            % manager.display_url, option='coordination_url', value=url)
    return manager.start()
