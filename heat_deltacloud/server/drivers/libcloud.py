"""The ``libcloud`` driver: a libcloud compute provider as a Deltacloud cloud.

:class:`Backend` holds what a server is configured with (provider, region,
endpoint, timeout) and a short-lived cache of libcloud drivers, one per
credential; :class:`Session` is one request's view of the cloud, built
from that request's Basic credentials and never kept beyond the cache's
TTL.  Mapping: realms are locations, hardware profiles sizes, instances
nodes (:data:`NODE_STATES`), keys key pairs, storage volumes and snapshots
volumes and volume snapshots; a provider module (:mod:`.ec2`) adds what
only its libcloud driver has (addresses, firewalls, user data).

Every provider call goes through :meth:`Session._call`, which gives it the
configured timeout (the connection's) and turns libcloud's failures into
Deltacloud's error documents (:func:`provider_error`).
"""

import base64
import binascii
import dataclasses
import hashlib
import socket
import threading
import time
import urllib.parse

import requests
from libcloud.common.exceptions import BaseHTTPError
from libcloud.common.types import InvalidCredsError, LibcloudError
from libcloud.compute.base import NodeDriver, NodeImage
from libcloud.compute.types import NodeState, StorageVolumeState, \
    VolumeSnapshotState

from heat_deltacloud.mock import drivers as catalogs
from heat_deltacloud.server.interface import CloudDriver, DriverError, \
    not_supported

#: libcloud NodeState -> (Deltacloud state, the actions offered in it):
#: the one table instances are shown and acted on by.  An action is
#: offered only when the provider's libcloud driver implements it
#: (:data:`ACTION_METHODS`).  Deltacloud has no rebooting state: its
#: openstack driver showed a rebooting server PENDING, its rhevm driver
#: ``REBOOT_IN_PROGRESS`` PENDING (its ec2 driver RUNNING, as EC2 says).
NODE_STATES = {
    NodeState.PENDING: ("PENDING", ("destroy",)),
    NodeState.STARTING: ("PENDING", ("destroy",)),
    NodeState.REBOOTING: ("PENDING", ("destroy",)),
    NodeState.MIGRATING: ("PENDING", ("destroy",)),
    NodeState.RECONFIGURING: ("PENDING", ("destroy",)),
    NodeState.UPDATING: ("PENDING", ("destroy",)),
    NodeState.RUNNING: ("RUNNING", ("reboot", "stop", "destroy")),
    NodeState.NORMAL: ("RUNNING", ("reboot", "stop", "destroy")),
    NodeState.STOPPING: ("STOPPING", ("destroy",)),
    NodeState.STOPPED: ("STOPPED", ("start", "destroy")),
    NodeState.SUSPENDED: ("STOPPED", ("start", "destroy")),
    NodeState.PAUSED: ("STOPPED", ("start", "destroy")),
    NodeState.TERMINATED: ("FINISH", ()),
    NodeState.ERROR: ("ERROR", ("destroy",)),
    NodeState.UNKNOWN: ("UNKNOWN", ("destroy",)),
}
#: Deltacloud action -> the libcloud NodeDriver method carrying it out.
ACTION_METHODS = {"start": "start_node", "stop": "stop_node",
                  "reboot": "reboot_node", "destroy": "destroy_node"}
#: ``/api/instance_states``: (from, to, action or None for automatic).
TRANSITIONS = (("start", "pending", "create"), ("pending", "running", None),
               ("running", "running", "reboot"),
               ("running", "stopping", "stop"),
               ("stopping", "stopped", None),
               ("stopped", "running", "start"),
               ("pending", "finish", "destroy"),
               ("running", "finish", "destroy"),
               ("stopped", "finish", "destroy"))
VOLUME_STATES = {StorageVolumeState.AVAILABLE: "AVAILABLE",
                 StorageVolumeState.INUSE: "IN-USE",
                 StorageVolumeState.ATTACHING: "IN-USE",
                 StorageVolumeState.CREATING: "CREATING",
                 StorageVolumeState.DELETING: "DELETING",
                 StorageVolumeState.DELETED: "DELETED",
                 StorageVolumeState.ERROR: "ERROR"}
SNAPSHOT_STATES = {VolumeSnapshotState.AVAILABLE: "COMPLETED",
                   VolumeSnapshotState.CREATING: "PENDING",
                   VolumeSnapshotState.DELETING: "DELETING",
                   VolumeSnapshotState.ERROR: "ERROR"}
#: Seconds a provider call may take (the connection's timeout).
DEFAULT_TIMEOUT = 30.0
#: Seconds a credential's libcloud driver is kept for reuse.
DEFAULT_CACHE_TTL = 300.0


