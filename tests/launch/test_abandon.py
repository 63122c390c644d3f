"""What an embedded launch that ended early prints as it deletes its stack
(real heat-api-cfn and the mock, in this process; the launch's end is
handed to the abandon step as the CLI hands it)."""

import io
import signal
import time

import pytest

from heat_deltacloud.cli import Terminated
from heat_deltacloud.launch import cli
from heat_deltacloud.launch.display import Progress
from heat_deltacloud.launch.watcher import FollowTimeout

from .test_end_to_end import launcher_for

pytestmark = [pytest.mark.heat]

SERVER = {"Type": "AWS::EC2::Instance",
          "Properties": {"ImageId": "img1", "InstanceType": "m1-small"}}
#: Five resources; when Box fails, the three after it are never created.
FAILING = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Box": {**SERVER, "DependsOn": "Handle"},
        **{f"After{n}": {**SERVER, "DependsOn": "Box"} for n in (1, 2, 3)},
    },
}


def _wait_for_states(launcher, stack_id, wanted, timeout=60):
    """Poll (bounded) until each resource in ``wanted`` has its status."""
    deadline = time.monotonic() + timeout
    while True:
        states = {row["LogicalResourceId"]: row["ResourceStatus"]
                  for row in launcher.heat.stack_resources(stack_id)}
        if all(states.get(k) == v for k, v in wanted.items()):
            return states
        assert time.monotonic() < deadline, states
        time.sleep(0.2)


def test_a_timed_out_launch_counts_what_its_delete_removes(services,
                                                           capsys):
    # Before: "[2/5]" at the end of the delete (the template's five, of
    # which three were never created) and "Ctrl-C again stops waiting"
    # after a timeout, when nobody had pressed Ctrl-C.
    progress = Progress(io.StringIO(), tty=False)
    seen = cli._Seen()
    launcher = launcher_for(services, observers=[progress, seen],
                            interval=0.2, max_interval=0.5)
    services.mock.add_fault("POST", "/api/instances", status=500,
                            message="no capacity left in this realm")
    stack_id = launcher.heat.create_stack("abandoned", FAILING, {},
                                          disable_rollback=True)
    states = _wait_for_states(launcher, stack_id, {
        "Handle": "CREATE_COMPLETE", "Box": "CREATE_FAILED"})
    assert [states[f"After{n}"] for n in (1, 2, 3)] == ["INIT_COMPLETE"] * 3

    cli._abandon(launcher, progress, "abandoned", seen, services,
                 FollowTimeout("stack abandoned still CREATE_IN_PROGRESS "
                               "after 1s"))

    out = capsys.readouterr().out
    assert "launch of abandoned timed out; deleting its stack (waiting up " \
        f"to {cli.ABANDON_TIMEOUT} s; an embedded stack does not outlive " \
        "this process)\n" in out
    assert "Ctrl-C" not in out
    assert "stack abandoned: DELETE_COMPLETE; left behind: 0\n" in out
    shown = progress.stream.getvalue().splitlines()
    assert shown[0] == "deleting stack abandoned (2 resources):"
    assert [line.split("]")[0] + "]" for line in shown[1:]
            if "DELETE_COMPLETE" in line][-1] == "[2/2]"
    assert not any("/5]" in line for line in shown)


@pytest.mark.parametrize("cause, line", [
    (KeyboardInterrupt(),
     "launch of s ended early; deleting its stack (an embedded stack does "
     "not outlive this process; Ctrl-C again stops waiting)"),
    (Terminated(signal.SIGTERM),
     f"launch of s terminated (SIGTERM); deleting its stack (waiting up to "
     f"{cli.ABANDON_TIMEOUT} s; an embedded stack does not outlive this "
     "process; SIGTERM again stops waiting)"),
    (FollowTimeout("stack s still CREATE_IN_PROGRESS after 5s"),
     f"launch of s timed out; deleting its stack (waiting up to "
     f"{cli.ABANDON_TIMEOUT} s; an embedded stack does not outlive this "
     "process)"),
    (cli.HeatDeltacloudError("Heat at http://x went away"),
     f"launch of s failed; deleting its stack (waiting up to "
     f"{cli.ABANDON_TIMEOUT} s; an embedded stack does not outlive this "
     "process)"),
])
def test_only_ctrl_c_is_told_that_ctrl_c_again_stops_waiting(cause, line):
    assert cli._abandon_line("s", cause) == line


def test_a_delete_stopped_by_sigterm_says_so():
    assert cli._why_not(Terminated(signal.SIGTERM)) == "terminated (SIGTERM)"
    assert cli._why_not(KeyboardInterrupt()) == "interrupted"
