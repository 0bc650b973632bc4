"""Alembic migrations of the SQL state store (PostgreSQL, MySQL).

Layout, so that a new table is one new file:

* ``versions/NNNN_what.py``: one migration per file; its ``revision`` is
  ``'NNNN'`` and its ``down_revision`` the previous number.  The runner
  finds the newest revision from the file names alone (no Alembic import
  on every cron tick); ``tests/test_sql_store.py`` checks that the file
  names and Alembic's own graph agree.
* ``env.py``: runs the migrations on a connection handed over in
  ``config.attributes['connection']``, never on a URL of its own.

The version lives in the table :data:`VERSION_TABLE`, not Alembic's
default ``alembic_version``, so that the plugincron tables can share a
database with a host service that uses Alembic itself.

The SQLite store is not migrated by Alembic: it keeps its schema version
in ``PRAGMA user_version`` (see :mod:`plugincron.state.sqlite`).
"""

import os
import re

VERSION_TABLE = 'plugincron_version'
DIRECTORY = os.path.dirname(os.path.abspath(__file__))
_VERSION_FILE = re.compile(r'^(\d{4})_\w+\.py$')


def revisions():
    """Every revision this plugincron knows, oldest first."""
    names = os.listdir(os.path.join(DIRECTORY, 'versions'))
    return sorted(m.group(1) for m in map(_VERSION_FILE.match, names) if m)


def head():
    """The revision this plugincron's code expects."""
    return revisions()[-1]


def alembic_config(connection=None):
    """An Alembic ``Config`` for these migrations, bound to ``connection``.

    Imports Alembic: only the ``plugin-cron db`` commands call this.
    """
    from alembic import config

    cfg = config.Config()
    cfg.set_main_option('script_location', DIRECTORY)
    cfg.attributes['connection'] = connection
    return cfg


def upgrade(connection, revision='head'):
    """Migrate the database behind ``connection`` up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(connection), revision)
