"""The state store contract.

A store keeps, per plugin, the end of the last committed window, and the
history of every run, skip and failure.  Backends are chosen by URL scheme
(:func:`plugincron.state.get_store`) and must all pass
``tests/test_state_store.py`` unchanged.

Rules every backend follows:

* :meth:`StateStore.commit` is a compare-and-set: it moves the committed
  end only if it still is the one the run started from, so a runner that
  lost its lock can never overwrite a newer commit (a fencing check).
* Timestamps go in and come out as aware UTC datetimes.
* Nothing already stored is reset: a store it cannot read, or one written
  with another schema version, raises and is left as it is.
"""

import abc
import dataclasses
import datetime

UTC = datetime.timezone.utc

# Run statuses, as shown by 'plugin-cron history'.
RUNNING = 'running'
SUCCEEDED = 'succeeded'
FAILED = 'failed'
TIMED_OUT = 'timed_out'
ABANDONED = 'abandoned'    # its process died; found by the next run
SKIPPED = 'skipped'        # the runner did nothing (lock held, up to date)
MISSED = 'missed'          # committed without run(), by catch-up policy
BACKFILLED = 'backfilled'  # an operator's historical window; run() done,
                           # the committed end not moved
RESET = 'reset'            # an operator moved the committed end; the
                           # record's window is [old end, new end)
PAUSED = 'paused'          # an operator paused the plugin
RESUMED = 'resumed'        # an operator resumed it
#: Statuses of a call to run(), as opposed to skips and operator actions.
RUNS = (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABANDONED)
#: Statuses whose window is part of the committed tiling.
COMMITTED = (SUCCEEDED, MISSED)


@dataclasses.dataclass
class PluginState:
    name: str
    committed_end: datetime.datetime = None
    paused: bool = False


@dataclasses.dataclass
class RunRecord:
    id: int
    plugin: str
    status: str
    window_start: datetime.datetime
    window_end: datetime.datetime
    started_at: datetime.datetime
    finished_at: datetime.datetime
    host: str
    pid: int
    reason: str
    error: str

    @property
    def duration(self):
        """Seconds the run took, or ``None`` while it runs."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def to_text(when):
    """Fixed-width UTC text: sorts like the instant it names."""
    if when is None:
        return None
    return when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def from_text(text):
    if text is None:
        return None
    return datetime.datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


class StateStore(abc.ABC):
    """Committed windows and run history, shared by every runner.

    :param url: the store's URL, kept for messages.
    """

    #: Whether several hosts may share this store.
    MULTI_HOST_SAFE = False

    def __init__(self, url):
        self.url = url

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @abc.abstractmethod
    def close(self):
        """Release connections."""

    @abc.abstractmethod
    def get_plugin(self, name):
        """:rtype: :class:`PluginState` (empty if never seen)."""

    @abc.abstractmethod
    def list_plugins(self):
        """:returns: ``{name: PluginState}`` of every plugin seen."""

    @abc.abstractmethod
    def set_paused(self, name, paused):
        """Pause or resume a plugin's runs."""

    @abc.abstractmethod
    def start_run(self, name, window, host, pid, now):
        """Record a run of ``window`` as started.

        :returns: the run's id.
        """

    @abc.abstractmethod
    def finish_run(self, run_id, status, now, reason=None, error=None):
        """Record how a run that commits nothing ended."""

    @abc.abstractmethod
    def commit(self, name, expected_end, window, now, run_id=None,
               status=SUCCEEDED, host=None, pid=None, reason=None):
        """Move the committed end from ``expected_end`` to ``window.end``.

        With ``run_id`` that run is finished as succeeded; without, a
        record of ``status`` (e.g. :data:`MISSED`) is written for the
        window.  Both happen in one transaction with the move.

        :returns: ``False``, changing nothing, if the committed end is no
            longer ``expected_end``.
        """

    @abc.abstractmethod
    def record(self, name, status, now, window=None, host=None, pid=None,
               reason=None, error=None):
        """Record a finished event that commits nothing (e.g. a skip).

        :returns: the record's id.
        """

    @abc.abstractmethod
    def abandon_running(self, name, now, reason):
        """Mark runs still recorded as running as abandoned.

        Called by a runner that holds the plugin's lock: no other run can
        be alive, so such records belong to dead processes.

        :returns: how many records were changed.
        """

    @abc.abstractmethod
    def history(self, name=None, limit=20, statuses=None):
        """Records, newest first.

        :param statuses: only records with one of these statuses.
        :param limit: at most this many; ``None`` for all.
        :rtype: list of :class:`RunRecord`
        """
