"""Storage volumes over libcloud:ec2 on moto: where a new volume lands,
what it is made from, what is refused before EC2 is asked, and the
volumes an instance document lists."""

import re

import pytest
import requests
from lxml import etree

from heat_deltacloud.deltacloud import exceptions
from heat_deltacloud.server.interface import DriverError

KEY, SECRET = "AKIDSERVERTEST", "server-test-secret-9f8e7d"


def _post(server, path, **data):
    return requests.post(f"{server.url}{path}", data=data, auth=(KEY, SECRET),
                         headers={"Accept": "application/xml"}, timeout=30)


def _volumes(moto):
    return {v["VolumeId"]: v for v in moto.describe_volumes()["Volumes"]}


@pytest.fixture
def snapshot(moto):
    """A completed snapshot of a 2 GB volume, made in moto directly."""
    source = moto.create_volume(Size=2, AvailabilityZone="us-east-1a")
    made = moto.create_snapshot(VolumeId=source["VolumeId"])
    return moto.describe_snapshots(
        SnapshotIds=[made["SnapshotId"]])["Snapshots"][0]


def test_a_volume_lands_in_its_realm_made_from_its_snapshot(client, moto,
                                                            snapshot):
    made = client.storage_volumes.create(
        realm_id="us-east-1c", snapshot_id=snapshot["SnapshotId"])
    described = _volumes(moto)[made.id]
    assert described["AvailabilityZone"] == "us-east-1c"
    assert described["SnapshotId"] == snapshot["SnapshotId"]
    # No capacity: the snapshot's size, not Deltacloud's 1 GB default.
    assert described["Size"] == snapshot["VolumeSize"]
    shown = client.storage_volumes.get(made.id)
    assert (shown.realm_id, shown.capacity) == \
        ("us-east-1c", str(snapshot["VolumeSize"]))
    assert shown.created.startswith(described["CreateTime"].strftime(
        "%Y-%m-%dT%H:%M:%S"))

    plain = client.storage_volumes.create(capacity=3)
    described = _volumes(moto)[plain.id]
    assert (described["AvailabilityZone"], described["Size"]) == \
        ("us-east-1a", 3)
    assert not described.get("SnapshotId")


@pytest.mark.parametrize("params, line", [
    ({"realm_id": "us-east-1z"}, "Realm 'us-east-1z' does not exist"),
    ({"snapshot_id": "snap-0123456789abcdef0"},
     "Storage snapshot 'snap-0123456789abcdef0' does not exist"),
    ({"snapshot_id": "not-a-snapshot"},
     "Storage snapshot 'not-a-snapshot' does not exist"),
    ({"capacity": "0"}, "capacity must be a whole number of GB (at least "
                        "1), not '0'"),
    ({"capacity": "1.5"}, "capacity must be a whole number of GB (at least "
                          "1), not '1.5'"),
])
def test_what_cannot_be_created_is_400_before_ec2_creates(server, moto,
                                                          params, line):
    answer = _post(server, "/storage_volumes", **params)
    assert answer.status_code == 400
    assert line in answer.text
    assert _volumes(moto) == {}


def test_a_volume_smaller_than_its_snapshot_is_400(server, moto, snapshot):
    before = set(_volumes(moto))
    answer = _post(server, "/storage_volumes", capacity="1",
                   snapshot_id=snapshot["SnapshotId"])
    assert answer.status_code == 400
    assert (f"capacity 1 GB is smaller than snapshot "
            f"{snapshot['SnapshotId']} ({snapshot['VolumeSize']} GB)"
            in answer.text)
    assert set(_volumes(moto)) == before


