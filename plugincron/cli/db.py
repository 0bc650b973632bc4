"""``plugin-cron db``: the state store's schema, and moving state.

``db upgrade`` is the only thing that ever changes a shared database's
schema: runners refuse a schema other than their own rather than migrate
it from a cron tick, on several hosts at once.
"""

import os

from plugincron import exceptions, state


def add_parsers(subparsers):
    p = subparsers.add_parser('db', help='state store schema and copy')
    commands = p.add_subparsers(title='db commands', dest='db_command',
                                metavar='COMMAND')
    commands.required = True
    url_help = 'state store URL; default [cron] state_url'
    up = commands.add_parser(
        'upgrade', help='create or migrate the schema of a PostgreSQL or '
                        'MySQL state store to this version')
    up.add_argument('--url', help=url_help)
    up.set_defaults(handler=take_upgrade)
    ver = commands.add_parser(
        'version', help="show the store's schema version and this code's")
    ver.add_argument('--url', help=url_help)
    ver.set_defaults(handler=take_version)
    cp = commands.add_parser(
        'copy', help='copy every committed window and the history from one '
                     'store into another, empty one')
    cp.add_argument('--from', dest='source', metavar='URL',
                    help='store to read; default [cron] state_url')
    cp.add_argument('--to', dest='target', metavar='URL', required=True,
                    help='empty store to fill, at the current schema')
    cp.set_defaults(handler=take_copy)


def _url(conf, url):
    return url or state.conf_url(conf)


def _is_sqlite(url):
    return url.lower().startswith('sqlite:')


def take_upgrade(conf):
    url = _url(conf, conf.command.url)
    if _is_sqlite(url):
        print('%s: the SQLite store creates and checks its schema itself; '
              'nothing to upgrade' % url)
        return 0
    from plugincron.state import migrations
    with state.get_store(url, check_schema=False) as store:
        before = store.revision()
        if before is not None and before not in migrations.revisions():
            raise exceptions.SchemaMismatch(store.display_url, before,
                                            migrations.head(), newer=True)
        store.upgrade()
        after = store.revision()
        if before == after:
            print('%s: schema already at %s' % (store.display_url, after))
        else:
            print('%s: schema upgraded from %s to %s'
                  % (store.display_url, before or 'nothing', after))
    return 0


def take_version(conf):
    url = _url(conf, conf.command.url)
    if _is_sqlite(url):
        from plugincron.state import sqlite
        with state.get_store(url) as store:
            print('%s: schema %s (current)' % (store.url,
                                              sqlite.SCHEMA_VERSION))
        return 0
    from plugincron.state import migrations
    with state.get_store(url, check_schema=False) as store:
        found, head = store.revision(), migrations.head()
        print('%s: schema %s, this plugincron needs %s%s'
              % (store.display_url, found or 'none', head,
                 '' if found == head else
                 " (run 'plugin-cron db upgrade')"
                 if found is None or found in migrations.revisions()
                 else ' (written by a newer plugincron)'))
    return 0 if found == head else 1


def take_copy(conf):
    from plugincron.state import copy, sqlite
    source_url = _url(conf, conf.command.source)
    target_url = conf.command.target
    if _is_sqlite(source_url) and not os.path.exists(
            sqlite.path_from_url(source_url)):
        raise exceptions.StateError('no state to copy: %s does not exist'
                                    % source_url, url=source_url)
    with state.get_store(source_url) as source, \
            state.get_store(target_url) as target:
        counts = copy.copy(source, target)
    print('copied %s into %s' % (
        ', '.join('%d %s rows' % (n, t) for t, n in counts.items()),
        getattr(target, 'display_url', target_url)))
    return 0
