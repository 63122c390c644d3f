"""One manager per Deltacloud collection."""

import base64

from heat_deltacloud.deltacloud import exceptions, jsondoc, xmldoc
from heat_deltacloud.deltacloud.base import DocumentKind, Manager, getid


def _kind(collection, item, reader):
    return DocumentKind(collection, item, getattr(xmldoc, reader),
                        getattr(jsondoc, reader))


class RealmManager(Manager):
    kind = _kind("realms", "realm", "realm")


class _CachedMixin:
    """``cached(id)``: a ``get`` kept in the client's Discovery."""

    #: The Discovery attribute holding this collection's cached objects.
    cache_name: str

    def cached(self, ident):
        table = getattr(self.client.discovery, self.cache_name)
        with self.client.discovery.lock:
            found = table.get(ident)
        if found is None:
            found = self.get(ident)
            with self.client.discovery.lock:
                table[ident] = found
        return found


class HardwareProfileManager(_CachedMixin, Manager):
    """Hardware profiles, always read as XML (JSON drops ranges and enums).

    Profiles are static for a driver: :meth:`cached` keeps each one in the
    client's :class:`~.client.Discovery`.
    """
    kind = _kind("hardware_profiles", "hardware_profile", "hardware_profile")
    xml_only = True
    cache_name = "hardware_profiles"


class ImageManager(_CachedMixin, Manager):
    """Images; :meth:`cached` keeps look-ups in the client's Discovery."""
    kind = _kind("images", "image", "image")
    cache_name = "images"

    def create(self, instance_id, *, name=None, description=None):
        """Make an image from an instance."""
        return self._create({"instance_id": getid(instance_id), "name": name,
                             "description": description})

    def destroy(self, image):
        self._delete(getid(image))


class InstanceManager(Manager):
    kind = _kind("instances", "instance", "instance")
    create_features = {
        "name": "user_name",
        "keyname": "authentication_key",
        "user_data": "user_data",
        "firewalls": "firewalls",
    }
    filter_features = {"realm_id": "realm_filter"}

    def create(self, image_id, *, hwp_id=None, realm_id=None, name=None,
               keyname=None, user_data=None, firewalls=None,
               **hwp_overrides):
        """Launch an instance.

        ``hwp_overrides`` such as ``memory=12288`` set range or enum
        properties of the hardware profile; they are checked against the
        profile here because the server does not check them.  ``user_data``
        (bytes or str) is base64-encoded as drivers expect.  Parameters the
        driver does not advertise raise :class:`NotSupported` before any
        request is sent.
        """
        self._require_features(self.create_features, {
            "name": name, "keyname": keyname, "user_data": user_data,
            "firewalls": firewalls or None})
        data = {"image_id": getid(image_id), "hwp_id": getid(hwp_id),
                "realm_id": getid(realm_id), "name": name,
                "keyname": getid(keyname)}
        if user_data is not None:
            raw = user_data.encode() if isinstance(user_data, str) \
                else user_data
            data["user_data"] = base64.b64encode(raw).decode("ascii")
        # EC2-style drivers read one numbered field per firewall.
        for number, firewall in enumerate(firewalls or (), start=1):
            data[f"firewalls{number}"] = getid(firewall)
        data.update(self._override_params(getid(hwp_id), hwp_overrides))
        return self._create(data)

    def _override_params(self, hwp_id, overrides):
        if not overrides:
            return {}
        if hwp_id is None:
            raise exceptions.BadRequest(
                "hardware profile overrides "
                f"({', '.join(sorted(overrides))}) need hwp_id")
        profile = self.client.hardware_profiles.cached(hwp_id)
        params = {}
        for name, value in sorted(overrides.items()):
            prop = profile.property(name)
            if prop is None:
                raise exceptions.BadRequest(
                    f"hardware profile '{hwp_id}' has no property '{name}'")
            if prop.kind == "fixed":
                if prop.accepts(value):
                    continue
                raise exceptions.BadRequest(
                    f"property '{name}' of hardware profile '{hwp_id}' is "
                    f"fixed at {prop.value}")
            if not prop.accepts(value):
                allowed = (f"{prop.first}..{prop.last}"
                           if prop.kind == "range"
                           else ", ".join(prop.values))
                raise exceptions.BadRequest(
                    f"{name}={value} is outside what hardware profile "
                    f"'{hwp_id}' allows ({allowed})")
            params[prop.param or f"hwp_{name}"] = str(value)
        return params

    def start(self, instance):
        return self._act(instance, "start")

    def stop(self, instance):
        return self._act(instance, "stop")

    def reboot(self, instance):
        return self._act(instance, "reboot")

    def destroy(self, instance):
        """Destroy an instance; most drivers allow it only when stopped."""
        return self._act(instance, "destroy")

    def _act(self, instance, rel):
        """Follow the instance's ``rel`` action link.

        Given an id, the instance is read first, so the links (and so the
        legality of the action) are the server's current ones.  Returns the
        updated instance, or ``None`` when the server answers without a body
        (destroy).
        """
        if isinstance(instance, str):
            instance = self.get(instance)
        link = instance.action(rel)
        if link is None:
            offered = ", ".join(instance.action_names) or "none"
            raise exceptions.MethodNotAllowed(
                f"instance '{instance.id}' in state {instance.state} offers "
                f"no '{rel}' action (offers: {offered})")
        method = link.method.upper()
        url = self.client.transport.resolve(link.href)
        response = self._send(method, url, expect=(200, 202, 204))
        if response.status == 204 or not response.body:
            return None
        return self._read(response, method, url, bare_ok=True)


