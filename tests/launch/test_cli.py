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
    assert "stack WordPress-two-tiers: CREATE_COMPLETE" in out
    assert "[4/4]" in out
    assert "instance Web inst" in out and "public img1.inst" in out
    assert "output WebPublicIp = img1." in out
    assert "stack WordPress-two-tiers: DELETE_COMPLETE; left behind: 0" \
        in out
    assert "\r" not in out and "\x1b" not in out
    assert "mockpassword" not in out + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_main_job_on_a_terminal_shows_a_progress_bar():
    status, out = run_in_pty(["launch", *main_job_arguments()])
    assert status == 0, out
    assert "\r\x1b[K[####################] 4/4 resources" in out
    assert "CREATE_COMPLETE" in out
    # Event lines carry no counter on a terminal: the bar shows it.
    assert "[1/4]" not in out
    assert "left behind: 0" in out


def test_bad_parameter_is_a_one_line_error():
    result = cli("launch", "examples/wordpress/deployable.xml",
                 "--param", "nonsense", timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "heat-deltacloud: --param 'nonsense': expected KEY=VALUE")


@pytest.mark.parametrize("command", ["status", "events", "delete"])
def test_stack_commands_need_a_heat(command):
    result = cli(command, "wordpress", timeout=120)
    assert result.returncode == 1
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
    assert "delete it with: heat-deltacloud delete cli-fails" in \
        result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    services.mock.clear_faults()
    result = cli("delete", "cli-fails", *remote(services, password_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DELETE_COMPLETE; left behind: 0" in result.stdout


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
    assert "could not be found" in gone.stderr
    for result in (status, events, deleted, gone):
        assert PASSWORD not in result.stdout + result.stderr
