"""What the shims do not implement is refused in one line (501), over
real HTTP to the mock: never an AttributeError, IndexError or TypeError.

Each row is a call Heat 27's resources make (the comment says when) that
Deltacloud has no counterpart for, with the line the user must see.  The
tables of refusals in the shims and the rows here must name the same
calls, so a new refusal comes with its row.
"""

import logging

import pytest

from heat_deltacloud.compat import cinder, glance
from heat_deltacloud.compat.cinder import exceptions as cinder_exc
from heat_deltacloud.compat.glance import exceptions as glance_exc
from heat_deltacloud.compat.neutron import exceptions as neutron_exc
from heat_deltacloud.compat.nova import exceptions as nova_exc
from heat_deltacloud.compat.nova import servers

RESIZE = ("Deltacloud cannot resize servers: replace the server instead "
          "(OS::Nova::Server: flavor_update_policy REPLACE)")
REBUILD = ("Deltacloud cannot rebuild servers: replace the server instead "
           "(OS::Nova::Server: image_update_policy or user_data_update_policy"
           " REPLACE)")
NO_PORTS = "Deltacloud has no ports: a server's networks cannot change"

#: Nova server call -> (arguments after the server, the one line).
SERVER_CALLS = {
    # a flavor change (OS::Nova::Server flavor, AWS::EC2::Instance
    # InstanceType): resize, then confirm
    "resize": (("m1-large",), RESIZE),
    "confirm_resize": ((), RESIZE),
    "revert_resize": ((), RESIZE),
    # an image change, or user data with user_data_update_policy REBUILD
    "rebuild": (("img2",), REBUILD),
    # a name change
    "update": (("renamed",), "Deltacloud cannot rename servers: an "
                             "instance keeps the name it was created with"),
    # admin_pass set on update
    "change_password": (("s3cret",), "Deltacloud cannot set server "
                                     "passwords (admin_pass)"),
    # networks changed on update
    "interface_attach": ((None, "public", None), NO_PORTS),
    "interface_detach": (("port-1",), NO_PORTS),
    # the console_urls attribute
    "get_console_url": (("novnc",), "Deltacloud has no remote consoles"),
}

RESTORES = "the cinder shim cannot restore backups (backup_id, SnapshotId)"
VOLUME_SNAPSHOTS = ("the cinder shim has no volume snapshots (snapshot_id, "
                    "SnapshotId)")
VOLUME_TYPES = "Deltacloud has no volume types"

#: Cinder call (manager.method) -> (arguments after the volume id, line).
VOLUME_CALLS = {
    # size increased on update
    "volumes.extend": ((2,), "Deltacloud cannot extend volumes: create a "
                             "new volume of the size wanted"),
    # name or description changed on update
    "volumes.update": ((), "Deltacloud cannot rename volumes or change "
                           "their description: both are set at create"),
    "volumes.retype": (("ssd", "never"), VOLUME_TYPES),
    # read_only: true, at create or on update
    "volumes.update_readonly_flag": ((True,), "Deltacloud has no read-only "
                                              "volumes (read_only)"),
    # backup_id and SnapshotId (refused at validation by the plugins)
    "restores.restore": (("vol1",), RESTORES),
    # snapshot_id's constraint
    "volume_snapshots.get": ((), VOLUME_SNAPSHOTS),
    # volume_type's constraint lists the types
    "volume_types.list": ((), VOLUME_TYPES),
}

NO_IMAGE_CHANGES = ("the glance shim only reads Deltacloud images: it does "
                    "not create, change or delete them")


@pytest.fixture
def server(compute, deltacloud_mock):
    made = compute.servers.create("web", "img1", "m1-small")
    deltacloud_mock.clear_requests()
    return made


@pytest.fixture
def block_storage(dc):
    return cinder.Client(dc)


@pytest.mark.parametrize("name", sorted(SERVER_CALLS))
@pytest.mark.parametrize("on", ["manager", "server"])
def test_server_call_refused_in_one_line(compute, server, deltacloud_mock,
                                         name, on):
    args, line = SERVER_CALLS[name]
    if on == "manager":
        call, args = getattr(compute.servers, name), (server.id, *args)
    else:
        call = getattr(server, name)
    with pytest.raises(nova_exc.HTTPNotImplemented) as refused:
        call(*args)
    assert (refused.value.code, refused.value.message) == (501, line)
    assert str(refused.value) == f"{line} (HTTP 501)"
    assert deltacloud_mock.request_counts() == {}  # refused before asking


def test_every_refused_server_call_has_its_row():
    assert set(servers.REFUSED) == set(SERVER_CALLS)


