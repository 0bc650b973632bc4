"""The crontab side: keep one tagged line per installed plugin.

``lines`` renders and recognises managed lines, ``targets`` reads and
writes the user crontab or a crontab file, ``reconcile`` puts the two
together, and ``manager`` is the built-in cron plugin that reconciles
every five minutes.

python-crontab (the top-level ``crontab`` module) costs tens of
milliseconds to import; it is imported inside functions here, never on
the runner's path.
"""
