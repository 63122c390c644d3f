"""deletion_policy Snapshot on real Heat 27 and the mock: a server's delete
leaves an image this stack made, a volume's a storage snapshot that
outlives it; where the driver cannot make them the stack is refused at
validation in one line, before anything is created."""

import json

import pytest

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.heat import connection
from heat_deltacloud.mock.server import MockServer
from support import mock_fixtures, outputs

pytestmark = [pytest.mark.heat]

USERS = {"alice": "alice-pw"}

cloud, mock = mock_fixtures(USERS)

HOT_SERVER = {"type": "OS::Nova::Server", "deletion_policy": "Snapshot",
              "properties": {"image": "img1", "flavor": "m1-small"}}
#: The same on the emulated ec2 driver, whose profiles are EC2's.
EC2_SERVER = {**HOT_SERVER,
              "properties": {"image": "img1", "flavor": "m1.small"}}
HOT_VOLUME = {"type": "OS::Cinder::Volume", "deletion_policy": "Snapshot",
              "properties": {"size": 1}}
CFN_VOLUME = {"Type": "AWS::EC2::Volume", "DeletionPolicy": "Snapshot",
              "Properties": {"Size": "1", "AvailabilityZone": "us"}}
CFN_INSTANCE = {"Type": "AWS::EC2::Instance", "DeletionPolicy": "Snapshot",
                "Properties": {"ImageId": "img1",
                               "InstanceType": "m1-small"}}


def hot(**resources):
    return {"heat_template_version": "2021-04-16", "resources": resources,
            "outputs": {name: {"value": {"get_resource": name}}
                        for name in resources}}


def cfn(**resources):
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Resources": resources,
            "Outputs": {name: {"Value": {"Ref": name}}
                        for name in resources}}


def create(heat, ctx, name, template):
    identity = heat.engine_client.create_stack(
        ctx, name, template, {}, {}, {"timeout_mins": 2})
    stack = heat.wait_for_stack(ctx, identity, timeout=60)
    assert (stack["stack_action"], stack["stack_status"]) == (
        "CREATE", "COMPLETE"), stack["stack_status_reason"]
    return identity, outputs(stack)


def refused(heat, ctx, name, template):
    """The one line Heat gives for a stack refused at validation."""
    with pytest.raises(Exception) as caught:
        heat.engine_client.create_stack(ctx, name, template, {}, {},
                                        {"timeout_mins": 1})
    return str(caught.value).splitlines()[0]


def test_a_server_s_delete_leaves_its_image_and_completes(heat, mock):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    images_before = set(mock.app.cloud.images)
    identity, made = create(heat, ctx, "snap-server", hot(server=HOT_SERVER))
    server_id = made["server"]
    stack = heat.delete_stack(ctx, identity)
    assert (stack["stack_action"], stack["stack_status"]) == (
        "DELETE", "COMPLETE"), stack["stack_status_reason"]
    assert server_id not in {i["id"] for i in mock.all_instances()}
    [new] = set(mock.app.cloud.images) - images_before
    image = mock.app.cloud.images[new]
    # Named by Heat after the stack and resource; described as ours.
    assert new.startswith("snap-server-server-")
    assert image["state"] == "AVAILABLE"
    assert image["description"].startswith(
        "heat-deltacloud snapshot of server snap-server-server-")
    assert image["description"].endswith(f" ({server_id})")


@pytest.mark.parametrize("template", [
    hot(volume=HOT_VOLUME), cfn(volume=CFN_VOLUME)], ids=["hot", "cfn"])
def test_a_volume_s_delete_leaves_a_snapshot_of_it(heat, mock, template):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity, made = create(heat, ctx, "snap-volume", template)
    volume_id = made["volume"]
    stack = heat.delete_stack(ctx, identity)
    assert (stack["stack_action"], stack["stack_status"]) == (
        "DELETE", "COMPLETE"), stack["stack_status_reason"]
    assert volume_id not in mock.app.cloud.volumes
    [snapshot] = [s for s in mock.app.cloud.snapshots.values()
                  if s["storage_volume_id"] == volume_id]
    assert (snapshot["owner"], snapshot["state"], snapshot["description"]) \
        == ("alice", "COMPLETED",
            f"heat-deltacloud backup of volume {volume_id}")


@pytest.fixture(scope="module")
def ec2_cloud():
    with MockServer(driver="ec2", users=USERS) as server:
        yield server


@pytest.fixture
def ec2(ec2_cloud):
    """The emulated ec2 driver (which advertises images/image_name, unlike
    the mock driver); the engine forgets switched-off capabilities
    afterwards."""
    ec2_cloud.reset()
    yield ec2_cloud
    connection.DISCOVERY.clear()


@pytest.mark.parametrize("capability, template, path, makes", [
    (("images", "image_name"), hot(server=EC2_SERVER),
     "resources.server.deletion_policy",
     "an image of the server (images/image_name)"),
    (("storage_snapshots",), hot(volume=HOT_VOLUME),
     "resources.volume.deletion_policy",
     "a storage snapshot of the volume (storage_snapshots)"),
    (("storage_snapshots",), cfn(volume=CFN_VOLUME),
     "Resources.volume.DeletionPolicy",
     "a storage snapshot of the volume (storage_snapshots)"),
], ids=["server", "hot-volume", "cfn-volume"])
def test_without_the_driver_s_capability_the_stack_is_refused_at_once(
        heat, ec2, capability, template, path, makes):
    ec2.set_capability(*capability, enabled=False)
    connection.DISCOVERY.clear()
    ctx = heat.context("alice", USERS["alice"], ec2.url)
    instances = {i["id"] for i in ec2.all_instances()}
    volumes = set(ec2.app.cloud.volumes)
    policy = path.rsplit(".", 1)[1]
    assert refused(heat, ctx, "no-snapshots", template) == (
        f"{path}: {policy} Snapshot needs {makes}, which the Deltacloud "
        f"driver 'ec2' cannot make; set {policy} Delete or Retain")
    assert {i["id"] for i in ec2.all_instances()} == instances
    assert set(ec2.app.cloud.volumes) == volumes


