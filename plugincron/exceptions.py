"""Errors raised by plugincron.

Every error derives from :class:`PluginCronError`, so a host can catch
"anything plugincron refused" in one place.  Each carries the offending
value as an attribute, so callers never need to parse the message::

    PluginCronError
     +-- ConfigError              bad option value (.option, .value,
     |    |                       .plugin for a [plugin:NAME] override)
     |    +-- InvalidInterval     bad cron expression (.plugin, .expression)
     +-- PluginNotFound           no such entry point (.name, .namespace)
     +-- PluginLoadError          import/constructor failed (.name, .cause)
     +-- StateError               the state store cannot be used (.url)
     |    +-- SchemaMismatch      store written by another version
     +-- LockError                lock backend cannot be used
     |    +-- LockHeld            a plugin's lock is held by a run (.name)
     +-- CrontabError             crontab cannot be read/written (.target)
     |    +-- CrontabParseError   a line cron would not take (.line_number)
     +-- UnsafePluginName         name cannot go in a crontab line (.name)
"""


class PluginCronError(Exception):
    """Base class of every error plugincron raises on purpose."""


class ConfigError(PluginCronError):
    """An option holds a value plugincron cannot use."""

    def __init__(self, message, option=None, value=None, plugin=None):
        super().__init__(message)
        self.option = option
        self.value = value
        self.plugin = plugin


class InvalidInterval(ConfigError):
    """A plugin's ``interval()`` is not a valid cron expression."""

    def __init__(self, expression, reason, plugin=None):
        who = 'plugin %r: ' % plugin if plugin else ''
        super().__init__('%sinvalid interval %r: %s'
                         % (who, expression, reason), option='interval',
                         value=expression, plugin=plugin)
        self.expression = expression
        self.reason = reason


class PluginNotFound(PluginCronError):
    """No plugin of that name is installed in the namespace."""

    def __init__(self, name, namespace):
        super().__init__('no plugin named %r is installed in entry point '
                         'group %r' % (name, namespace))
        self.name = name
        self.namespace = namespace


class PluginLoadError(PluginCronError):
    """A plugin was found but could not be imported or constructed."""

    def __init__(self, name, cause):
        super().__init__('plugin %r failed to load: %s: %s'
                         % (name, type(cause).__name__, cause))
        self.name = name
        self.cause = cause


class StateError(PluginCronError):
    """The state store cannot be opened, read or written."""

    def __init__(self, message, url=None):
        super().__init__(message)
        self.url = url


class SchemaMismatch(StateError):
    """The store's schema version is not the one this code understands.

    ``found`` is ``None`` for a database that holds no plugincron schema
    yet; ``newer`` says whether it was written by a newer plugincron (by
    default, whether ``found > expected``).
    """

    def __init__(self, url, found, expected, newer=None):
        if newer is None:
            newer = found is not None and found > expected
        if newer:
            hint = 'it was written by a newer plugincron; upgrade plugincron'
        else:
            hint = "run 'plugin-cron db upgrade'"
        if found is None:
            what = 'has no plugincron schema'
        else:
            what = 'has schema version %s' % found
        super().__init__('state store %s %s, this plugincron needs %s: %s'
                         % (url, what, expected, hint), url=url)
        self.found = found
        self.expected = expected
        self.newer = newer


class LockError(PluginCronError):
    """The lock backend cannot be reached or used."""


class LockHeld(LockError):
    """An operator command needs a plugin's lock and a run holds it."""

    def __init__(self, name, action):
        super().__init__('plugin %r is running (its lock is held); %s '
                         'refused, try again when it finishes'
                         % (name, action))
        self.name = name


class CrontabError(PluginCronError):
    """The crontab cannot be read or written; nothing was changed."""

    def __init__(self, message, target=None):
        super().__init__(message)
        self.target = target


class CrontabParseError(CrontabError):
    """The crontab holds a line that is not valid; it is left as it is."""

    def __init__(self, target, line_number, line):
        super().__init__('%s, line %d: cannot parse %r; the crontab is left '
                         'as it is' % (target, line_number, line),
                         target=target)
        self.line_number = line_number
        self.line = line


class UnsafePluginName(PluginCronError):
    """A plugin name that cannot be written into a crontab line."""

    def __init__(self, name, reason):
        super().__init__('plugin %r: name cannot be used in a crontab line: '
                         '%s' % (name, reason))
        self.name = name
        self.reason = reason
