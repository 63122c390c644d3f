"""Guest mode over real HTTP on 127.0.0.1: user data booted on this host
the way cloud-init would, with heat-cfntools' real scripts rebased into
each instance's directory.  Every wait is bounded; assertions are on
final states."""

import base64
import email.mime.multipart
import email.mime.text
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest
import requests

from heat_deltacloud.mock.server import MockServer
from support import loopback_server

MOCK = ("mockuser", "mockpassword")
JSON = {"Accept": "application/json"}
#: Host files heat-cfntools writes on a real instance: untouched here.
HOST_FILES = ("/var/log/cfn-signal.log", "/var/log/cfn-init.log",
              "/var/log/cfn-get-metadata.log", "/var/lib/heat-cfntools",
              "/var/lib/heat-cfntools/nova_meta.json",
              "/var/lib/heat-cfntools/cfn-init-data",
              "/var/cache/heat-cfntools", "/etc/cfn")

needs_cfntools = pytest.mark.skipif(
    not (pathlib.Path(sys.executable).parent / "cfn-signal").is_file() or
    shutil.which("curl") is None,
    reason="needs heat-cfntools (the 'guest' extra) and curl")


@pytest.fixture(scope="module")
def guest_server():
    with MockServer(guest=True, guest_timeout=30) as server:
        yield server


@pytest.fixture
def guest(guest_server):
    guest_server.reset()
    yield guest_server


def control(mock):
    return mock.url[:-len("/api")] + "/_mock"


def create(mock, user_data):
    """A new instance with ``user_data`` (str or bytes) as Heat sends it."""
    raw = user_data.encode() if isinstance(user_data, str) else user_data
    response = requests.post(
        f"{mock.url}/instances", auth=MOCK, headers=JSON, timeout=5,
        data={"image_id": "img1",
              "user_data": base64.b64encode(raw).decode()})
    assert response.status_code == 201, response.text
    return response.json()["instance"]["id"]


def destroy(mock, ident):
    for path, status in ((f"{ident}/stop", 202), (ident, 204)):
        method = requests.post if path.endswith("stop") else requests.delete
        assert method(f"{mock.url}/instances/{path}", auth=MOCK,
                      headers=JSON, timeout=5).status_code == status


