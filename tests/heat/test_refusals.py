"""What Deltacloud cannot do fails a stack on real Heat 27 with one line
naming it and the way that works, and leaves the server as it was."""

import pytest

from support import mock_fixtures, outputs, wait_for

pytestmark = [pytest.mark.heat]

USERS = {"alice": "alice-pw"}

cloud, mock = mock_fixtures(USERS)


def server_template(**properties):
    return {"heat_template_version": "2021-04-16",
            "resources": {"server": {
                "type": "OS::Nova::Server",
                "properties": {"image": "img1", "flavor": "m1-small",
                               **properties}}},
            "outputs": {"id": {"value": {"get_resource": "server"}}}}


def create(heat, ctx, name):
    identity = heat.engine_client.create_stack(
        ctx, name, server_template(), {}, {}, {"timeout_mins": 2})
    stack = heat.wait_for_stack(ctx, identity, timeout=60)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    return identity, outputs(stack)["id"]


def update(heat, ctx, identity, **properties):
    heat.engine_client.update_stack(ctx, identity,
                                    server_template(**properties), {}, {},
                                    {"timeout_mins": 2})
    return heat.wait_for_stack(ctx, identity, timeout=60)


def instance(cloud, instance_id):
    return next(i for i in cloud.all_instances() if i["id"] == instance_id)


def settled(stack):
    return stack["stack_action"], stack["stack_status"]


@pytest.mark.parametrize("change, line", [
    ({"flavor": "m1-large"},
     "Deltacloud cannot resize servers: replace the server instead "
     "(OS::Nova::Server: flavor_update_policy REPLACE) (HTTP 501)"),
    ({"image": "img2"},
     "Deltacloud cannot rebuild servers: replace the server instead "
     "(OS::Nova::Server: image_update_policy or user_data_update_policy "
     "REPLACE) (HTTP 501)"),
], ids=["flavor", "image"])
def test_an_update_deltacloud_cannot_make_fails_in_one_line(heat, mock,
                                                            change, line):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity, server_id = create(heat, ctx, "change")
    before = instance(mock, server_id)
    stack = update(heat, ctx, identity, **change)
    assert settled(stack) == ("UPDATE", "FAILED")
    assert stack["stack_status_reason"] == (
        "Resource UPDATE failed: HTTPNotImplemented: resources.server: "
        + line)
    after = instance(mock, server_id)
    assert (after["state"], after["image_id"], after["hwp_id"]) == (
        "RUNNING", before["image_id"], before["hwp_id"])
    # The way the line names works: the server is replaced.
    policy = "flavor" if "flavor" in change else "image"
    stack = update(heat, ctx, identity,
                   **{**change, f"{policy}_update_policy": "REPLACE"})
    assert settled(stack) == ("UPDATE", "COMPLETE"), \
        stack["stack_status_reason"]
    replaced = instance(mock, outputs(stack)["id"])
    assert replaced["id"] != server_id
    assert (replaced["image_id"], replaced["hwp_id"]) == (
        change.get("image", "img1"), change.get("flavor", "m1-small"))
    assert heat.delete_stack(ctx, identity)["stack_status"] == "COMPLETE"


def test_a_snapshot_fails_in_one_line(heat, mock):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity, server_id = create(heat, ctx, "snap")
    images_before = set(mock.app.cloud.images)
    heat.engine_client.stack_snapshot(ctx, identity, "before-upgrade")
    stack = heat.wait_for_stack(ctx, identity, timeout=60)
    line = ("Resource SNAPSHOT failed: HTTPNotImplemented: resources.server: "
            "heat-deltacloud takes no stack snapshots of servers: the image "
            "made could not be deleted with the snapshot (the glance shim "
            "deletes no image); deletion_policy Snapshot works (HTTP 501)")
    assert (settled(stack), stack["stack_status_reason"]) == (
        ("SNAPSHOT", "FAILED"), line)
    # Heat marks the snapshot just after the stack.
    [snapshot] = wait_for(lambda: [
        s for s in heat.engine_client.stack_list_snapshots(ctx, identity)
        if s["status"] != "IN_PROGRESS"], timeout=30, what="snapshot settled")
    assert (snapshot["status"], snapshot["status_reason"]) == ("FAILED", line)
    assert instance(mock, server_id)["state"] == "RUNNING"
    assert set(mock.app.cloud.images) == images_before
    assert heat.delete_stack(ctx, identity)["stack_status"] == "COMPLETE"
