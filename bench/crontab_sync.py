"""Benchmark: reconciling a crontab file with 10, 100 and 1,000 plugins.

Each plugin is a real installed distribution (a ``dist-info`` directory
with ``METADATA`` and ``entry_points.txt``) in a temporary site directory,
all pointing at one tiny plugin class, in a namespace of their own so the
machine's other plugins do not count.  Each size runs in a fresh Python
process, like the manager cron starts: a first sync into an empty
tabfile, then a second sync with nothing changed.

Run from the checkout::

    python3 bench/crontab_sync.py

Targets: 1,000 plugins in under 2 s with one write; no write when
nothing changed; time growing linearly.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = (10, 100, 1000)
NAMESPACE = 'plugincron.bench'


def one(size, workdir):
    """Time two syncs of ``size`` plugins; return the figures."""
    sys.path[:0] = [REPO, os.path.join(workdir, 'site')]
    from tests import distgen
    site = sys.path[1]
    module = distgen.write_plugin(site, 'bench-0', [], interval='*/5 * * * *')
    for i in range(size):
        distgen.write_dist(site, 'bench-%d' % i,
                           {'bench-%04d' % i: module + ':Plugin'},
                           group=NAMESPACE)

    from oslo_config import cfg
    from plugincron import opts
    from plugincron.crontab import reconcile, targets

    writes = []
    real_write = targets.FileCrontab.write

    def counting_write(self, text):
        writes.append(len(text))
        return real_write(self, text)

    targets.FileCrontab.write = counting_write
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], project='plugincron-bench')
    tabfile = os.path.join(workdir, 'crontab')
    conf.set_override('crontab', tabfile, group='cron')
    conf.set_override('namespace', NAMESPACE, group='cron')
    conf.set_override('state_dir', workdir, group='cron')
    # An operator's lines too: each is parsed before the write.
    with open(tabfile, 'w') as tab:
        tab.write('MAILTO=ops@example.org\n')
        tab.writelines('%d 3 * * * /usr/local/bin/job-%d --quiet\n' % (i, i)
                       for i in range(20))
    figures = {'size': size}
    for run in ('first', 'second'):
        del writes[:]
        began = time.perf_counter()
        result = reconcile.reconcile(conf)
        figures[run] = time.perf_counter() - began
        figures[run + '_writes'] = len(writes)
        assert not result.errors, result.errors
    with open(tabfile) as tab:
        figures['lines'] = sum(1 for line in tab if 'plugincron:' in line)
    return figures


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--one':
        with tempfile.TemporaryDirectory() as workdir:
            print(json.dumps(one(int(sys.argv[2]), workdir)))
        return 0
    rows = []
    for size in SIZES:
        out = subprocess.run([sys.executable, __file__, '--one', str(size)],
                             check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout))
    base = rows[0]
    print('%8s %7s %9s %7s %9s %7s %9s %10s %10s' % (
        'plugins', 'lines', 'first s', 'writes', 'second s', 'writes',
        'first/10', 'second/10', 'plugins/10'))
    for row in rows:
        print('%8d %7d %9.3f %7d %9.3f %7d %9.1f %10.1f %10.0f' % (
            row['size'], row['lines'], row['first'], row['first_writes'],
            row['second'], row['second_writes'],
            row['first'] / base['first'], row['second'] / base['second'],
            row['size'] / base['size']))
    last = rows[-1]
    ok = (last['first'] < 2 and last['first_writes'] == 1 and
          all(row['second_writes'] == 0 for row in rows))
    print('targets (1,000 in < 2 s, one write; none unchanged): %s'
          % ('met' if ok else 'NOT met'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
