"""Managed lines and the splice, without any I/O."""

import pytest

from plugincron.crontab import lines, reconcile


@pytest.mark.parametrize('line, name', [
    ('* * * * * x run a # plugincron:a', 'a'),
    ('# * * * * * x run a # plugincron:a  ', 'a'),
    ("* * * * * x '--config-file' 'p # plugincron:evil' run b "
     "# plugincron:b", 'b'),
    ('* * * * * backup # nightly', None),
    ('* * * * * echo plugincron:a', None),
    ('MAILTO=plugincron:a', None),
])
def test_tag_is_found_at_the_end_of_the_line(line, name):
    assert lines.tag_of(line) == name


def test_render_quotes_every_word_and_escapes_percent():
    line = lines.render('*/5 * * * *', ['/opt/my app/plugin-cron',
                                        '--config-file', '/etc/50%.conf'],
                        "it's")
    assert line == ("*/5 * * * * '/opt/my app/plugin-cron' --config-file "
                    "/etc/50\\%.conf run 'it'\"'\"'s' # plugincron:it's")


def test_render_disabled_and_system_format():
    line = lines.render('0 * * * *', ['/bin/plugin-cron'], 'a',
                        enabled=False, user='svc')
    assert line == '# 0 * * * * svc /bin/plugin-cron run a # plugincron:a'


@pytest.mark.parametrize('name', ['', 'a b', 'a\tb', 'a\nb', 'a%b', '-x',
                                  'a\x00b'])
def test_unsafe_names(name):
    assert lines.unsafe_reason(name)


def test_splice_updates_in_place_appends_and_removes():
    text = ('A=1\r\n'
            '1 * * * * old run a # plugincron:a\r\n'
            '# keep\n'
            '2 * * * * old run gone # plugincron:gone\n'
            '3 * * * * old run a # plugincron:a\n'
            'last line')
    after, added, updated, removed, foreign = reconcile.splice(
        text, {'a': 'NEW a # plugincron:a', 'b': 'NEW b # plugincron:b'})
    assert after == ('A=1\r\n'
                     'NEW a # plugincron:a\r\n'
                     '# keep\n'
                     'last line\n'
                     'NEW b # plugincron:b\n')
    assert (added, updated, removed) == (['b'], ['a'], ['gone', 'a'])
    assert foreign == [(1, 'A=1'), (3, '# keep'), (6, 'last line')]


def test_splice_of_the_same_lines_changes_nothing():
    text = 'A=1\nNEW a # plugincron:a\n'
    after = reconcile.splice(text, {'a': 'NEW a # plugincron:a'})[0]
    assert after == text


def test_only_newline_ends_a_line():
    text = '0 * * * * printf "a\x0cb\u2028c" # plugincron:x\n'
    after, added, updated, removed, foreign = reconcile.splice(text, {})
    assert (after, removed, foreign) == ('', ['x'], [])
