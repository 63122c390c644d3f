"""Immutable objects for the documents Deltacloud returns.

The XML and JSON parsers build the same objects, so callers never care which
format the server spoke.  A few fields exist in only one format (JSON drops
hardware-profile ranges, network interfaces and volume devices); those are
noted on the field and left at their empty default by the other format.
Secrets (private keys, instance passwords) are excluded from ``repr()``.
"""

import dataclasses
import types

_frozen = dataclasses.dataclass(frozen=True)


def build(cls, fields):
    """``cls(**fields)`` for the readers: ``fields``, naming every field,
    becomes the new object's ``__dict__`` (so the caller must drop it).

    A frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``; this is several times faster, which counts when
    a list holds thousands of instances.  The object is the same: equal,
    hashed and shown alike.
    """
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", fields)
    return obj


def build_deferred(cls, fields, readers, document):
    """:func:`build`, leaving out the fields named in ``readers`` (name ->
    ``reader(document)``): each is read from ``document`` when first used.

    Only for documents already checked to read without error, so the
    object behaves as if built at once: equal, hashed, shown, copied and
    pickled alike (a read field then stays in ``__dict__``).
    """
    obj = build(cls, fields)
    object.__setattr__(obj, "_deferred", (readers, document))
    return obj


class _Deferred:
    """A field read on first use from the document an object keeps
    (:func:`build_deferred`); a value in the object's ``__dict__`` (every
    field of an object made by ``__init__``) wins over it."""

    __slots__ = ("name", "default")

    def __init__(self, name, default):
        self.name, self.default = name, default

    def __get__(self, obj, cls=None):
        if obj is None:
            if self.default is dataclasses.MISSING:
                raise AttributeError(self.name)
            return self.default
        deferred = obj._deferred
        if deferred is None:
            # Another thread read the last fields (this one among them)
            # between this lookup and here, and dropped the document.
            return obj.__dict__[self.name]
        readers, document = deferred
        fields = obj.__dict__
        read = readers[self.name]
        if type(read) is Together:
            fields.update(read.reader(document))
            value = fields[self.name]
        else:
            value = fields[self.name] = read(document)
        if len(fields) == len(obj.__dataclass_fields__):
            object.__setattr__(obj, "_deferred", None)  # the document's
        return value


class Together:
    """A reader of several fields at once (a dict of them), for
    :func:`build_deferred`: the first use of one reads them all."""

    __slots__ = ("reader",)

    def __init__(self, reader):
        self.reader = reader


class _DeferredFields:
    """Mixin for the models :func:`build_deferred` builds (declare
    ``__slots__ = ("_deferred",)`` and call :func:`_defer` on the class)."""

    def __getstate__(self):
        # copy and pickle take every field, read, and not the document.
        return {name: getattr(self, name)
                for name in self.__dataclass_fields__}


def _defer(cls, *names):
    for name in names:
        setattr(cls, name, _Deferred(
            name, cls.__dataclass_fields__[name].default))
    return cls


def _mapping(**kwargs):
    """A read-only dict field that compares but is not hashed."""
    return dataclasses.field(default_factory=lambda: types.MappingProxyType(
        {}), hash=False, **kwargs)


@_frozen
class Link:
    """A hypermedia link: an action (``rel``) and where to send it."""
    rel: str
    href: str
    method: str = "get"


class _HasActions:
    """Mixin for objects whose documents list action links."""

    actions: tuple

    def action(self, rel):
        """The link for action ``rel``, or ``None`` when not offered."""
        for link in self.actions:
            if link.rel == rel:
                return link
        return None

    @property
    def action_names(self):
        return tuple(link.rel for link in self.actions)


@_frozen
class Feature:
    """An optional capability of a collection (``/api`` features)."""
    name: str
    operation: str
    params: tuple = ()
    constraints: dict = _mapping()


@_frozen
class Collection:
    name: str
    href: str
    features: tuple = ()

    def feature(self, name):
        """The named feature, or ``None`` when the driver lacks it."""
        for feature in self.features:
            if feature.name == name:
                return feature
        return None


