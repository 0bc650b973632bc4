"""Reconcile: the crontab as it should be vs the crontab as it is.

The crontab is read once, rewritten in memory and written once, only if
the text changed.  Managed lines (tagged ``plugincron:NAME``) are updated
in place, removed, or added at the end; every other line is copied byte
for byte, in its order.  Before anything is written, each foreign job
line is parsed with python-crontab: a crontab that holds a line it cannot
parse is reported and left as it is.
"""

import contextlib
import dataclasses
import difflib
import fcntl
import logging
import os
import re
import time

from plugincron import exceptions, loader
from plugincron.crontab import lines as lines_mod
from plugincron.crontab import targets

LOG = logging.getLogger(__name__)

#: Seconds a sync waits for another one (host, manager, operator) to
#: finish with the crontab before it gives up.
LOCK_TIMEOUT = 30

# cron's environment lines: NAME = VALUE, the name possibly quoted.
_ENV = re.compile(r'''^\s*("[^"]*"|'[^']*'|[^\s=#]+)\s*=''')


@dataclasses.dataclass
class Result:
    """What one reconciliation found and did."""

    target: str
    before: str
    after: str
    added: list = dataclasses.field(default_factory=list)
    updated: list = dataclasses.field(default_factory=list)
    removed: list = dataclasses.field(default_factory=list)
    #: ``{name: PluginCronError}``: plugins that got no line, and why.
    errors: dict = dataclasses.field(default_factory=dict)
    written: bool = False

    @property
    def changed(self):
        return self.before != self.after

    def diff(self):
        """The change as a unified diff ('' when nothing changes)."""
        return ''.join(difflib.unified_diff(
            self.before.splitlines(True), self.after.splitlines(True),
            '%s (now)' % self.target, '%s (after sync)' % self.target))


def desired_lines(conf, discovery, target):
    """``({name: line}, {name: error})`` for the discovered plugins.

    A plugin that failed to load, whose interval is invalid or whose name
    cannot be quoted into a line gets no line and an error naming it.
    """
    runner = lines_mod.runner_words(conf)
    lines_mod.check_words(runner)
    wanted = {}
    errors = dict(discovery.failures)
    for name, loaded in discovery.plugins.items():
        reason = lines_mod.unsafe_reason(name)
        if reason:
            errors[name] = exceptions.UnsafePluginName(name, reason)
            continue
        wanted[name] = lines_mod.render(
            loaded.schedule.expression, runner, name,
            enabled=loaded.enabled, user=target.column_user)
    return wanted, errors


def check_parseable(text, target, line_numbers):
    """Parse the foreign job lines with python-crontab.

    :raises CrontabParseError: at the first line that is not a job, an
        environment setting, a comment or blank.
    """
    import crontab as pycrontab
    tab = pycrontab.CronTab(tab='', user=False if target.system else None)
    log = logging.getLogger(pycrontab.__name__)
    was_disabled, log.disabled = log.disabled, True
    try:
        for number, line in zip(line_numbers, text):
            body = line.strip()
            if not body or body.startswith('#') or _ENV.match(body):
                continue
            if not pycrontab.CronItem.from_line(body, cron=tab).is_valid():
                raise exceptions.CrontabParseError(str(target), number, body)
    finally:
        log.disabled = was_disabled


def physical_lines(text):
    """The lines of ``text`` as cron sees them, newline kept.

    Only ``\n`` ends a line: ``str.splitlines()`` would also split at form
    feeds and Unicode separators a foreign line may hold.
    """
    parts = text.split('\n')
    for part in parts[:-1]:
        yield part + '\n'
    if parts[-1]:
        yield parts[-1]


def splice(text, wanted):
    """Put ``wanted`` (``{name: line}``) into ``text``.

    :returns: ``(new_text, added, updated, removed, foreign)``, the last
        being ``(line_number, line)`` pairs of foreign lines.
    """
    out = []
    seen = set()
    updated, removed, foreign = [], [], []
    for number, raw in enumerate(physical_lines(text), 1):
        body = raw.rstrip('\r\n')
        name = lines_mod.tag_of(body)
        if name is None:
            out.append(raw)
            foreign.append((number, body))
        elif name in wanted and name not in seen:
            seen.add(name)
            if body != wanted[name]:
                updated.append(name)
            out.append(wanted[name] + raw[len(body):])
        else:
            # Uninstalled, failing, or a duplicate of a line already kept.
            removed.append(name)
    added = [name for name in sorted(wanted) if name not in seen]
    if added and out and not out[-1].endswith('\n'):
        out[-1] += '\n'     # cron ignores a last line without a newline
    out.extend(wanted[name] + '\n' for name in added)
    return ''.join(out), added, updated, removed, foreign


@contextlib.contextmanager
def crontab_lock(conf, target):
    """Serialise read-modify-write of the crontab on this host.

    The host hook, the manager run by cron and an operator's ``sync`` may
    overlap; without this one could write back a crontab read before the
    other's write.  A local file lock is enough: a crontab is per host.
    """
    path = os.path.join(conf.cron.state_dir, 'crontab.lock')
    try:
        os.makedirs(conf.cron.state_dir, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise exceptions.CrontabError('cannot open %s: %s' % (path, exc),
                                      target=str(target)) from None
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise exceptions.CrontabError(
                        'another sync of the %s has held %s for %d s; '
                        'try again' % (target, path, LOCK_TIMEOUT),
                        target=str(target)) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def reconcile(conf, dry_run=False, remove=False):
    """Bring the configured crontab in step with the installed plugins.

    :param dry_run: compute, but write nothing.
    :param remove: remove every managed line instead (what
        ``[cron] enable = false`` does too).
    :rtype: :class:`Result`
    :raises CrontabError: the crontab cannot be read, parsed or written;
        nothing was changed.
    """
    target = targets.from_conf(conf)
    wanted, errors = {}, {}
    if not remove and conf.cron.enable:
        wanted, errors = desired_lines(conf, loader.discover(conf), target)
    with crontab_lock(conf, target):
        before = target.read()
        after, added, updated, removed, foreign = splice(before, wanted)
        result = Result(str(target), before, after, added, updated,
                        removed, errors)
        if not result.changed:
            return result
        check_parseable([line for _, line in foreign], target,
                        [number for number, _ in foreign])
        if not dry_run:
            target.write(after)
            result.written = True
    if result.written:
        LOG.info('%s: added %s, updated %s, removed %s', target,
                 added or 'none', updated or 'none', removed or 'none')
    return result
