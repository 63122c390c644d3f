"""One manager per Deltacloud collection."""

import base64

from heat_deltacloud.deltacloud import exceptions, jsondoc, xmldoc
from heat_deltacloud.deltacloud.base import DocumentKind, Manager, \
    _wrap_shape_errors, getid


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
    kind = DocumentKind("instances", "instance", xmldoc.instance,
                        jsondoc.instance, jsondoc.instances)
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

    def act_unread(self, instance_id, rel):
        """Send ``rel`` (stop, start, reboot) to the API's fixed route
        ``POST instances/:id/:rel`` without reading the instance first.

        One request instead of two when the caller has no document at
        hand; the server judges the action: :class:`MethodNotAllowed` when
        the state does not offer it, :class:`Forbidden` or
        :class:`NotFound` when there is no such instance.  Returns the
        updated instance, or ``None`` for an answer without a body.
        """
        url = self._item_url(instance_id, rel)
        response = self._send("POST", url, expect=(200, 202, 204))
        if response.status == 204 or not response.body:
            return None
        return self._read(response, "POST", url, bare_ok=True)

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


class StorageSnapshotManager(Manager):
    kind = _kind("storage_snapshots", "storage_snapshot", "storage_snapshot")

    def create(self, volume_id, *, name=None, description=None):
        """Snapshot a volume."""
        return self._create({"volume_id": getid(volume_id), "name": name,
                             "description": description})

    def destroy(self, snapshot):
        self._delete(getid(snapshot))


#: Blob documents (``/api/buckets/:bucket/:blob``).
BLOB = _kind("buckets", "blob", "blob")
BLOBMETA = "X-Deltacloud-Blobmeta-"


class BucketManager(Manager):
    """Object storage: buckets, and the blobs in them.

    Blob metadata travels as ``X-Deltacloud-Blobmeta-<key>`` headers; the
    server stores each key as its header name gives it, upper-cased.
    """
    kind = _kind("buckets", "bucket", "bucket")
    create_features = {"location": "bucket_location"}

    def create(self, name, *, location=None):
        """A new bucket; ``location`` needs ``bucket_location``."""
        self._require_features(self.create_features, {"location": location})
        return self._create({"name": name, "location": location})

    def destroy(self, bucket):
        """Delete an (empty) bucket."""
        self._delete(getid(bucket))

    def _blob_url(self, bucket, blob, *suffix):
        return self._item_url(getid(bucket), getid(blob), *suffix)

    def get_blob(self, bucket, blob):
        url = self._blob_url(bucket, blob)
        return self._read(self._send("GET", url), "GET", url, kind=BLOB)

    def put_blob(self, bucket, blob_id, content, *,
                 content_type="application/octet-stream", metadata=None):
        """Store ``content`` (bytes or str) as ``blob_id``, replacing any
        blob of that name; returns the blob."""
        url = self._blob_url(bucket, blob_id)
        body = content.encode() if isinstance(content, str) else content
        headers = {"Content-Type": content_type, **_meta(metadata)}
        response = self._send("PUT", url, data=body, headers=headers,
                              expect=(200, 201))
        return self._read(response, "PUT", url, kind=BLOB)

    def delete_blob(self, bucket, blob):
        self._send("DELETE", self._blob_url(bucket, blob),
                   expect=(200, 202, 204))

    def blob_metadata(self, bucket, blob):
        """``{KEY: value}`` of the blob's metadata (a ``HEAD``); header
        names are case-insensitive, so keys are upper-cased as the
        server stores them."""
        response = self._send("HEAD", self._blob_url(bucket, blob),
                              expect=(200, 204))
        return {name[len(BLOBMETA):].upper(): value
                for name, value in response.headers.items()
                if name.lower().startswith(BLOBMETA.lower())}

    def update_blob_metadata(self, bucket, blob, metadata):
        """Replace the blob's metadata."""
        self._send("POST", self._blob_url(bucket, blob),
                   headers=_meta(metadata), expect=(200, 204))

    def blob_content(self, bucket, blob):
        """The blob's bytes (within the client's body size limit)."""
        return self._send("GET", self._blob_url(bucket, blob,
                                                "content")).body