@_frozen
class Api:
    """The ``/api`` entry point: the driver and what it can do."""
    driver: str
    version: str
    provider: str | None = None
    collections: tuple = ()

    def collection(self, name):
        for collection in self.collections:
            if collection.name == name:
                return collection
        return None

    def supports(self, collection, feature=None):
        found = self.collection(collection)
        if found is None:
            return False
        return feature is None or found.feature(feature) is not None


@_frozen
class Realm:
    id: str
    name: str
    state: str | None = None
    #: The realm's limit; ``None`` means unlimited.
    limit: str | None = None


@_frozen
class HardwareProperty:
    """One property of a hardware profile (cpu, memory, storage, ...).

    ``value`` is the fixed value or, for ranges and enums, the default.
    ``param`` names the create parameter that overrides it (``hwp_memory``).
    JSON documents give only ``name`` and ``value``, with kind ``fixed``.
    """
    name: str
    kind: str
    value: str | None
    unit: str | None = None
    first: str | None = None
    last: str | None = None
    values: tuple = ()
    param: str | None = None

    def accepts(self, value):
        """Whether ``value`` lies within this property's allowed values."""
        if self.kind == "range":
            try:
                return float(self.first) <= float(value) <= float(self.last)
            except (TypeError, ValueError):
                return False
        if self.kind == "enum":
            return _number_or_text(value) in {
                _number_or_text(v) for v in self.values}
        return _number_or_text(value) == _number_or_text(self.value)


def _number_or_text(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


@_frozen
class HardwareProfile:
    """The Deltacloud counterpart of a flavor."""
    id: str
    name: str
    properties: tuple = ()

    def property(self, name):
        for prop in self.properties:
            if prop.name == name:
                return prop
        return None


@_frozen
class Image(_HasActions):
    id: str
    name: str
    description: str | None = None
    owner: str | None = None
    architecture: str | None = None
    state: str | None = None
    creation_time: str | None = None
    root_type: str | None = None
    #: Ids of the hardware profiles the image runs on.
    hardware_profiles: tuple = ()
    actions: tuple = ()


@_frozen
class InstanceAddress:
    """An instance's public or private address (IP, hostname, ...)."""
    address: str
    type: str = "ipv4"
    port: str | None = None


@_frozen
class Authentication:
    """How to log in to an instance: a key name or a user and password."""
    type: str
    keyname: str | None = None
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)


@_frozen
class VolumeAttachment:
    id: str
    #: Device name; XML only.
    device: str | None = None


@_frozen
class Instance(_DeferredFields, _HasActions):
    __slots__ = ("_deferred",)

    id: str
    name: str | None
    state: str
    owner: str | None = None
    image_id: str | None = None
    realm_id: str | None = None
    hardware_profile_id: str | None = None
    #: Properties overridden at create time, e.g. ``{"memory": "12288"}``.
    hardware_overrides: dict = _mapping()
    actions: tuple = ()
    launch_time: str | None = None
    public_addresses: tuple = ()
    private_addresses: tuple = ()
    storage_volumes: tuple = ()
    firewalls: tuple = ()
    authentication: Authentication | None = None
    #: Network interface ids; XML only.
    network_interfaces: tuple = ()
    create_image: bool = False


#: Instance fields a reader may leave to first use (a listing of
#: thousands builds them only for the instances that are looked at).
INSTANCE_DEFERRABLE = tuple(Instance.__dataclass_fields__)
_defer(Instance, *INSTANCE_DEFERRABLE)


@_frozen
class Key(_HasActions):
    id: str
    name: str
    credential_type: str | None = None
    fingerprint: str | None = None
    #: The private key; servers return it only when the key is created.
    pem: str | None = dataclasses.field(default=None, repr=False)
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    state: str | None = None
    actions: tuple = ()


@_frozen
class Address(_HasActions):
    """A public address (Deltacloud's floating IP); its id is the IP."""
    id: str
    ip: str
    instance_id: str | None = None
    actions: tuple = ()

    @property
    def associated(self):
        return self.instance_id is not None


