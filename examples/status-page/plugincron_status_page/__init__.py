"""A cron plugin that keeps one reminder job per open incident.

Every minute it reads the incidents of a status page from a JSON file::

    [{"id": "123", "owner": "alice", "status": "open"}, ...]

For each open incident it makes sure a periodic job ``status.<ID>``
exists that reminds the incident's owner every 10 minutes; for each closed
one it cancels that job.  Both are idempotent, so the plugin can look at
the same incidents every minute: the job store, not the plugin, remembers
what was scheduled.  The reminder here appends a line to a file; a real
status page would post to a chat room or send a mail.
"""

import json
import logging
import sys

from oslo_config import cfg

from plugincron import CronPluginBase
from plugincron.jobs.model import CommandTarget, DuplicateJob, JobError, \
    JobNotFound
from plugincron.jobs.service import JobService

LOG = logging.getLogger(__name__)
GROUP = 'status_page'
OWNER = 'status-page'

OPTS = [
    cfg.StrOpt('incidents_file',
               help='JSON file holding the list of incidents, each an '
                    'object with "id", "owner" and "status" ("open" or '
                    '"closed").'),
    cfg.StrOpt('reminders_file', default='reminders.log',
               help='File to which each reminder appends a line.'),
    cfg.StrOpt('remind_every', default='10m',
               help='How often the owner of an open incident is reminded.'),
    cfg.StrOpt('interval', default='* * * * *',
               help='Cron expression on which the incidents are read.'),
    cfg.BoolOpt('enabled', default=True, help='Whether the plugin runs.'),
]

# The reminder, run by the dispatcher without a shell.  Inline code for
# the interpreter that scheduled it keeps the example free of scripts on
# PATH: argv is the whole program.
REMIND = '''\
import datetime, sys
path, incident, owner = sys.argv[1:4]
now = datetime.datetime.now(datetime.timezone.utc)
with open(path, "a") as out:
    out.write("%s remind %s: incident %s is still open\\n"
              % (now.isoformat(timespec="seconds"), owner, incident))
'''


def job_name(incident_id):
    """The reminder job of an incident: ``status.<ID>``."""
    return 'status.%s' % incident_id


def reminder(reminders_file, incident):
    """The command that reminds ``incident``'s owner once."""
    return CommandTarget(argv=(sys.executable, '-c', REMIND, reminders_file,
                               str(incident['id']),
                               str(incident.get('owner', 'nobody'))))


class StatusPage(CronPluginBase):
    """Schedules ``status.<ID>`` for open incidents, cancels it for closed
    ones."""

    def __init__(self, config):
        super().__init__(config)
        config.register_opts(OPTS, group=GROUP)

    def enabled(self):
        return self.config.status_page.enabled

    def interval(self):
        return self.config.status_page.interval

    def run(self, start_time, end_time):
        # The window does not matter: the file says what is open now.
        opts = self.config.status_page
        with open(opts.incidents_file) as f:
            incidents = json.load(f)
        with JobService(self.config, owner=OWNER) as jobs:
            for incident in incidents:
                try:
                    if incident.get('status') == 'closed':
                        self.close(jobs, incident)
                    else:
                        self.open(jobs, incident, opts)
                except JobError as exc:
                    # One bad incident (an id no job name can hold) must
                    # not keep the others from being reminded.
                    LOG.error('incident %r: %s', incident.get('id'), exc)

    @staticmethod
    def open(jobs, incident, opts):
        name = job_name(incident['id'])
        try:
            jobs.every(opts.remind_every,
                       reminder(opts.reminders_file, incident), name=name)
            LOG.info('scheduled %s every %s', name, opts.remind_every)
        except DuplicateJob:
            # Scheduled by an earlier run: nothing to do.  (A cancelled
            # job's name is free again, so a reopened incident gets its
            # reminder back.)
            pass

    @staticmethod
    def close(jobs, incident):
        name = job_name(incident['id'])
        try:
            if jobs.cancel(name):
                LOG.info('cancelled %s', name)
        except JobNotFound:
            pass  # closed before it was ever seen open
