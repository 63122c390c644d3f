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


@pytest.mark.parametrize("option, value, why", [
    ("--heat-cfn-url", "127.0.0.1:8000", "is not an http(s) URL with a "
                                         "host"),
    ("--heat-cfn-url", "http://127.0.0.1:99999", "Port out of range"),
    ("--deltacloud-url", "localhost/api", "is not an http(s) URL"),
    ("--callback-url", "hooks.example.com/x", "is not an http(s) URL"),
])
def test_a_bad_url_is_a_command_line_mistake(option, value, why, capsys):
    # Before: botocore's ValueError or urllib's "Port out of range" as a
    # traceback, or a callback URL found unusable only after the stack was
    # submitted.
    argv = ["status", "s"] if option != "--callback-url" else \
        ["launch", "t.json"]
    with pytest.raises(SystemExit) as exited:
        cli.main([*argv, option, value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"error: argument {option}: {value!r}" in err and why in err


def _with_stdout_closed(*argv, env=None):
    """Run the CLI with its standard output's reader gone (``| head``
    having exited); (exit status, stderr)."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "heat_deltacloud.cli", *argv],
            stdout=write, stderr=subprocess.PIPE, text=True, timeout=120,
            env=env)
    finally:
        os.close(write)
    return result.returncode, result.stderr


@pytest.mark.parametrize("argv", [
    ["translate", "examples/inventory/deployable.xml",
     "--mapping", "examples/inventory/mapping.json"],
    ["doctor", "--config-file", "/nonexistent/heat.conf"],
    ["--help"],
])
def test_a_closed_pipe_is_not_a_traceback(argv, monkeypatch):
    # Before: BrokenPipeError tracebacks (and "Exception ignored ... while
    # flushing sys.stdout").
    import pathlib

    monkeypatch.chdir(pathlib.Path(__file__).resolve().parents[2])
    status, err = _with_stdout_closed(*argv)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert "Exception ignored" not in err
    assert status in (0, 1, 141)


BLOCKER = """
import importlib.abc, sys
BLOCKED = set(sys.argv[1].split(","))
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Blocker())
from heat_deltacloud.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("blocked, argv, extra", [
    ("botocore,boto3", ["status", "s", "--heat-cfn-url",
                        "http://127.0.0.1:9"], "launch"),
    ("botocore,boto3", ["delete", "s", "--heat-cfn-url",
                        "http://127.0.0.1:9"], "launch"),
    ("oslo_service", ["launch", "examples/inventory/deployable.xml",
                      "--mapping", "examples/inventory/mapping.json"],
     "heat"),
])
def test_a_missing_optional_dependency_names_its_extra(blocked, argv, extra):
    # Before: a ModuleNotFoundError traceback (a plain `pip install
    # heat-deltacloud` has neither boto3 nor Heat).
    import os
    import pathlib
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DELTACLOUD_", "HEAT_"))}
    env.update(DELTACLOUD_USERNAME="u", DELTACLOUD_PASSWORD="p")
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER, blocked, *argv],
        capture_output=True, text=True, timeout=120, env=env,
        cwd=pathlib.Path(__file__).resolve().parents[2])
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    module = blocked.split(",")[0]
    assert line == (f"heat-deltacloud: {argv[0]} needs the Python module "
                    f"'{module}', which is not installed: pip install "
                    f"'heat-deltacloud[{extra}]'")


def test_every_argument_has_help_and_no_help_shows_markup():
    for parser in parsers():
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction,
                                   argparse._VersionAction,
                                   argparse._SubParsersAction)):
                continue
            assert action.help, f"{parser.prog} {action.dest}: no help"
        text = parser.format_help()
        assert "``" not in text and ":class:" not in text, parser.prog


@pytest.mark.parametrize("argv, message", [
    (["launch", "t.json", "--param", "nonsense"],
     "--param 'nonsense': expected KEY=VALUE"),
    (["launch", "t.json", "--mapping", "m.json"],
     "--mapping applies to deployables"),
    (["launch", "t.json", "--callback-secret-file", "s",
      "--heat-cfn-url", "http://127.0.0.1:9"],
     "--callback-secret-file needs --callback-url"),
    (["status", "s"], "give --heat-cfn-url"),
    (["reconcile"], "reconcile needs --heat-cfn-url and --deltacloud-url"),
    (["launch", "missing.yaml"], "missing.yaml: no such file"),
    (["validate", "missing.yaml"], "missing.yaml: no such file"),
    (["reconcile", "--heat-cfn-url", "http://127.0.0.1:9",
      "--deltacloud-url", "http://127.0.0.1:9/api", "--release-addresses"],
     "--release-addresses goes with --delete"),
    (["launch", "d.xml", "--mapping", "nomap.json"],
     "--mapping nomap.json: no such file"),
])
def test_command_line_mistakes_exit_2(argv, message, tmp_path, capsys,
                                      monkeypatch):
    # Before: exit status 1, as for a failed stack.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DELTACLOUD_USERNAME", "u")
    monkeypatch.setenv("DELTACLOUD_PASSWORD", "p")
    for name in ("HEAT_CFN_URL", "DELTACLOUD_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "t.json").write_text('{"Resources": {}}')
    (tmp_path / "d.xml").write_text("<deployable/>")
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"heat-deltacloud {argv[0]}: error: ")
    assert message in err


@pytest.mark.parametrize("argv", [
    ["launch", "t.json", "--timeout", "-5"],
    ["status", "s", "--timeout", "nan"],
    ["delete", "s", "--timeout", "0"],
    ["launch", "t.json", "--timeout", "soon"],
])
def test_a_timeout_is_a_positive_number_of_seconds(argv, capsys):
    # Before: -5 and 0 were accepted (the launch gave up at its first
    # poll), nan never timed out.
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    [*_, error] = capsys.readouterr().err.splitlines()
    assert error == (f"heat-deltacloud {argv[0]}: error: argument "
                     f"--timeout: {argv[-1]!r} is not a number of seconds "
                     "greater than 0 (e.g. 600)")
