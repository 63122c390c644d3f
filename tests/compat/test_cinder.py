"""Volumes through the cinder shape, against the mock."""

import logging

import pytest

from heat_deltacloud.compat import cinder
from heat_deltacloud.compat.cinder import exceptions


@pytest.fixture
def volumes(dc):
    return cinder.Client(dc).volumes


def test_volume_lifecycle(volumes, compute, caplog):
    caplog.set_level(logging.INFO)
    volume = volumes.create(2, availability_zone="us",
                            metadata={"Name": "data"}, name="data")
    assert (volume.size, volume.status, volume.attachments) == (
        2, "available", [])
    assert "cannot store volume metadata" in caplog.text
    compute.volumes.create_server_volume("inst1", volume.id, "/dev/vdb")
    attached = volumes.get(volume.id)
    assert attached.status == "in-use"
    assert attached.attachments[0]["server_id"] == "inst1"
    compute.volumes.delete_server_volume("inst1", volume.id)
    assert volumes.get(volume.id).status == "available"
    volumes.delete(volume.id)
    with pytest.raises(exceptions.NotFound):
        volumes.get(volume.id)


def test_unhonoured_volume_arguments(volumes):
    with pytest.raises(exceptions.BadRequest, match="'volume_type'"):
        volumes.create(1, volume_type="ssd")


def test_fixture_volumes(volumes):
    vol3 = volumes.get("vol3")
    assert (vol3.status, vol3.availability_zone) == ("in-use", "us")
    assert {v.id for v in volumes.list()} == {"vol1", "vol2", "vol3"}

def test_deleting_a_server_frees_its_volumes(volumes, compute):
    """As Nova does: the mock driver, like the real one, would leave a
    destroyed instance's volume in use, and Heat could not delete it."""
    server = compute.servers.create("db", "img1", "m1-small")
    volume = volumes.create(1, availability_zone="us")
    compute.volumes.create_server_volume(server.id, volume.id, "/dev/vdb")
    assert volumes.get(volume.id).status == "in-use"
    server.delete()
    assert volumes.get(volume.id).status == "available"
    volumes.delete(volume.id)
