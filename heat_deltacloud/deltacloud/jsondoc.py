"""Read Deltacloud JSON documents into :mod:`.models` objects.

The JSON front-end renames fields (``owner_id`` becomes ``owner``), nests
links as ``{"id", "href", "rel"}`` objects and loses hardware-profile ranges;
these readers undo the differences so both formats give equal objects.
"""

import collections
import itertools
import json
import operator
import types

import msgspec

from heat_deltacloud.deltacloud import models
from heat_deltacloud.deltacloud.exceptions import MalformedResponse


_fast_decode = msgspec.json.Decoder().decode


def _loads(body):
    """``json.loads``, through msgspec's decoder where it accepts the text.

    msgspec decodes a large listing about a third faster and gives equal
    values wherever it succeeds (integers of any size included, which
    orjson turns into floats); what it refuses and :mod:`json` may accept
    (``NaN``, a byte-order mark, UTF-16, lone surrogates, ``1e400``) or
    rejects with its own message goes to :mod:`json`, so the result and
    the error are json's.
    """
    try:
        return _fast_decode(body)
    except (msgspec.DecodeError, RecursionError, UnicodeError):
        return json.loads(body)


def parse(body, expected_key=None):
    """Decode ``body``; with ``expected_key``, return that member."""
    try:
        doc = _loads(body)
    except (ValueError, RecursionError) as exc:
        raise MalformedResponse(f"invalid JSON: {exc}",
                                excerpt=body) from None
    if expected_key is None:
        return doc
    if not isinstance(doc, dict) or expected_key not in doc:
        raise MalformedResponse(
            f"expected a JSON object with '{expected_key}'", excerpt=body)
    return doc[expected_key]


def _obj(value, what):
    if not isinstance(value, dict):
        raise MalformedResponse(f"expected a JSON object for {what}")
    return value


def _req(doc, name, what):
    value = _obj(doc, what).get(name)
    if value is None:
        raise MalformedResponse(f"{what} lacks '{name}'")
    return str(value)


def _opt(doc, name):
    value = doc.get(name)
    return None if value is None else str(value)


def _ref_id(doc, name):
    """The id of a nested link object such as ``"realm": {"id": ...}``."""
    ref = doc.get(name)
    return ref.get("id") if isinstance(ref, dict) and ref else None


def _link(doc):
    rel, href = _obj(doc, "action").get("rel"), doc.get("href")
    if rel is None or href is None:
        _req(doc, "rel" if rel is None else "href", "action")  # raises
    return models.Link(str(rel), str(href),
                       str(doc.get("method", "get")).lower())


def _links(doc):
    return tuple([_link(a) for a in doc.get("actions") or ()])


def _addresses(doc, name):
    return tuple([models.InstanceAddress(_req(a, "address", name),
                                         str(a.get("type", "ipv4")),
                                         _opt(a, "port"))
                  for a in doc.get(name) or ()])


def _feature(entries):
    # One feature is a list with an entry per operation it extends; the
    # model keeps one Feature per (name, operation), as the XML does.
    for entry in entries:
        yield models.Feature(
            name=_req(entry, "name", "feature"),
            operation=str(entry.get("rel", "")),
            params=tuple(str(p).split(":", 1)[0]
                         for p in entry.get("params") or ()),
            constraints=types.MappingProxyType(
                dict(entry.get("constraints") or {})))


def api(doc):
    doc = _obj(doc, "api")
    provider = doc.get("provider")
    collections = tuple(
        models.Collection(
            name=_req(link, "rel", "link"), href=_req(link, "href", "link"),
            features=tuple(f for group in link.get("features") or ()
                           for f in _feature(group)))
        for link in doc.get("links") or ())
    return models.Api(driver=_req(doc, "driver", "api"),
                      version=_req(doc, "version", "api"),
                      provider=None if provider in (None, "default")
                      else str(provider),
                      collections=collections)


def realm(doc):
    limit = _opt(_obj(doc, "realm"), "limit")
    return models.Realm(id=_req(doc, "id", "realm"), name=_opt(doc, "name"),
                        state=_opt(doc, "state"),
                        limit=None if limit in (None, "", "unlimited")
                        else limit)


def hardware_profile(doc):
    properties = _obj(doc, "hardware_profile").get("properties") or {}
    return models.HardwareProfile(
        id=_req(doc, "id", "hardware_profile"),
        name=_opt(doc, "name") or str(doc["id"]),
        properties=tuple(models.HardwareProperty(
            name=name, kind="fixed", value=str(value))
            for name, value in properties.items()))


