"""Plugins that fail at each step of loading."""

from plugincron import CronPluginBase


class _Plugin(CronPluginBase):

    def enabled(self):
        return True

    def interval(self):
        return '* * * * *'

    def run(self, start_time, end_time):
        pass


class BrokenInit(_Plugin):

    def __init__(self, config):
        raise RuntimeError('constructor fails on purpose')


class BrokenEnabled(_Plugin):

    def enabled(self):
        raise RuntimeError('enabled() fails on purpose')


class BadInterval(_Plugin):

    def interval(self):
        return '? * * * *'  # the example in StoryBoard's docs
