"""``heat-deltacloud-mock`` as a subprocess: first line, serving, signals,
users files."""

import json
import signal
import subprocess
import sys

import pytest
import requests

from heat_deltacloud.mock import cli

COMMAND = [sys.executable, "-m", "heat_deltacloud.mock.cli"]


def start(*args):
    return subprocess.Popen([*COMMAND, "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serves_until_signalled(tmp_path, signum):
    users = tmp_path / "users"
    users.write_text("# extra users\ncarol:c-pw:with-colon\n\n")
    process = start("--users", str(users), "--pending-polls", "1",
                    "--fix-user-data")
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        assert line.endswith("/api\n")
        url = line.split()[-1]
        auth = ("carol", "c-pw:with-colon")
        headers = {"Accept": "application/xml"}
        assert requests.get(f"{url}?force_auth=1", auth=auth,
                            headers=headers, timeout=5).status_code == 200
        api = requests.get(url, headers=headers, timeout=5).text
        assert 'name="user_data"' in api
        created = requests.post(f"{url}/instances", auth=auth,
                                headers=headers, data={"image_id": "img1"},
                                timeout=5)
        assert "<state>PENDING</state>" in created.text
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    assert "c-pw" not in process.stderr.read()


@pytest.mark.parametrize("content, users", [
    ('{"dave": "d-pw", "erin": "e:pw"}', {"dave": "d-pw", "erin": "e:pw"}),
    ("dave:d-pw\n  # comment\nerin:\n", {"dave": "d-pw", "erin": ""}),
])
def test_users_file_formats(tmp_path, content, users):
    path = tmp_path / "users"
    path.write_text(content)
    assert cli.read_users(path) == users


@pytest.mark.parametrize("content, message", [
    ("no-colon-here\n", "expected user:password"),
    (":pw\n", "expected user:password"),
    ('{"dave": 1}', "must map names to password strings"),
    ('{"dave": ', "not valid JSON"),
])
def test_bad_users_files_exit_2(tmp_path, content, message):
    path = tmp_path / "users"
    path.write_text(content)
    result = subprocess.run([*COMMAND, "--users", str(path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


USERS_FIX = 'give a file of user:password lines or a JSON object ' \
    '{"user": "password"}'


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "absent",
     "--users {path}: cannot read it (No such file or directory); "
     + USERS_FIX),
    (lambda d: d,
     "--users {path}: cannot read it (Is a directory); " + USERS_FIX),
    (lambda d: (d / "latin").write_bytes(b"\xff:pw\n") and d / "latin",
     "--users {path}: not UTF-8 text; " + USERS_FIX),
    (lambda d: (d / "json").write_text('{"a":\n 1,}') and d / "json",
     '{path}:2:4: not valid JSON (Expecting property name enclosed in '
     'double quotes); expected {"user": "password", ...}'),
])
def test_unusable_users_files_are_one_line(tmp_path, capsys, make,
                                            message):
    path = make(tmp_path)
    assert cli.main(["--users", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == \
        "heat-deltacloud-mock: " + message.replace("{path}", str(path)) + "\n"
    assert captured.out == ""


def test_a_malformed_host_is_one_line(capsys):
    # An empty label: refused before any name lookup (no DNS in tests).
    assert cli.main(["--host", "no..such"]) == 2
    assert capsys.readouterr().err == (
        "heat-deltacloud-mock: --host no..such: cannot resolve it (not a "
        "host name); give an address of this machine, such as 127.0.0.1\n")


def test_help_lists_every_option():
    text = cli.build_parser().format_help()
    for option in ("--host", "--port", "--users", "--state-delay",
                   "--pending-polls", "--fix-user-data"):
        assert option in text
    assert json.dumps(cli.build_parser().parse_args([]).host) == \
        '"127.0.0.1"'


def test_driver_option():
    assert cli.build_parser().parse_args([]).driver == "mock"
    assert cli.build_parser().parse_args(["--driver", "ec2"]).driver == \
        "ec2"
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["--driver", "nebula"])


def test_an_unknown_default_driver_is_refused():
    from heat_deltacloud.mock.wsgi import make_app
    with pytest.raises(ValueError, match="emulates mock, ec2"):
        make_app(driver="nebula")


@pytest.mark.parametrize("argv,message", [
    (["--port", "99999"], "argument --port: port 99999 is out of range: "
                          "use 0 to 65535 (0 picks a free one)"),
    (["--port", "http"], "argument --port: not a port number: 'http'; "
                         "use 0 to 65535 (0 picks a free one)"),
    (["--por", "3001"], "unrecognized arguments: --por 3001"),
    (["--state-delay", "-1"], "argument --state-delay: '-1' is not a "
                              "number of seconds: use 0 or more"),
    (["--state-delay", "nan"], "argument --state-delay: 'nan' is not a "
                               "number of seconds: use 0 or more"),
    (["--pending-polls", "-3"], "argument --pending-polls: '-3' is not a "
                                "count: use a whole number, 0 or more"),
    (["--guest-timeout", "0"], "argument --guest-timeout: '0' is not a "
                               "time limit: use more than 0 and at most "
                               "3600 seconds"),
])
def test_command_line_mistakes_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == f"heat-deltacloud-mock: error: {message}"


def test_a_port_in_use_is_one_line(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"heat-deltacloud-mock: cannot listen on "
                          f"127.0.0.1 port {port}: ")
    assert "choose another --port" in err and "Traceback" not in err
