"""What the distributed setup costs a runner, and how fast hosts settle.

1. Overhead: the median wall time of ``plugin-cron run`` (a fresh
   process, as cron starts it) for a plugin whose run() does nothing,
   with SQLite state and file locks, then with PostgreSQL state and Redis
   locks.  Every invocation gets the next minute's tick, so each one
   takes the lock, runs and commits.
2. Contention: 8 hosts (own configuration and ``[cron] host`` each, one
   shared PostgreSQL and Redis) start the same tick at the same moment;
   the time until all have exited, and a check that one ran and seven
   skipped.

Run from a checkout, with PostgreSQL and Redis on loopback (the same
environment URLs as the tests)::

    python3 bench/multihost.py [--runs 30] [--rounds 10]
"""

import argparse
import datetime
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import services  # noqa: E402
from tests.conftest import CronEnv, pip_install  # noqa: E402

BASE = datetime.datetime(2026, 1, 5, 0, 0, 30, tzinfo=datetime.timezone.utc)


def tick(k):
    return (BASE + datetime.timedelta(minutes=k)).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def host(root, site, name, **cron):
    root.mkdir(parents=True)
    env = CronEnv(root, site)
    # No files: the controlled plugin's run() then does nothing at all.
    env.sections['controlled'] = {}
    env.write_conf(cron=dict(host=name, **cron))
    return env


def median_run(env, runs):
    times = []
    for k in range(runs):
        started = time.perf_counter()
        result = env.run('run', 'controlled', '--now', tick(k))
        times.append(time.perf_counter() - started)
        if result.returncode:
            sys.exit('run failed: %s' % result.stderr)
    return statistics.median(times), min(times), max(times)


def contend(hosts, k):
    """Start tick ``k`` on every host at once; seconds until all exit."""
    started = time.perf_counter()
    procs = [h.start('run', 'controlled', '--now', tick(k)) for h in hosts]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        if proc.returncode:
            sys.exit('run failed: %s' % err)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=30,
                        help='invocations per configuration (default 30)')
    parser.add_argument('--rounds', type=int, default=10,
                        help='contended ticks (default 10)')
    parser.add_argument('--hosts', type=int, default=8)
    args = parser.parse_args()

    from plugincron import state

    with tempfile.TemporaryDirectory(prefix='plugincron-bench-') as tmp:
        tmp = pathlib.Path(tmp)
        site = tmp / 'site'
        pip_install(site, REPO, REPO / 'tests' / 'plugins')
        pg = services.new_database(services.POSTGRESQL_URL)
        redis = services.redis_url(lock_timeout=30)
        shared = {'state_url': pg, 'coordination_url': redis,
                  'multi_host': 'true'}

        local = host(tmp / 'local', site, 'local')
        distributed = host(tmp / 'distributed', site, 'distributed',
                           **shared)
        print('plugin-cron run, no-op plugin, median of %d fresh processes '
              '(min / max):' % args.runs)
        base = median_run(local, args.runs)
        print('  SQLite + file locks      %6.1f ms  (%.1f / %.1f)'
              % tuple(t * 1000 for t in base))
        dist = median_run(distributed, args.runs)
        print('  PostgreSQL + Redis/tooz  %6.1f ms  (%.1f / %.1f)'
              % tuple(t * 1000 for t in dist))
        print('  overhead                 %+6.1f ms per run'
              % ((dist[0] - base[0]) * 1000))

        hosts = [host(tmp / ('h%d' % i), site, 'h%d' % i, **shared)
                 for i in range(args.hosts)]
        # Ticks after those the distributed host already committed.
        first = args.runs + 10
        times = [contend(hosts, first + r) for r in range(args.rounds)]
        with state.get_store(pg) as store:
            records = store.history(limit=100000)
        per_tick = {}
        for r in records:
            if r.host.startswith('h'):
                per_tick.setdefault(r.started_at.replace(second=0,
                                                         microsecond=0),
                                    []).append(r.status)
        ran = sum(1 for r in records
                  if r.host.startswith('h') and r.status == 'succeeded')
        skipped = sum(1 for r in records
                      if r.host.startswith('h') and r.status == 'skipped')
        print('%d hosts starting the same tick at once, %d ticks:'
              % (args.hosts, args.rounds))
        print('  until all settled: median %.1f ms (min %.1f / max %.1f)'
              % (statistics.median(times) * 1000, min(times) * 1000,
                 max(times) * 1000))
        print('  runs: %d succeeded, %d skipped (expected %d and %d)'
              % (ran, skipped, args.rounds, args.rounds * (args.hosts - 1)))
        if (ran, skipped) != (args.rounds, args.rounds * (args.hosts - 1)):
            sys.exit('unexpected outcome')
    print('(%s, %d CPUs)' % (sys.version.split()[0], os.cpu_count()))


if __name__ == '__main__':
    main()
