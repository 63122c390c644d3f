"""The mock's access log: one Common Log Format line per request, over
real HTTP, and never a credential."""

import io
import re
import signal
import socket
import subprocess
import sys

import pytest
import requests
from support import wait_for

from heat_deltacloud.mock import cli
from heat_deltacloud.mock.server import MockServer

COMMAND = [sys.executable, "-m", "heat_deltacloud.mock.cli", "--port", "0"]
SECRET = "mockpassword"
XML = {"Accept": "application/xml"}
#: host ident user [time] "request" status size
CLF = re.compile(r'^(?P<host>\S+) - (?P<user>\S+) '
                 r'\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
                 r'"(?P<request>[^"]*)" (?P<status>\d{3}|-) '
                 r'(?P<size>\d+|-)$')


def entries(text):
    lines = text.splitlines()
    found = [CLF.match(line) for line in lines]
    assert all(found), lines
    return [m.groupdict() for m in found]


def logged_entries(stream, count):
    """The ``count`` entries of ``stream`` once all are written: a line is
    written when the server closes the answer's body, after the client has
    it, so two answers may be logged in either order."""
    wait_for(lambda: len(stream.getvalue().splitlines()) >= count,
             timeout=10, interval=0.01, what=f"{count} log lines")
    found = entries(stream.getvalue())
    assert len(found) == count, found
    return found


def by_request(found):
    return {entry["request"]: entry for entry in found}


@pytest.fixture
def logged():
    stream = io.StringIO()
    with MockServer(access_log=stream) as server:
        yield server, stream


def test_one_line_per_request_with_status_and_size(logged):
    server, stream = logged
    auth = ("mockuser", SECRET)
    listing = requests.get(f"{server.url}/instances",
                           params={"format": "xml"}, auth=auth, timeout=10)
    refused = requests.get(f"{server.url}/instances", headers=XML,
                           auth=("mockuser", "wrong"), timeout=10)
    head = requests.head(f"{server.url}/instances", auth=auth, timeout=10,
                         headers=XML)
    found = by_request(logged_entries(stream, 3))
    first = found["GET /api/instances?format=xml HTTP/1.1"]
    assert first == {"host": "127.0.0.1", "user": "mockuser",
                     "request": "GET /api/instances?format=xml HTTP/1.1",
                     "status": "200", "size": str(len(listing.content))}
    second = found["GET /api/instances HTTP/1.1"]
    assert (second["status"], second["size"]) == (
        str(refused.status_code), str(len(refused.content)))
    assert refused.status_code == 401
    third = found["HEAD /api/instances HTTP/1.1"]
    assert (third["status"], third["size"]) == (str(head.status_code), "-")


def test_no_credentials_in_the_log(logged):
    server, stream = logged
    auth = ("mockuser", SECRET)
    requests.get(f"{server.url}/instances", auth=auth, timeout=10, params={
        "password": "QueryPw-1", "api[secret_key]": "QuerySk-2",
        "X-Auth-Token": "QueryTok-3", "Signature": "QuerySig-4",
        "state": "RUNNING"})
    requests.post(f"{server.url}/keys", auth=auth, timeout=10,
                  data={"name": "k1"}, headers=XML)
    # No colon: the whole Basic value might be a secret.
    requests.get(server.url, timeout=10, headers={
        "Authorization": "Basic TG9uZVNlY3JldC01"})  # LoneSecret-5
    found = by_request(logged_entries(stream, 3))
    text = stream.getvalue()
    for secret in (SECRET, "QueryPw-1", "QuerySk-2", "QueryTok-3",
                   "QuerySig-4", "LoneSecret-5", "TG9uZVNlY3JldC01",
                   "Basic"):
        assert secret not in text
    assert found[
        "GET /api/instances?password=***&api%5Bsecret_key%5D=***&"
        "X-Auth-Token=***&Signature=***&state=RUNNING HTTP/1.1"][
        "user"] == "mockuser"
    assert found["POST /api/keys HTTP/1.1"]["status"] == "201"
    assert found["GET /api HTTP/1.1"]["user"] == "-"


def test_a_request_cannot_forge_log_lines(logged):
    """Raw control characters and quotes in the target and the user name
    are escaped: one request, one line."""
    server, stream = logged
    user = "eve\n127.0.0.1 - admin"
    token = __import__("base64").b64encode(f'{user}:x'.encode()).decode()
    with socket.create_connection(("127.0.0.1", server.port),
                                  timeout=10) as sock:
        sock.sendall(b'GET /api/x"y\x1b[31m HTTP/1.1\r\nHost: h\r\n'
                     b"Authorization: Basic " + token.encode()
                     + b"\r\nConnection: close\r\n\r\n")
        while sock.recv(4096):
            pass
    [entry] = logged_entries(stream, 1)
    assert entry["user"] == "eve\\x0a127.0.0.1\\x20-\\x20admin"
    assert entry["request"] == "GET /api/x\\x22y\\x1b[31m HTTP/1.1"


def test_a_failing_stream_is_reported_once_and_serving_goes_on():
    class Broken(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    errors = []
    with MockServer(access_log=Broken(), on_log_error=errors.append) \
            as server:
        for _ in range(3):
            assert requests.get(server.url, timeout=10, headers={
                "Accept": "application/xml"}).status_code == 200
    assert [type(e) for e in errors] == [BrokenPipeError]


def test_restart_keeps_logging(logged):
    server, stream = logged
    requests.get(server.url, timeout=10)
    server.restart()
    requests.get(server.url, timeout=10)
    assert len(logged_entries(stream, 2)) == 2


# -- the command line --------------------------------------------------------

def serve(*args):
    process = subprocess.Popen([*COMMAND, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert line.startswith("listening on "), process.stderr.read()
    return process, line.split()[-1]


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def test_cli_appends_to_a_file(tmp_path):
    path = tmp_path / "access.log"
    path.write_text("earlier line\n")
    process, url = serve("--access-log", str(path))
    try:
        requests.get(f"{url}/realms", auth=("mockuser", SECRET), timeout=10)
    finally:
        stop(process)
    earlier, line = path.read_text().splitlines()
    assert earlier == "earlier line"
    [entry] = entries(line)
    assert entry["request"] == "GET /api/realms HTTP/1.1"
    assert entry["user"] == "mockuser"
    assert SECRET not in process.stderr.read()


def test_cli_logs_to_stderr_without_a_file():
    process, url = serve("--access-log")
    try:
        requests.get(url, timeout=10)
    finally:
        stop(process)
    [entry] = entries(process.stderr.read())
    assert entry["request"] == "GET /api HTTP/1.1"
    assert process.stdout.read() == ""


def test_an_unwritable_log_file_is_a_one_line_error(tmp_path, capsys):
    assert cli.main(["--access-log", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert err == (f"heat-deltacloud-mock: --access-log: cannot open "
                   f"{tmp_path}: Is a directory\n")
    assert out == ""
