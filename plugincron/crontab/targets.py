"""Where the managed lines live: the user crontab or a crontab file.

A target reads the whole crontab as text and writes it back as text, so
the reconciler can keep every foreign byte.  Bytes that are not UTF-8
survive too (``surrogateescape``).
"""

import os
import pwd
import re
import shutil
import subprocess
import tempfile

from plugincron import exceptions

SYSTEM_DIR = '/etc/cron.d'
# Debian cron (run-parts naming) ignores other files in /etc/cron.d.
_CRON_D_NAME = re.compile(r'^[A-Za-z0-9_-]+$')


def current_user():
    return pwd.getpwuid(os.getuid()).pw_name


def _decode(data):
    return data.decode('utf-8', 'surrogateescape')


def _encode(text):
    return text.encode('utf-8', 'surrogateescape')


class UserCrontab:
    """A user's crontab, through the ``crontab`` command.

    :param user: whose crontab; ``None`` for the current user.
    """

    #: Lines carry no user column.
    system = False

    def __init__(self, user=None):
        self.user = user
        self.command = shutil.which('crontab')
        self.column_user = None

    def __str__(self):
        return 'crontab of user %s' % (self.user or current_user())

    def _argv(self, *args):
        if not self.command:
            raise exceptions.CrontabError(
                'the crontab command is not installed; install cron or set '
                '[cron] crontab to a file', target=str(self))
        argv = [self.command]
        # Some crontab commands refuse -u for the invoking user.
        if self.user and self.user != current_user():
            argv += ['-u', self.user]
        return argv + list(args)

    def read(self):
        proc = subprocess.run(self._argv('-l'), capture_output=True)
        if proc.returncode == 0:
            return _decode(proc.stdout)
        message = _decode(proc.stderr).strip()
        if 'no crontab for' in message:
            return ''
        raise exceptions.CrontabError('cannot read the %s: %s'
                                      % (self, message), target=str(self))

    def write(self, text):
        # The crontab command replaces the crontab in one go; it reads a
        # file more portably than standard input.
        with tempfile.NamedTemporaryFile('wb', prefix='plugincron-',
                                         suffix='.crontab') as tmp:
            tmp.write(_encode(text))
            tmp.flush()
            proc = subprocess.run(self._argv(tmp.name), capture_output=True)
        if proc.returncode != 0:
            raise exceptions.CrontabError(
                'cannot write the %s: %s' % (self, _decode(
                    proc.stderr).strip()), target=str(self))


class FileCrontab:
    """A crontab file, replaced atomically.

    :param path: absolute path of the file.
    :param user: user column for the system format, or ``None`` for the
        user format.
    """

    def __init__(self, path, user=None):
        self.path = path
        self.column_user = user
        self.system = user is not None

    def __str__(self):
        return 'crontab file %s' % self.path

    def read(self):
        try:
            with open(self.path, 'rb') as handle:
                return _decode(handle.read())
        except FileNotFoundError:
            return ''
        except OSError as exc:
            raise exceptions.CrontabError('cannot read %s: %s' % (
                self.path, exc), target=self.path) from None

    def write(self, text):
        """Write through a temporary file, fsync, rename, fsync the dir.

        A reader (cron, another host process) sees the old file or the new
        one, never half of it.  Mode and owner of an existing file are
        kept; a new one is 0644, which is what cron requires of
        /etc/cron.d files.
        """
        directory = os.path.dirname(self.path)
        try:
            old = os.stat(self.path)
        except FileNotFoundError:
            old = None
        try:
            # A dot-name: cron ignores it in /etc/cron.d.
            fd, tmp = tempfile.mkstemp(dir=directory, prefix='.plugincron-')
        except OSError as exc:
            raise exceptions.CrontabError('cannot write %s: %s' % (
                self.path, exc), target=self.path) from None
        try:
            with os.fdopen(fd, 'wb') as handle:
                handle.write(_encode(text))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, (old.st_mode & 0o7777) if old else 0o644)
            if old and os.geteuid() == 0:
                os.chown(tmp, old.st_uid, old.st_gid)
            os.replace(tmp, self.path)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise exceptions.CrontabError('cannot write %s: %s' % (
                self.path, exc), target=self.path) from None
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def from_conf(conf):
    """The target ``[cron] crontab`` and ``[cron] crontab_user`` name.

    :raises ConfigError: for a relative path or a file name cron would
        ignore in /etc/cron.d.
    """
    from plugincron.crontab import lines
    where = conf.cron.crontab
    user = conf.cron.crontab_user
    if user is not None and lines.unsafe_reason(user):
        raise exceptions.ConfigError(
            'crontab_user %r: %s' % (user, lines.unsafe_reason(user)),
            option='crontab_user', value=user)
    if where == 'user':
        return UserCrontab(user)
    if not os.path.isabs(where):
        raise exceptions.ConfigError(
            'crontab %r: expected "user" or an absolute file path (cron and '
            'the host do not share a working directory)' % where,
            option='crontab', value=where)
    if os.path.dirname(os.path.normpath(where)) == SYSTEM_DIR:
        if not _CRON_D_NAME.match(os.path.basename(where)):
            raise exceptions.ConfigError(
                'crontab %r: cron ignores files in %s whose name has '
                'characters other than letters, digits, "_" and "-"'
                % (where, SYSTEM_DIR), option='crontab', value=where)
        return FileCrontab(where, user or current_user())
    return FileCrontab(where, user)
