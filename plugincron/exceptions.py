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
          +-- LockHeld            a plugin's lock is held by a run (.name)
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
    """The store's schema version is not the one this code understands."""

    def __init__(self, url, found, expected):
        if found > expected:
            hint = 'it was written by a newer plugincron; upgrade plugincron'
        else:
            hint = "run 'plugin-cron db upgrade'"
        super().__init__('state store %s has schema version %s, this '
                         'plugincron needs %s: %s'
                         % (url, found, expected, hint), url=url)
        self.found = found
        self.expected = expected


class LockError(PluginCronError):
    """The lock backend cannot be reached or used."""


class LockHeld(LockError):
    """An operator command needs a plugin's lock and a run holds it."""

    def __init__(self, name, action):
        super().__init__('plugin %r is running (its lock is held); %s '
                         'refused, try again when it finishes'
                         % (name, action))
        self.name = name
