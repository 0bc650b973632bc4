"""Fixtures shared by the whole suite.

Plugins in these tests are real installed distributions: plugincron
itself (for its own entry points), the example package and
``tests/plugins`` are installed by pip into a site directory that comes
early on the path, in this process and in every runner subprocess.  The
checkout comes first, so the code under test is always the working tree's
and only the metadata (entry points) comes from the site directory.
"""

import configparser
import datetime
import importlib
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
UTC = datetime.timezone.utc


def require_service(reason):
    """Skip a test whose server is missing -- or fail, in CI.

    CI sets ``PLUGINCRON_REQUIRE_SERVICES=1`` so that a missing server can
    never pass unseen as a skipped test.
    """
    if os.environ.get('PLUGINCRON_REQUIRE_SERVICES') == '1':
        pytest.fail('PLUGINCRON_REQUIRE_SERVICES=1 but ' + reason)
    pytest.skip(reason)


def pip_install(site, *sources):
    """Install distributions with pip into ``site``, without touching the
    source trees (pip builds in a copy)."""
    build = pathlib.Path(site).parent / ('build-' + pathlib.Path(site).name)
    copies = []
    for source in sources:
        copy = build / pathlib.Path(source).name
        shutil.copytree(source, copy, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(
                            'build', '*.egg-info', '__pycache__', '.git',
                            'examples', 'tests', 'doc', 'bench'))
        copies.append(str(copy))
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet',
                    '--no-deps', '--no-build-isolation', '--no-compile',
                    '--disable-pip-version-check', '--target', str(site)]
                   + copies, check=True)


@pytest.fixture(scope='session')
def plugin_site(tmp_path_factory):
    """Site directory holding the example and test plugin distributions."""
    site = tmp_path_factory.mktemp('site')
    pip_install(site, REPO, REPO / 'examples' / 'window-logger',
                REPO / 'tests' / 'plugins')
    sys.path[:0] = [str(REPO), str(site)]
    importlib.invalidate_caches()
    yield site
    sys.path.remove(str(REPO))
    sys.path.remove(str(site))


def subprocess_env(site, **extra):
    """Environment for a runner subprocess that sees ``site`` first."""
    env = dict(os.environ)
    path = [str(REPO), str(site)]
    if env.get('PYTHONPATH'):
        path.append(env['PYTHONPATH'])
    env['PYTHONPATH'] = os.pathsep.join(path)
    env.update(extra)
    return env


class CronEnv:
    """A host configuration in a temporary directory, and ways to drive
    ``plugin-cron`` against it."""

    def __init__(self, root, site):
        self.root = pathlib.Path(root)
        self.site = site
        self.state_dir = self.root / 'state'
        self.conf_file = self.root / 'host.conf'
        self.output = self.root / 'windows.log'
        self.calls = self.root / 'calls.log'
        self.fail_file = self.root / 'fail'
        self.block_file = self.root / 'block'
        self.hang_file = self.root / 'hang'
        self.sections = {
            'cron': {'state_dir': str(self.state_dir)},
            'window_logger': {'output_file': str(self.output)},
            'controlled': {
                'output_file': str(self.output),
                'calls_file': str(self.calls),
                'fail_file': str(self.fail_file),
                'block_file': str(self.block_file),
                'hang_file': str(self.hang_file),
            },
        }
        self.write_conf()

    def write_conf(self, **sections):
        """Merge ``{section: {option: value}}`` into the config file."""
        for name, values in sections.items():
            self.sections.setdefault(name, {}).update(values)
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_dict(self.sections)
        with open(self.conf_file, 'w') as out:
            parser.write(out)

    @property
    def env(self):
        return subprocess_env(self.site)

    def command(self, *args):
        return [sys.executable, '-m', 'plugincron', '--config-file',
                str(self.conf_file)] + [str(a) for a in args]

    def run(self, *args, timeout=60):
        """Run ``plugin-cron ARGS`` and wait for it."""
        return subprocess.run(self.command(*args), env=self.env,
                              capture_output=True, text=True,
                              timeout=timeout)

    def start(self, *args):
        """Start ``plugin-cron ARGS`` without waiting."""
        return subprocess.Popen(self.command(*args), env=self.env,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def store(self):
        from plugincron import state
        return state.get_store(state.default_url(str(self.state_dir)))

    @staticmethod
    def read_windows(path):
        """The ``(start, end)`` pairs a test plugin wrote to ``path``."""
        if not pathlib.Path(path).exists():
            return []
        pairs = []
        for line in pathlib.Path(path).read_text().splitlines():
            start, end = line.split()
            pairs.append((datetime.datetime.fromisoformat(start),
                          datetime.datetime.fromisoformat(end)))
        return pairs

    def windows(self):
        return self.read_windows(self.output)


@pytest.fixture
def cron_env(tmp_path, plugin_site):
    """A fresh host configuration with the test plugins installed."""
    return CronEnv(tmp_path, plugin_site)


@pytest.fixture
def tab(cron_env):
    """A crontab file the host configuration manages."""
    path = cron_env.root / 'crontab'
    cron_env.write_conf(cron={'crontab': str(path)})
    return path


@pytest.fixture
def extra_site(tmp_path):
    """A second site directory, for plugins added during a test."""
    site = tmp_path / 'extra-site'
    site.mkdir()
    return site


def utc(*args):
    """``utc(2026, 1, 1, 10, 0)``: an aware UTC datetime."""
    return datetime.datetime(*args, tzinfo=UTC)


def _store_urls():
    urls = ['sqlite']
    urls += os.environ.get('PLUGINCRON_TEST_STATE_URLS', '').split()
    return urls


@pytest.fixture(params=_store_urls())
def store(request, tmp_path):
    """Every state store under test: SQLite always, and each URL of
    ``PLUGINCRON_TEST_STATE_URLS`` (space-separated), the way tooz picks
    its drivers from ``TOOZ_TEST_URL``."""
    from plugincron import state
    url = request.param
    if url == 'sqlite':
        url = state.default_url(str(tmp_path))
    else:
        # A scratch database of this session, emptied for each test.
        from tests import services
        url = services.clean_database(url)
    opened = state.get_store(url)
    yield opened
    opened.close()