# -- errors -------------------------------------------------------------------

def _status_of(error):
    if isinstance(error, InvalidCredsError):
        return 401
    code = getattr(error, "code", None) or getattr(error, "http_code", None)
    if code in (401, 403, 404):
        return code
    text = str(error)
    # EC2-style codes: an id that is missing or cannot exist (``ami-`` ids
    # only: ``InvalidAMIID.Malformed``) names no object.
    if "NotFound" in text or ".Malformed" in text or \
            "does not exist" in text:
        return 404
    if "UnauthorizedOperation" in text or "AccessDenied" in text:
        return 403
    return 502


def provider_error(error, secret=None):
    """The :class:`DriverError` for a libcloud/transport failure: 401, 403
    and 404 as the provider said, 504 on a timeout, else 502 with the
    provider's message (a secret in it is blanked, should one appear)."""
    if isinstance(error, (socket.timeout, TimeoutError,
                          requests.exceptions.Timeout)):
        return DriverError(504, "Gateway Timeout: the provider did not "
                                "answer in time")
    if isinstance(error, (requests.exceptions.ConnectionError,
                          ConnectionError)):
        return DriverError(502, f"Bad Gateway: cannot reach the provider "
                                f"({type(error).__name__})")
    message = str(getattr(error, "message", None) or
                  getattr(error, "value", None) or error or
                  type(error).__name__).strip()
    if secret:
        message = message.replace(secret, "***")
    status = _status_of(error)
    if status == 502:
        message = f"Bad Gateway: {message}"
    return DriverError(status, message)


# -- mapping ------------------------------------------------------------------

def _fixed(name, unit, value):
    return {"name": name, "kind": "fixed", "unit": unit, "value": value}


def realm(location):
    zone = getattr(location, "availability_zone", None)
    state = getattr(zone, "zone_state", "available") or "available"
    return {"id": zone.name if zone is not None else str(location.id),
            "name": location.name, "state": state.upper(),
            "limit": "unlimited"}


def hardware_profile(size, architectures=None):
    """``architectures``: the image architectures the size runs, shown
    as Deltacloud's ec2 driver showed them (one fixed, several an enum);
    None: unknown, not shown."""
    props = [_fixed("memory", "MB", size.ram or 0),
             _fixed("storage", "GB", size.disk or 0)]
    cpu = size.extra.get("vcpu") or size.extra.get("cpu") or \
        getattr(size, "vcpus", None)
    if cpu:
        props.insert(0, _fixed("cpu", "count", cpu))
    if architectures and len(architectures) == 1:
        props.append(_fixed("architecture", "label", architectures[0]))
    elif architectures:
        props.append({"name": "architecture", "kind": "enum",
                      "unit": "label", "values": list(architectures),
                      "default": architectures[0]})
    return {"id": str(size.id), "name": size.name or str(size.id),
            "properties": props}


def check_overrides(profile, overrides):
    """Refuse ``hwp_<property>`` values the profile cannot have (a
    provider's sizes are fixed: a value is the profile's or one of its
    enum's)."""
    props = {p["name"]: p for p in profile["properties"]}
    for name, value in sorted((overrides or {}).items()):
        prop = props.get(name)
        allowed = [] if prop is None else prop.get("values") or \
            [prop.get("value")]
        if not any(_same(value, a) for a in allowed):
            shown = ", ".join(map(str, allowed)) or "none"
            raise DriverError(400, f"hwp_{name}={value} does not fit "
                                   f"hardware profile {profile['id']} "
                                   f"(its {name}: {shown})")


def check_architecture(profile, archs, image, wanted=None):
    """Refuse what the provider would (EC2: "the architecture of the
    instance type does not match the AMI's"): the image's architecture
    must be one the size runs, and ``hwp_architecture``, if sent, the
    image's (the image decides it)."""
    arch = image["architecture"]
    if archs is not None and arch not in archs:
        raise DriverError(400, f"hardware profile {profile['id']} runs "
                               f"{' or '.join(archs)} images, not image "
                               f"{image['id']} ({arch})")
    if wanted is not None and wanted != arch:
        raise DriverError(400, f"hwp_architecture={wanted} does not fit "
                               f"image {image['id']} ({arch})")


def _same(value, allowed):
    try:
        return float(value) == float(allowed)
    except (TypeError, ValueError):
        return str(value) == str(allowed)


ROOT_TYPES = {"ebs": "persistent", "instance-store": "transient"}


