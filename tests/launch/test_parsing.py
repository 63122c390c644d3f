"""The command line: no abbreviations, secrets never echoed, the
sub-command's usage on a mistake (no Heat needed)."""

import argparse

import pytest

from heat_deltacloud import cli

SECRET = "hunter2-s3cret"


def parsers(parser=None):
    parser = parser or cli.build_parser()
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from parsers(sub)


def test_no_parser_accepts_abbreviations():
    found = list(parsers())
    assert len(found) >= 8  # the top level and every sub-command
    assert all(parser.allow_abbrev is False for parser in found)


@pytest.mark.parametrize("argv", [
    # Before: --password was taken as --password-file, and the error
    # printed the password as the file that could not be read.
    ["launch", "t.json", "--password", SECRET],
    ["launch", "t.json", f"--password={SECRET}"],
    ["status", "--password", SECRET, "mystack"],
    ["--password", SECRET, "launch", "t.json"],
    ["doctor", "--token", SECRET],
    ["status", "mystack", "--password-fi", SECRET],
    ["translate", "d.xml", "--secret", SECRET],
])
def test_a_secret_given_on_the_command_line_is_never_echoed(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert SECRET not in err
    assert "unrecognized" in err


def test_an_abbreviated_option_is_refused_with_the_subcommands_usage(
        capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["translate", "d.xml", "--out", "t.json"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: heat-deltacloud translate ")
    assert "unrecognized arguments: --out t.json" in err


def test_a_missing_secret_file_is_not_named(tmp_path, capsys, monkeypatch):
    # A path that names no file may be the secret itself.
    monkeypatch.setenv("DELTACLOUD_USERNAME", "u")
    monkeypatch.setenv("DELTACLOUD_PASSWORD", "p")
    template = tmp_path / "t.json"
    template.write_text('{"Resources": {}}')
    status = cli.main(["launch", str(template),
                       "--heat-cfn-url", "http://127.0.0.1:9",
                       "--callback-url", "http://127.0.0.1:9/hook",
                       "--callback-secret-file", SECRET])
    err = capsys.readouterr().err
    assert status == 1
    assert err == "heat-deltacloud: --callback-secret-file: no such file " \
        "(the value is not shown: give the path of a file holding the " \
        "secret, never the secret itself)\n"


@pytest.mark.parametrize("argv, shown", [
    (["--password", "x", "--user", "u"], ["--password", "***", "--user",
                                          "u"]),
    (["--api-key=abc", "--password-file", "f"], ["--api-key=***",
                                                 "--password-file", "f"]),
])
def test_redact(argv, shown):
    assert cli.redact(argv) == shown
