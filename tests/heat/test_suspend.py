"""Stack suspend and resume on real Heat 27: suspend stops the instances,
resume starts them; a driver that cannot stop and start refuses in one
line."""

import pytest

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.mock.server import MockServer
from support import ONE_SERVER_HOT, mock_fixtures, outputs

pytestmark = [pytest.mark.heat]

USERS = {"alice": "alice-pw"}

cloud, mock = mock_fixtures(USERS, fix_user_data_feature=True)

ONE_INSTANCE_CFN = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"ImageId": {"Type": "String", "Default": "img1"},
                   "Type": {"Type": "String", "Default": "m1-small"}},
    "Resources": {"Db": {"Type": "AWS::EC2::Instance",
                         "Properties": {"ImageId": {"Ref": "ImageId"},
                                        "InstanceType": {"Ref": "Type"}}}},
    "Outputs": {"Id": {"Value": {"Ref": "Db"}}},
}


def create(heat, ctx, name, template, params=None):
    identity = heat.engine_client.create_stack(
        ctx, name, template, params or {}, {}, {"timeout_mins": 2})
    stack = heat.wait_for_stack(ctx, identity, timeout=60)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    return identity, stack


def act(heat, ctx, identity, action):
    """Suspend or resume; the stack once it has settled."""
    getattr(heat.engine_client, f"stack_{action}")(ctx, identity)
    return heat.wait_for_stack(ctx, identity, timeout=60)


def state(cloud, instance_id):
    """The instance's state as the mock holds it."""
    return next(i["state"] for i in cloud.all_instances()
                if i["id"] == instance_id)


def assert_settled(stack, action):
    assert (stack["stack_action"], stack["stack_status"]) == (
        action, "COMPLETE"), stack["stack_status_reason"]


def one_server_hot():
    from heat.common import template_format
    return template_format.parse(ONE_SERVER_HOT)


@pytest.mark.parametrize("template, output", [
    (None, "server_id"), (ONE_INSTANCE_CFN, "Id")],
    ids=["OS::Nova::Server", "AWS::EC2::Instance"])
def test_suspend_stops_and_resume_starts(heat, mock, template, output):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity, stack = create(heat, ctx, "pause",
                             template or one_server_hot())
    instance_id = outputs(stack)[output]
    mock.clear_requests()
    assert_settled(act(heat, ctx, identity, "suspend"), "SUSPEND")
    assert state(mock, instance_id) == "STOPPED"
    assert_settled(act(heat, ctx, identity, "resume"), "RESUME")
    assert state(mock, instance_id) == "RUNNING"
    counts = mock.request_counts()
    assert (counts.get("POST /api/instances/:id/stop"),
            counts.get("POST /api/instances/:id/start")) == (1, 1)
    heat.delete_stack(ctx, identity)
    assert [i for i in mock.all_instances() if i["owner"] == "alice"] == []


def test_a_server_stopped_outside_heat(heat, mock):
    """Already stopped counts as suspended (as Heat skips a SUSPENDED
    server): no second stop; resume starts it."""
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity, stack = create(heat, ctx, "stopped", one_server_hot())
    instance_id = outputs(stack)["server_id"]
    with Client(mock.url, "alice", USERS["alice"]) as dc:
        dc.instances.stop(instance_id)
    mock.clear_requests()
    assert_settled(act(heat, ctx, identity, "suspend"), "SUSPEND")
    assert "POST /api/instances/:id/stop" not in mock.request_counts()
    assert state(mock, instance_id) == "STOPPED"
    assert_settled(act(heat, ctx, identity, "resume"), "RESUME")
    assert state(mock, instance_id) == "RUNNING"
    heat.delete_stack(ctx, identity)


@pytest.fixture(scope="module")
def ec2():
    with MockServer(driver="ec2") as server:
        yield server