def until(predicate, timeout=10.0):
    """``predicate()``'s first true value within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
    return value


def gone(pid):
    """The process no longer runs (absent, or a zombie awaiting init)."""
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().split(")")[-1]
    except FileNotFoundError:
        return True
    return state.split()[0] in ("Z", "X")


def host_snapshot():
    return {path: (os.stat(path).st_mtime_ns if os.path.exists(path)
                   else None) for path in HOST_FILES}


def heat_user_data(metadata, user_data, metadata_server):
    """Heat's HEAT_CFNTOOLS multipart: Heat's own builder when installed,
    else the same parts built the same way (heat-signals.md section 10)."""
    try:
        from heat.engine.clients.os.nova import NovaClientPlugin
    except ImportError:
        return _heat_like_user_data(metadata, user_data, metadata_server)

    class Heat:
        def get_cfn_metadata_server_url(self):
            return metadata_server

    class Clients:
        def client_plugin(self, name):
            return Heat()

    class Plugin:
        context = type("Context", (), {"clients": Clients()})()

    return NovaClientPlugin.build_userdata(Plugin(), metadata, user_data)


def _heat_like_user_data(metadata, user_data, metadata_server):
    host = metadata_server.split("/")[2].split(":")[0]
    parts = [("#cloud-config\n", "cloud-config", "cloud-config"),
             ("#!/bin/bash\nexit 0\n", "boothook.sh", "cloud-boothook"),
             ("#part-handler\n", "part-handler.py", "part-handler"),
             (user_data, "cfn-userdata", "x-cfninitdata"),
             ("#!/usr/bin/env python3\nraise SystemExit(1)\n",
              "loguserdata.py", "x-shellscript"),
             (json.dumps(metadata), "cfn-init-data", "x-cfninitdata"),
             (metadata_server, "cfn-metadata-server", "x-cfninitdata"),
             ("[Boto]\ndebug = 0\nis_secure = 0\n"
              "https_validate_certificates = 1\ncfn_region_name = heat\n"
              f"cfn_region_endpoint = {host}", "cfn-boto-cfg",
              "x-cfninitdata")]
    subparts = []
    for content, filename, subtype in parts:
        part = email.mime.text.MIMEText(content, _subtype=subtype)
        part.add_header("Content-Disposition", "attachment",
                        filename=filename)
        subparts.append(part)
    return email.mime.multipart.MIMEMultipart(
        _subparts=subparts).as_string()


@pytest.fixture
def signal_sink():
    """A local HTTP server recording PUTs: 200, or 403 under /forbidden."""
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):
            length = int(self.headers.get("Content-Length", 0))
            received.append({"path": self.path,
                             "content_type": self.headers.get(
                                 "Content-Type"),
                             "body": self.rfile.read(length)})
            status = 403 if self.path.startswith("/forbidden") else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    with loopback_server(Handler) as server:
        yield f"http://127.0.0.1:{server.server_port}", received


# -- off by default -----------------------------------------------------------

def test_guest_mode_is_off_by_default(deltacloud_mock, tmp_path):
    marker = tmp_path / "ran"
    ident = create(deltacloud_mock, f"#!/bin/sh\ntouch {marker}\n")
    assert deltacloud_mock.guest_status() == {
        "available": False, "enabled": False, "timeout": 300.0,
        "root": None, "boots": {}}
    assert deltacloud_mock.guest_console(ident) == {
        "instance_id": ident, "status": "not_started"}
    switched = requests.post(f"{control(deltacloud_mock)}/guest",
                             json={"enabled": True}, timeout=5)
    assert switched.status_code == 403
    assert "not enabled at start" in switched.json()["error"]
    assert not marker.exists()


def test_guest_mode_serves_loopback_only():
    with pytest.raises(ValueError, match="loopback only, not 0.0.0.0"):
        MockServer("0.0.0.0", guest=True)  # noqa: S104 - never bound


# -- plain scripts ------------------------------------------------------------

def test_a_plain_script_runs_with_its_output_and_exit_status(guest):
    ident = create(guest, "#!/bin/sh\necho \"hello from $PWD\"\n"
                          "test \"$HOME\" = \"$PWD\" && echo home-ok\n"
                          "command -v cfn-signal\nexit 3\n")
    record = guest.wait_guest(ident, timeout=20)
    root = record["root"]
    assert (record["status"], record["exit_status"]) == ("finished", 3)
    assert record["scripts"] == [{"name": "part-000", "exit_status": 3}]
    assert f"hello from {root}\nhome-ok\n{root}/opt/aws/bin/cfn-signal\n" \
        in record["output"]
    assert root.startswith(guest.guest_status()["root"] + "/")
    over_http = requests.get(f"{control(guest)}/instances/{ident}/console",
                             timeout=5).json()
    assert over_http == record
    assert guest.guest_status()["boots"] == {ident: "finished"}


def test_a_script_without_shebang_runs_with_sh_and_reboots_do_not_rerun(
        guest):
    ident = create(guest, "Content-Type: text/x-shellscript\n\n"
                          "echo \"$0\" > ran-by\nexit 0\n")
    record = guest.wait_guest(ident, timeout=20)
    assert record["exit_status"] == 0
    ran_by = pathlib.Path(record["root"], "ran-by").read_text()
    assert ran_by.endswith("/var/lib/cloud/instance/scripts/part-000\n")
    assert requests.post(f"{guest.url}/instances/{ident}/reboot", auth=MOCK,
                         headers=JSON, timeout=5).status_code == 202
    assert guest.guest_console(ident)["started"] == record["started"]


def test_pausing_guest_mode_over_http(guest):
    paused = requests.post(f"{control(guest)}/guest",
                           json={"enabled": False}, timeout=5).json()
    assert (paused["available"], paused["enabled"]) == (True, False)
    ident = create(guest, "#!/bin/sh\nexit 0\n")
    assert guest.guest_console(ident)["status"] == "not_started"
    bad = requests.post(f"{control(guest)}/guest", json={"timeout": "x"},
                        timeout=5)
    assert bad.status_code == 400
    guest.reset()  # back to the server's start: on
    assert requests.get(f"{control(guest)}/guest",
                        timeout=5).json()["enabled"] is True


# -- Heat's user data and heat-cfntools ---------------------------------------

@needs_cfntools
def test_heat_user_data_writes_cfninitdata_and_runs_cfn_userdata(guest):
    metadata = {"AWS::CloudFormation::Init": {"config": {
        "files": {"/etc/hello/motd": {"content": "hi from cfn-init\n"}},
        "packages": {"yum": {"httpd": []}}}}}
    script = ("#!/bin/sh\nset -e\necho cfn-userdata ran\n"
              "cfn-init -s mystack -r Server\n"
              "cfn-get-metadata -s mystack -r Server "
              "-k AWS::CloudFormation::Init.config.files\n")
    before = host_snapshot()
    ident = create(guest, heat_user_data(
        metadata, script, "http://127.0.0.1:8000/v1/"))
    record = guest.wait_guest(ident, timeout=30)
    root = pathlib.Path(record["root"])
    state = root / "var/lib/heat-cfntools"
    assert (record["status"], record["exit_status"]) == ("finished", 0), \
        record["output"]
    assert record["scripts"] == [{"name": "cfn-userdata", "exit_status": 0}]
    assert [note.split(":")[0] for note in record["skipped"]] == [
        "text/cloud-config cloud-config",
        "text/cloud-boothook boothook.sh",
        "text/part-handler part-handler.py"]
    assert (state / "cfn-userdata").read_text() == script
    assert json.loads((state / "cfn-init-data").read_text()) == metadata
    assert (state / "cfn-metadata-server").read_text() == \
        "http://127.0.0.1:8000/v1/"
    assert "cfn_region_endpoint = 127.0.0.1" in \
        (state / "cfn-boto-cfg").read_text()
    assert json.loads((state / "nova_meta.json").read_text()) == {
        "uuid": ident}
    assert (state / "provision-finished").exists()
    assert "cfn-userdata ran" in record["output"]
    assert "packages skipped (guest mode does not change the host)" in \
        record["output"]
    assert (root / "etc/hello/motd").read_text() == "hi from cfn-init\n"
    assert '{"/etc/hello/motd": {"content": "hi from cfn-init\\n"}}' in \
        record["output"]
    assert (root / "var/log/cfn-init.log").exists()
    assert host_snapshot() == before


@needs_cfntools
def test_cfn_signal_from_a_guest_reaches_a_local_server(guest, signal_sink):
    sink, received = signal_sink
    url = f"{sink}/v1/waitcondition/arn%3Aopenstack%3Aheat/h?Signature=s3"
    before = host_snapshot()
    ident = create(guest, f"#!/bin/sh\ncfn-signal -e 0 -r done -d data "
                          f"'{url}'\ncfn-signal -e 1 '{sink}/forbidden'\n")
    record = guest.wait_guest(ident, timeout=30)
    assert (record["status"], record["exit_status"]) == ("finished", 0), \
        record["output"]
    first, second = received
    assert first["path"] == "/v1/waitcondition/arn%3Aopenstack%3Aheat/h" \
                            "?Signature=s3"
    assert first["content_type"] is None  # cfn-signal's -H 'Content-Type:'
    assert json.loads(first["body"]) == {
        "Status": "SUCCESS", "Reason": "done", "UniqueId": ident,
        "Data": "data"}
    assert json.loads(second["body"])["Status"] == "FAILURE"
    assert record["signals"] == [
        {"url": f"{sink}/v1/waitcondition/arn%3Aopenstack%3Aheat/h",
         "http_status": 200, "curl_exit": 0},
        {"url": f"{sink}/forbidden", "http_status": 403, "curl_exit": 0}]
    assert "Signature" not in "".join(
        line for line in record["output"].splitlines()
        if line.startswith(("cfn-signal:", "[guest]")))
    log = pathlib.Path(record["root"], "var/log/cfn-signal.log")
    assert f"id: {ident}" in log.read_text()
    assert host_snapshot() == before


# -- refusals, timeouts, kills ------------------------------------------------

@pytest.mark.parametrize("make, why", [
    (lambda: "#!/bin/sh\ntouch ran\ncurl -X PUT "
             "http://203.0.113.5/x?Signature=s\n",
     "part-000 has a URL to '203.0.113.5', not loopback"),
    (lambda: heat_user_data({}, "#!/bin/sh\ntouch ran\n",
                            "http://heat.example.com:8000/v1/"),
     "cfn-metadata-server points at 'heat.example.com', not loopback"),
    (lambda: heat_user_data({}, "#!/bin/sh\ntouch ran\ncfn-signal "
                                "'https://[2001:db8::1]/v1/waitcondition/x'\n",
                            "http://localhost:8000/v1/"),
     "cfn-userdata has a URL to '2001:db8::1', not loopback"),
], ids=["script", "metadata-server", "cfn-userdata"])
def test_user_data_pointing_off_loopback_is_refused(guest, make, why):
    ident = create(guest, make())
    record = guest.wait_guest(ident, timeout=20)
    assert (record["status"], record["message"]) == ("refused", why)
    assert (record["scripts"], record["root"]) == ([], None)
    assert f"[guest] refused: {why}; nothing run\n" in record["output"]
    assert "Signature" not in record["output"]


def test_a_boot_past_its_timeout_is_killed(guest):
    guest.set_guest(timeout=1)
    ident = create(guest, "#!/bin/sh\necho before\nsleep 30 &\n"
                          "echo $! > sleeper.pid\nwait\necho after\n")
    record = guest.wait_guest(ident, timeout=20)
    assert (record["status"], record["message"]) == (
        "timed_out", "killed after 1 s")
    assert record["scripts"] == [{"name": "part-000", "exit_status": None}]
    assert "before\n" in record["output"]
    assert "after" not in record["output"]
    pid = int(pathlib.Path(record["root"], "sleeper.pid").read_text())
    until(lambda: gone(pid))


def test_destroying_an_instance_kills_its_boot_and_removes_its_files(
        guest):
    ident = create(guest, "#!/bin/sh\nsleep 30 &\necho $! > sleeper.pid\n"
                          "wait\n")
    root = until(lambda: guest.guest_console(ident)["root"])
    pid_file = pathlib.Path(root, "sleeper.pid")
    pid = int(until(lambda: pid_file.exists() and pid_file.read_text()))
    destroy(guest, ident)
    missing = requests.get(f"{control(guest)}/instances/{ident}/console",
                           timeout=5)
    assert missing.status_code == 404
    until(lambda: gone(pid))
    until(lambda: not os.path.exists(root))
    assert guest.guest_status()["boots"] == {}


def test_stopping_the_server_kills_boots_and_removes_the_guest_root():
    with MockServer(guest=True) as server:
        ident = create(server, "#!/bin/sh\nsleep 30 &\n"
                               "echo $! > sleeper.pid\nwait\n")
        root = until(lambda: server.guest_console(ident)["root"])
        pid_file = pathlib.Path(root, "sleeper.pid")
        pid = int(until(lambda: pid_file.exists() and pid_file.read_text()))
        guest_root = server.guest_status()["root"]
    assert not os.path.exists(guest_root)
    until(lambda: gone(pid))


def test_reset_clears_boots_and_their_files(guest):
    ident = create(guest, "#!/bin/sh\nexit 0\n")
    root = guest.wait_guest(ident, timeout=20)["root"]
    guest.reset()
    assert guest.guest_status()["boots"] == {}
    until(lambda: not os.path.exists(root))


def test_wait_guest_is_bounded(guest):
    with pytest.raises(TimeoutError, match="still not_started after 0.2 s"):
        guest.wait_guest("inst0", timeout=0.2)


# -- the command --------------------------------------------------------------

def test_the_command_line_switch(tmp_path):
    command = [sys.executable, "-m", "heat_deltacloud.mock.cli", "--port",
               "0", "--guest", "--guest-timeout", "20"]
    refused = subprocess.run([*command, "--host", "0.0.0.0"],  # noqa: S104
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2
    assert "loopback only" in refused.stderr
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split()[-1]
        server = type("Server", (), {"url": url})()
        ident = create(server, "#!/bin/sh\necho from the command\n")
        console = f"{control(server)}/instances/{ident}/console"
        record = until(lambda: (r := requests.get(console, timeout=5)
                                .json())["status"] == "finished" and r)
        assert "from the command\n" in record["output"]
        assert requests.get(f"{control(server)}/guest",
                            timeout=5).json()["timeout"] == 20
        process.terminate()
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    assert "guest mode" in process.stderr.read()
    assert not os.path.exists(record["root"])
