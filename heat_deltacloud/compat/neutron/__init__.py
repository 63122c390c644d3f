"""A neutronclient-shaped client: networks, floating IPs, security groups.

Deltacloud has no networks or ports.  The shim shows two fixed networks,
``public`` (external: where floating IPs come from) and ``private``, and
no ports.  Floating IPs are Deltacloud addresses: a floating IP's id and
address are the Deltacloud address id (the IP), and its ``port_id`` is the
id of the instance it is associated with.  Security groups are Deltacloud
firewalls (on drivers that have them): ingress rules only; a rule's id is
``<firewall id>/<rule id>`` so it can be deleted by id alone.
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


NO_PORTS = ("Deltacloud has no ports: associate a floating IP with EIP and "
            "InstanceId, not AllocationId or NetworkInterfaceId")


class NoPorts(list):
    """The (empty) port list, which says why when indexed.

    Heat's ``AWS::EC2::EIPAssociation`` takes the first port of an
    instance (``AllocationId``) or of a ``NetworkInterfaceId``; on an
    empty list that is an ``IndexError``, here a 501 naming the way
    that works.  Iterating (the Server's ``addresses``) sees no ports.
    """

    def __getitem__(self, index):
        raise exceptions.NeutronClientException(NO_PORTS, status_code=501)


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
        return {"ports": NoPorts()}

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

    # -- security groups over firewalls -------------------------------------

    def _security_group(self, firewall):
        return {"id": firewall.id, "name": firewall.name,
                "description": firewall.description or "",
                "security_group_rules": [
                    self._rule(firewall.id, rule) for rule in firewall.rules]}

    @staticmethod
    def _rule(firewall_id, rule):
        blocks = [s for s in rule.sources if s.type == "address"]
        groups = [s for s in rule.sources if s.type == "group"]
        return {"id": f"{firewall_id}/{rule.id}",
                "security_group_id": firewall_id, "direction": "ingress",
                "ethertype": "IPv4", "protocol": rule.protocol,
                "port_range_min": int(rule.port_from)
                if rule.port_from else None,
                "port_range_max": int(rule.port_to)
                if rule.port_to else None,
                "remote_ip_prefix": f"{blocks[0].address}/{blocks[0].prefix}"
                if blocks else None,
                "remote_group_id": groups[0].name if groups else None}

    def create_security_group(self, body=None):
        group = (body or {}).get("security_group") or {}
        name = group.get("name")
        with exceptions.translating():
            firewall = self.deltacloud.firewalls.create(
                name, group.get("description") or name)
        return {"security_group": self._security_group(firewall)}

    def show_security_group(self, security_group, **params):
        with exceptions.translating():
            firewall = self.deltacloud.firewalls.get(security_group)
        return {"security_group": self._security_group(firewall)}

    def list_security_groups(self, retrieve_all=True, **filters):
        with exceptions.translating():
            firewalls = self.deltacloud.firewalls.list()
        return {"security_groups": _matching(
            [self._security_group(f) for f in firewalls], filters)}

    def delete_security_group(self, security_group):
        with exceptions.translating():
            self.deltacloud.firewalls.destroy(security_group)

    def create_security_group_rule(self, body=None):
        """Add an ingress rule; egress rules have no Deltacloud form."""
        rule = (body or {}).get("security_group_rule") or {}
        if rule.get("direction", "ingress") != "ingress":
            raise exceptions.BadRequest(
                "Deltacloud firewalls have ingress rules only")
        protocol = rule.get("protocol") or "tcp"
        low = rule.get("port_range_min")
        high = rule.get("port_range_max")
        low = 0 if low is None else low
        high = 65535 if high is None else high
        groups = [(rule["remote_group_id"], "")] \
            if rule.get("remote_group_id") else []
        blocks = [] if groups else [rule.get("remote_ip_prefix") or
                                    "0.0.0.0/0"]
        firewall_id = rule.get("security_group_id")
        with exceptions.translating():
            before = {r.id for r in
                      self.deltacloud.firewalls.get(firewall_id).rules}
            firewall = self.deltacloud.firewalls.add_rule(
                firewall_id, protocol, low, high, addresses=blocks,
                groups=groups)
        added = [r for r in firewall.rules if r.id not in before]
        return {"security_group_rule": self._rule(firewall.id, added[-1])}

    def delete_security_group_rule(self, security_group_rule):
        firewall_id, sep, rule_id = str(security_group_rule).partition("/")
        if not sep:
            raise exceptions.NotFound(
                f"Security group rule {security_group_rule} could not be "
                "found.")
        with exceptions.translating():
            self.deltacloud.firewalls.delete_rule(firewall_id, rule_id)

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
