"""A new user's mistakes in a Deployable or a mapping file: one line each,
naming where and what to write (``heat-deltacloud translate`` exits 1)."""

import pytest

from heat_deltacloud.cli import main

ASSEMBLY = '<assembly name="a" hwp="small"><image id="base"/></assembly>'


def deployable(body, name="x"):
    return (f'<deployable name="{name}">\n<assemblies>\n{body}\n'
            '</assemblies>\n</deployable>\n')


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def translate(tmp_path, capsys, text, *extra):
    (tmp_path / "bad.xml").write_text(text)
    status = main(["translate", "bad.xml", "--validate-only", *extra])
    captured = capsys.readouterr()
    assert captured.out == ""
    return status, captured.err


@pytest.mark.parametrize("text, line", [
    # Was: "Expecting an element , got nothing".
    (deployable(""), 'bad.xml:2: assemblies: <assemblies> has no '
     '<assembly>: add <assembly name="NAME" hwp="HWP"><image '
     'id="IMAGE_ID"/></assembly>'),
    ('<deployable name="x">\n</deployable>\n', 'bad.xml:1: deployable: '
     '<deployable> has no <assemblies>: add <assemblies> with at least '
     'one <assembly>'),
    (deployable('<assembly name="a" hwp="s">\n</assembly>'),
     'bad.xml:3: assembly: <assembly> has no <image>: add <image '
     'id="IMAGE_ID"/>'),
    (deployable('<assembly name="a" hwp="s"><image id="base"/>'
                '<services></services></assembly>'),
     'bad.xml:3: services: <services> has no <service>: add <service '
     'name="NAME"><executable url="URL"/></service>'),
    # Was: "Element assembly failed to validate attributes".
    (deployable('<assembly name="a"><image id="base"/></assembly>'),
     'bad.xml:3: assembly: <assembly> lacks the hwp attribute: add '
     'hwp="..."'),
    (deployable(ASSEMBLY.replace('hwp="small"', 'hwp="small" size="2"')),
     'bad.xml:3: assembly: <assembly> does not take a size attribute: '
     'remove it (it takes name, hwp)'),
    (deployable(ASSEMBLY).replace('name="x"', 'name="x" version="2"'),
     'bad.xml:1: deployable: <deployable> version="2": use 1.0'),
])
def test_grammar_errors_say_what_is_missing_and_where(tmp_path, capsys,
                                                      text, line):
    assert translate(tmp_path, capsys, text) == (1, line + "\n")


def service(body):
    return deployable('<assembly name="a" hwp="s"><image id="i"/>'
                      f'<services><service name="s">\n{body}\n</service>'
                      '</services></assembly>')


@pytest.mark.parametrize("body, line", [
    # Was two raw lines: "Expecting an element contents, got nothing" and
    # "Element executable failed to validate content".
    ("<executable/>", 'bad.xml:4: executable: <executable> takes a '
     'url="URL" attribute or a <contents> child, exactly one'),
    ('<executable url="u"><contents>x</contents></executable>',
     'bad.xml:4: executable: <executable> takes a url="URL" attribute or '
     'a <contents> child, exactly one'),
    ('<executable url="u"/><parameters><parameter name="p"><reference '
     'assembly="a"/></parameter></parameters>', 'bad.xml:4: reference: '
     '<reference> lacks the parameter or service attribute: add '
     'parameter="..." or service="..."'),
    ('<executable url="u"/><parameters><parameter name="p" type="int"/>'
     '</parameters>', 'bad.xml:4: parameter: <parameter> type="int": use '
     'scalar or password'),
])
def test_either_or_elements_say_what_they_take(tmp_path, capsys, body,
                                               line):
    assert translate(tmp_path, capsys, service(body)) == (1, line + "\n")


@pytest.mark.parametrize("text, line", [
    # The audit's case: a one-line file was blamed on line 2 (its end).
    ('<deployable name="x"><assemblies>\n', 'bad.xml:1: xml: Premature '
     'end of data: <assemblies> of line 1 is never closed; add '
     '</assemblies>'),
    # Three cascading mismatches were three lines; the first is the one.
    (deployable('<assembly name="a" hwp="s">\n<image id="i">\n'
                '</assembly>'),
     'bad.xml:5:12: xml: </assembly> closes <image> of line 4: close '
     '<image> first (</image>, or <image .../>), or fix the tag name'),
    (deployable(ASSEMBLY, name="a & b"), 'bad.xml:1:22: xml: a bare & in '
     'text or an attribute: write &amp;'),
    ('<deployable name="x>\n</deployable>\n', 'bad.xml:1: xml: the '
     '<deployable> tag is not finished: end it with > and check that '
     'every attribute value is quoted'),
    ("", 'bad.xml:1:1: xml: Document is empty: a Deployable is <deployable '
     'name="NAME"><assemblies>...</assemblies></deployable>'),
])
def test_syntax_errors_name_the_real_line_and_the_fix(tmp_path, capsys,
                                                      text, line):
    assert translate(tmp_path, capsys, text) == (1, line + "\n")


SHAPE = ('{"hardware_profiles": {"HWP": "FLAVOR"}, "images": '
         '{"IMAGE_ID": "IMAGE"}}')


@pytest.mark.parametrize("text, message", [
    ('{"images": {"base": "img1",}\n}\n', ':1:28: not valid JSON '
     '(Expecting property name enclosed in double quotes); a mapping is '
     + SHAPE),
    ('{"images": {"base": "img1"}\n', ':2:1: not valid JSON (Expecting '
     "',' delimiter); a mapping is " + SHAPE),
    ('["base"]', ': a mapping is a JSON object with the keys '
     'hardware_profiles, images only: ' + SHAPE),
    ('{"images": ["base"]}', ': images must be a JSON object: ' + SHAPE),
])
def test_a_malformed_mapping_is_one_line(tmp_path, capsys, text, message):
    mapping = tmp_path / "map.json"
    mapping.write_text(text)
    status, err = translate(tmp_path, capsys, deployable(ASSEMBLY),
                            "--mapping", "map.json")
    assert (status, err) == (1, f"heat-deltacloud: map.json{message}\n")


def test_a_mapping_that_is_not_utf8_is_one_line(tmp_path, capsys):
    mapping = tmp_path / "map.json"
    mapping.write_bytes(b'{"images": {"\xff": "x"}}')
    status, err = translate(tmp_path, capsys, deployable(ASSEMBLY),
                            "--mapping", "map.json")
    assert (status, err) == (1, f"heat-deltacloud: map.json: not UTF-8 "
                                f"text; a mapping is JSON: {SHAPE}\n")