@_frozen
class StorageVolume(_HasActions):
    id: str
    name: str
    state: str | None = None
    capacity: str | None = None
    created: str | None = None
    kind: str | None = None
    device: str | None = None
    realm_id: str | None = None
    instance_id: str | None = None
    description: str | None = None
    actions: tuple = ()


@_frozen
class FirewallSource:
    """A rule's source: an address block or another firewall (group)."""
    type: str
    address: str | None = None
    prefix: str | None = None
    family: str | None = None
    name: str | None = None
    owner: str | None = None


@_frozen
class FirewallRule:
    id: str
    protocol: str | None = None
    port_from: str | None = None
    port_to: str | None = None
    direction: str | None = None
    rule_action: str | None = None
    log_rule: str | None = None
    sources: tuple = ()


@_frozen
class Firewall(_HasActions):
    id: str
    name: str
    description: str | None = None
    owner: str | None = None
    rules: tuple = ()
    actions: tuple = ()


@_frozen
class StorageSnapshot(_HasActions):
    id: str
    name: str
    state: str | None = None
    created: str | None = None
    volume_id: str | None = None
    description: str | None = None
    actions: tuple = ()


@_frozen
class Bucket:
    """An object-storage bucket; ``blob_ids`` name its blobs."""
    id: str
    name: str
    size: str | None = None
    blob_ids: tuple = ()


@_frozen
class Blob:
    """One stored object: its description, not its content (read that
    with :meth:`~.managers.BucketManager.blob_content`)."""
    id: str
    bucket: str
    content_length: int | None = None
    content_type: str | None = None
    last_modified: str | None = None
    #: ``X-Deltacloud-Blobmeta-*`` metadata, keys as the server gives them.
    user_metadata: types.MappingProxyType = _mapping()
    content_href: str | None = None


@_frozen
class MetricProperty:
    """One measured quantity; ``samples`` (mappings of minimum, maximum,
    average, timestamp, unit) only when one metric is read."""
    name: str
    samples: tuple = ()


@_frozen
class Metric:
    id: str
    entity: str | None = None
    properties: tuple = ()

    def property(self, name):
        return next((p for p in self.properties if p.name == name), None)


@_frozen
class Network(_HasActions):
    id: str
    name: str
    state: str | None = None
    address_blocks: tuple = ()
    subnet_ids: tuple = ()
    actions: tuple = ()


@_frozen
class Subnet(_HasActions):
    id: str
    name: str
    state: str | None = None
    address_block: str | None = None
    network_id: str | None = None
    #: JSON only.
    type: str | None = None
    actions: tuple = ()


@_frozen
class NetworkInterface(_HasActions):
    id: str
    name: str
    ip_address: str | None = None
    #: The network (or, on drivers with subnets, the subnet) it is on.
    network_id: str | None = None
    instance_id: str | None = None
    actions: tuple = ()


@_frozen
class StateTransition:
    """A move to ``to``, on ``action`` or automatically (``auto``)."""
    to: str
    action: str | None = None
    auto: bool = False


@_frozen
class InstanceState:
    """One state of the driver's instance state machine (lower case)."""
    name: str
    transitions: tuple = ()

    @property
    def actions(self):
        return tuple(t.action for t in self.transitions if t.action)


@_frozen
class DriverProvider:
    """A provider (region, endpoint) of a driver: ``entrypoints`` maps a
    kind (``ec2``, ``s3``...) to its host; JSON lists no providers."""
    id: str
    entrypoints: types.MappingProxyType = _mapping()


@_frozen
class Driver:
    id: str
    name: str
    providers: tuple = ()


@_frozen
class Listener:
    protocol: str | None = None
    load_balancer_port: str | None = None
    instance_port: str | None = None


@_frozen
class LoadBalancer(_HasActions):
    """A load balancer (EC2's Elastic Load Balancing); its public
    address is its DNS name."""
    id: str
    realm_ids: tuple = ()
    listeners: tuple = ()
    instance_ids: tuple = ()
    public_addresses: tuple = ()
    created_at: str | None = None
    actions: tuple = ()
