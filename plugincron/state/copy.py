"""Move state from one store to another (``plugin-cron db copy``).

The usual move is from the embedded SQLite file to a shared PostgreSQL or
MySQL database when a deployment grows a second host.  Rows are copied in
one transaction on the target, which must be empty and at the same schema
as the source (both are opened with the schema check on).  History keeps
its order (rows are inserted oldest first) but not its ids.
"""

from plugincron import exceptions

#: Every table of the schema, with the columns copied and the order rows
#: are read in.  A table added to the schema is added here too;
#: ``tests/test_sql_store.py`` checks that this names every table.
TABLES = (
    ('plugin_state', ('plugin', 'committed_end', 'paused', 'updated_at'),
     'plugin'),
    ('run_history', ('plugin', 'status', 'window_start', 'window_end',
                     'started_at', 'finished_at', 'host', 'pid', 'reason',
                     'error'), 'id'),
    ('jobs', ('name', 'owner', 'kind', 'schedule', 'anchor', 'timezone',
              'target', 'retries', 'max_delay', 'created_at',
              'cancelled_at'), 'name'),
    ('job_entries', ('job', 'due_at', 'fire_at', 'not_after', 'state',
                     'attempts', 'claimed_by', 'lease_until', 'started_at',
                     'finished_at', 'status', 'duration', 'output', 'error'),
     'id'),
    ('job_sequences', ('owner', 'last'), 'owner'),
)


def copy(source, target):
    """Copy every row of ``source`` into the empty ``target``.

    :param source: an open :class:`plugincron.state.sql.SQLStore`.
    :param target: another one, holding no rows.
    :returns: ``{table: rows copied}``.
    :raises StateError: if ``target`` holds any row (nothing is copied).
    """
    counts = {}
    with target._transaction() as tx:
        for table, _, _ in TABLES:
            (found,), = tx.execute('SELECT COUNT(*) FROM %s' % table,
                                   {}).fetchall()
            if found:
                raise exceptions.StateError(
                    'the target store %s is not empty (table %s holds %d '
                    'rows); refusing to mix states'
                    % (getattr(target, 'display_url', target.url), table,
                       found), url=target.url)
        for table, columns, order in TABLES:
            rows = source._read('SELECT %s FROM %s ORDER BY %s'
                                % (', '.join(columns), table, order), {})
            insert = 'INSERT INTO %s (%s) VALUES (%s)' % (
                table, ', '.join(columns),
                ', '.join(':' + c for c in columns))
            for row in rows:
                tx.execute(insert, dict(zip(columns, row)))
            counts[table] = len(rows)
    return counts
