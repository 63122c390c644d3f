"""Managers for the collections beyond compute: snapshots, buckets and
blobs, metrics, networks, subnets, network interfaces, instance states
and drivers.  Documents in data/ were captured from the mock."""

import urllib.parse

import pytest

from heat_deltacloud.deltacloud import exceptions, models

URL = "http://localhost:3001/api"


@pytest.fixture
def client(reply):
    """``client(fmt)``: its /api lists every collection (the mock's)."""
    from heat_deltacloud.deltacloud import Client

    def make(fmt="xml"):
        reply("GET", "", "api_full", fmt)
        return Client(URL, "mockuser", "pw", format=fmt, backoff_factor=0)
    return make


def form(call):
    return dict(urllib.parse.parse_qsl(call.request.body))


def test_storage_snapshots(client, reply, rsps, fmt):
    dc = client(fmt)
    reply("GET", "/storage_snapshots", "storage_snapshots", fmt)
    snaps = dc.storage_snapshots.list()
    assert [(s.id, s.volume_id) for s in snaps] == [
        ("snap1", "vol1"), ("snap2", "vol2"), ("snap3", "vol2")]
    assert snaps[0].created
    reply("DELETE", "/storage_snapshots/snap1", status=204)
    dc.storage_snapshots.destroy(snaps[0])


def test_create_snapshot_sends_the_volume(client, rsps, document):
    dc = client()
    body = document("storage_snapshots.xml").split(b"<storage_snapshot ",
                                                   2)
    one = b"<?xml version='1.0' encoding='utf-8' ?>\n<storage_snapshot " + \
        body[1].rsplit(b"</storage_snapshot>", 1)[0] + \
        b"</storage_snapshot>"
    rsps.add("POST", f"{URL}/storage_snapshots", body=one, status=201,
             content_type="application/xml")
    snap = dc.storage_snapshots.create("vol1", name="s", description="d")
    assert (snap.id, snap.volume_id) == ("snap1", "vol1")
    assert form(rsps.calls[-1]) == {"volume_id": "vol1", "name": "s",
                                    "description": "d"}


def test_buckets_and_blobs(client, reply, rsps, fmt):
    dc = client(fmt)
    reply("GET", "/buckets", "buckets", fmt)
    assert [(b.id, b.size, b.blob_ids) for b in dc.buckets.list()] == [
        ("bucket1", "3", ("blob1", "blob2", "blob3")),
        ("bucket2", "2", ("blob4", "blob5"))]
    reply("GET", "/buckets/bucket1/blob2", "blob", fmt)
    blob = dc.buckets.get_blob("bucket1", "blob2")
    assert (blob.id, blob.bucket, blob.content_length, blob.content_type,
            dict(blob.user_metadata)) == (
        "blob2", "bucket1", 56, "text/html", {"VERSION": "1.2"})
    assert blob.content_href == f"{URL}/buckets/bucket1/blob2/content"


def test_put_blob_sends_content_and_metadata(client, reply, rsps):
    dc = client()
    reply("PUT", "/buckets/bucket1/blob2", "blob")
    dc.buckets.put_blob("bucket1", "blob2", "hello", content_type=
                        "text/plain", metadata={"Author": "me"})
    request = rsps.calls[-1].request
    assert (request.body, request.headers["Content-Type"],
            request.headers["X-Deltacloud-Blobmeta-Author"]) == (
        b"hello", "text/plain", "me")


def test_blob_metadata_content_and_delete(client, rsps):
    dc = client()
    rsps.add("HEAD", f"{URL}/buckets/b/x", status=204, headers={
        "X-Deltacloud-Blobmeta-VERSION": "2", "Server": "x"})
    assert dc.buckets.blob_metadata("b", "x") == {"VERSION": "2"}
    rsps.add("POST", f"{URL}/buckets/b/x", status=204)
    dc.buckets.update_blob_metadata("b", "x", {"Version": 3})
    assert rsps.calls[-1].request.headers[
        "X-Deltacloud-Blobmeta-Version"] == "3"
    rsps.add("GET", f"{URL}/buckets/b/x/content", body=b"\x00data",
             content_type="application/octet-stream")
    assert dc.buckets.blob_content("b", "x") == b"\x00data"
    rsps.add("DELETE", f"{URL}/buckets/b/x", status=204)
    dc.buckets.delete_blob("b", "x")
    rsps.add("DELETE", f"{URL}/buckets/b", status=403, body=b"")
    with pytest.raises(exceptions.Forbidden):
        dc.buckets.destroy("b")