def image(doc):
    return models.Image(
        id=_req(doc, "id", "image"), name=_opt(doc, "name") or str(doc["id"]),
        description=_opt(doc, "description"), owner=_opt(doc, "owner"),
        architecture=_opt(doc, "architecture"), state=_opt(doc, "state"),
        creation_time=_opt(doc, "creation_time"),
        root_type=_opt(doc, "root_type"),
        hardware_profiles=tuple(_req(h, "id", "hardware_profile")
                                for h in doc.get("hardware_profiles") or ()),
        actions=_links(doc))


def _authentication(doc):
    kind = doc.get("authentication_type")
    login = doc.get("authentication") or {}
    if kind is None and not login:
        return None
    return models.Authentication(
        type=str(kind or "key"), keyname=_opt(login, "keyname"),
        username=_opt(login, "user"), password=_opt(login, "password"))


def _instance_at_once(doc):
    """An instance with every field read now: for documents that
    :func:`_plain_instance` does not vouch for (this raises their error)."""
    get = _obj(doc, "instance").get
    hwp = get("hardware_profile") or {}
    return models.build(models.Instance, {
        "id": _req(doc, "id", "instance"), "name": _opt(doc, "name"),
        "state": str(get("state") or "UNKNOWN").upper(),
        "owner": _opt(doc, "owner"), "image_id": _ref_id(doc, "image"),
        "realm_id": _ref_id(doc, "realm"),
        "hardware_profile_id": hwp.get("id"),
        **{name: read(doc) for name, read in _INSTANCE_NESTED.items()},
        "launch_time": _opt(doc, "create_time"),
        "network_interfaces": (), "create_image": bool(get("create_image"))})


def _overrides(doc):
    hwp = doc.get("hardware_profile") or {}
    return types.MappingProxyType({
        str(k): str(v) for k, v in (hwp.get("properties") or {}).items()})


#: Instance fields holding nested parts, and their readers.
_INSTANCE_NESTED = {
    "hardware_overrides": _overrides,
    "actions": _links,
    "public_addresses": lambda doc: _addresses(doc, "public_addresses"),
    "private_addresses": lambda doc: _addresses(doc, "private_addresses"),
    "storage_volumes": lambda doc: tuple([
        models.VolumeAttachment(_req(v, "id", "storage_volume"))
        for v in doc.get("storage_volumes") or ()]),
    "firewalls": lambda doc: tuple([_req(f, "id", "firewall")
                                    for f in doc.get("firewalls") or ()]),
    "authentication": _authentication,
}
#: List members of an instance, whether their items need several keys,
#: and a getter of those keys (a tuple of their values if several).
_INSTANCE_ITEMS = tuple(
    (names, len(keys) > 1, operator.itemgetter(*keys))
    for names, keys in ((("actions",), ("rel", "href")),
                        (("public_addresses", "private_addresses"),
                         ("address",)),
                        (("storage_volumes", "firewalls"), ("id",))))
#: Keys every instance document of a Deltacloud server has.  The check
#: reads them for the whole listing in one pass (one item getter call per
#: document): over thousands of documents a pass costs more in memory
#: traffic than in calls, so one pass instead of one per key.
_ROW_KEYS = ("id", "hardware_profile", "actions", "public_addresses",
             "private_addresses", "storage_volumes")
_ROW = operator.itemgetter(*_ROW_KEYS)


def _values(docs):
    """A function giving ``doc.get(key)`` for each of ``docs`` (a list):
    the values of :data:`_ROW_KEYS` read in one pass unless a document
    lacks one, the others key by key.  ``TypeError`` on a document that
    is not an object."""
    try:
        read = dict(zip(_ROW_KEYS, zip(*map(_ROW, docs))))
    except KeyError:
        read = {}
    return lambda key: read.get(key) or map(dict.get, docs,
                                            itertools.repeat(key))


def _plain_instances(docs):
    """Whether every field of every document (a list) will read without
    error: each an object with an ``id``, each nested object an object,
    each list a list of objects with their keys set.  Checked in C for
    the whole list, conservatively (an empty value also says no): ``map``
    of an item getter raises on a missing key or an item that is not an
    object, ``all`` finds a null or empty value."""
    chain = itertools.chain.from_iterable
    try:
        values = _values(docs)
        if not all(values("id")):
            return False
        # dict.get raises on a hardware profile that is not an object.
        properties = map(dict.get, filter(None, values("hardware_profile")),
                         itertools.repeat("properties"))
        if not {dict}.issuperset(map(type, filter(None, itertools.chain(
                properties, values("authentication"))))):
            return False
        for names, several, getter in _INSTANCE_ITEMS:
            # The truthy lists (as ``or ()`` drops the others), flattened.
            items = chain(filter(None, chain(map(values, names))))
            got = map(getter, items)
            if not all(chain(got) if several else got):
                return False
    except (KeyError, TypeError):
        return False
    return True


