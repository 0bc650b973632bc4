"""``plugin-cron sync`` and ``plugin-cron remove``: the crontab by hand."""

import sys


def add_parsers(subparsers):
    p = subparsers.add_parser(
        'sync', help='bring the crontab in step with the installed plugins')
    p.add_argument('--dry-run', action='store_true',
                   help='print the change as a diff; write nothing')
    p.set_defaults(handler=take_sync)
    p = subparsers.add_parser(
        'remove', help='remove every crontab line plugincron manages')
    p.add_argument('--dry-run', action='store_true',
                   help='print the change as a diff; write nothing')
    p.set_defaults(handler=take_remove)


def _report(result, dry_run):
    if dry_run:
        sys.stdout.write(result.diff())
    elif result.changed:
        for verb, names in (('added', result.added),
                            ('updated', result.updated),
                            ('removed', result.removed)):
            for name in names:
                print('%s %s' % (verb, name))
    if not result.changed:
        print('%s is up to date' % result.target)
    if result.errors:
        from plugincron.cli import fail
        for error in result.errors.values():
            fail(error)
        return 1
    return 0


def take_sync(conf):
    from plugincron.crontab import reconcile
    dry_run = conf.command.dry_run
    return _report(reconcile.reconcile(conf, dry_run=dry_run), dry_run)


def take_remove(conf):
    from plugincron.crontab import reconcile
    dry_run = conf.command.dry_run
    return _report(reconcile.reconcile(conf, dry_run=dry_run, remove=True),
                   dry_run)
