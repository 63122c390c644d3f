"""Flavors, keypairs, zones, limits and volume attachments (the state
table: test_nova_status.py)."""

import pytest

from heat_deltacloud.compat.nova import exceptions


def test_flavors_from_hardware_profiles(compute):
    flavors = {f.id: f for f in compute.flavors.list()}
    assert set(flavors) == {"m1-small", "m1-large", "m1-xlarge", "opaque"}
    small, large = flavors["m1-small"], flavors["m1-large"]
    assert (small.ram, small.vcpus, small.disk) == (1740, 1, 160)
    assert (large.ram, large.vcpus, large.disk) == (10240, 1, 850)
    assert large.get_keys() == {"deltacloud:architecture": "x86_64"}
    opaque = flavors["opaque"]
    assert (opaque.ram, opaque.vcpus, opaque.disk) == (0, 0, 0)


def test_flavor_override_syntax(compute):
    flavor = compute.flavors.get("m1-large;memory=12288;cpu=4")
    assert flavor.id == "m1-large;cpu=4;memory=12288"
    assert (flavor.ram, flavor.vcpus, flavor.disk) == (12288, 4, 850)
    assert compute.flavors.find(name="m1-large;cpu=2").vcpus == 2


@pytest.mark.parametrize("flavor, message", [
    ("m1-large;memory=99", "memory=99 is outside"),
    ("m1-small;memory=4096", "cannot change 'memory'"),
    ("m1-large;gpu=1", "cannot change 'gpu'"),
    ("m1-large;memory", "is not property=value"),
])
def test_bad_flavor_overrides(compute, flavor, message):
    with pytest.raises(exceptions.BadRequest, match=message):
        compute.flavors.get(flavor)


def test_flavor_lookups_that_fail(compute):
    with pytest.raises(exceptions.NotFound):
        compute.flavors.get("m9-huge")
    with pytest.raises(exceptions.NotFound):
        compute.flavors.find(name="m9-huge")
    with pytest.raises(exceptions.NoUniqueMatch):
        compute.flavors.find(is_public=True)


def test_keypairs(compute):
    created = compute.keypairs.create("mykey")
    assert created.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert "private_key" not in repr(created)
    fetched = compute.keypairs.get("mykey")
    assert (fetched.id, fetched.name, fetched.public_key) == (
        "mykey", "mykey", "")
    assert not hasattr(fetched, "private_key")
    assert "mykey" in [k.name for k in compute.keypairs.list()]
    compute.keypairs.delete("mykey")
    with pytest.raises(exceptions.NotFound):
        compute.keypairs.get("mykey")


def test_keypair_import_needs_the_feature(compute):
    with pytest.raises(exceptions.HTTPNotImplemented, match="import_key"):
        compute.keypairs.create("k", public_key="ssh-rsa AAAA x")


def test_duplicate_keypair_is_forbidden(compute):
    compute.keypairs.create("dup")
    with pytest.raises(exceptions.Forbidden,
                       match="Key with same name already exists"):
        compute.keypairs.create("dup")


def test_availability_zones_are_realms(compute):
    zones = compute.availability_zones.list(detailed=False)
    assert [(z.zoneName, z.zoneState) for z in zones] == [
        ("us", {"available": True}), ("eu", {"available": True})]


def test_limits_forbid_metadata(compute):
    limits = {lim.name: lim.value for lim in compute.limits.get().absolute}
    assert limits["maxServerMeta"] == 0
    assert limits["maxPersonality"] == 0


def test_server_volume_attachments(compute):
    server = compute.servers.create("db", "img1", "m1-small")
    attachment = compute.volumes.create_server_volume(server.id, "vol1",
                                                      "/dev/sdb")
    assert (attachment.id, attachment.serverId) == ("vol1", server.id)
    assert compute.volumes.get_server_volume(server.id, "vol1").device == \
        "/dev/sdb"
    compute.volumes.delete_server_volume(server.id, "vol1")
    with pytest.raises(exceptions.NotFound):
        compute.volumes.get_server_volume(server.id, "vol1")