def instances(docs):
    """A listing of instances.  It can hold thousands, so once
    :func:`_plain_instances` has checked that they read without error,
    each instance keeps its document and reads a field on first use (the
    nested parts one by one, the rest together; see
    :func:`models.build_deferred`); other listings are read at once,
    raising the error the first bad instance gives."""
    if type(docs) is not list or not _plain_instances(docs):
        return [_instance_at_once(doc) for doc in docs]
    # Empty instances, each then given its document: no Python code runs
    # per instance.
    listed = list(map(_new, itertools.repeat(models.Instance, len(docs))))
    collections.deque(map(_set_deferred, listed, zip(
        itertools.repeat(_INSTANCE_DEFERRED), docs)), maxlen=0)
    return listed


def instance(doc):
    """An instance (see :func:`instances`)."""
    return instances([doc])[0]


def _instance_scalars(doc):
    get = doc.get
    name, owner, launched = get("name"), get("owner"), get("create_time")
    image, realm, hwp = get("image"), get("realm"), get("hardware_profile")
    return {
        "id": str(doc["id"]), "name": None if name is None else str(name),
        "state": str(get("state") or "UNKNOWN").upper(),
        "owner": None if owner is None else str(owner),
        "image_id": image.get("id") if isinstance(image, dict) else None,
        "realm_id": realm.get("id") if isinstance(realm, dict) else None,
        "hardware_profile_id": hwp.get("id") if hwp else None,
        "launch_time": None if launched is None else str(launched),
        "network_interfaces": (), "create_image": bool(get("create_image"))}


#: Every instance field, read on first use: the nested parts one by one,
#: the others together.
_INSTANCE_DEFERRED = dict(_INSTANCE_NESTED, **dict.fromkeys(
    ("id", "name", "state", "owner", "image_id", "realm_id",
     "hardware_profile_id", "launch_time", "network_interfaces",
     "create_image"), models.Together(_instance_scalars)))
_new = object.__new__
_set_deferred = models.Instance.__dict__["_deferred"].__set__


def key(doc):
    return models.Key(
        id=_req(doc, "id", "key"), name=_opt(doc, "name") or str(doc["id"]),
        credential_type=_opt(doc, "credential_type"),
        fingerprint=_opt(doc, "fingerprint"), pem=_opt(doc, "pem_rsa_key"),
        username=_opt(doc, "username"), password=_opt(doc, "password"),
        state=_opt(doc, "state") or None, actions=_links(doc))


def address(doc):
    ident = _req(doc, "id", "address")
    return models.Address(id=ident, ip=_opt(doc, "ip") or ident,
                          instance_id=_opt(doc, "instance_id")
                          or _ref_id(doc, "instance"),
                          actions=_links(doc))


def storage_volume(doc):
    return models.StorageVolume(
        id=_req(doc, "id", "storage_volume"),
        name=_opt(doc, "name") or str(doc["id"]), state=_opt(doc, "state"),
        capacity=_opt(doc, "capacity"), created=_opt(doc, "created"),
        kind=_opt(doc, "kind"), device=_opt(doc, "device"),
        realm_id=_ref_id(doc, "realm") or _opt(doc, "realm_id"),
        instance_id=_ref_id(doc, "instance"),
        description=_opt(doc, "description"), actions=_links(doc))


def _firewall_rule(doc):
    return models.FirewallRule(
        id=_req(doc, "id", "rule"), protocol=_opt(doc, "allow_protocol"),
        port_from=_opt(doc, "port_from"), port_to=_opt(doc, "port_to"),
        direction=_opt(doc, "direction"),
        rule_action=_opt(doc, "rule_action"), log_rule=_opt(doc, "log_rule"),
        sources=tuple(models.FirewallSource(
            type=str(s.get("type", "address")), address=_opt(s, "address"),
            prefix=_opt(s, "prefix"), family=_opt(s, "family"),
            name=_opt(s, "name"), owner=_opt(s, "owner"))
            for s in doc.get("sources") or ()))


def firewall(doc):
    return models.Firewall(
        id=_req(doc, "id", "firewall"),
        name=_opt(doc, "name") or str(doc["id"]),
        description=_opt(doc, "description"),
        owner=_opt(doc, "owner_id") or _opt(doc, "owner"),
        rules=tuple(_firewall_rule(r) for r in doc.get("rules") or ()),
        actions=_links(doc))