def test_a_driver_that_cannot_stop_refuses_in_one_line(heat, ec2):
    """ec2's instance-store instances offer destroy, never stop: the
    suspend fails naming the driver and the action, the instance runs."""
    ec2.reset()
    ctx = heat.context("mockuser", "mockpassword", ec2.url)
    identity, stack = create(heat, ctx, "nostop", ONE_INSTANCE_CFN,
                             {"Type": "m1.small"})
    instance_id = outputs(stack)["Id"]
    stack = act(heat, ctx, identity, "suspend")
    assert (stack["stack_action"], stack["stack_status"]) == (
        "SUSPEND", "FAILED")
    reason = stack["stack_status_reason"]
    assert "Deltacloud driver 'ec2' cannot suspend servers" in reason
    assert f"instance {instance_id} offers no 'stop' action" in reason
    assert "\n" not in reason and "Traceback" not in reason
    assert state(ec2, instance_id) == "RUNNING"
    deleted = heat.delete_stack(ctx, identity)
    assert deleted["stack_status"] == "COMPLETE", \
        deleted["stack_status_reason"]


#: Deltacloud state -> what real Heat does with the server while waiting
#: for a create (``_check_active``), a resume and a suspend (the plugins'
#: :class:`SuspendsByStopping`) and a delete (``check_delete_server_
#: complete``): done, wait, fail, or gone (NotFound).  A server still
#: stopping is neither suspended, nor resumed, nor a failed create.
HEAT_WAITS = {
    "START": ("wait", "wait", "wait", "wait"),
    "PENDING": ("wait", "wait", "wait", "wait"),
    "RUNNING": ("done", "done", "wait", "wait"),
    "REBOOTING": ("wait", "wait", "wait", "wait"),
    "STOPPING": ("done", "fail", "wait", "wait"),
    "STOPPED": ("wait", "wait", "done", "wait"),
    "SHUTTING_DOWN": ("wait", "wait", "wait", "wait"),
    "FINISH": ("gone", "gone", "gone", "done"),
    "ERROR": ("fail", "fail", "fail", "fail"),
    "UNKNOWN": ("fail", "fail", "fail", "wait"),
    "HIBERNATING": ("fail", "fail", "fail", "wait"),
}


def outcome(check, server_id):
    from heat.common import exception

    from heat_deltacloud.compat.nova import exceptions
    try:
        return "done" if check(server_id) else "wait"
    except (exception.ResourceInError, exception.ResourceUnknownStatus,
            exception.Error):
        return "fail"
    except exceptions.NotFound:
        return "gone"


def test_what_heat_does_in_every_state(heat, deltacloud_mock):
    from heat_deltacloud.compat.nova import status
    from heat_deltacloud.heat.resources.suspend import SuspendsByStopping

    assert set(HEAT_WAITS) - {"HIBERNATING"} == set(status.STATES)
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    plugin = ctx.clients.client_plugin("nova")

    class Resource(SuspendsByStopping):
        def client_plugin(self):
            return plugin

    server = plugin.client().servers.create("web", "img1", "m1-small")
    seen = {}
    for dc_state in HEAT_WAITS:
        deltacloud_mock.set_instance_state(server.id, dc_state)
        resource = Resource()
        seen[dc_state] = tuple(outcome(check, server.id) for check in (
            plugin._check_active, resource.check_resume_complete,
            resource.check_suspend_complete,
            plugin.check_delete_server_complete))
    assert seen == HEAT_WAITS


def test_resume_of_a_server_still_stopping_fails_saying_why(heat, mock):
    """STOPPING is ACTIVE (powering-off), which Heat would skip and call
    resumed while the instance goes on to stop: the resume fails."""
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity, stack = create(heat, ctx, "stopping", one_server_hot())
    instance_id = outputs(stack)["server_id"]
    assert_settled(act(heat, ctx, identity, "suspend"), "SUSPEND")
    mock.set_instance_state(instance_id, "STOPPING")
    mock.clear_requests()
    stack = act(heat, ctx, identity, "resume")
    assert (stack["stack_action"], stack["stack_status"]) == (
        "RESUME", "FAILED")
    assert (f"Resume of server {stack['stack_name']}-server" in
            stack["stack_status_reason"]), stack["stack_status_reason"]
    assert "is still stopping (ACTIVE, task powering-off); resume again " \
        "once it has stopped" in stack["stack_status_reason"]
    assert "\n" not in stack["stack_status_reason"]
    assert "POST /api/instances/:id/start" not in mock.request_counts()
    mock.set_instance_state(instance_id, "STOPPED")
    assert_settled(act(heat, ctx, identity, "resume"), "RESUME")
    assert state(mock, instance_id) == "RUNNING"
    heat.delete_stack(ctx, identity)
