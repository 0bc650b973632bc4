"""The host's hook: one call at start-up manages the crontab.

.. code-block:: python

    from plugincron import host
    host.load_crontab(CONF)      # after CONF(...) parsed the command line

Enabled (``[cron] enable``), it reconciles now, which installs the
manager's own line, so cron keeps reconciling every five minutes; with
``[cron] remove_on_exit`` (the default) the managed lines go away when
the interpreter exits.  Disabled, it removes the managed lines.
"""

import atexit
import logging
import os

from plugincron import opts

LOG = logging.getLogger(__name__)

_registered = set()


def load_crontab(conf):
    """Start managing the crontab for the host configured by ``conf``.

    :param conf: the host's parsed :class:`oslo_config.cfg.ConfigOpts`.
    :returns: the :class:`plugincron.crontab.reconcile.Result`.
    :raises CrontabError: the crontab cannot be read, parsed or written.
    """
    from plugincron.crontab import reconcile
    opts.register_opts(conf)
    if not conf.cron.enable:
        return unload_crontab(conf)
    result = reconcile.reconcile(conf)
    for error in result.errors.values():
        LOG.error('%s', error)
    if conf.cron.remove_on_exit and id(conf) not in _registered:
        _registered.add(id(conf))
        atexit.register(_unload_at_exit, conf, os.getpid())
    return result


def unload_crontab(conf):
    """Remove every crontab line plugincron manages; idempotent.

    :returns: the :class:`plugincron.crontab.reconcile.Result`.
    """
    from plugincron.crontab import reconcile
    opts.register_opts(conf)
    return reconcile.reconcile(conf, remove=True)


def _unload_at_exit(conf, pid):
    # A forked worker (gunicorn, multiprocessing) inherits the handler; only
    # the process that installed the lines removes them.
    if os.getpid() != pid:
        return
    _registered.discard(id(conf))
    try:
        unload_crontab(conf)
    except Exception:   # at exit there is no caller left to tell
        LOG.exception('could not remove the managed crontab lines')
