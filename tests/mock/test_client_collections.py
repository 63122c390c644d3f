"""The client's newer managers against the mock over HTTP."""

import pytest

from heat_deltacloud.deltacloud import Client, exceptions


@pytest.fixture(params=["xml", "json"])
def dc(deltacloud_mock, request):
    with Client(deltacloud_mock.url, "mockuser", "mockpassword",
                format=request.param) as client:
        yield client


def test_blob_round_trip(dc):
    bucket = dc.buckets.create("pics")
    assert (bucket.id, bucket.blob_ids) == ("pics", ())
    blob = dc.buckets.put_blob(bucket, "a.txt", "hi there",
                               content_type="text/plain",
                               metadata={"Author": "me"})
    assert (blob.content_length, dict(blob.user_metadata)) == (
        8, {"AUTHOR": "me"})
    assert dc.buckets.blob_metadata("pics", "a.txt") == {"AUTHOR": "me"}
    dc.buckets.update_blob_metadata("pics", "a.txt", {"Rev": "2"})
    assert dc.buckets.get_blob("pics", "a.txt").user_metadata == {
        "REV": "2"}
    assert dc.buckets.blob_content("pics", "a.txt") == b"hi there"
    with pytest.raises(exceptions.Forbidden):
        dc.buckets.destroy("pics")
    dc.buckets.delete_blob("pics", "a.txt")
    dc.buckets.destroy("pics")
    assert [b.id for b in dc.buckets.list()] == ["bucket1", "bucket2"]


def test_networks_and_snapshots(dc):
    subnet = dc.subnets.create("net2", "10.7.0.0/16", name="s7")
    nic = dc.network_interfaces.create("inst2", subnet, name="n7")
    assert nic.ip_address.startswith("10.7.")
    assert "s7" in dc.networks.get("net2").subnet_ids
    dc.network_interfaces.destroy(nic)
    dc.networks.destroy("net2")
    with pytest.raises(exceptions.NotFound):
        dc.subnets.get("s7")
    snap = dc.storage_snapshots.create("vol1", name="nightly")
    assert snap.volume_id == "vol1"
    dc.storage_snapshots.destroy(snap)


def test_metrics_states_drivers(dc):
    assert dc.metrics.get("inst0").property("cpuUtilization").samples
    assert [s.name for s in dc.instance_states.list()][-1] == "finish"
    assert [d.id for d in dc.drivers.list()] == ["mock", "ec2"]


def test_an_ec2_client(deltacloud_mock):
    with Client(deltacloud_mock.url, "mockuser", "mockpassword",
                driver="ec2", provider="eu-west-1") as dc:
        assert dc.api.driver == "ec2"
        assert dc.supports("buckets", "bucket_location")
        assert [r.id for r in dc.realms.list()][0] == "eu-west-1a"
        assert "stopping" in [s.name for s in dc.instance_states.list()]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_load_balancers_on_ec2(deltacloud_mock, fmt):
    with Client(deltacloud_mock.url, "mockuser", "mockpassword",
                driver="ec2", format=fmt) as dc:
        lb = dc.load_balancers.create("web", "us-east-1b", "HTTP", 80, 8080)
        assert (lb.id, lb.realm_ids, lb.listeners[0].instance_port) == (
            "web", ("us-east-1b",), "8080")
        assert lb.public_addresses[0].endswith(".elb.amazonaws.com")
        assert dc.load_balancers.register(lb, "inst1").instance_ids == (
            "inst1",)
        assert dc.load_balancers.unregister(lb, "inst1").instance_ids == ()
        assert [b.id for b in dc.load_balancers.list()] == ["web"]
        dc.load_balancers.destroy(lb)
        with pytest.raises(exceptions.NotFound):
            dc.load_balancers.get("web")
    with Client(deltacloud_mock.url, "mockuser", "mockpassword") as dc:
        with pytest.raises(exceptions.NotSupported):
            dc.load_balancers.list()


def test_volume_names_reach_the_mock(dc):
    volume = dc.storage_volumes.create(capacity=2, name="data")
    assert dc.storage_volumes.get(volume.id).name == "data"
