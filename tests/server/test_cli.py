"""``heat-deltacloud-server`` as an operator runs it: options, a config
file, one-line errors, ``listening on URL/api``, SIGTERM."""

import signal
import subprocess
import sys
import threading

import pytest
import requests

SERVER = [sys.executable, "-m", "heat_deltacloud.server.cli"]


def _start(*args):
    return subprocess.Popen([*SERVER, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _url(process, timeout=60):
    """The URL of the ``listening on`` line, read with a bound."""
    line = []
    reader = threading.Thread(
        target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert line and line[0].startswith("listening on http://127.0.0.1:"), \
        (line, process.poll())
    return line[0].split()[-1]


def _stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def test_serves_ec2_on_moto_with_options(moto):
    process = _start("--driver", "libcloud:ec2", "--region", "us-east-1",
                     "--endpoint", moto.endpoint, "--port", "0")
    try:
        url = _url(process)
        assert url.endswith("/api")
        realms = requests.get(f"{url}/realms", auth=("AKIDCLI", "cli-secret"),
                              headers={"Accept": "application/json"},
                              timeout=30)
        assert realms.status_code == 200
        assert realms.json()["realms"][0]["id"] == "us-east-1a"
    finally:
        assert _stop(process) == 0
    log = process.stderr.read()
    assert "GET /api/realms 200" in log and "key=AKIDCLI" in log
    assert "cli-secret" not in log


def test_config_file_with_the_command_line_winning(tmp_path, moto):
    config = tmp_path / "server.ini"
    config.write_text(f"[server]\ndriver = libcloud:ec2\n"
                      f"region = us-west-2\nendpoint = {moto.endpoint}\n"
                      f"port = 0\ntimeout = 20\n")
    process = _start("--config", str(config), "--region", "eu-west-1",
                     "--quiet")
    try:
        url = _url(process)
        realms = requests.get(f"{url}/realms", auth=("AKIDCLI", "x"),
                              headers={"Accept": "application/xml"},
                              timeout=30)
        assert "eu-west-1a" in realms.text
    finally:
        assert _stop(process) == 0


def test_mock_driver_is_the_mock():
    process = _start("--driver", "mock", "--port", "0", "--quiet")
    try:
        url = _url(process)
        answer = requests.get(f"{url}/realms", auth=("mockuser",
                                                     "mockpassword"),
                              headers={"Accept": "application/xml"},
                              timeout=30)
        assert answer.status_code == 200
        assert answer.headers["X-Deltacloud-Driver"] == "mock"
    finally:
        assert _stop(process) == 0


@pytest.mark.parametrize("args, message", [
    (["--driver", "ec2"], "--driver must be 'mock' or "
                          "'libcloud:<provider>'"),
    (["--driver", "libcloud:ec2"], "--region is required for libcloud:ec2 "
                                   "(e.g. us-east-1)"),
    (["--driver", "libcloud:ec2", "--region", "mars-1"],
     "unknown region 'mars-1'"),
    (["--driver", "libcloud:nosuch"], "libcloud has no compute provider"),
    (["--driver", "libcloud:ec2", "--region", "us-east-1", "--endpoint",
      "ftp://x"], "--endpoint must be an http(s) URL"),
    (["--driver", "mock,libcloud:ec2"], "--driver takes mock, "
                                         "libcloud:<provider> or "
                                         "libcloud:<provider>,mock"),
    (["--driver", "libcloud:ec2,openstack", "--region", "us-east-1"],
     "not 'libcloud:ec2,openstack'"),
    ([], "no driver: give --driver"),
    (["--config", "/nonexistent/server.ini"], "cannot read --config"),
])
def test_bad_input_is_one_line(args, message, capsys):
    from heat_deltacloud.server import cli
    assert cli.main([*args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1, err


def test_unknown_config_key(tmp_path, capsys):
    from heat_deltacloud.server import cli
    config = tmp_path / "server.ini"
    config.write_text("[server]\ndriver = mock\nthreds = 4\n")
    assert cli.main(["--config", str(config), "--quiet"]) == 2
    assert "unknown key 'threds' in [server]" in capsys.readouterr().err
