"""The Nova shim's suspend (stop) and resume (start), over real HTTP."""

import contextlib
import dataclasses

import pytest

from heat_deltacloud.compat import nova
from heat_deltacloud.compat.nova import exceptions
from heat_deltacloud.deltacloud import Client
from heat_deltacloud.mock import drivers
from heat_deltacloud.mock.server import MockServer

STOP = "POST /api/instances/:id/stop"
START = "POST /api/instances/:id/start"


@pytest.fixture
def shim():
    """``shim(mock)``: a Nova client on ``mock`` as mockuser."""
    with contextlib.ExitStack() as stack:
        def make(server):
            dc = stack.enter_context(Client(
                server.url, "mockuser", "mockpassword", backoff_factor=0))
            return nova.Client(dc, delete_timeout=5, poll_interval=0.05)
        yield make


def actions_sent(mock):
    counts = mock.request_counts()
    return counts.get(STOP, 0), counts.get(START, 0)


def test_suspend_stops_and_resume_starts(compute, deltacloud_mock):
    server = compute.servers.create("web", "img1", "m1-small")
    deltacloud_mock.clear_requests()
    server.suspend()
    shown = server.get()
    # Shown as what it is, a stopped server; never SUSPENDED.
    assert (shown.status, getattr(shown, "OS-EXT-STS:vm_state")) == (
        "SHUTOFF", "stopped")
    server.suspend()  # already stopped: nothing to do
    assert actions_sent(deltacloud_mock) == (1, 0)
    compute.servers.resume(server.id)
    assert server.get().status == "ACTIVE"
    server.resume()  # already running: nothing to do
    assert actions_sent(deltacloud_mock) == (1, 1)


def test_suspend_of_a_missing_server_is_not_found(compute):
    for act in (compute.servers.suspend, compute.servers.resume):
        with pytest.raises(exceptions.NotFound, match="inst99"):
            act("inst99")


def test_suspend_while_building_is_a_conflict():
    with MockServer(pending_polls=50) as mock, \
            Client(mock.url, "mockuser", "mockpassword") as dc:
        compute = nova.Client(dc, delete_timeout=5, poll_interval=0.05)
        server = compute.servers.create("web", "img1", "m1-small")
        with pytest.raises(exceptions.Conflict,
                           match="state PENDING offers no 'stop'"):
            server.suspend()
        assert actions_sent(mock) == (0, 0)


@pytest.fixture(scope="module")
def ec2():
    with MockServer(driver="ec2") as server:
        yield server


def test_ec2_ebs_instances_suspend(ec2, shim):
    compute = shim(ec2)
    server = compute.servers.create("db", "ami-2b5fba42", "t1.micro")
    server.suspend()
    assert server.get().status == "SHUTOFF"
    server.resume()
    assert server.get().status == "ACTIVE"


def test_ec2_instance_store_instances_cannot(ec2, shim):
    """They offer destroy, never stop: a one-line 501 naming the driver
    and the action, and nothing sent."""
    compute = shim(ec2)
    server = compute.servers.create("db", "img1", "m1.small")
    ec2.clear_requests()
    with pytest.raises(exceptions.HTTPNotImplemented) as err:
        server.suspend()
    assert err.value.code == 501
    assert err.value.message == (
        "Deltacloud driver 'ec2' cannot suspend servers (suspend is 'stop' "
        f"on Deltacloud): instance {server.id} offers no 'stop' action "
        "while RUNNING")
    assert actions_sent(ec2) == (0, 0)
    assert server.get().status == "ACTIVE"


@pytest.fixture(scope="module")
def no_start():
    """A driver shaped like Deltacloud's openstack one: stop, never start
    (its stop deletes the server)."""
    base = drivers.DRIVERS["mock"]
    driver = dataclasses.replace(
        base, name="nostart", title="No start",
        state_machine=drivers.state_machine([
            ("start", "pending", None), ("pending", "running", None),
            ("running", "stopping", "stop"), ("stopping", "stopped", None),
            ("stopped", "finish", None)]),
        actions={"RUNNING": ("stop",), "PENDING": (), "STOPPED": ()},
        transitions={("RUNNING", "stop"): "STOPPED"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(drivers.DRIVERS, driver.name, driver)
        with MockServer(driver=driver.name) as server:
            yield server


def test_a_driver_without_start_refuses_before_stopping(no_start, shim):
    compute = shim(no_start)
    server = compute.servers.create("web", "img1", "m1-small")
    no_start.clear_requests()
    with pytest.raises(exceptions.HTTPNotImplemented,
                       match="^Deltacloud driver 'nostart' cannot suspend "
                       r"servers \(suspend is 'stop' on Deltacloud\): its "
                       "instances have no 'start' action"):
        server.suspend()
    assert actions_sent(no_start) == (0, 0)
    assert server.get().status == "ACTIVE"
