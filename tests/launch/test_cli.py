"""``heat-deltacloud launch | status | events | delete`` as a user runs them.

The embedded runs are the README's main job, through a pipe and through a
real pseudo-terminal; the remote ones talk to heat-api-cfn and the mock
served by this test process.
"""

import json
import os
import pathlib
import pty
import select
import subprocess
import sys

import pytest

from heat_deltacloud.launch import Credentials, HeatCfn, Launcher

from .conftest import PASSWORD, USER
from .test_end_to_end import FIVE_SERVERS

pytestmark = [pytest.mark.heat]

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: No credentials or URLs from the developer's environment.
ENV = {k: v for k, v in os.environ.items()
       if not k.startswith(("DELTACLOUD_", "HEAT_"))}


def main_job_arguments():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import dev
        return dev.DEMO
    finally:
        sys.path.pop(0)


def cli(*args, timeout=300, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "heat_deltacloud.cli", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env=ENV, **kwargs)


def run_in_pty(args, timeout=300):
    """Run the CLI on a pseudo-terminal; (exit status, all output)."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "heat_deltacloud.cli", *args],
        stdin=child, stdout=child, stderr=child, cwd=ROOT, env=ENV,
        close_fds=True)
    os.close(child)
    output = b""
    try:
        while True:
            ready, _, _ = select.select([main], [], [], timeout)
            if not ready:
                raise TimeoutError(output.decode(errors="replace"))
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(main)
        status = process.wait(timeout)
    return status, output.decode()


@pytest.mark.slow
def test_main_job_through_a_pipe_prints_plain_lines():
    result = cli("launch", *main_job_arguments())
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    # The seconds Heat takes to start are announced, not silent.
    assert out.startswith("starting Heat 27 in this process (a few "
                          "seconds)...\nembedded mode: ")
    assert "(the mock, in guest mode: instances' user data runs on this " \
        "host)" in out
    assert "stack Inventory-three-tiers: CREATE_COMPLETE" in out
    assert "[9/9]" in out
    lines = out.splitlines()

    def first(text):
        return next(i for i, line in enumerate(lines) if text in line)
    # Tier by tier: each instance after the wait condition it reads.
    assert first("DbWaitCondition      CREATE_COMPLETE") < \
        first("App                  CREATE_IN_PROGRESS")
    assert first("AppWaitCondition     CREATE_COMPLETE") < \
        first("Web                  CREATE_IN_PROGRESS")
    assert "DbWaitHandle         SIGNAL_COMPLETE  Signal: status:SUCCESS " \
        "reason:all services completed, fact db_password" in out
    assert "instance Db inst" in out and "public img2.inst" in out
    [db_facts] = [json.loads(line.split(" = ", 1)[1]) for line in lines
                  if line.startswith("  output DbFacts = ")]
    assert db_facts["db_port"] == "5432"
    assert '  output WebFacts = {"upstream": "http://img1.' in out
    assert "  guest App (finished, exit status 0):\n    api: listening on " \
        "port 8080" in out
    assert "stack Inventory-three-tiers: DELETE_COMPLETE; left behind: 0" \
        in out
    assert "\r" not in out and "\x1b" not in out
    assert "mockpassword" not in out + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_main_job_on_a_terminal_shows_a_progress_bar():
    status, out = run_in_pty(["launch", *main_job_arguments()])
    assert status == 0, out
    assert "\r\x1b[K[####################] 9/9 resources" in out
    assert "CREATE_COMPLETE" in out
    # Event lines carry no counter on a terminal: the bar shows it.
    assert "[1/9]" not in out
    assert "left behind: 0" in out


def test_bad_parameter_is_a_one_line_error():
    result = cli("launch", "examples/wordpress/deployable.xml",
                 "--param", "nonsense", timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "heat-deltacloud launch: error: --param 'nonsense': expected "
        "KEY=VALUE")


@pytest.mark.parametrize("command", ["status", "events", "delete"])
def test_stack_commands_need_a_heat(command):
    result = cli(command, "wordpress", timeout=120)
    assert result.returncode == 2
    assert "give --heat-cfn-url (or $HEAT_CFN_URL)" in result.stderr


def remote(services, password_file):
    return ["--heat-cfn-url", services.heat_cfn_url,
            "--deltacloud-url", services.deltacloud_url,
            "--user", USER, "--password-file", str(password_file)]


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return path


@pytest.mark.slow
def test_failed_launch_exits_non_zero_with_the_reason(services,
                                                      password_file,
                                                      tmp_path):
    template = tmp_path / "five.json"
    template.write_text(json.dumps(FIVE_SERVERS))
    services.mock.add_fault("POST", "/api/instances", status=500,
                            message="no capacity left in this realm")
    result = cli("launch", str(template), "--name", "cli-fails",
                 *remote(services, password_file))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "stack cli-fails: CREATE_FAILED" in result.stdout
    assert "no capacity left in this realm" in result.stdout
    # The delete command repeats the options given (never a password).
    assert f"delete it with: heat-deltacloud delete cli-fails " \
        f"--heat-cfn-url {services.heat_cfn_url} --deltacloud-url " \
        f"{services.deltacloud_url} --user {USER} --password-file " \
        f"{password_file}\n" in result.stdout
    # A failed stack's outputs mean nothing: none is printed.
    assert "  output " not in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    services.mock.clear_faults()
    result = cli("delete", "cli-fails", *remote(services, password_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DELETE_COMPLETE; left behind: 0" in result.stdout


@pytest.mark.slow
def test_a_rolled_back_launch_ends_with_the_failure(services, password_file,
                                                    tmp_path):
    # Before: the watcher waited for CREATE_* only and polled a
    # ROLLBACK_COMPLETE stack until --timeout (a FollowTimeout here).
    template = tmp_path / "five.json"
    template.write_text(json.dumps(FIVE_SERVERS))
    services.mock.add_fault("POST", "/api/instances", status=500,
                            message="no capacity left in this realm")
    result = cli("launch", str(template), "--name", "cli-rollback",
                 "--rollback", "--timeout", "100",
                 *remote(services, password_file))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "stack cli-rollback: ROLLBACK_COMPLETE" in result.stdout
    assert "still" not in result.stderr
    assert "no capacity left in this realm" in result.stdout
    services.mock.clear_faults()
    result = cli("delete", "cli-rollback", *remote(services, password_file))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_status_events_and_delete_of_a_running_stack(services,
                                                     password_file):
    heat = HeatCfn(services.heat_cfn_url, Credentials(USER, PASSWORD),
                   services.deltacloud_url)
    assert Launcher(heat).launch("cli-stack", FIVE_SERVERS).ok

    status = cli("status", "cli-stack", *remote(services, password_file))
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("stack cli-stack: CREATE_COMPLETE")
    assert status.stdout.count("AWS::EC2::Instance  public img1.inst") == 5

    events = cli("events", "cli-stack", *remote(services, password_file))
    assert events.returncode == 0, events.stderr
    assert events.stdout.count("CREATE_COMPLETE") == 6  # 5 + the stack

    deleted = cli("delete", "cli-stack", *remote(services, password_file))
    assert deleted.returncode == 0, deleted.stderr
    assert "stack cli-stack: DELETE_COMPLETE; left behind: 0" in \
        deleted.stdout
    assert not [i for i in services.mock.all_instances()
                if i["owner"] == USER]

    gone = cli("status", "cli-stack", *remote(services, password_file))
    assert gone.returncode == 1
    assert gone.stderr == (
        f"heat-deltacloud: no stack 'cli-stack' for user {USER} at "
        f"{services.heat_cfn_url}: check the name or id (stacks are per "
        "user; an embedded launch's stack ends with it)\n")
    for result in (status, events, deleted, gone):
        assert PASSWORD not in result.stdout + result.stderr


# -- deployables whose services fail or never end (guest mode) --------------

MOCK_MAPPING = {"hardware_profiles": {"small": "m1-small"},
                "images": {"base": "img1"}}


def _deployable(tmp_path, document):
    path = tmp_path / "deployable.xml"
    path.write_bytes(document)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MOCK_MAPPING))
    return [str(path), "--mapping", str(mapping)]


@pytest.mark.slow
def test_a_failing_service_fails_the_launch_with_its_reason(tmp_path):
    from .test_guest import FAILING

    result = cli("launch", *_deployable(tmp_path, FAILING))
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "stack failing: CREATE_FAILED" in out
    assert "  failed: BoxWaitCondition (AWS::CloudFormation::WaitCondition):" \
        in out
    assert "service broken exited with status 3" in out
    assert "  guest Box (finished, exit status 1):\n    setting up\n" \
        "    broken: no such thing\n" in out
    assert "DELETE_COMPLETE; left behind: 0" in out


@pytest.mark.slow
def test_a_template_heat_refuses_is_a_one_line_error(tmp_path):
    template = tmp_path / "bad.json"
    template.write_text(json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Box": {"Type": "AWS::EC2::NoSuchThing"}}}))
    result = cli("launch", str(template))
    assert result.returncode == 1, result.stdout + result.stderr
    [error] = result.stderr.splitlines()
    assert error.startswith("heat-deltacloud: ") and "NoSuchThing" in error
    assert "ended early" not in result.stdout


def _hanging(tmp_path):
    """A deployable whose service records its shell's and its child's
    process ids, then waits forever."""
    pids = tmp_path / "pids"
    return pids, f"""<deployable name='hanging'><assemblies>
      <assembly name='box' hwp='small'><image id='base'/><services>
        <service name='forever'><executable><contents><![CDATA[#!/bin/sh
sleep 600 &
echo "$$ $!" > '{pids}'
wait
]]></contents></executable></service></services></assembly>
    </assemblies></deployable>""".encode()


def _alive(pid):
    """Whether ``pid`` runs (a zombie does not: nobody may reap it here)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_for(path, process, timeout=60):
    import time

    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        assert process.poll() is None, "the launcher ended first"
        assert time.monotonic() < deadline, f"no {path} after {timeout}s"
        time.sleep(0.1)
    return [int(p) for p in path.read_text().split()]


