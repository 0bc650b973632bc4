"""Dynamic jobs: one-shot and periodic commands and HTTP callbacks.

Scheduled at run time (``plugin-cron at/every/call`` or
:class:`plugincron.jobs.service.JobService`), kept in the state store next
to the plugins' windows, and fired by the built-in cron plugin
``plugincron-dispatcher``.
"""