def test_an_instance_with_snapshot_policy_is_refused_by_heat(heat, mock):
    """Heat's (and AWS's) AWS::EC2::Instance has no Snapshot policy."""
    ctx = heat.context("alice", USERS["alice"], mock.url)
    assert refused(heat, ctx, "instance", cfn(web=CFN_INSTANCE)) == (
        'Resources.web.DeletionPolicy: "Snapshot" deletion policy not '
        "supported")


def test_a_read_only_volume_is_refused_before_anything_is_made(heat, mock):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    volumes = set(mock.app.cloud.volumes)
    template = hot(volume={"type": "OS::Cinder::Volume",
                           "properties": {"size": 1, "read_only": True}})
    assert refused(heat, ctx, "read-only", template) == (
        "resources.volume.properties.read_only: read_only "
        "true: Deltacloud volumes are read-write; leave read_only out or "
        "set it to false")
    assert set(mock.app.cloud.volumes) == volumes


@pytest.mark.parametrize("template, path", [
    (hot(volume={"type": "OS::Cinder::Volume",
                 "properties": {"backup_id": "BACKUP"}}),
     "resources.volume.properties.backup_id"),
    (cfn(volume={"Type": "AWS::EC2::Volume",
                 "Properties": {"SnapshotId": "BACKUP",
                                "AvailabilityZone": "us"}}),
     "Resources.volume.Properties.SnapshotId"),
], ids=["hot", "cfn"])
def test_a_volume_from_a_backup_is_refused_before_anything_is_made(
        heat, mock, template, path):
    dc = Client(mock.url, "alice", USERS["alice"])
    backup = dc.storage_snapshots.create(
        dc.storage_volumes.create(capacity=1).id)
    template = json.loads(json.dumps(template).replace("BACKUP", backup.id))
    ctx = heat.context("alice", USERS["alice"], mock.url)
    volumes = set(mock.app.cloud.volumes)
    prop = path.rsplit(".", 1)[1]
    assert refused(heat, ctx, "restore", template) == (
        f"{path}: the cinder shim cannot restore backups (backup_id, "
        f"SnapshotId); leave {prop} out")
    assert set(mock.app.cloud.volumes) == volumes


def test_on_ec2_an_instance_store_server_is_refused_at_once(heat, ec2):
    """ec2 makes images of EBS-backed instances only; img1 is
    instance-store (transient)."""
    ctx = heat.context("alice", USERS["alice"], ec2.url)
    instances = {i["id"] for i in ec2.all_instances()}
    assert refused(heat, ctx, "transient", hot(server=EC2_SERVER)) == (
        "resources.server.deletion_policy: deletion_policy Snapshot needs "
        "an image of the server, which the Deltacloud driver 'ec2' makes "
        "only of instances of persistent images (image img1 is "
        "transient); boot a persistent image or set deletion_policy "
        "Delete or Retain")
    assert {i["id"] for i in ec2.all_instances()} == instances


def test_on_ec2_an_ebs_backed_server_s_delete_leaves_its_image(heat, ec2):
    ctx = heat.context("alice", USERS["alice"], ec2.url)
    server = {**EC2_SERVER, "properties": {
        **EC2_SERVER["properties"], "image": "ami-2b5fba42"}}
    identity, made = create(heat, ctx, "ebs", hot(server=server))
    stack = heat.delete_stack(ctx, identity)
    assert (stack["stack_action"], stack["stack_status"]) == (
        "DELETE", "COMPLETE"), stack["stack_status_reason"]
    [image] = [i for i in ec2.app.cloud.images.values()
               if (i["description"] or "").endswith(f"({made['server']})")]
    assert image["id"].startswith("ebs-server-")


def test_a_failed_image_fails_the_delete_at_once_and_keeps_the_server(
        heat, mock, monkeypatch):
    """Deltacloud's ERROR is glance's killed, which Heat alone would wait
    on until the stack timed out."""
    cloud = mock.app.cloud
    made = cloud.create_image

    def failing(*args, **kwargs):
        image = made(*args, **kwargs)
        cloud.images[image["id"]]["state"] = "ERROR"
        return image
    monkeypatch.setattr(cloud, "create_image", failing)
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity, made_ = create(heat, ctx, "failing", hot(server=HOT_SERVER))
    server_id = made_["server"]
    heat.engine_client.delete_stack(ctx, identity, cast=False)
    stack = heat.wait_for_stack(ctx, identity, timeout=60)
    [image] = [i for i in cloud.images if i.startswith("failing-server-")]
    assert (stack["stack_action"], stack["stack_status"],
            stack["stack_status_reason"]) == (
        "DELETE", "FAILED",
        f"Resource DELETE failed: Error: resources.server: the image "
        f"{image} of server {server_id} failed (Deltacloud state ERROR); "
        "the server is kept, and a second delete removes it without a "
        "snapshot (Heat snapshots no failed resource): make an image of it "
        "first if you need one")
    assert [i["state"] for i in mock.all_instances()
            if i["id"] == server_id] == ["RUNNING"]
    # As the line says: a second delete, without a snapshot.
    monkeypatch.undo()
    assert heat.delete_stack(ctx, identity)["stack_status"] == "COMPLETE"
    assert server_id not in {i["id"] for i in mock.all_instances()}
    assert [i for i in cloud.images if i.startswith("failing-server-")] \
        == [image]
