"""The driver interface the Deltacloud HTTP layer calls.

The handlers of :mod:`heat_deltacloud.server.api` (routes, negotiation,
documents, errors and auth live around them) call these operations on
``ex.cloud`` and render the dicts they return.  Two drivers implement it:
the mock's in-memory cloud (:class:`heat_deltacloud.mock.models.Cloud`)
and a real cloud through Apache libcloud
(:class:`heat_deltacloud.server.drivers.libcloud.Session`).

Every operation takes the caller (``user``) first, as the mock's owner
checks need it; a driver whose provider checks credentials itself may
ignore it.  An operation a driver lacks answers 501 naming itself; ``/api``
should not advertise its collection in the first place.
"""


class DriverError(Exception):
    """A failure the API turns into an error document; ``collection`` and
    ``ident`` name a missing object when that is what failed."""

    def __init__(self, status, message, collection=None, ident=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.collection = collection
        self.ident = ident


def not_supported(operation):
    return DriverError(501, f"Not Implemented: this driver does not "
                            f"support {operation}")


#: The operations, by collection, that :class:`CloudDriver` declares.
OPERATIONS = {
    "realms": ("realm", "list_realms"),
    "hardware_profiles": ("list_hardware_profiles",),
    "images": ("image", "list_images", "create_image", "destroy_image"),
    "instances": ("instance", "list_instances", "create_instance",
                  "instance_action", "run_on_instance"),
    "keys": ("key", "list_keys", "create_key", "destroy_key"),
    "addresses": ("address", "list_addresses", "create_address",
                  "associate_address", "disassociate_address",
                  "destroy_address"),
    "storage_volumes": ("volume", "list_volumes", "create_volume",
                        "attach_volume", "detach_volume", "destroy_volume"),
    "storage_snapshots": ("snapshot", "list_snapshots", "create_snapshot",
                          "destroy_snapshot"),
    "firewalls": ("firewall", "list_firewalls", "create_firewall",
                  "add_firewall_rule", "delete_firewall_rule",
                  "destroy_firewall", "default_firewall"),
}


def _unsupported(name):
    def operation(self, *args, **kwargs):
        raise not_supported(name)
    operation.__name__ = name
    operation.__doc__ = f"``{name}``: 501 unless the driver has it."
    return operation


class CloudDriver:
    """Base of the drivers: each operation of :data:`OPERATIONS` answers
    501 until a subclass implements it.  (Buckets, networks, metrics and
    load balancers are the mock's alone and not declared here.)"""

    #: The ``POST /api/storage_volumes`` parameters beyond capacity, name
    #: and description that ``create_volume`` takes as keywords (the
    #: libcloud driver's: ``realm_id``, ``snapshot_id``); the API does
    #: not pass the others, which a driver ignores as Deltacloud's mock
    #: driver did.
    volume_origins = ()

    def instance_snapshot(self, user, ident):
        """``instance`` for rendering alone: the caller changes nothing in
        the result, so a driver may return its own stored object (the
        mock does) instead of a copy."""
        return self.instance(user, ident)

    def list_instance_snapshots(self, user, **filters):
        """``list_instances`` for rendering alone (see
        :meth:`instance_snapshot`)."""
        return self.list_instances(user, **filters)

    def supports(self, operation):
        """Whether this driver implements ``operation`` itself."""
        return getattr(type(self), operation, None) is not \
            getattr(CloudDriver, operation, None)


for _names in OPERATIONS.values():
    for _name in _names:
        setattr(CloudDriver, _name, _unsupported(_name))
del _names, _name
