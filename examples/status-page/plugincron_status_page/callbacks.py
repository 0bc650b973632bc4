"""Host code scheduling a one-shot HTTP callback, for the docs.

When an incident closes, the status page asks its post-mortem service,
two days later, to open a review.  The host does not wait and keeps no
timer: the job store keeps the call and the dispatcher makes it.
"""

import json

from plugincron.jobs.service import JobService


def schedule_review(conf, incident_id, url):
    """Call ``url`` in two days about ``incident_id``.

    :param conf: the host's ``ConfigOpts``.
    :returns: the scheduled entry, with its id ``NAME@TIME``.
    """
    with JobService(conf, owner='status-page') as jobs:
        return jobs.call(
            '+2d', url, method='POST',
            headers=[('Content-Type', 'application/json')],
            data=json.dumps({'incident': incident_id}),
            expect=202,          # the service answers 202 Accepted
            retries=3,           # after the first attempt
            max_delay='1h',      # later than that, the review is moot
            name='review.%s' % incident_id)
