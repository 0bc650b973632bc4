"""Start-up cost of the runner cron starts on every tick.

Times ``plugin-cron run noop`` (a plugin whose run() does nothing, really
installed with an entry point in a temporary site directory; each run
commits a new one-minute window in SQLite under a file lock) against the
floor ``python -c "import stevedore, oslo_config.cfg"`` on the same
machine, interleaved, and prints the medians and their ratio.

    python3 bench/startup.py [--runs 30]

Target: ratio <= 1.3.
"""

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

NOOP = '''
from plugincron import CronPluginBase


class Noop(CronPluginBase):

    def enabled(self):
        return True

    def interval(self):
        return '* * * * *'

    def run(self, start_time, end_time):
        pass
'''


def make_site(root):
    """A site directory holding the ``noop`` plugin distribution."""
    site = os.path.join(root, 'site')
    dist = os.path.join(site, 'plugincron_bench_noop-1.0.dist-info')
    os.makedirs(dist)
    with open(os.path.join(site, 'plugincron_bench_noop.py'), 'w') as f:
        f.write(NOOP)
    with open(os.path.join(dist, 'METADATA'), 'w') as f:
        f.write('Metadata-Version: 2.1\nName: plugincron-bench-noop\n'
                'Version: 1.0\n')
    with open(os.path.join(dist, 'entry_points.txt'), 'w') as f:
        f.write('[plugin.cron]\nnoop = plugincron_bench_noop:Noop\n')
    return site


def timed(argv, env):
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=30)
    args = parser.parse_args()
    script = shutil.which('plugin-cron')
    if not script:
        sys.exit('plugin-cron is not installed (pip install -e .)')
    with tempfile.TemporaryDirectory() as root:
        site = make_site(root)
        conf = os.path.join(root, 'bench.conf')
        with open(conf, 'w') as f:
            f.write('[cron]\nstate_dir = %s\n' % os.path.join(root, 'state'))
        env = dict(os.environ, PYTHONPATH=site)
        floor_cmd = [sys.executable, '-c', 'import stevedore, oslo_config.cfg']
        base = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        floor, runner = [], []
        timed([script, '--config-file', conf, 'run', 'noop', '--now',
               base.isoformat()], env)  # warm caches, create the database
        for i in range(1, args.runs + 1):
            now = (base + datetime.timedelta(minutes=i)).isoformat()
            floor.append(timed(floor_cmd, env))
            runner.append(timed([script, '--config-file', conf, 'run',
                                 'noop', '--now', now], env))
    f, r = statistics.median(floor), statistics.median(runner)
    print('runs: %d (interleaved), python %s' % (args.runs,
                                                 sys.version.split()[0]))
    print('floor  import stevedore, oslo_config.cfg : %7.1f ms' % (f * 1e3))
    print('runner plugin-cron run noop              : %7.1f ms' % (r * 1e3))
    print('ratio                                    : %7.2f (target <= 1.3)'
          % (r / f))


if __name__ == '__main__':
    main()
