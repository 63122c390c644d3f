"""A neutronclient-shaped client: networks and floating IPs.

Deltacloud has no networks or ports.  The shim shows two fixed networks,
``public`` (external: where floating IPs come from) and ``private``, and
no ports.  Floating IPs are Deltacloud addresses: a floating IP's id and
address are the Deltacloud address id (the IP), and its ``port_id`` is the
id of the instance it is associated with.
"""

from heat_deltacloud.compat.neutron import exceptions

PUBLIC, PRIVATE = "public", "private"
NETWORKS = (
    {"id": PUBLIC, "name": PUBLIC, "router:external": True,
     "status": "ACTIVE", "admin_state_up": True, "shared": True,
     "subnets": []},
    {"id": PRIVATE, "name": PRIVATE, "router:external": False,
     "status": "ACTIVE", "admin_state_up": True, "shared": True,
     "subnets": []},
)


def _matching(items, filters):
    def matches(item):
        for key, wanted in filters.items():
            values = wanted if isinstance(wanted, (list, tuple)) \
                else [wanted]
            if item.get(key) not in values:
                return False
        return True
    return [dict(item) for item in items if matches(item)]


def floatingip_info(address):
    return {"id": address.id, "floating_ip_address": address.ip,
            "floating_network_id": PUBLIC, "port_id": address.instance_id,
            "fixed_ip_address": None, "router_id": None,
            "status": "ACTIVE" if address.associated else "DOWN",
            "description": ""}


class Client:
    """The subset of ``neutronclient.v2_0.client.Client`` Heat's EIP and
    floating-IP resources use."""

    def __init__(self, deltacloud_client):
        self.deltacloud = deltacloud_client

    def list_networks(self, retrieve_all=True, **filters):
        return {"networks": _matching(NETWORKS, filters)}

    def show_network(self, network, **params):
        found = _matching(NETWORKS, {"id": network})
        if not found:
            raise exceptions.NotFound(f"Network {network} could not be "
                                      "found.")
        return {"network": found[0]}

    def list_subnets(self, retrieve_all=True, **filters):
        return {"subnets": []}

    def list_ports(self, retrieve_all=True, **filters):
        return {"ports": []}

    def show_port(self, port, **params):
        raise exceptions.NotFound(f"Port {port} could not be found.")

    def list_floatingips(self, retrieve_all=True, **filters):
        with exceptions.translating():
            addresses = self.deltacloud.addresses.list()
        return {"floatingips": _matching(
            [floatingip_info(a) for a in addresses], filters)}

    def show_floatingip(self, floatingip, **params):
        with exceptions.translating():
            address = self.deltacloud.addresses.get(floatingip)
        return {"floatingip": floatingip_info(address)}

    def create_floatingip(self, body=None):
        """Allocate an address; only the external network has them."""
        wanted = ((body or {}).get("floatingip") or {}).get(
            "floating_network_id", PUBLIC)
        if wanted != PUBLIC:
            raise exceptions.BadRequest(
                f"floating IPs come from network '{PUBLIC}', not "
                f"'{wanted}'")
        with exceptions.translating():
            address = self.deltacloud.addresses.create()
        return {"floatingip": floatingip_info(address)}

    def update_floatingip(self, floatingip, body=None):
        """Associate with ``port_id`` (an instance id), or disassociate."""
        port_id = ((body or {}).get("floatingip") or {}).get("port_id")
        with exceptions.translating():
            address = self.deltacloud.addresses.get(floatingip)
            if address.instance_id and address.instance_id != port_id:
                self.deltacloud.addresses.disassociate(address)
            if port_id and address.instance_id != port_id:
                self.deltacloud.addresses.associate(address, port_id)
            address = self.deltacloud.addresses.get(floatingip)
        return {"floatingip": floatingip_info(address)}

    def delete_floatingip(self, floatingip):
        with exceptions.translating():
            self.deltacloud.addresses.destroy(floatingip)

    def __getattr__(self, name):
        # Any other Neutron call (security groups, routers, ...) fails
        # with an error naming it, not with an AttributeError.
        if name.startswith("_"):
            raise AttributeError(name)

        def unsupported(*args, **kwargs):
            raise exceptions.NeutronClientException(
                f"Deltacloud has no Neutron '{name}': only networks "
                "'public' and 'private' and floating IPs are available",
                status_code=501)
        return unsupported


__all__ = ["Client", "exceptions"]
