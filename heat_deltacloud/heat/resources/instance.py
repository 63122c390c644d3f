"""``AWS::EC2::Instance`` whose private attributes are private.

Heat's stock instance answers ``PrivateIp``, ``PrivateDnsName``,
``PublicIp`` and ``PublicDnsName`` all with one address: the first of the
server's networks in reverse name order, which on the Nova shim
(networks ``public`` and ``private``) is a public one.  A template (or a
translated Deployable) handing one instance's ``PrivateIp`` to another's
boot script then gave it the public address.  Here each attribute reads
the shim's network of its kind: ``private`` for the private ones,
``public`` for the public ones (the other network when that one is empty,
as Heat falls back to any), an IP address for ``*Ip`` and a host name for
``*DnsName`` where Deltacloud gives both.
"""

from heat.engine.resources.aws.ec2 import instance

from heat_deltacloud.heat.resources.suspend import SuspendsByStopping

#: Attribute -> (the shim's network label, prefer host names).
ADDRESS_ATTRIBUTES = {
    instance.Instance.PRIVATE_IP: ("private", False),
    instance.Instance.PRIVATE_DNS_NAME: ("private", True),
    instance.Instance.PUBLIC_IP: ("public", False),
    instance.Instance.PUBLIC_DNS_NAME: ("public", True),
}
#: What Heat's stock instance answers when the server has no address.
NO_ADDRESS = "0.0.0.0"  # noqa: S104 - Heat's placeholder, not a bind


def pick(addresses, label, hostname):
    """The address for ``label`` from Nova-shaped ``addresses``."""
    other = "public" if label == "private" else "private"
    entries = addresses.get(label) or addresses.get(other) or []
    if not entries:
        return NO_ADDRESS
    wanted = [e for e in entries if (e.get("version") is None) == hostname]
    return (wanted or entries)[0]["addr"]


class Instance(SuspendsByStopping, instance.Instance):
    """Suspend stops the instance and resume starts it (:mod:`.suspend`)."""

    suspended_noun = "instance"

    def _get_nova_metadata(self, properties):
        """``{}`` rather than None for no ``Tags``: Heat 27 hands None to
        ``meta_update`` when an update removes them all, which fails ("nova
        server metadata needs to be a Map")."""
        return super()._get_nova_metadata(properties) or {}

    def _resolve_attribute(self, name):
        if name not in ADDRESS_ATTRIBUTES or not self.resource_id:
            return super()._resolve_attribute(name)
        try:
            server = self.client().servers.get(self.resource_id)
        except Exception as exc:  # noqa: BLE001 - as Heat's: gone is None
            self.client_plugin().ignore_not_found(exc)
            return None
        label, hostname = ADDRESS_ATTRIBUTES[name]
        return pick(getattr(server, "addresses", None) or {}, label,
                    hostname)


def resource_mapping():
    return {"AWS::EC2::Instance": Instance}