class KeyManager(Manager):
    kind = _kind("keys", "key", "key")
    create_features = {"public_key": "import_key"}

    def create(self, name, *, public_key=None):
        """Create (or, with ``import_key``, import) a key.

        The returned key carries the private key (``pem``) when the server
        generated one; servers return it only here.
        """
        self._require_features(self.create_features,
                               {"public_key": public_key})
        return self._create({"name": name, "public_key": public_key})

    def destroy(self, key):
        self._delete(getid(key))


class AddressManager(Manager):
    """Public addresses; an address's id is its IP."""
    kind = _kind("addresses", "address", "address")

    def create(self):
        """Allocate an address."""
        return self._create({})

    def associate(self, address, instance_id):
        """Point the address at an instance (the server answers no body)."""
        self._send("POST", self._item_url(getid(address), "associate"),
                   data={"instance_id": getid(instance_id)},
                   expect=(200, 202, 204))

    def disassociate(self, address):
        self._send("POST", self._item_url(getid(address), "disassociate"),
                   expect=(200, 202, 204))

    def destroy(self, address):
        """Release the address."""
        self._delete(getid(address))


class StorageVolumeManager(Manager):
    kind = _kind("storage_volumes", "storage_volume", "storage_volume")
    create_features = {"name": "volume_name",
                       "description": "volume_description"}

    def create(self, *, capacity=None, realm_id=None, snapshot_id=None,
               name=None, description=None):
        """Create a volume; ``capacity`` is in GB."""
        self._require_features(self.create_features,
                               {"name": name, "description": description})
        return self._create({
            "capacity": None if capacity is None else str(capacity),
            "realm_id": getid(realm_id), "snapshot_id": getid(snapshot_id),
            "name": name, "description": description})

    def attach(self, volume, instance_id, device):
        url = self._item_url(getid(volume), "attach")
        response = self._send("POST", url, data={
            "instance_id": getid(instance_id), "device": device},
            expect=(200, 202))
        return self._read(response, "POST", url, bare_ok=True)

    def detach(self, volume):
        url = self._item_url(getid(volume), "detach")
        response = self._send("POST", url, expect=(200, 202))
        return self._read(response, "POST", url, bare_ok=True)

    def destroy(self, volume):
        self._delete(getid(volume))


class FirewallManager(Manager):
    """Firewalls (security groups); only some drivers have them."""
    kind = _kind("firewalls", "firewall", "firewall")

    def create(self, name, description):
        return self._create({"name": name, "description": description})

    def destroy(self, firewall):
        self._delete(getid(firewall))

    def add_rule(self, firewall, protocol, port_from, port_to, *,
                 addresses=(), groups=()):
        """Allow traffic from address blocks and/or other firewalls.

        ``groups`` holds ``(name, owner)`` pairs.  At least one source is
        required, as the server requires.
        """
        if not addresses and not groups:
            raise exceptions.BadRequest(
                "a firewall rule needs at least one address or group")
        data = {"protocol": protocol, "port_from": str(port_from),
                "port_to": str(port_to)}
        for number, block in enumerate(addresses, start=1):
            data[f"ip_address{number}"] = block
        for number, (group, owner) in enumerate(groups, start=1):
            data[f"group{number}"] = group
            data[f"group{number}owner"] = owner
        url = self._item_url(getid(firewall), "rules")
        return self._read(self._send("POST", url, data=data,
                                     expect=(200, 201)), "POST", url)

    def delete_rule(self, firewall, rule_id):
        self._send("DELETE", self._item_url(getid(firewall), "rules",
                                            rule_id),
                   expect=(200, 202, 204))
