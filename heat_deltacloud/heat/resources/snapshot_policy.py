"""``deletion_policy: Snapshot`` checked at validation, not at delete.

Heat's server snapshots an instance into an image on delete
(``servers.create_image``, a Deltacloud image made from the instance), and
its volumes back up into a Cinder backup (a Deltacloud storage snapshot,
which outlives the volume).  Where the driver cannot make either, the
stack is refused at validation in one line naming the policy and the fix,
instead of a delete that fails once the stack is up.  ``OS::Cinder::Volume``
with ``read_only: true`` is refused the same way (Deltacloud volumes are
read-write, and Heat would create the volume before failing), and so is a
volume restored from a backup (``backup_id``, ``SnapshotId``).

Stack snapshots of servers stay refused: the image they make could not
be deleted with the snapshot (the glance shim deletes no image).
"""

from heat.common import exception
from heat.engine import rsrc_defn
from heat.engine.resources.aws.ec2 import volume as aws_volume
from heat.engine.resources.openstack.cinder import volume as cinder_volume

from heat_deltacloud.compat import cinder
from heat_deltacloud.compat.nova import exceptions as nova_exceptions
from heat_deltacloud.heat import capabilities
from heat_deltacloud.heat.resources import deltacloud

SNAPSHOT = rsrc_defn.ResourceDefinition.SNAPSHOT
#: Glance's status of an image that failed (the shim's for ERROR).
IMAGE_FAILED = "killed"
#: Driver -> the image root type whose instances it makes images of
#: (Deltacloud's ec2 driver: EBS-backed ones only).
IMAGED_ROOT_TYPES = {"ec2": "persistent"}
NO_STACK_SNAPSHOTS = (
    "heat-deltacloud takes no stack snapshots of servers: the image made "
    "could not be deleted with the snapshot (the glance shim deletes no "
    "image); deletion_policy Snapshot works")
NO_READ_ONLY = ("read_only true: Deltacloud volumes are read-write; leave "
                "read_only out or set it to false")


def _refuse(resource, path, message):
    raise exception.StackValidationFailed(
        path=[resource.stack.t.RESOURCES, resource.name, *path],
        message=message)


def check_snapshot_policy(resource):
    """StackValidationFailed if ``resource`` has deletion_policy Snapshot
    and its driver cannot make what the policy leaves behind
    (:data:`capabilities.SNAPSHOT_POLICY`, which ``heat-deltacloud
    validate`` judges too); returns the Deltacloud client when the policy
    is Snapshot, else None."""
    if resource.t.deletion_policy() != SNAPSHOT:
        return None
    dc = deltacloud(resource.context, resource.stack.clients)
    missing = capabilities.snapshot_policy_refusal(resource.type(), dc.api)
    if missing:
        _refuse_policy(resource, missing)
    return dc


def _refuse_policy(resource, needs, instead=""):
    # Named as the template names it: deletion_policy or DeletionPolicy.
    policy = resource.stack.t.get_section_name(rsrc_defn.DELETION_POLICY)
    _refuse(resource, [policy], f"{policy} Snapshot needs {needs}; "
                                f"{instead}set {policy} Delete or Retain")


class SnapshotsIntoImages:
    """Mixin for ``OS::Nova::Server``: deletion_policy Snapshot is checked
    at validation; stack snapshots are refused in one line."""

    def validate(self):
        result = super().validate()
        dc = check_snapshot_policy(self)
        root_type = IMAGED_ROOT_TYPES.get(dc.api.driver) if dc else None
        if root_type and self.properties[self.IMAGE]:
            image = self.client_plugin("glance").get_image(
                self.properties[self.IMAGE])
            found = image.get("deltacloud:root_type")
            if found != root_type:
                _refuse_policy(self, (
                    f"an image of the server, which the Deltacloud driver "
                    f"'{dc.api.driver}' makes only of instances of "
                    f"{root_type} images (image {image['id']} is "
                    f"{found or 'of no root type'})"),
                    f"boot a {root_type} image or ")
        return result

    def handle_snapshot(self):
        raise nova_exceptions.HTTPNotImplemented(501, NO_STACK_SNAPSHOTS)

    def check_delete_complete(self, prg):
        """Heat waits on the image until ``active`` and fails only on
        ``error`` or ``deleted``; glance (and the shim, for Deltacloud's
        ERROR) says ``killed``, which Heat would wait on until the stack
        times out.  Fail at once, keeping the server."""
        if prg and not prg.image_complete:
            image = self.client_plugin("glance").get_image(prg.image_id)
            if image.status.lower() == IMAGE_FAILED:
                raise exception.Error(
                    f"the image {prg.image_id} of server {self.resource_id} "
                    "failed (Deltacloud state ERROR); the server is kept, "
                    "and a second delete removes it without a snapshot "
                    "(Heat snapshots no failed resource): make an image of "
                    "it first if you need one")
        return super().check_delete_complete(prg)


class _BacksUpIntoSnapshots:
    """Backups are storage snapshots; restoring one (``backup_id``,
    ``SnapshotId``) is refused here rather than once the create starts."""

    def validate(self):
        result = super().validate()
        check_snapshot_policy(self)
        if self.properties[self.BACKUP_ID]:
            _refuse(self, [self.stack.t.RES_PROPERTIES, self.BACKUP_ID],
                    f"{cinder.NO_RESTORES}; leave {self.BACKUP_ID} out")
        return result


class CinderVolume(_BacksUpIntoSnapshots, cinder_volume.CinderVolume):
    """``OS::Cinder::Volume``: Snapshot and read_only checked at
    validation."""

    def validate(self):
        result = super().validate()
        if self.properties[self.READ_ONLY]:
            _refuse(self, [self.stack.t.RES_PROPERTIES, self.READ_ONLY],
                    NO_READ_ONLY)
        return result


class Volume(_BacksUpIntoSnapshots, aws_volume.Volume):
    """``AWS::EC2::Volume``: DeletionPolicy Snapshot checked at
    validation."""


def resource_mapping():
    return {"OS::Cinder::Volume": CinderVolume, "AWS::EC2::Volume": Volume}
