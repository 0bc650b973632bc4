"""Per-plugin locks: file locks by default, tooz when configured."""

import os


def from_conf(conf):
    """The lock manager the configuration asks for."""
    from plugincron.locks import file
    return file.FileLockManager(os.path.join(conf.cron.state_dir, 'locks'))
