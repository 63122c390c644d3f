"""A novaclient-shaped client over Deltacloud.

>>> from heat_deltacloud.compat import nova                # doctest: +SKIP
>>> compute = nova.Client(deltacloud_client)
>>> compute.servers.create("web", "img1", "m1-large;memory=12288")
"""

from heat_deltacloud.compat.nova import (exceptions, flavors, keypairs, misc,
                                         naming, servers)


class Client:
    """The subset of ``novaclient.v2.client.Client`` Heat 27 uses.

    :param deltacloud_client: a :class:`heat_deltacloud.deltacloud.Client`.
    :param delete_timeout: how long ``servers.delete`` may wait for an
        instance to reach a state it can be destroyed from.
    :param poll_interval: the wait between reads while deleting.
    :param ignore_unsupported_user_data: drop user data (with a warning)
        when the driver cannot take it, instead of refusing the create.
    :param instance_marker: appended to the names of the instances made
        (see :mod:`.naming`), so that ``reconcile`` can prove them this
        installation's.
    """

    api_version = "2.1"

    def __init__(self, deltacloud_client, *, delete_timeout=300.0,
                 poll_interval=2.0, ignore_unsupported_user_data=False,
                 instance_marker=None):
        self.deltacloud = deltacloud_client
        self.delete_timeout = delete_timeout
        self.poll_interval = poll_interval
        self.ignore_unsupported_user_data = ignore_unsupported_user_data
        self.instance_marker = instance_marker
        self.servers = servers.ServerManager(self)
        self.flavors = flavors.FlavorManager(self)
        self.keypairs = keypairs.KeypairManager(self)
        self.availability_zones = misc.AvailabilityZoneManager(self)
        self.limits = misc.LimitsManager(self)
        self.volumes = misc.ServerVolumeManager(self)

    def __repr__(self):
        return f"<compat.nova.Client over {self.deltacloud!r}>"


__all__ = ["Client", "exceptions", "naming"]