@pytest.mark.parametrize("call", sorted(VOLUME_CALLS))
def test_volume_call_refused_in_one_line(block_storage, deltacloud_mock,
                                         call):
    manager, method = call.split(".")
    args, line = VOLUME_CALLS[call]
    deltacloud_mock.clear_requests()
    with pytest.raises(cinder_exc.HTTPNotImplemented) as refused:
        getattr(getattr(block_storage, manager), method)("vol1", *args)
    assert (refused.value.code, refused.value.message) == (501, line)
    assert deltacloud_mock.request_counts() == {}


def test_every_refused_volume_call_has_its_row():
    rows = {call.split(".")[0] for call in VOLUME_CALLS} - {"volumes"}
    assert rows == set(cinder.MISSING_MANAGERS)
    assert {f"volumes.{name}" for name in cinder.REFUSED} <= set(VOLUME_CALLS)


#: Glance image calls refused: Heat deletes a server snapshot's image.
IMAGE_CALLS = ("create", "update", "delete", "upload", "data", "deactivate",
               "reactivate", "add_location", "delete_locations",
               "update_location")


@pytest.mark.parametrize("method", IMAGE_CALLS)
def test_image_changes_refused(images, deltacloud_mock, method):
    deltacloud_mock.clear_requests()
    with pytest.raises(glance_exc.HTTPNotImplemented) as refused:
        getattr(images.images, method)("img1")
    assert (refused.value.code, refused.value.details) == (
        501, NO_IMAGE_CHANGES)
    assert deltacloud_mock.request_counts() == {}


def test_every_refused_image_call_has_its_row():
    assert set(glance.REFUSED) == set(IMAGE_CALLS)


def test_a_servers_first_port_is_refused_naming_eip(network, compute):
    """AWS::EC2::EIPAssociation with AllocationId (or NetworkInterfaceId)
    takes ``list_ports(...)["ports"][0]``: an IndexError before."""
    server = compute.servers.create("web", "img1", "m1-small")
    ports = network.list_ports(device_id=server.id)["ports"]
    assert list(ports) == [] and len(ports) == 0  # Server's addresses
    with pytest.raises(neutron_exc.NeutronClientException) as refused:
        ports[0]
    assert (refused.value.status_code, refused.value.message) == (
        501, "Deltacloud has no ports: associate a floating IP with EIP and "
             "InstanceId, not AllocationId or NetworkInterfaceId")


def test_read_write_is_what_volumes_are(block_storage, deltacloud_mock):
    """Heat sets the flag after every create where read_only is given,
    false included."""
    deltacloud_mock.clear_requests()
    assert block_storage.volumes.update_readonly_flag("vol1", False) is None
    assert deltacloud_mock.request_counts() == {}


def test_volume_metadata_changes_are_logged_not_kept(block_storage, caplog):
    """As at create: OS::Cinder::Volume metadata and AWS::EC2::Volume Tags
    are accepted and not kept, so changing them does not fail an update."""
    caplog.set_level(logging.INFO)
    volume = block_storage.volumes.create(1, metadata={"tier": "db"})
    block_storage.volumes.update_all_metadata(volume, {"tier": "web"})
    assert f"not kept for {volume.id}: ['tier']" in caplog.text
    assert block_storage.volumes.get(volume.id).metadata == {}


def test_volume_answers_every_attribute_heat_reads(block_storage):
    """OS::Cinder::Volume's attributes are ``getattr(volume, name)``."""
    volume = block_storage.volumes.create(1)
    shown = block_storage.volumes.get(volume.id)
    assert {name: getattr(shown, name) for name in (
        "snapshot_id", "source_volid", "encrypted", "multiattach",
        "volume_type", "bootable")} == {
        "snapshot_id": None, "source_volid": None, "encrypted": False,
        "multiattach": False, "volume_type": None, "bootable": "false"}
    assert shown.created_at  # the Deltacloud volume's creation time


@pytest.mark.parametrize("call, error, line", [
    # OS::Nova::KeyPair user (the Keystone look-up fails first in Heat)
    (lambda c: c["compute"].keypairs.create("k1", user_id="bob"),
     nova_exc.BadRequest, "Deltacloud keys belong to the caller; 'user_id' "
                          "cannot be honoured"),
    # OS::Nova::Server networks at create
    (lambda c: c["compute"].servers.create("web", "img1", "m1-small",
                                           nics=[{"net-id": "public"}]),
     nova_exc.BadRequest, "Deltacloud cannot honour the server argument "
                          "'nics'"),
    # any Neutron call but networks and floating IPs (routers, VPCs...)
    (lambda c: c["network"].list_routers(),
     neutron_exc.NeutronClientException,
     "Deltacloud has no Neutron 'list_routers': only networks 'public' and "
     "'private' and floating IPs are available"),
], ids=["keypair-user", "server-nics", "neutron-routers"])
def test_already_refused(compute, network, call, error, line):
    with pytest.raises(error) as refused:
        call({"compute": compute, "network": network})
    assert refused.value.message == line