def test_instance_lists_the_volumes_attached_to_it(client, server, moto,
                                                   own_image):
    instance = client.instances.create(own_image, hwp_id="t2.micro")
    # The root volume is the instance's own (EC2 deletes it with the
    # instance): not listed, so the Nova shim never detaches it.
    assert client.instances.get(instance.id).storage_volumes == ()
    data = client.storage_volumes.create(capacity=1, realm_id="us-east-1a")
    client.storage_volumes.attach(data, instance.id, "/dev/sdh")

    listed = client.instances.get(instance.id).storage_volumes
    assert [(v.id, v.device) for v in listed] == [(data.id, "/dev/sdh")]
    [shown] = [i for i in client.instances.list() if i.id == instance.id]
    assert [v.id for v in shown.storage_volumes] == [data.id]
    doc = requests.get(f"{server.url}/instances/{instance.id}",
                       auth=(KEY, SECRET), timeout=30,
                       headers={"Accept": "application/json"}).json()
    assert [v["id"] for v in doc["instance"]["storage_volumes"]] == \
        [data.id]

    client.storage_volumes.detach(data)
    assert client.instances.get(instance.id).storage_volumes == ()
    client.storage_volumes.destroy(data)
    with pytest.raises(exceptions.NotFound):
        client.storage_volumes.get(data.id)


def test_instance_volume_listing_costs_no_request_more(client, server, moto,
                                                       own_image, caplog):
    """The volumes come from DescribeInstances' block device mappings."""
    instance = client.instances.create(own_image, hwp_id="t2.micro")
    data = client.storage_volumes.create(capacity=1)
    client.storage_volumes.attach(data, instance.id, "/dev/sdh")
    caplog.set_level("INFO", logger="werkzeug")  # moto's request log
    caplog.clear()
    answer = requests.get(f"{server.url}/instances", auth=(KEY, SECRET),
                          headers={"Accept": "application/xml"}, timeout=30)
    root = etree.fromstring(answer.content)
    assert [v.get("id") for v in root.iter("storage_volume")] == [data.id]
    actions = [re.search(r"Action=(\w+)", r.getMessage()).group(1)
               for r in caplog.records if "Action=" in r.getMessage()]
    # libcloud's list_nodes: the instances, then their elastic IPs.
    assert actions == ["DescribeInstances", "DescribeAddresses"]


def test_attaching_across_realms_is_400_not_a_provider_fault(client, server,
                                                             moto, own_image):
    instance = client.instances.create(own_image, hwp_id="t2.micro",
                                       realm_id="us-east-1a")
    far = client.storage_volumes.create(capacity=1, realm_id="us-east-1b")
    answer = _post(server, f"/storage_volumes/{far.id}/attach",
                   instance_id=instance.id, device="/dev/sdh")
    assert answer.status_code == 400
    assert (f"storage volume {far.id} is in realm us-east-1b, instance "
            f"{instance.id} in us-east-1a" in answer.text)
    assert _volumes(moto)[far.id]["Attachments"] == []


def test_one_volume_is_read_by_id_not_from_the_accounts_all(
        client, server, moto, caplog):
    wanted = client.storage_volumes.create(capacity=1)
    other = client.storage_volumes.create(capacity=2)
    caplog.set_level("INFO", logger="werkzeug")  # moto's request log
    caplog.clear()
    assert client.storage_volumes.get(wanted.id).capacity == "1"
    [asked] = [r.getMessage() for r in caplog.records
               if "Action=DescribeVolumes" in r.getMessage()]
    assert f"Filter.1.Name=volume-id&Filter.1.Value.1={wanted.id}" in asked
    assert {v.id for v in client.storage_volumes.list()} == {wanted.id,
                                                            other.id}
    with pytest.raises(exceptions.NotFound):
        client.storage_volumes.get("vol-0123456789abcdef0")
    with pytest.raises(exceptions.NotFound):
        client.storage_volumes.get("not-a-volume")


def test_a_snapshot_keeps_its_name_and_its_description(client, moto):
    volume = client.storage_volumes.create(capacity=1)
    made = client.storage_snapshots.create(
        volume.id, name="nightly", description="made by heat-deltacloud")
    [described] = moto.describe_snapshots(
        SnapshotIds=[made.id])["Snapshots"]
    assert described["Description"] == "made by heat-deltacloud"
    assert {"Key": "Name", "Value": "nightly"} in described["Tags"]
    # Deltacloud's snapshot documents show neither: EC2 keeps them.
    assert client.storage_snapshots.get(made.id).volume_id == volume.id
    unnamed = client.storage_snapshots.create(volume.id, name="weekly")
    assert moto.describe_snapshots(SnapshotIds=[unnamed.id])[
        "Snapshots"][0]["Description"] == "weekly"  # libcloud's habit