def image_root_type(extra):
    """An image's root type: its ``root_device_type``, else persistent
    when its root device maps an EBS volume (moto answers ``standard``,
    which AWS never does, for the EBS-backed images it registers)."""
    known = ROOT_TYPES.get(extra.get("root_device_type"))
    if known or not extra.get("root_device_name"):
        return known
    root = [m for m in extra.get("block_device_mapping") or ()
            if m.get("device_name") == extra["root_device_name"]]
    return "persistent" if root and root[0].get("ebs") else None


def image(found):
    extra = found.extra or {}
    return {"id": found.id, "name": found.name or found.id,
            "description": extra.get("description"),
            "owner_id": extra.get("owner_id") or "",
            "architecture": extra.get("architecture") or "x86_64",
            "state": str(extra.get("state") or "available").upper(),
            "root_type": image_root_type(extra),
            "creation_time": _text(extra.get("creation_date"))}


def _text(value):
    """A provider's timestamp as text (libcloud parses some into
    datetimes, which JSON documents cannot carry)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _addresses(ips):
    return [{"address": ip, "type": "ipv6" if ":" in ip else "ipv4"}
            for ip in ips or ()]


def instance(node, user, state, can_image=False):
    """``can_image``: the driver makes images of nodes; the instance
    offers ``create_image`` when RUNNING and not instance-store."""
    extra = node.extra or {}
    root_type = ROOT_TYPES.get(extra.get("root_device_type"))
    return {"id": node.id, "name": node.name, "owner_id": user,
            "image_id": extra.get("image_id") or
            getattr(node.image, "id", None) or "",
            "realm_id": extra.get("availability") or
            getattr(getattr(node, "location", None), "id", None) or "",
            "state": state,
            "hwp_id": extra.get("instance_type") or
            getattr(node.size, "id", None) or "",
            "hwp_overrides": {},
            "create_image": can_image and state == "RUNNING" and
            root_type != "transient",
            "storage_volumes": attached_volumes(
                extra.get("block_device_mapping")),
            "network_interfaces": [],
            "keyname": extra.get("key_name"),
            "firewalls": [g.get("group_name") for g in
                          extra.get("groups") or () if g.get("group_name")],
            "public_addresses": _addresses(node.public_ips),
            "private_addresses": _addresses(node.private_ips),
            "root_type": root_type, "user_data": None}


def attached_volumes(mappings):
    """``[{id, device}]``: the EBS volumes of a node's block device
    mappings (EC2's, read by the same DescribeInstances that lists the
    node: no call more) that outlive it.  Those it deletes on termination
    (its root, as a rule) are part of the instance, not listed: the Nova
    shim detaches an instance's listed volumes before destroying it, and
    a detached root would be left behind."""
    listed = []
    for mapping in mappings or ():
        ebs = mapping.get("ebs") or {}
        if ebs.get("volume_id") and ebs.get("delete") != "true" and \
                ebs.get("status") != "detached":
            listed.append({"id": ebs["volume_id"],
                           "device": mapping.get("device_name")})
    return listed


def volume(found):
    extra = found.extra or {}
    return {"id": found.id, "name": found.name or found.id,
            "capacity": str(found.size),
            "state": VOLUME_STATES.get(found.state, "UNKNOWN"),
            "device": extra.get("device"),
            "instance_id": extra.get("instance_id"),
            "realm_id": extra.get("zone"), "description": None,
            "created": _text(extra.get("create_time"))}


def snapshot(found):
    extra = found.extra or {}
    return {"id": found.id, "name": found.name,
            "storage_volume_id": extra.get("volume_id") or "",
            "state": SNAPSHOT_STATES.get(found.state, "UNKNOWN"),
            "description": extra.get("description"),
            "created": _text(found.created)}


def key(pair):
    return {"id": pair.name, "credential_type": "key",
            "fingerprint": pair.fingerprint or "",
            "pem": pair.private_key or ""}


def decode_user_data(text):
    """Deltacloud clients send user data base64-encoded; libcloud drivers
    take it plain (and encode it themselves)."""
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise DriverError(400, "user_data must be base64-encoded UTF-8 "
                               "text") from None


def _matches(obj, filters):
    return all(value in (None, "") or str(obj.get(name)) == value
               for name, value in filters.items())


# -- the per-request session --------------------------------------------------

class Session(CloudDriver):
    """One request's cloud: the libcloud driver for its credentials.

    ``user`` arguments are the access key the request authenticated
    with; the provider, not this server, decides what it may see.
    """

    def __init__(self, backend, key, secret, region):
        self.backend, self._key, self._region = backend, key, region
        self._secret = secret
        self._digest = self._driver = None

    def __repr__(self):
        return f"<Session {self.backend.provider} {self._region}>"

    @property
    def driver(self):
        if self._driver is None:
            self._digest, self._driver = self._call(
                self.backend.acquire, self._key, self._secret, self._region)
        return self._driver

    def close(self):
        """The request is over: its driver goes back to the backend."""
        if self._driver is not None:
            self.backend.release(self._digest, self._driver)
            self._driver = None

    def _call(self, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except DriverError:
            raise
        except ValueError as error:  # libcloud's refusal of an argument
            raise DriverError(400, str(error)) from None
        except NotImplementedError:  # libcloud's base class's answer
            raise not_supported(getattr(function, "__name__",
                                        "this operation")) from None
        except (BaseHTTPError, LibcloudError, OSError,
                requests.exceptions.RequestException) as error:
            raise provider_error(error, self._secret) from None

    def verify(self):
        """Raise unless the provider accepts the credentials."""
        self.do("list_locations")

    def do(self, method, *args, **kwargs):
        """``driver.<method>(...)`` with errors mapped."""
        return self._call(getattr(self.driver, method), *args, **kwargs)

    # -- realms, hardware profiles, images ------------------------------------

    def list_realms(self, ident=None):
        return [r for r in map(realm, self.do("list_locations"))
                if ident is None or r["id"] == ident]

    def realm(self, ident):
        found = self.list_realms(ident)
        if not found:
            raise DriverError(404, "Not Found", "realms", ident)
        return found[0]

    def _locations(self):
        """The provider's locations (none where it cannot list them: it
        has no realms)."""
        if not implements(type(self.driver), "list_locations"):
            return []
        return self.do("list_locations")

    def _location(self, realm_id):
        for location in self._locations():
            if realm(location)["id"] == realm_id:
                return location
        raise DriverError(400, f"Realm '{realm_id}' does not exist")

    def _remember(self, what, fetch):
        self.driver  # noqa: B018 (sets the credential's digest)
        return self.backend.remember(self._digest, what, fetch)

    def _profiles(self):
        """``{id: (size, profile, architectures)}``, built once per
        credential for the cache's TTL: EC2 has ~800 sizes, and every
        image of a listing names those of its architecture."""
        def build():
            table = {}
            for size in self.do("list_sizes"):
                archs = self.backend.spec.architectures(size)
                table[str(size.id)] = (size, hardware_profile(size, archs),
                                       archs)
            return table
        return self._remember("profiles", build)

    def list_hardware_profiles(self, architecture=None, ident=None,
                               profiles=None):
        """The profiles (shared: callers render, never change them); with
        ``architecture``, those whose sizes run its images (sizes of
        unknown architecture run any)."""
        if ident is not None:
            found = self._profiles().get(ident)
            return [found[1]] if found else []
        return [profile for _, profile, archs in self._profiles().values()
                if architecture is None or archs is None or
                architecture in archs]

    def _size(self, hwp_id):
        """``(size, profile, architectures)`` of a profile id."""
        hwp_id = hwp_id or self.backend.default_size
        if not hwp_id:
            provider = self.backend.provider
            raise DriverError(400, f"hwp_id is required: {provider} has "
                                   "no default hardware profile")
        found = self._profiles().get(hwp_id)
        if found is None:
            raise DriverError(400, f"Hardware profile '{hwp_id}' does not "
                                   "exist")
        return found

    def list_images(self, user, driver=None, **filters):
        if filters.get("id"):
            found = self._images_by_id([filters["id"]])
        else:
            found = self._list_images(filters.get("owner_id"))
        return [i for i in map(image, found)
                if _matches(i, {k: v for k, v in filters.items()
                                if k in ("architecture",)})]

    def _list_images(self, owner):
        return self.do("list_images")

    def _images_by_id(self, ids):
        found = []
        for ident in ids:
            try:
                found.append(self.do("get_image", ident))
            except DriverError as error:
                if error.status != 404:
                    raise
        return found

    def image(self, ident, driver=None):
        found = self._images_by_id([ident])
        if not found:
            raise DriverError(404, "Not Found", "images", ident)
        return image(found[0])

    def create_image(self, user, instance_id, name=None, description=None):
        """An image of a RUNNING instance (EC2: EBS-backed only)."""
        shown = self.instance(user, instance_id)
        if not shown["create_image"]:
            raise DriverError(400, f"instance {instance_id} cannot be "
                                   f"imaged in its state "
                                   f"({shown['state']}, root type "
                                   f"{shown['root_type'] or 'unknown'})")
        made = self.do("create_image", self._node(instance_id),
                       name or f"deltacloud-{int(time.time())}",
                       **self.image_options(description))
        found = self._images_by_id([made.id])
        return image(found[0] if found else made)

    def image_options(self, description):
        """create_image keywords for what the provider takes."""
        return {}

    def destroy_image(self, user, ident, driver=None):
        if not implements(type(self.driver), "delete_image"):
            raise not_supported("destroy_image")
        self.image(ident)  # 404 names the image
        self.do("delete_image", NodeImage(ident, None, self.driver))

    # -- instances ------------------------------------------------------------

    def _nodes(self, ids=None):
        return self.do("list_nodes")

    def _instance(self, node):
        state = self.backend.state_of(node)
        return instance(node, self._key, state,
                        can_image=self.backend.can_image)

    def list_instances(self, user, **filters):
        ids = [filters["id"]] if filters.get("id") else None
        return [i for i in map(self._instance, self._nodes(ids))
                if _matches(i, filters)]

    def _node(self, ident, missing=404):
        nodes = [n for n in self._nodes([ident]) if n.id == ident]
        if not nodes:
            raise DriverError(missing, "Not Found" if missing == 404
                              else "Forbidden", "instances", ident)
        return nodes[0]

    def instance(self, user, ident):
        return self._instance(self._node(ident))

    def create_instance(self, user, image_id, *, hwp_id=None, realm_id=None,
                        name=None, keyname=None, user_data=None,
                        firewalls=(), overrides=None, **ignored):
        size, profile, archs = self._size(hwp_id)
        check_overrides(profile, overrides)
        kwargs = {"name": name or f"deltacloud-{int(time.time())}",
                  "image": NodeImage(image_id, None, self.driver),
                  "size": size}
        if realm_id:
            kwargs["location"] = self._location(realm_id)
        kwargs.update(self.create_options(
            keyname=keyname, firewalls=list(firewalls),
            user_data=None if user_data is None
            else decode_user_data(user_data)))
        shown = self.image(image_id)  # 404 names it, not a provider fault
        check_architecture(profile, archs, shown,
                           (overrides or {}).get("architecture"))
        node = self.do("create_node", **kwargs)
        # Shown as the provider now describes it (the create answer is
        # the launch request's: PENDING); not yet listed is the answer.
        try:
            found = [n for n in self._nodes([node.id]) if n.id == node.id]
        except DriverError:
            found = []
        return self._instance(found[0] if found else node)

    def create_options(self, **requested):
        """The provider's create_node keywords for the Deltacloud features
        it supports; a request for one it lacks is refused."""
        wanted = {k: v for k, v in requested.items() if v}
        if wanted:
            raise DriverError(400, f"this provider does not support "
                                   f"{', '.join(sorted(wanted))}")
        return {}

    def instance_action(self, user, ident, action, transitions=None):
        node = self._node(ident, missing=403)
        if action not in self.backend.descriptor.actions_for(
                self._instance(node)):
            raise DriverError(405, "Method Not Allowed")
        self.do(ACTION_METHODS[action], node)
        if action == "destroy":
            return None
        return self.instance(user, ident)

    # -- keys -----------------------------------------------------------------

    def list_keys(self, user, **filters):
        return [k for k in map(key, self.do("list_key_pairs"))
                if _matches(k, filters)]

    def key(self, user, ident):
        found = self.list_keys(user, id=ident)
        if not found:
            raise DriverError(404, "Not Found", "keys", ident)
        return found[0]

    def create_key(self, user, name):
        return key(self.do("create_key_pair", name))

    def destroy_key(self, user, ident):
        pairs = [p for p in self.do("list_key_pairs") if p.name == ident]
        if not pairs:
            raise DriverError(404, "Not Found", "keys", ident)
        self.do("delete_key_pair", pairs[0])

    # -- storage volumes and snapshots ----------------------------------------

    def _volumes(self, ids=None):
        """The provider's volumes (a provider module may ask for ``ids``
        alone)."""
        return self.do("list_volumes")

    def _volume(self, ident):
        found = [v for v in self._volumes([ident]) if v.id == ident]
        if not found:
            raise DriverError(404, "Not Found", "storage_volumes", ident)
        return found[0]

    def list_volumes(self, user, **filters):
        ids = [filters["id"]] if filters.get("id") else None
        return [v for v in map(volume, self._volumes(ids))
                if _matches(v, filters)]

    def volume(self, user, ident):
        return volume(self._volume(ident))

    #: :attr:`CloudDriver.volume_origins`: what :meth:`create_volume` takes.
    volume_origins = ("realm_id", "snapshot_id")

    def create_volume(self, user, capacity=None, name=None,
                      description=None, realm_id=None, snapshot_id=None):
        """In ``realm_id`` (else the first realm, as Deltacloud's ec2
        driver chose, or where the provider places it if it has no
        realms), from ``snapshot_id`` (empty without); an unknown realm
        or snapshot is a 400 before the provider is asked to create
        anything."""
        location = self._location(realm_id) if realm_id else \
            self._first_location()
        origin = self._origin(snapshot_id) if snapshot_id else None
        return volume(self.do("create_volume", _capacity(capacity, origin),
                              name or f"deltacloud-{int(time.time())}",
                              location=location, snapshot=origin))

    def _first_location(self):
        """The provider's first location, None where it has none
        (libcloud then leaves the choice to the provider)."""
        return next(iter(self._locations()), None)

    def _origin(self, snapshot_id):
        try:
            return self._snapshot(snapshot_id)
        except DriverError as error:
            if error.status != 404:
                raise
        raise DriverError(400, f"Storage snapshot '{snapshot_id}' does not "
                               f"exist")

    def attach_volume(self, user, ident, instance_id, device):
        found, node = self._volume(ident), self._node(instance_id)
        zones = ((found.extra or {}).get("zone"),
                 (node.extra or {}).get("availability"))
        if all(zones) and zones[0] != zones[1]:  # EC2: ZoneMismatch, a 502
            raise DriverError(400, f"storage volume {ident} is in realm "
                                   f"{zones[0]}, instance {instance_id} in "
                                   f"{zones[1]}: a volume attaches only "
                                   f"to an instance of its realm")
        self.do("attach_volume", node, found, device)
        return self.volume(user, ident)

    def detach_volume(self, user, ident):
        found = self._volume(ident)
        if not _attached(found):
            raise volume_state_error("detach_volume", found)
        self._on_volume("detach_volume", found)
        return self.volume(user, ident)

    def destroy_volume(self, user, ident):
        found = self._volume(ident)
        if _attached(found):
            raise volume_state_error("destroy_volume", found)
        self._on_volume("destroy_volume", found)

    def _on_volume(self, method, found):
        """``method`` on a volume read just before: if its state changed
        meanwhile and the provider refuses (:data:`VOLUME_STATE_ERRORS`),
        the answer is the check's, with the provider's message."""
        try:
            self.do(method, found)
        except DriverError as error:
            _, codes, _ = VOLUME_STATE_ERRORS[method]
            if error.status not in (404, 502) or \
                    not any(code in error.message for code in codes):
                raise
            raise volume_state_error(method, found,
                                     error.message) from None

    def _snapshots(self):
        found = []
        for each in self.do("list_volumes"):
            found.extend(self.do("list_volume_snapshots", each))
        return found

    def _snapshot(self, ident):
        found = [s for s in self._snapshots() if s.id == ident]
        if not found:
            raise DriverError(404, "Not Found", "storage_snapshots", ident)
        return found[0]

    def list_snapshots(self, user, **filters):
        return [s for s in map(snapshot, self._snapshots())
                if _matches(s, filters)]

    def snapshot(self, user, ident):
        return snapshot(self._snapshot(ident))

    def create_snapshot(self, user, volume_id, name=None, description=None):
        return snapshot(self.do("create_volume_snapshot",
                                self._volume(volume_id), name=name,
                                **self.snapshot_options(description)))

    def snapshot_options(self, description):
        """create_volume_snapshot keywords for what the provider takes."""
        return {}

    def destroy_snapshot(self, user, ident):
        self.do("destroy_volume_snapshot", self._snapshot(ident))


#: Volume operation -> (status, the provider's error codes (EC2's) for
#: the volume's state, line): a volume in use is not deleted (409, as
#: Deltacloud's Conflict), one not attached is not detached (400, as
#: Cinder answers; Heat takes it for detached).  Checked on the state
#: read before the provider is asked; the codes cover a change since.
VOLUME_STATE_ERRORS = {
    "destroy_volume": (409, ("VolumeInUse", "IncorrectState"),
                       "storage volume {id} is attached{detail}: detach "
                       "it before deleting it"),
    "detach_volume": (400, ("IncorrectState", "InvalidAttachment.NotFound"),
                      "storage volume {id} is not attached{detail}: "
                      "there is nothing to detach"),
}
ATTACHED = (StorageVolumeState.INUSE, StorageVolumeState.ATTACHING)


def _attached(found):
    return found.state in ATTACHED or \
        bool((found.extra or {}).get("instance_id"))


def volume_state_error(method, found, provider_said=None):
    """The one line for a volume in the wrong state for ``method``: as
    read (its state, the instance), or as the provider said since."""
    status, _, line = VOLUME_STATE_ERRORS[method]
    if provider_said:
        said = provider_said.removeprefix("Bad Gateway: ")
        detail = f" (the provider: {said})"
    else:
        shown = volume(found)
        to = f" to instance {shown['instance_id']}" \
            if shown["instance_id"] else ""
        detail = f" ({shown['state']}{to})"
    return DriverError(status, line.format(id=found.id, detail=detail))


def _capacity(capacity, origin=None):
    """GB of a new volume: ``capacity``, else the snapshot's size (a
    volume is at least as large as its snapshot), else 1 as Deltacloud's
    ec2 driver had it."""
    least = getattr(origin, "size", None) or 1
    if capacity in (None, ""):
        return least
    try:
        size = int(capacity)
    except ValueError:
        size = None
    if size is None or size < 1:
        raise DriverError(400, f"capacity must be a whole number of GB "
                               f"(at least 1), not {capacity!r}")
    if size < least:
        raise DriverError(400, f"capacity {size} GB is smaller than "
                               f"snapshot {origin.id} ({least} GB)")
    return size


#: collection -> the libcloud NodeDriver methods it needs, all of them.
NEEDS = {
    "realms": ("list_locations",),
    "hardware_profiles": ("list_sizes",),
    "images": ("list_images", "get_image"),
    "instances": ("list_nodes", "create_node", "destroy_node"),
    "instance_states": ("list_nodes",),
    "keys": ("list_key_pairs", "create_key_pair", "delete_key_pair"),
    "storage_volumes": ("list_volumes", "create_volume", "destroy_volume",
                        "attach_volume", "detach_volume"),
    "storage_snapshots": ("list_volumes", "list_volume_snapshots",
                          "create_volume_snapshot",
                          "destroy_volume_snapshot"),
}


def implements(driver_class, method):
    """Whether ``driver_class`` has ``method`` of its own (libcloud's base
    class defines every one, raising NotImplementedError)."""
    own = getattr(driver_class, method, None)
    return own is not None and own is not getattr(NodeDriver, method, None)


# -- the configured backend ---------------------------------------------------

@dataclasses.dataclass
class Provider:
    """What a provider module contributes: its libcloud driver class, its
    session class, the collections and features only it has, the
    raw states it names better than libcloud's map, extra driver
    keywords and a default size."""

    name: str
    driver_class: type
    session_class: type = Session
    collections: dict = dataclasses.field(default_factory=dict)
    #: collection -> ((feature, operation, params), ...) it advertises
    features: dict = dataclasses.field(default_factory=dict)
    raw_states: dict = dataclasses.field(default_factory=dict)
    driver_options: dict = dataclasses.field(default_factory=dict)
    default_size: str | None = None
    regions: tuple = ()
    #: size -> the image architectures it runs, or None (unknown: any);
    #: an image lists, and is launched on, only the sizes that run it.
    architectures: object = lambda size: None
    #: Actions only an instance with a persistent root offers (EC2: an
    #: instance-store instance can be neither stopped nor started).
    persistent_only: tuple = ()


class Backend:
    """A configured provider: region, endpoint, timeout, driver cache.

    Idle drivers are kept by a digest of (key, secret, region), so a later
    request with the same credentials reuses a connection; one idle for
    ``cache_ttl`` seconds is dropped.  Secrets are held only inside those
    libcloud drivers.
    """

    def __init__(self, provider, *, region=None, endpoint=None,
                 timeout=DEFAULT_TIMEOUT, cache_ttl=DEFAULT_CACHE_TTL,
                 image_owner="self", clock=time.monotonic):
        self.provider = provider.name
        self.spec = provider
        self.region = region
        self.timeout = float(timeout)
        self.cache_ttl = float(cache_ttl)
        self.default_size = provider.default_size
        #: Whose images an unfiltered list shows where the provider has
        #: owners (EC2: ``self``; ``amazon`` lists thousands).
        self.image_owner = image_owner
        self.endpoint = _endpoint(endpoint) if endpoint else {}
        self._clock = clock
        #: digest of (key, secret, region) -> [(expires, idle driver)]
        self._idle = {}
        #: (digest, what) -> (expires, value): :meth:`remember`'s.
        self._remembered = {}
        self._lock = threading.Lock()
        self.can_image = all(implements(provider.driver_class, m)
                             for m in ("create_image", "delete_image"))
        self.descriptor = self._descriptor()
        #: What instance and image documents link (Deltacloud's views
        #: asked ``driver.respond_to?``).
        self.can_run = provider.session_class.run_on_instance is not \
            CloudDriver.run_on_instance
        self.can_destroy_image = implements(provider.driver_class,
                                            "delete_image")

    def __repr__(self):
        return f"<Backend libcloud:{self.provider} region={self.region}>"

    # -- drivers --------------------------------------------------------------

    def session(self, key, secret, region=None):
        region = region or self.region
        if self.spec.regions and region not in self.spec.regions:
            raise DriverError(400, f"unknown region {region!r} for "
                                   f"{self.provider}")
        return self.spec.session_class(self, key, secret, region)

    def acquire(self, key, secret, region):
        """``(digest, driver)``: an idle driver for these credentials, or
        a new one.  libcloud drivers are not thread-safe, so one serves
        one request at a time and goes back with :meth:`release`."""
        digest = hashlib.sha256(
            "\0".join((key, secret, region or "")).encode()).hexdigest()
        with self._lock:
            self._purge()
            idle = self._idle.get(digest)
            if idle:
                return digest, idle.pop()[1]
        kwargs = {**self.spec.driver_options, **self.endpoint,
                  "timeout": self.timeout}
        if region:
            kwargs["region"] = region
        return digest, self.spec.driver_class(key, secret, **kwargs)

    def release(self, digest, driver):
        """Keep ``driver`` for reuse for ``cache_ttl`` seconds."""
        with self._lock:
            self._purge()
            self._idle.setdefault(digest, []).append(
                (self._clock() + self.cache_ttl, driver))

    def remember(self, digest, what, fetch):
        """``fetch()``'s value for a credential, kept ``cache_ttl`` s."""
        now, slot = self._clock(), (digest, what)
        with self._lock:
            kept = self._remembered.get(slot)
            if kept and kept[0] > now:
                return kept[1]
        value = fetch()
        with self._lock:
            self._remembered = {k: v for k, v in self._remembered.items()
                                if v[0] > now}
            self._remembered[slot] = (now + self.cache_ttl, value)
        return value

    def idle(self):
        """How many drivers are kept (expired ones dropped first)."""
        with self._lock:
            self._purge()
            return sum(map(len, self._idle.values()))

    def _purge(self):
        now = self._clock()
        for digest in list(self._idle):
            kept = [e for e in self._idle[digest] if e[0] > now]
            if kept:
                self._idle[digest] = kept
            else:
                del self._idle[digest]

    def state_of(self, node):
        raw = (node.extra or {}).get("status")
        if raw in self.spec.raw_states:
            return self.spec.raw_states[raw]
        return NODE_STATES.get(node.state, NODE_STATES[NodeState.UNKNOWN])[0]

    # -- what /api shows ------------------------------------------------------

    def _descriptor(self):
        cls = self.spec.driver_class
        catalog = {}
        needs = {**NEEDS, **self.spec.collections}
        for collection, methods in needs.items():
            if all(implements(cls, m) for m in methods):
                catalog[collection] = []
        catalog["drivers"] = []  # the server's own (app.ServerApp)
        if "instances" in catalog:
            catalog["instances"] = [
                ("realm_filter", "index", ["realm_id"], True),
                ("user_name", "create", ["name"], True)]
        for collection, features in self.spec.features.items():
            if collection in catalog:
                catalog[collection] += [(f, op, params, True)
                                        for f, op, params in features]
        offered = {a for a, m in ACTION_METHODS.items()
                   if implements(cls, m)}
        actions = {}
        for state, (shown, wanted) in NODE_STATES.items():
            actions[shown] = tuple(a for a in wanted if a in offered)
        for shown, wanted in self.spec.raw_states.items():
            actions.setdefault(wanted, ())
        persistent = None
        if self.spec.persistent_only:
            persistent = actions
            actions = {state: tuple(a for a in offers
                                    if a not in self.spec.persistent_only)
                       for state, offers in actions.items()}
        machine = catalogs.state_machine(
            [t for t in TRANSITIONS if t[2] in (None, "create") or
             t[2] in offered])
        return catalogs.Driver(
            # the suite finds a driver by its title, lower-cased
            name=self.provider, title=self.provider.upper(),
            source=f"libcloud.compute.drivers ({cls.__name__})",
            catalog=catalog, off_by_default=frozenset(),
            hardware_profiles=None, realms=None, state_machine=machine,
            actions=actions, transitions={},
            default_hwp=self.spec.default_size,
            persistent_actions=persistent)


def _endpoint(url):
    """``host``/``port``/``secure`` for libcloud from ``--endpoint``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--endpoint must be an http(s) URL, not {url!r}")
    options = {"host": parts.hostname, "secure": parts.scheme == "https"}
    if parts.port:
        options["port"] = parts.port
    return options
