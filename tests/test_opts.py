"""Options: one list, rendered by oslo-config-generator."""

import subprocess
import sys

from plugincron import opts
from tests.conftest import subprocess_env


def test_list_opts_covers_every_group():
    groups = dict(opts.list_opts())
    assert {'cron', 'DEFAULT'} <= set(groups)
    names = {opt.name for opt in groups['cron']}
    assert {'namespace', 'state_dir', 'state_url', 'timezone'} <= names
    for group in groups.values():
        for opt in group:
            assert opt.help and opt.help.endswith('.'), opt.name


def test_generator_writes_a_sample(plugin_site, tmp_path):
    sample = tmp_path / 'plugincron.conf.sample'
    subprocess.run([sys.executable, '-m', 'oslo_config.generator',
                    '--namespace', 'plugincron', '--output-file',
                    str(sample)], env=subprocess_env(plugin_site),
                   check=True)
    text = sample.read_text()
    assert '[cron]' in text
    assert '#namespace = plugin.cron' in text