def test_bucket_location_needs_the_feature(client, rsps):
    dc = client()
    with pytest.raises(exceptions.NotSupported):
        dc.buckets.create("b", location="eu-west-1")
    rsps.add("POST", f"{URL}/buckets", status=201,
             content_type="application/xml",
             body=b"<bucket href='x' id='b'><name>b</name><size>0</size>"
                  b"</bucket>")
    assert dc.buckets.create("b").blob_ids == ()
    assert form(rsps.calls[-1]) == {"name": "b"}


def test_metrics(client, reply, fmt):
    dc = client(fmt)
    reply("GET", "/metrics", "metrics", fmt)
    metrics = dc.metrics.list()
    assert [m.id for m in metrics] == ["inst0", "inst1", "inst2", "inst3"]
    assert metrics[0].property("cpuUtilization").samples == ()
    reply("GET", "/metrics/inst0", "metric", fmt)
    samples = dc.metrics.get("inst0").property("nicInputByte").samples
    assert len(samples) == 6
    assert samples[0]["unit"] == "Bytes"


def test_networks_subnets_interfaces(client, reply, fmt):
    dc = client(fmt)
    reply("GET", "/networks", "networks", fmt)
    assert [(n.id, n.address_blocks, n.subnet_ids)
            for n in dc.networks.list()] == [
        ("net1", ("192.168.0.0/16",), ("subnet1", "subnet2")),
        ("net2", ("10.0.0.0/8",), ("subnet3", "subnet4"))]
    reply("GET", "/subnets", "subnets", fmt)
    subnet = dc.subnets.list()[0]
    assert (subnet.id, subnet.network_id, subnet.address_block) == (
        "subnet1", "net1", "192.168.1.0/24")
    reply("GET", "/network_interfaces/nic1", "network_interface", fmt)
    nic = dc.network_interfaces.get("nic1")
    assert (nic.instance_id, nic.network_id, nic.ip_address) == (
        "inst1", "subnet1", "192.168.1.2")


def test_network_writes(client, reply, rsps, document):
    dc = client()
    reply("POST", "/network_interfaces", "network_interface", status=201)
    dc.network_interfaces.create("inst1", "subnet1", name="nic1")
    assert form(rsps.calls[-1]) == {"instance": "inst1",
                                    "network": "subnet1", "name": "nic1"}
    rsps.add("POST", f"{URL}/subnets", status=201,
             content_type="application/xml",
             body=b"<subnet href='x' id='s'><name>s</name>"
                  b"<network>net1</network></subnet>")
    assert dc.subnets.create("net1", "10.9.0.0/16").network_id == "net1"
    assert form(rsps.calls[-1]) == {"network_id": "net1",
                                    "address_block": "10.9.0.0/16"}
    rsps.add("DELETE", f"{URL}/networks/net1", status=204)
    dc.networks.destroy(models.Network("net1", "network1"))


def test_instance_states(client, reply, fmt):
    dc = client(fmt)
    reply("GET", "/instance_states", "instance_states", fmt)
    states = dc.instance_states.list()
    assert [s.name for s in states] == ["start", "pending", "running",
                                        "stopped", "finish"]
    assert states[1].transitions == (
        models.StateTransition("running", None, True),)
    assert states[2].actions == ("reboot", "stop")


def test_instance_state_lookup(client, reply):
    dc = client()
    reply("GET", "/instance_states", "instance_states")
    reply("GET", "/instance_states", "instance_states")
    assert dc.instance_states.get("stopped").actions == ("start", "destroy")
    with pytest.raises(exceptions.NotFound):
        dc.instance_states.get("nowhere")


def test_drivers(client, reply, fmt):
    dc = client(fmt)
    reply("GET", "/drivers", "drivers", fmt)
    drivers = dc.drivers.list()
    assert [(d.id, d.name) for d in drivers] == [("mock", "Mock"),
                                                 ("ec2", "EC2")]
    reply("GET", "/drivers/ec2", "driver_ec2", fmt)
    ec2 = dc.drivers.get("ec2")
    assert ec2.name == "EC2"
    if fmt == "xml":
        east = next(p for p in ec2.providers if p.id == "us-east-1")
        assert east.entrypoints["s3"] == "s3.amazonaws.com"