def _actions(caplog):
    """The EC2 actions moto was asked for (libcloud sends them in GET
    query strings), from moto's request log."""
    return [re.search(r"Action=(\w+)", r.getMessage()).group(1)
            for r in caplog.records if "Action=" in r.getMessage()]


@pytest.fixture
def attached(client, moto, own_image):
    """``(instance id, volume id)``: a 1 GB volume attached in moto."""
    instance = client.instances.create(own_image, hwp_id="t2.micro",
                                       realm_id="us-east-1a")
    data = moto.create_volume(Size=1, AvailabilityZone="us-east-1a")
    moto.attach_volume(VolumeId=data["VolumeId"], InstanceId=instance.id,
                       Device="/dev/sdh")
    return instance.id, data["VolumeId"]


def test_deleting_a_volume_in_use_is_409_before_ec2_is_asked(
        server, moto, attached, caplog):
    instance_id, volume_id = attached
    caplog.set_level("INFO", logger="werkzeug")
    caplog.clear()
    answer = requests.delete(f"{server.url}/storage_volumes/{volume_id}",
                             auth=(KEY, SECRET), timeout=30,
                             headers={"Accept": "application/xml"})
    assert answer.status_code == 409, answer.text
    assert (f"storage volume {volume_id} is attached (IN-USE to instance "
            f"{instance_id}): detach it before deleting it") in answer.text
    assert "DeleteVolume" not in _actions(caplog)
    assert volume_id in _volumes(moto)


def test_detaching_a_volume_not_attached_is_400_before_ec2_is_asked(
        server, client, moto, caplog):
    data = client.storage_volumes.create(capacity=1)
    caplog.set_level("INFO", logger="werkzeug")
    caplog.clear()
    answer = _post(server, f"/storage_volumes/{data.id}/detach")
    assert answer.status_code == 400, answer.text
    assert (f"storage volume {data.id} is not attached (AVAILABLE): there "
            f"is nothing to detach") in answer.text
    assert "DetachVolume" not in _actions(caplog)
    with pytest.raises(exceptions.BadRequest, match="nothing to detach"):
        client.storage_volumes.detach(data)


@pytest.fixture
def session(moto):
    from heat_deltacloud.server import drivers
    from heat_deltacloud.server.drivers.libcloud import Backend
    backend = Backend(drivers.provider("ec2"), region="us-east-1",
                      endpoint=moto.endpoint, timeout=20)
    made = backend.session(KEY, SECRET)
    yield made
    made.close()


def test_ec2s_own_state_errors_get_the_same_status(session, moto, attached,
                                                   monkeypatch):
    """The volume's state changed between the read and the request: EC2
    refuses (moto: VolumeInUse, InvalidAttachment.NotFound), and the
    answer is the check's, with EC2's message, not a 502."""
    instance_id, volume_id = attached
    in_use = session._volume(volume_id)
    moto.detach_volume(VolumeId=volume_id, InstanceId=instance_id)
    monkeypatch.setattr(session, "_volume", lambda ident: in_use)
    with pytest.raises(DriverError) as caught:
        session.detach_volume(KEY, volume_id)
    assert caught.value.status == 400
    assert caught.value.message.startswith(
        f"storage volume {volume_id} is not attached (the provider: ")
    assert "InvalidAttachment.NotFound" in caught.value.message

    available = session.__class__._volume(session, volume_id)
    moto.attach_volume(VolumeId=volume_id, InstanceId=instance_id,
                       Device="/dev/sdh")
    monkeypatch.setattr(session, "_volume", lambda ident: available)
    with pytest.raises(DriverError) as caught:
        session.destroy_volume(KEY, volume_id)
    assert caught.value.status == 409
    assert caught.value.message.startswith(
        f"storage volume {volume_id} is attached (the provider: "
        f"VolumeInUse")
    assert caught.value.message.endswith("detach it before deleting it")
    assert volume_id in _volumes(moto)
