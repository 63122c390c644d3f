"""A cinderclient-shaped client over Deltacloud storage volumes.

Capacity is in GB on both sides; Deltacloud's upper-case states become
Cinder's lower-case statuses through :data:`VOLUME_STATUS`.  Volume
metadata (AWS tags) has no Deltacloud counterpart: it is logged and not
kept.  Cinder backups are Deltacloud storage snapshots (as
``DeletionPolicy: Snapshot`` of an ``AWS::EC2::Volume`` is an EBS
snapshot): both outlive the volume they were taken of.  Restoring one
(``backup_id``) is refused.
"""

import logging

from heat_deltacloud.compat import base, refusals
from heat_deltacloud.compat.cinder import exceptions

LOG = logging.getLogger(__name__)

#: Deltacloud volume state -> Cinder volume status.
VOLUME_STATUS = {"AVAILABLE": "available", "IN-USE": "in-use",
                 "CREATING": "creating", "DELETING": "deleting",
                 "ERROR": "error", "ATTACHING": "attaching",
                 "DETACHING": "detaching"}


NO_RESTORES = ("the cinder shim cannot restore backups (backup_id, "
               "SnapshotId)")
NO_SNAPSHOTS = ("the cinder shim has no volume snapshots (snapshot_id, "
                "SnapshotId)")
NO_TYPES = "Deltacloud has no volume types"
#: Cinder volume calls Deltacloud has no counterpart for -> the one line
#: Heat shows (501).
REFUSED = {
    "extend": ("Deltacloud cannot extend volumes: create a new volume of "
               "the size wanted"),
    "update": ("Deltacloud cannot rename volumes or change their "
               "description: both are set at create"),
    "retype": NO_TYPES,
}
#: Cinder managers the shim has none of -> why.
MISSING_MANAGERS = {"restores": NO_RESTORES,
                    "volume_snapshots": NO_SNAPSHOTS,
                    "volume_types": NO_TYPES}


def _refused(message):
    return exceptions.HTTPNotImplemented(501, message)


class Volume(base.Resource):
    pass


def volume_info(volume):
    attachments = []
    if volume.instance_id:
        attachments.append({"server_id": volume.instance_id,
                            "device": volume.device,
                            "attachment_id": volume.id,
                            "volume_id": volume.id, "id": volume.id})
    try:
        size = int(float(volume.capacity))
    except (TypeError, ValueError):
        size = 0
    return {"id": volume.id, "name": volume.name,
            "description": volume.description,
            "status": VOLUME_STATUS.get((volume.state or "").upper(),
                                        (volume.state or "error").lower()),
            "size": size, "availability_zone": volume.realm_id,
            "attachments": attachments, "bootable": "false",
            "metadata": {}, "volume_type": None,
            "created_at": volume.created,
            # What Deltacloud does not say or have; Heat reads each as an
            # attribute of OS::Cinder::Volume.
            "snapshot_id": None, "source_volid": None, "encrypted": False,
            "multiattach": False}