def _popen(args):
    return subprocess.Popen(
        [sys.executable, "-m", "heat_deltacloud.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env=ENV)


@pytest.mark.slow
def test_a_follow_timeout_ends_the_guest_boots(tmp_path):
    pid_file, document = _hanging(tmp_path)
    # 20 s: the instance must boot (and write its pids) before the follow
    # times out, also on a loaded machine (the pids come 2.5 s after the
    # launch starts, Heat's start included, idle or with a core busy; the
    # margin is for a CI machine busier than that).
    process = _popen(["launch", *_deployable(tmp_path, document),
                      "--timeout", "20"])
    try:
        pids = _wait_for(pid_file, process)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 1, out + err
    assert "stack hanging still CREATE_IN_PROGRESS after 20s" in err
    assert "stack hanging: DELETE_COMPLETE; left behind: 0" in out
    assert [pid for pid in pids if _alive(pid)] == []


@pytest.mark.slow
def test_ctrl_c_ends_the_guest_boots(tmp_path):
    import signal

    pid_file, document = _hanging(tmp_path)
    process = _popen(["launch", *_deployable(tmp_path, document)])
    try:
        pids = _wait_for(pid_file, process)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, out + err
    assert "heat-deltacloud: interrupted" in err
    assert "Traceback" not in err
    assert "stack hanging: DELETE_COMPLETE; left behind: 0" in out
    assert [pid for pid in pids if _alive(pid)] == []


# -- embedded Heat against an external Deltacloud: nothing left unsaid -------

@pytest.fixture
def external_mock():
    """A Deltacloud the launcher does not own (served by this process)."""
    from heat_deltacloud.mock.server import MockServer

    with MockServer(users={USER: PASSWORD},
                    fix_user_data_feature=True) as mock:
        yield mock


class Lines:
    """A process's stdout read line by line on a thread."""

    def __init__(self, process):
        import threading

        self.lines = []
        self._arrived = threading.Condition()
        self._thread = threading.Thread(target=self._read,
                                        args=(process.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            with self._arrived:
                self.lines.append(line)
                self._arrived.notify_all()

    def wait_for(self, text, timeout=60):
        with self._arrived:
            assert self._arrived.wait_for(
                lambda: any(text in line for line in self.lines), timeout), \
                f"no {text!r} in {''.join(self.lines)}"

    def text(self):
        self._thread.join(10)
        return "".join(self.lines)


def _embedded_on(mock, tmp_path, *args):
    """``launch`` of a deployable whose wait condition nothing signals,
    with embedded Heat on ``mock``; TMPDIR is ``tmp_path/tmp``."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    document = tmp_path / "waits.xml"
    document.write_bytes(b"""<deployable name='waits'><assemblies>
      <assembly name='box' hwp='small'><image id='base'/><services>
        <service name='s'><executable><contents>#!/bin/sh
</contents></executable></service></services></assembly>
    </assemblies></deployable>""")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MOCK_MAPPING))
    process = subprocess.Popen(
        [sys.executable, "-m", "heat_deltacloud.cli", "launch",
         str(document), "--mapping", str(mapping),
         "--deltacloud-url", mock.url, "--user", USER,
         "--password-file", str(path), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env={**ENV, "TMPDIR": str(tmp)})
    return process, Lines(process), tmp


def _finish(process, timeout):
    """Wait for ``process``; its stderr (stdout is read by :class:`Lines`)."""
    process.wait(timeout)
    return process.stderr.read()


def _instances_of(mock):
    return [i for i in mock.all_instances() if i["owner"] == USER]


def _wait_for_an_instance(mock, process, timeout=60):
    import time

    deadline = time.monotonic() + timeout
    while not _instances_of(mock):
        assert process.poll() is None, "the launcher ended first"
        assert time.monotonic() < deadline, "no instance created"
        time.sleep(0.1)
    [instance] = _instances_of(mock)
    return instance


@pytest.mark.slow
@pytest.mark.parametrize("signame, status", [("SIGTERM", 143),
                                             ("SIGINT", 130)])
def test_an_interrupted_embedded_launch_deletes_from_an_external_cloud(
        external_mock, tmp_path, signame, status):
    # Before: SIGTERM killed the launcher at once, leaving the instance on
    # the cloud and the embedded Heat's state directory (its
    # auth_encryption_key, the stored password) in TMPDIR.
    import signal

    process, lines, tmp = _embedded_on(external_mock, tmp_path)
    try:
        _wait_for_an_instance(external_mock, process)
        assert list(tmp.iterdir()), "the state directory is in TMPDIR"
        process.send_signal(getattr(signal, signame))
        err = _finish(process, 120)
    finally:
        process.kill()
    out = lines.text()
    assert process.returncode == status, out + err
    assert "stack waits: DELETE_COMPLETE; left behind: 0" in out
    assert _instances_of(external_mock) == []
    assert "Traceback" not in err
    assert list(tmp.iterdir()) == []


@pytest.mark.slow
def test_an_embedded_launch_lists_what_it_could_not_delete(external_mock,
                                                           tmp_path):
    # Before: the launcher said "left behind: 1" and exited, and with it
    # the only Heat that knew the instance: nothing said how to remove it.
    # (A --timeout ends the same way: test_a_follow_timeout_ends_the_guest_
    # boots; a signal here keeps the test free of timing.)
    import signal

    external_mock.add_fault("DELETE", "/api/instances/*", status=500,
                            message="the cloud refuses to destroy")
    process, lines, tmp = _embedded_on(external_mock, tmp_path)
    try:
        instance = _wait_for_an_instance(external_mock, process)
        process.send_signal(signal.SIGTERM)
        err = _finish(process, 180)
    finally:
        process.kill()
    out = lines.text()
    assert process.returncode == 143, out + err
    assert "heat-deltacloud: terminated (SIGTERM)" in err
    # Before: "Ctrl-C again stops waiting", after a SIGTERM.
    assert "launch of waits terminated (SIGTERM); deleting its stack " \
        "(waiting up to 60 s; an embedded stack does not outlive this " \
        "process; SIGTERM again stops waiting)\n" in out
    assert "Ctrl-C" not in out
    assert [i["id"] for i in _instances_of(external_mock)] == \
        [instance["id"]]
    url = external_mock.url
    assert f"left on Deltacloud at {url} (user {USER}); the embedded " \
        "Heat that made them ends with this process:\n" \
        f"  Box (AWS::EC2::Instance): {instance['id']}\n" in out
    assert f"  curl -u {USER} -X POST {url}/instances/{instance['id']}/stop" \
        f"\n  curl -u {USER} -X DELETE {url}/instances/{instance['id']}\n" \
        in out
    assert PASSWORD not in out + err
    assert list(tmp.iterdir()) == []


@pytest.mark.slow
def test_a_second_ctrl_c_stops_waiting_for_the_delete(external_mock,
                                                      tmp_path):
    # Before: a second Ctrl-C was ignored for up to 60 s.
    import signal

    external_mock.add_fault("DELETE", "/api/instances/*", latency=60)
    external_mock.add_fault("POST", "/api/instances/*/stop", latency=60)
    process, lines, tmp = _embedded_on(external_mock, tmp_path)
    try:
        [instance] = [_wait_for_an_instance(external_mock, process)]
        process.send_signal(signal.SIGINT)
        lines.wait_for("Ctrl-C again stops waiting")
        process.send_signal(signal.SIGINT)
        err = _finish(process, 30)
    finally:
        process.kill()
    out = lines.text()
    assert process.returncode == 130, out + err
    assert "stack waits not deleted: interrupted" in out
    assert f"  Box (AWS::EC2::Instance): {instance['id']}\n" in out
    assert list(tmp.iterdir()) == []


@pytest.mark.slow
def test_an_embedded_launch_whose_reader_went_away_still_cleans_up(
        tmp_path):
    # Before: the first line written after `| head` exited raised
    # BrokenPipeError out of the launch: no delete, a traceback.
    from .test_parsing import _with_stdout_closed

    template = tmp_path / "five.json"
    template.write_text(json.dumps(FIVE_SERVERS))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    status, err = _with_stdout_closed("launch", str(template),
                                      env={**ENV, "TMPDIR": str(tmp)})
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert status == 0
    assert list(tmp.iterdir()) == []


STRUCTURED = {
    "heat_template_version": "2016-10-14",
    "resources": {"nothing": {"type": "OS::Heat::None"}},
    "outputs": {"m": {"value": {"a": ["x", "y"], "b": "z"}},
                "l": {"value": ["p", "q"]},
                "s": {"value": "plain"}}}


@pytest.mark.slow
def test_map_and_list_outputs_and_json_format(services, password_file):
    heat = HeatCfn(services.heat_cfn_url, Credentials(USER, PASSWORD),
                   services.deltacloud_url)
    assert Launcher(heat).launch("structured", STRUCTURED).ok

    text = cli("status", "structured", *remote(services, password_file))
    assert text.returncode == 0, text.stderr
    assert '  output l = ["p", "q"]\n' in text.stdout
    assert '  output m = {"a": ["x", "y"], "b": "z"}\n' in text.stdout

    status = cli("status", "structured", "--format", "json",
                 *remote(services, password_file))
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert document["stack"]["status"] == "CREATE_COMPLETE"
    assert document["stack"]["outputs"] == {
        "m": {"a": ["x", "y"], "b": "z"}, "l": ["p", "q"], "s": "plain"}
    assert [r["resource"] for r in document["resources"]] == ["nothing"]

    events = cli("events", "structured", "-f", "json",
                 *remote(services, password_file))
    assert events.returncode == 0, events.stderr
    assert [e["status"] for e in json.loads(events.stdout)["events"]] == [
        "CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert cli("delete", "structured",
               *remote(services, password_file)).returncode == 0


@pytest.mark.slow
def test_an_embedded_launch_in_json(tmp_path):
    template = tmp_path / "structured.json"
    template.write_text(json.dumps(STRUCTURED))
    result = cli("launch", str(template), "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert document["stack"]["outputs"]["l"] == ["p", "q"]
    assert document["deleted"] == {"status": "DELETE_COMPLETE",
                                   "leftovers": []}
    # The progress went to stderr.
    assert "creating stack structured (1 resources):" in result.stderr


@pytest.mark.slow
def test_keep_prints_a_status_command_that_works(tmp_path):
    # Before: the hint said "(and the same password)", which for the
    # embedded mock nobody had been told.
    import shlex
    import signal

    template = tmp_path / "structured.json"
    template.write_text(json.dumps(STRUCTURED))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "heat_deltacloud.cli", "launch",
         str(template), "--keep"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**ENV, "TMPDIR": str(tmp)})
    lines = Lines(process)
    try:
        lines.wait_for("  heat-deltacloud status structured ", timeout=120)
        [command] = [line for line in lines.lines
                     if line.startswith("  heat-deltacloud status ")]
        status = cli(*shlex.split(command)[1:])
        assert status.returncode == 0, status.stdout + status.stderr
        assert status.stdout.startswith("stack structured: CREATE_COMPLETE")
        process.send_signal(signal.SIGINT)
        err = _finish(process, 60)
    finally:
        process.kill()
    out = lines.text()
    assert process.returncode == 0, out + err
    assert "stack structured: DELETE_COMPLETE; left behind: 0" in out
    assert list(tmp.iterdir()) == []  # the password file went with it


@pytest.mark.slow
def test_heats_refusals_say_what_to_do(services, password_file, tmp_path):
    # Before: Heat's words as they came ("Heat refused CreateStack:
    # AlreadyExists: ... The Stack (twice) already exists.").
    template = tmp_path / "t.json"
    template.write_text(json.dumps(STRUCTURED))
    options = remote(services, password_file)
    assert cli("launch", str(template), "--name", "twice",
               *options).returncode == 0
    again = cli("launch", str(template), "--name", "twice", *options)
    assert again.returncode == 1
    assert again.stderr.startswith(
        "heat-deltacloud: a stack named twice already exists: give another "
        "--name, or delete it with: heat-deltacloud delete twice "
        f"--heat-cfn-url {services.heat_cfn_url}")
    assert cli("delete", "twice", *options).returncode == 0

    template.write_text(json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Box": {"Type": "AWS::EC2::Instanse"}}}))
    typo = cli("launch", str(template), *options)
    assert typo.returncode == 1
    assert typo.stderr == ("heat-deltacloud: Heat knows no resource type "
                           "AWS::EC2::Instanse; did you mean "
                           "AWS::EC2::Instance?\n")

    template.write_text(json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Box": {"Type": "AWS::EC2::Instance", "Properties": {
            "ImageId": "no-such-image", "InstanceType": "m1-small"}}}}))
    image = cli("launch", str(template), *options)
    assert image.returncode == 1
    assert image.stderr.startswith(
        "heat-deltacloud: Resources.Box.Properties.ImageId: no image "
        "'no-such-image' on Deltacloud; its images: img1, img2")


@pytest.mark.slow
def test_debug_log_file_has_the_embedded_heats_log_and_no_password(
        tmp_path, password_file):
    # Before: no --debug or --log-file; the embedded Heat's log went to
    # its state directory, deleted at exit.
    template = tmp_path / "t.json"
    template.write_text(json.dumps(STRUCTURED))
    log = tmp_path / "launch.log"
    result = cli("launch", str(template), "--user", USER, "--password-file",
                 str(password_file), "--debug", "--log-file", str(log))
    assert result.returncode == 0, result.stdout + result.stderr
    text = log.read_text()
    assert " DEBUG heat.engine." in text
    assert " heat_deltacloud." in text
    assert PASSWORD not in text and PASSWORD not in result.stderr
    assert "stack t: DELETE_COMPLETE; left behind: 0" in result.stdout


def test_status_of_a_failed_stack_prints_no_outputs(services, password_file,
                                                     capsys):
    # Before: status printed the outputs of a failed stack ('output ip =
    # None' and the like), as launch no longer does.
    from heat_deltacloud import cli as main_cli

    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "Web": {"Type": "OS::Nova::Server", "Properties": {
            "image": "img1", "flavor": "m1-small",
            "user_data_format": "RAW"}}},
        "Outputs": {"ip": {"Value": {"Fn::GetAtt": ["Web", "first_address"]}}}}
    services.mock.add_fault("POST", "/api/instances", status=400,
                            message="no capacity left in this realm")
    heat = HeatCfn(services.heat_cfn_url, Credentials(USER, PASSWORD),
                   services.deltacloud_url)
    launcher = Launcher(heat, timeout=120)
    outcome = launcher.launch("failed-status", template)
    assert outcome.stack.status == "CREATE_FAILED"
    capsys.readouterr()
    try:
        status = main_cli.main(["status", "failed-status",
                                *remote(services, password_file)])
        out = capsys.readouterr().out
        assert status == 1
        assert out.startswith("stack failed-status: CREATE_FAILED")
        assert "output" not in out
    finally:
        assert launcher.delete(outcome.stack.id).ok


def test_an_embedded_launch_on_a_bad_deltacloud_says_so_before_heat(
        external_mock, tmp_path):
    # Before: Heat started, CreateStack was refused, then a misleading
    # "stack ... not deleted: Heat refused DescribeStacks" about a stack
    # that never existed, then the refusal.
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password\n")
    template = tmp_path / "t.json"
    template.write_text(json.dumps(STRUCTURED))
    rejected = cli("launch", str(template), "--deltacloud-url",
                   external_mock.url, "--user", USER, "--password-file",
                   str(wrong), timeout=60)
    assert rejected.returncode == 1
    assert rejected.stdout == ""
    assert rejected.stderr == (
        f"heat-deltacloud: Deltacloud at {external_mock.url} rejected the "
        f"credentials of user {USER}: check --user and --password-file "
        "(or $DELTACLOUD_USERNAME and $DELTACLOUD_PASSWORD)\n")
    assert "not-the-password" not in rejected.stderr

    import socket

    with socket.socket() as unused:  # bound, not listening: refused
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/api"
        unreachable = cli("launch", str(template), "--deltacloud-url", url,
                          "--user", USER, "--password-file", str(wrong),
                          timeout=60)
    assert unreachable.returncode == 1
    assert unreachable.stdout == ""
    [error] = unreachable.stderr.splitlines()
    assert error.startswith(f"heat-deltacloud: cannot reach Deltacloud at "
                            f"{url} (")
    assert error.endswith("check --deltacloud-url (or $DELTACLOUD_URL) and "
                          "that the server runs")
    assert _instances_of(external_mock) == []


def test_status_without_a_deltacloud_url_says_to_give_one(
        services, password_file, capsys, monkeypatch):
    from heat_deltacloud import cli as main_cli

    monkeypatch.delenv("DELTACLOUD_URL", raising=False)
    capsys.readouterr()
    status = main_cli.main(["status", "any", "--heat-cfn-url",
                            services.heat_cfn_url, "--user", USER,
                            "--password-file", str(password_file)])
    assert status == 1
    [error] = capsys.readouterr().err.splitlines()
    assert error.startswith("heat-deltacloud: Heat refused DescribeStacks")
    assert error.endswith("this Heat has no [deltacloud] url; give "
                          "--deltacloud-url (or $DELTACLOUD_URL)")


#: A wait condition nothing signals: the stack stays in progress.
UNSIGNALLED = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                 "Properties": {"Handle": {"Ref": "Handle"},
                                "Timeout": "600"}}}}


def test_a_remote_launch_that_stops_following_says_the_stack_goes_on(
        services, password_file, tmp_path, capsys):
    # Before: "heat-deltacloud: stack ... still CREATE_IN_PROGRESS after
    # 1s" (or "interrupted") alone, with the stack going on in Heat and
    # nothing said about it.
    from heat_deltacloud import cli as main_cli

    template = tmp_path / "waits.json"
    template.write_text(json.dumps(UNSIGNALLED))
    options = remote(services, password_file)
    capsys.readouterr()
    status = main_cli.main(["launch", str(template), "--name", "goes-on",
                            "--timeout", "1", *options])
    assert status == 1
    out, err = capsys.readouterr()
    assert err == "heat-deltacloud: stack goes-on still CREATE_IN_PROGRESS " \
        "after 1s\n"
    tail = " ".join(options)
    assert f"stack goes-on goes on in Heat at {services.heat_cfn_url}; " \
        "this command only stopped following it.  See it with: " \
        f"heat-deltacloud status goes-on {tail}\n" in out
    assert f"delete it with: heat-deltacloud delete goes-on {tail}\n" in out
    assert main_cli.main(["delete", "goes-on", *options]) == 0
    assert "goes-on: DELETE_COMPLETE; left behind: 0" in \
        capsys.readouterr().out