def _meta(metadata):
    return {f"{BLOBMETA}{key}": str(value)
            for key, value in (metadata or {}).items()}


class MetricManager(Manager):
    """Monitoring: one metric per instance; :meth:`get` adds samples."""
    kind = _kind("metrics", "metric", "metric")


class NetworkManager(Manager):
    kind = _kind("networks", "network", "network")

    def create(self, *, name=None, address_block=None):
        return self._create({"name": name, "address_block": address_block})

    def destroy(self, network):
        """Delete a network and its subnets."""
        self._delete(getid(network))


class SubnetManager(Manager):
    kind = _kind("subnets", "subnet", "subnet")

    def create(self, network_id, address_block, *, name=None):
        return self._create({"network_id": getid(network_id),
                             "address_block": address_block, "name": name})

    def destroy(self, subnet):
        self._delete(getid(subnet))


class NetworkInterfaceManager(Manager):
    kind = _kind("network_interfaces", "network_interface",
                 "network_interface")

    def create(self, instance_id, network, *, name=None):
        """Attach a new interface to an instance on ``network`` (a
        subnet, on drivers with subnets)."""
        return self._create({"instance": getid(instance_id),
                             "network": getid(network), "name": name})

    def destroy(self, network_interface):
        self._delete(getid(network_interface))


class InstanceStateManager(Manager):
    """The driver's instance state machine (needs no credentials)."""
    kind = _kind("instance_states", "state", "instance_state")

    def list(self):
        """The :class:`~.models.InstanceState` objects, in order."""
        url = self._collection_url()
        response = self._send("GET", url)
        if self._fmt == "xml":
            def read():
                root = xmldoc.parse(response.body, "states")
                return [xmldoc.instance_state(el) for el in root
                        if el.tag == "state"]
        else:
            def read():
                doc = jsondoc.parse(response.body)
                if not isinstance(doc, list):
                    raise exceptions.MalformedResponse(
                        "expected a JSON list of states")
                return [jsondoc.instance_state(d) for d in doc]
        return _wrap_shape_errors(read, response.body, "GET", url)

    def get(self, name):
        """One state by (lower-case) name."""
        found = next((s for s in self.list() if s.name == name), None)
        if found is None:
            raise exceptions.NotFound(f"no instance state '{name}'")
        return found


class DriverManager(Manager):
    """The drivers the server knows (needs no credentials)."""
    kind = _kind("drivers", "driver", "driver")

    def list(self):
        if self._fmt == "xml":
            return super().list()
        url = self._collection_url()
        response = self._send("GET", url)

        def read():
            doc = jsondoc.parse(response.body)
            if not isinstance(doc, dict):
                raise exceptions.MalformedResponse(
                    "expected a JSON object of drivers")
            return [jsondoc.driver(d, ident) for ident, d in doc.items()]
        return _wrap_shape_errors(read, response.body, "GET", url)


class LoadBalancerManager(Manager):
    """Load balancers, on drivers that have them (ec2)."""
    kind = _kind("load_balancers", "load_balancer", "load_balancer")

    def create(self, name, realm_id, protocol, balancer_port,
               instance_port):
        """One listener: ``protocol`` (HTTP or TCP) from
        ``balancer_port`` to the instances' ``instance_port``."""
        return self._create({
            "name": name, "realm_id": getid(realm_id),
            "listener_protocol": protocol,
            "listener_balancer_port": str(balancer_port),
            "listener_instance_port": str(instance_port)})

    def destroy(self, load_balancer):
        self._delete(getid(load_balancer))

    def register(self, load_balancer, instance_id):
        """Add an instance; returns the load balancer."""
        return self._registration(load_balancer, instance_id, "register")

    def unregister(self, load_balancer, instance_id):
        return self._registration(load_balancer, instance_id, "unregister")

    def _registration(self, load_balancer, instance_id, action):
        url = self._item_url(getid(load_balancer), action)
        response = self._send("POST", url,
                              data={"instance_id": getid(instance_id)},
                              expect=(200, 202))
        return self._read(response, "POST", url)
