"""``plugin-cron list``: one row per discovered plugin.

Rows are built by :func:`build_rows` as plain dicts, rendered as a table
or as JSON; a new column is one entry in :data:`COLUMNS` and one key set
in :func:`plugin_row`.
"""

import datetime
import json
import sys

from plugincron.cli import timers

#: ``(key, header)`` of the table, in order; JSON has every key.  NEXT,
#: LEFT, LAST and PASSED are systemd list-timers' columns.
COLUMNS = [
    ('name', 'NAME'),
    ('interval', 'INTERVAL'),
    ('enabled', 'ENABLED'),
    ('crontab', 'CRONTAB'),
    ('next', 'NEXT'),
    ('left', 'LEFT'),
    ('last', 'LAST'),
    ('passed', 'PASSED'),
    ('last_status', 'LAST STATUS'),
    ('committed_end', 'COMMITTED END'),
    ('description', 'DESCRIPTION'),
]

# Values of the 'crontab' column.
IN_PLACE = 'in place'      # the line sync would write is there
OUTDATED = 'outdated'      # a tagged line is there, but not that one
MISSING = 'missing'        # no tagged line
UNKNOWN = 'unknown'        # the crontab could not be read


def add_parsers(subparsers):
    p = subparsers.add_parser(
        'list', help='show the installed plugins, their crontab lines and '
                     'their last runs')
    p.add_argument('--format', choices=('table', 'json'), default='table',
                   help='output format (default: table)')
    p.set_defaults(handler=take_list)


class Context:
    """What every row is built from, read once for the whole table."""

    def __init__(self, conf, discovery, store, crontab_lines, wanted,
                 now=None):
        self.conf = conf
        self.now = now or datetime.datetime.now(datetime.timezone.utc)
        self.discovery = discovery
        self.store = store
        #: ``{name: line}`` of tagged lines now in the crontab, or ``None``
        #: if it could not be read.
        self.crontab_lines = crontab_lines
        #: ``{name: line}`` sync would write.
        self.wanted = wanted
        self.states = store.list_plugins()


def _crontab_state(ctx, name):
    if ctx.crontab_lines is None:
        return UNKNOWN
    if name not in ctx.crontab_lines:
        return MISSING
    if ctx.crontab_lines[name] == ctx.wanted.get(name):
        return IN_PLACE
    return OUTDATED


def plugin_row(ctx, name, loaded=None, error=None):
    """The row of one plugin; ``loaded`` is ``None`` if it failed."""
    from plugincron.state import base
    state = ctx.states.get(name)
    history = ctx.store.history(name, limit=1)
    last_run = ctx.store.history(name, limit=1, statuses=base.RUNS)
    committed = state.committed_end if state else None
    row = {
        'name': name,
        'interval': loaded.schedule.given if loaded else None,
        # What the crontab line holds: H resolved.
        'expression': loaded.schedule.expression if loaded else None,
        'enabled': loaded.enabled if loaded else None,
        'paused': state.paused if state else False,
        'crontab': _crontab_state(ctx, name),
        'committed_end': committed.isoformat() if committed else None,
        'last_status': history[0].status if history else None,
        'error': str(error) if error else None,
    }
    row.update(timers.timer_fields(loaded, state,
                                   last_run[0] if last_run else None,
                                   ctx.now))
    return row


def build_rows(ctx):
    """Rows for every discovered plugin, failed ones too, by name."""
    rows = [plugin_row(ctx, name, loaded=loaded)
            for name, loaded in ctx.discovery.plugins.items()]
    rows += [plugin_row(ctx, name, error=error)
             for name, error in ctx.discovery.failures.items()
             if name not in ctx.discovery.plugins]
    return sorted(rows, key=lambda row: row['name'])


def _read_crontab(conf, target):
    from plugincron import exceptions
    from plugincron.crontab import lines, reconcile
    try:
        text = target.read()
    except exceptions.CrontabError as exc:
        print('%s: warning: %s' % ('plugin-cron', exc), file=sys.stderr)
        return None
    found = {}
    for line in reconcile.physical_lines(text):
        line = line.rstrip('\r\n')
        name = lines.tag_of(line)
        if name is not None:
            found.setdefault(name, line)
    return found


def make_context(conf, store):
    from plugincron import loader
    from plugincron.crontab import reconcile, targets
    discovery = loader.discover(conf)
    target = targets.from_conf(conf)
    wanted, _ = reconcile.desired_lines(conf, discovery, target)
    return Context(conf, discovery, store, _read_crontab(conf, target),
                   wanted)


def _cell(value):
    if value is None:
        return '-'
    if value is True:
        return 'yes'
    if value is False:
        return 'no'
    return str(value)


def render_table(rows, columns=COLUMNS):
    table = [[header for _, header in columns]]
    table += [[_cell(row[key]) for key, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in table)
              for i in range(len(columns))]
    return ''.join('  '.join(cell.ljust(width) for cell, width in
                             zip(line, widths)).rstrip() + '\n'
                   for line in table)


def take_list(conf):
    from plugincron import state
    with state.from_conf(conf) as store:
        rows = build_rows(make_context(conf, store))
    if conf.command.format == 'json':
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write('\n')
    else:
        sys.stdout.write(render_table(rows))
        for row in rows:
            if row['error']:
                print('%s: %s' % (row['name'], row['error']), file=sys.stderr)
    return 0
