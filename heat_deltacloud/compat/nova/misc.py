"""Availability zones (realms), limits and server volume attachments."""

import collections

from heat_deltacloud.compat import base
from heat_deltacloud.compat.nova import exceptions

AbsoluteLimit = collections.namedtuple("AbsoluteLimit", "name value")


class AvailabilityZone(base.Resource):
    pass


class AvailabilityZoneManager(base.Manager):
    resource_class = AvailabilityZone

    def list(self, detailed=True):
        """One zone per realm (``Fn::GetAZs`` reads ``zoneName``)."""
        with exceptions.translating():
            realms = self.dc.realms.list()
        return [self._wrap({"zoneName": r.id,
                            "zoneState": {"available":
                                          r.state in (None, "AVAILABLE")},
                            "hosts": None}) for r in realms]


class Limits:
    def __init__(self, absolute):
        self.absolute = absolute


class LimitsManager(base.Manager):
    #: Deltacloud has no server metadata or personality files, so their
    #: limits are 0: Heat's validation then explains the refusal.
    ABSOLUTE = {"maxServerMeta": 0, "maxPersonality": 0,
                "maxPersonalitySize": 0, "maxTotalInstances": -1,
                "maxTotalKeypairs": -1, "maxTotalCores": -1,
                "maxTotalRAMSize": -1, "maxSecurityGroups": -1}

    def get(self, reserved=False, tenant_id=None):
        return Limits([AbsoluteLimit(name, value)
                       for name, value in self.ABSOLUTE.items()])


class VolumeAttachment(base.Resource):
    pass


class ServerVolumeManager(base.Manager):
    """Nova's volume attach calls; the attachment id is the volume id."""
    resource_class = VolumeAttachment

    def _attachment(self, volume):
        return self._wrap({"id": volume.id, "volumeId": volume.id,
                           "serverId": volume.instance_id,
                           "device": volume.device})

    def create_server_volume(self, server_id, volume_id, device=None,
                             tag=None, delete_on_termination=False):
        if not device:
            raise exceptions.bad_request(
                "Deltacloud needs a device name to attach a volume")
        with exceptions.translating():
            volume = self.dc.storage_volumes.attach(volume_id, server_id,
                                                    device)
        return self._attachment(volume)

    def get_server_volume(self, server_id, volume_id):
        with exceptions.translating():
            volume = self.dc.storage_volumes.get(volume_id)
        if volume.instance_id != server_id:
            raise exceptions.not_found(
                f"Volume {volume_id} is not attached to {server_id}")
        return self._attachment(volume)

    def get_server_volumes(self, server_id):
        with exceptions.translating():
            volumes = self.dc.storage_volumes.list()
        return [self._attachment(v) for v in volumes
                if v.instance_id == server_id]

    def delete_server_volume(self, server_id, volume_id):
        self.get_server_volume(server_id, volume_id)
        with exceptions.translating():
            self.dc.storage_volumes.detach(volume_id)
