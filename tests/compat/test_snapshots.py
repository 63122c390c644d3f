"""Server images and volume backups for deletion_policy Snapshot, over real
HTTP to the mock: ``servers.create_image`` makes a Deltacloud image of the
instance, cinder ``backups`` are storage snapshots that outlive the
volume; and volumes show their realm as their zone."""

import pytest

from heat_deltacloud.compat import cinder
from heat_deltacloud.compat.nova import exceptions as nova_exc


@pytest.fixture
def block_storage(dc):
    return cinder.Client(dc)


def test_create_image_makes_an_image_of_the_instance(compute, images,
                                                     deltacloud_mock):
    server = compute.servers.create("web", "img1", "m1-small")
    image_id = server.create_image("stack-web-abc123")
    assert image_id == "stack-web-abc123"
    image = deltacloud_mock.app.cloud.images[image_id]
    assert image["description"] == (
        f"heat-deltacloud snapshot of server web ({server.id})")
    # What Heat's check_delete_complete reads before deleting the server.
    assert images.images.get(image_id)["status"] == "active"


def test_an_instance_offering_no_create_image_is_refused_in_one_line(
        compute, deltacloud_mock):
    """inst3 (a fixture instance) has create_image false."""
    deltacloud_mock.clear_requests()
    with pytest.raises(nova_exc.HTTPNotImplemented) as refused:
        compute.servers.create_image("inst3", "never")
    assert (refused.value.code, refused.value.message) == (
        501, "Deltacloud cannot snapshot server inst3: its instance "
             "(RUNNING) offers no 'create_image' (on ec2 only a running "
             "EBS-backed instance does)")
    assert "POST /api/images" not in deltacloud_mock.request_counts()
    assert "never" not in deltacloud_mock.app.cloud.images


def test_a_backup_is_a_storage_snapshot_that_outlives_its_volume(
        block_storage, deltacloud_mock):
    volume = block_storage.volumes.create(1)
    backup = block_storage.backups.create(volume.id, force=True)
    assert (backup.volume_id, backup.status, backup.fail_reason) == (
        volume.id, "available", None)
    block_storage.volumes.delete(volume.id)
    kept = block_storage.backups.get(backup.id)
    assert (kept.id, kept.status) == (backup.id, "available")
    stored = deltacloud_mock.app.cloud.snapshots[backup.id]
    assert stored["description"] == (
        f"heat-deltacloud backup of volume {volume.id}")
    assert backup.id in {b.id for b in block_storage.backups.list()}
    block_storage.backups.delete(backup.id)
    with pytest.raises(cinder.exceptions.NotFound):
        block_storage.backups.get(backup.id)


def test_backup_options_deltacloud_lacks_are_refused(block_storage,
                                                     deltacloud_mock):
    deltacloud_mock.clear_requests()
    with pytest.raises(cinder.exceptions.BadRequest) as refused:
        block_storage.backups.create("vol1", incremental=True)
    assert "no container, incremental or snapshot_id" in str(refused.value)
    assert deltacloud_mock.request_counts() == {}


def test_a_volume_s_zone_is_its_realm(block_storage):
    """The real mock driver's fixture volumes are in realm ``us``; the
    volumes it makes have no realm (``create_storage_volume``), so no
    zone."""
    assert block_storage.volumes.get("vol1").availability_zone == "us"
    assert block_storage.volumes.create(1).availability_zone is None