def error_message(doc):
    """The message of a Deltacloud JSON error document, if it is one."""
    if isinstance(doc, dict) and "message" in doc:
        return str(doc["message"])
    return None


def storage_snapshot(doc):
    return models.StorageSnapshot(
        id=_req(doc, "id", "storage_snapshot"),
        name=_opt(doc, "name") or str(doc["id"]), state=_opt(doc, "state"),
        created=_opt(doc, "created"),
        volume_id=_ref_id(doc, "storage_volume"),
        description=_opt(doc, "description"), actions=_links(doc))


def bucket(doc):
    return models.Bucket(
        id=_req(doc, "id", "bucket"),
        name=_opt(doc, "name") or str(doc["id"]), size=_opt(doc, "size"),
        blob_ids=tuple(str(_req(b, "id", "blob")) for b in
                       doc.get("blob_list") or ()))


def blob(doc):
    length = doc.get("content_length")
    metadata = doc.get("user_metadata")
    return models.Blob(
        id=_req(doc, "id", "blob"),
        bucket=_ref_id(doc, "bucket") or _opt(doc, "bucket"),
        content_length=None if length is None else int(length),
        content_type=_opt(doc, "content_type"),
        last_modified=_opt(doc, "last_modified"),
        user_metadata=types.MappingProxyType(
            {str(k): str(v) for k, v in metadata.items()}
            if isinstance(metadata, dict) else {}),
        content_href=(f"{doc['href']}/content" if doc.get("href")
                      else None))


def metric(doc):
    return models.Metric(
        id=_req(doc, "id", "metric"), entity=_opt(doc, "entity"),
        properties=tuple(models.MetricProperty(
            name=_req(p, "name", "metric property"),
            samples=tuple(types.MappingProxyType(
                {str(k): None if v is None else str(v)
                 for k, v in _obj(s, "sample").items()})
                for s in p.get("values") or ()))
            for p in doc.get("properties") or ()))


def network(doc):
    return models.Network(
        id=_req(doc, "id", "network"),
        name=_opt(doc, "name") or str(doc["id"]), state=_opt(doc, "state"),
        address_blocks=tuple(str(b) for b in doc.get("address_blocks")
                             or ()),
        subnet_ids=tuple(str(_req(s, "id", "subnet"))
                         for s in doc.get("subnets") or ()),
        actions=_links(doc))


def subnet(doc):
    return models.Subnet(
        id=_req(doc, "id", "subnet"),
        name=_opt(doc, "name") or str(doc["id"]), state=_opt(doc, "state"),
        address_block=_opt(doc, "address_block"),
        network_id=_ref_id(doc, "network"), type=_opt(doc, "type"),
        actions=_links(doc))


def network_interface(doc):
    return models.NetworkInterface(
        id=_req(doc, "id", "network_interface"),
        name=_opt(doc, "name") or str(doc["id"]),
        ip_address=_opt(doc, "ip_address"),
        network_id=_ref_id(doc, "network"),
        instance_id=_ref_id(doc, "instance"), actions=_links(doc))


def instance_state(doc):
    return models.InstanceState(
        name=_req(doc, "name", "state"),
        transitions=tuple(models.StateTransition(
            to=_req(t, "to", "transition"), action=_opt(t, "action"),
            auto=str(t.get("auto")).lower() == "true")
            for t in doc.get("transitions") or ()))


def driver(doc, ident=None):
    """``{"name", "id"?, "entrypoints"?}``; the index names the id as the
    key instead.  JSON lists no providers."""
    doc = _obj(doc, "driver")
    return models.Driver(id=str(ident or _req(doc, "id", "driver")),
                         name=_req(doc, "name", "driver"))


def load_balancer(doc):
    return models.LoadBalancer(
        id=_req(doc, "id", "load_balancer"),
        realm_ids=tuple(str(_req(r, "id", "realm")) if isinstance(r, dict)
                        else str(r) for r in doc.get("realms") or ()),
        listeners=tuple(models.Listener(
            protocol=_opt(li, "protocol"),
            load_balancer_port=_opt(li, "load_balancer_port"),
            instance_port=_opt(li, "instance_port"))
            for li in doc.get("listeners") or ()),
        instance_ids=tuple(str(_req(i, "id", "instance"))
                           for i in doc.get("instances") or ()),
        public_addresses=tuple(str(a) for a in
                               doc.get("public_addresses") or ()),
        created_at=_opt(doc, "created_at"), actions=_links(doc))
