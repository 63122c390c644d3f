"""A cinderclient-shaped client over Deltacloud storage volumes.

Capacity is in GB on both sides; Deltacloud's upper-case states become
Cinder's lower-case statuses through :data:`VOLUME_STATUS`.  Volume
metadata (AWS tags) has no Deltacloud counterpart: it is logged and not
kept.
"""

import logging

from heat_deltacloud.compat import base
from heat_deltacloud.compat.cinder import exceptions

LOG = logging.getLogger(__name__)

#: Deltacloud volume state -> Cinder volume status.
VOLUME_STATUS = {"AVAILABLE": "available", "IN-USE": "in-use",
                 "CREATING": "creating", "DELETING": "deleting",
                 "ERROR": "error", "ATTACHING": "attaching",
                 "DETACHING": "detaching"}


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
            "metadata": {}, "volume_type": None}


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


class Client:
    """The subset of ``cinderclient.v3.client.Client`` Heat's volume
    resources use."""

    api_version = "3.0"

    def __init__(self, deltacloud_client):
        self.deltacloud = deltacloud_client
        self.volumes = VolumeManager(self)


__all__ = ["Client", "exceptions"]