@refusals.refusing(REFUSED, _refused)
class VolumeManager(base.Manager):
    resource_class = Volume

    def get(self, volume):
        with exceptions.translating():
            return self._wrap(volume_info(self.dc.storage_volumes.get(
                base.getid(volume))))

    def list(self, detailed=True, search_opts=None, **kwargs):
        with exceptions.translating():
            return [self._wrap(volume_info(v))
                    for v in self.dc.storage_volumes.list()]

    def create(self, size, *, name=None, description=None,
               availability_zone=None, metadata=None, snapshot_id=None,
               volume_type=None, imageRef=None, **kwargs):
        if metadata:
            LOG.info("Deltacloud cannot store volume metadata; not kept: "
                     "%s", sorted(metadata))
        for arg, value in (("volume_type", volume_type),
                           ("imageRef", imageRef), *kwargs.items()):
            if value:
                raise exceptions.BadRequest(
                    400, f"Deltacloud cannot honour the volume argument "
                         f"'{arg}'")
        params = {"capacity": size, "realm_id": availability_zone or None,
                  "snapshot_id": snapshot_id}
        with exceptions.translating():
            for key, value, feature in (
                    ("name", name, "volume_name"),
                    ("description", description, "volume_description")):
                if value and self.dc.honours("storage_volumes", feature,
                                             key):
                    params[key] = value
                elif value:
                    LOG.debug("Deltacloud driver lacks %s; %s not sent",
                              feature, key)
            volume = self.dc.storage_volumes.create(**params)
        return self._wrap(volume_info(volume))

    def delete(self, volume):
        with exceptions.translating():
            self.dc.storage_volumes.destroy(base.getid(volume))

    def update_all_metadata(self, volume, metadata):
        """Logged and not kept, as at create (Deltacloud has no volume
        metadata): changing AWS tags or ``metadata`` does not fail an
        update."""
        LOG.info("Deltacloud cannot store volume metadata; not kept for "
                 "%s: %s", base.getid(volume), sorted(metadata or {}))
        return {"metadata": {}}

    set_metadata = delete_metadata = update_all_metadata

    def update_readonly_flag(self, volume, flag):
        """Volumes are read-write: ``False`` is what they are, ``True``
        is refused."""
        if flag:
            raise _refused("Deltacloud has no read-only volumes (read_only)")


#: Deltacloud storage snapshot state -> Cinder backup status.
BACKUP_STATUS = {"COMPLETED": "available", "PENDING": "creating",
                 "CREATING": "creating", "DELETING": "deleting",
                 "ERROR": "error"}
#: The description of a backup made here: it names the volume, and says
#: that this installation made it.
BACKUP_DESCRIPTION = "heat-deltacloud backup of volume {volume}"


class Backup(base.Resource):
    pass


def backup_info(snapshot):
    """Deltacloud's XML shows no snapshot state: one that is there has been
    taken (an EBS snapshot completes even once its volume is deleted)."""
    status = BACKUP_STATUS.get((snapshot.state or "COMPLETED").upper(),
                               "error")
    return {"id": snapshot.id, "name": snapshot.name,
            "description": snapshot.description,
            "volume_id": snapshot.volume_id, "status": status,
            "created_at": snapshot.created,
            "fail_reason": (f"Deltacloud reports the storage snapshot in "
                            f"state {snapshot.state}"
                            if status == "error" else None)}


class BackupManager(base.Manager):
    """Cinder backups over Deltacloud storage snapshots, which outlive
    their volume as backups do."""

    resource_class = Backup

    def create(self, volume_id, container=None, name=None, description=None,
               incremental=False, force=False, snapshot_id=None, **kwargs):
        """Snapshot ``volume_id`` (``force``: in use or not, as Deltacloud
        snapshots any volume)."""
        if container or incremental or snapshot_id:
            raise exceptions.BadRequest(
                400, "Deltacloud storage snapshots have no container, "
                     "incremental or snapshot_id option")
        volume_id = base.getid(volume_id)
        with exceptions.translating():
            snapshot = self.dc.storage_snapshots.create(
                volume_id, name=name, description=description or
                BACKUP_DESCRIPTION.format(volume=volume_id))
        return self._wrap(backup_info(snapshot))

    def get(self, backup):
        with exceptions.translating():
            return self._wrap(backup_info(self.dc.storage_snapshots.get(
                base.getid(backup))))

    def list(self, detailed=True, search_opts=None, **kwargs):
        with exceptions.translating():
            return [self._wrap(backup_info(s))
                    for s in self.dc.storage_snapshots.list()]

    def delete(self, backup, force=False):
        with exceptions.translating():
            self.dc.storage_snapshots.destroy(base.getid(backup))


class Client:
    """The subset of ``cinderclient.v3.client.Client`` Heat's volume
    resources use."""

    api_version = "3.0"

    def __init__(self, deltacloud_client):
        self.deltacloud = deltacloud_client
        self.volumes = VolumeManager(self)
        self.backups = BackupManager(self)
        for name, why in MISSING_MANAGERS.items():
            setattr(self, name, refusals.Refusing(why, _refused))


__all__ = ["Client", "exceptions"]
