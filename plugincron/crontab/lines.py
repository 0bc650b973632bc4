"""Managed crontab lines: rendering, quoting and finding the tag.

A managed line is ``EXPR [USER] COMMAND # plugincron:NAME``, commented out
as a whole (``# EXPR ...``) when the plugin is disabled.  Every word of
COMMAND is shell-quoted, so a config path with a space or a quote
survives and no plugin name or path can start a second shell command.
"""

import os
import re
import shlex
import sys

TAG = 'plugincron:'

# The tag ends the line.  Searching for it at the end (not for the first
# '#') keeps a quoted argument that happens to contain ' # ' harmless.
_TAGGED = re.compile(r'(?:^|\s)#\s*plugincron:(\S+)\s*$')


def tag_of(line):
    """The plugin name a line is tagged with, or ``None`` if foreign."""
    match = _TAGGED.search(line)
    return match.group(1) if match else None


def unsafe_reason(word):
    """Why ``word`` cannot be a plugin name or user in a line, or ``None``.

    Whitespace would split the tag, a newline would end the line, cron
    turns ``%`` into a newline even inside a comment, and a leading ``-``
    would be read as an option by ``plugin-cron run``.
    """
    if not word:
        return 'it is empty'
    if any(ch.isspace() or not ch.isprintable() for ch in word):
        return 'it contains whitespace or a control character'
    if '%' in word:
        return "it contains '%', which cron turns into a newline"
    if word.startswith('-'):
        return "it starts with '-'"
    return None


def default_runner():
    """The words that start this ``plugin-cron``.

    The same answer in the host and in the runner cron starts, so that the
    manager, run by cron, does not rewrite the line the host wrote.
    """
    script = sys.argv[0] if sys.argv and sys.argv[0] else ''
    if os.path.basename(script) == 'plugin-cron':
        return [os.path.abspath(script)]
    package_main = os.path.join('plugincron', '__main__.py')
    if script.endswith(package_main):
        return [sys.executable, '-m', 'plugincron']
    beside = os.path.join(os.path.dirname(sys.executable), 'plugin-cron')
    if os.access(beside, os.X_OK):
        return [beside]
    return [sys.executable, '-m', 'plugincron']


def _config_dirs(conf):
    dirs = conf.config_dir or []
    return [dirs] if isinstance(dirs, str) else list(dirs)


def runner_words(conf):
    """The runner command and the host's config arguments, unquoted.

    Paths are made absolute: cron starts the runner in the user's home.
    """
    if conf.cron.runner_command:
        words = shlex.split(conf.cron.runner_command)
    else:
        words = default_runner()
    for path in conf.config_file or []:
        words += ['--config-file', os.path.abspath(path)]
    for path in _config_dirs(conf):
        words += ['--config-dir', os.path.abspath(path)]
    return words


def check_words(words):
    """Refuse arguments that no quoting can put on one crontab line."""
    from plugincron import exceptions
    for word in words:
        if '\n' in word or '\r' in word or '\0' in word:
            raise exceptions.ConfigError(
                'runner argument %r contains a newline or NUL; it cannot '
                'be written into a crontab line' % word, value=word)


def quote_command(words):
    """Shell-quote each word; escape ``%`` (cron's newline) as ``\\%``."""
    return ' '.join(shlex.quote(word) for word in words).replace('%', r'\%')


def render(expression, runner, name, enabled=True, user=None):
    """One managed line, without its newline.

    :param expression: the validated 5-field cron expression.
    :param runner: words from :func:`runner_words`.
    :param user: the user column of a system crontab, or ``None``.
    """
    fields = [expression]
    if user is not None:
        fields.append(user)
    fields.append(quote_command(list(runner) + ['run', name]))
    fields.append('# ' + TAG + name)
    line = ' '.join(fields)
    return line if enabled else '# ' + line
