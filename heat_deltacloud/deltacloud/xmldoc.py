"""Read Deltacloud XML documents into :mod:`.models` objects.

Parsing is hardened: no entity expansion, no DTD loading, no network access,
no huge-tree mode, and any document carrying a DOCTYPE is refused outright
(Deltacloud never sends one).  Problems raise
:class:`~.exceptions.MalformedResponse` naming what was wrong.
"""

import threading
import types

from lxml import etree

from heat_deltacloud.deltacloud import models
from heat_deltacloud.deltacloud.exceptions import MalformedResponse

_local = threading.local()


def _parser():
    # lxml parsers must not be shared between threads.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False,
            dtd_validation=False, huge_tree=False, remove_comments=True,
            remove_pis=True)
    return parser


def parse(body, expected_root=None):
    """Parse ``body`` (bytes) safely and return its root element."""
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(f"invalid XML: {exc}", excerpt=body) from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise MalformedResponse(f"invalid XML: {exc}", excerpt=body) from None
    if root is None:
        raise MalformedResponse("empty XML document", excerpt=body)
    if root.getroottree().docinfo.doctype:
        raise MalformedResponse("XML documents with a DOCTYPE are refused",
                                excerpt=body)
    if expected_root is not None and root.tag != expected_root:
        raise MalformedResponse(
            f"expected a <{expected_root}> document, got <{root.tag}>",
            excerpt=body)
    return root


def _attr(el, name):
    value = el.get(name)
    if value is None:
        raise MalformedResponse(f"<{el.tag}> lacks the '{name}' attribute")
    return value


def _text_of(child):
    if child is None or child.text is None:
        return None
    return child.text.strip()


def _id_of(child):
    return None if child is None else child.get("id")


def _text(el, path):
    return _text_of(el.find(path))


def _child_id(el, path):
    return _id_of(el.find(path))


def _link(el):
    rel, href, method = el.get("rel"), el.get("href"), el.get("method")
    if rel is None or href is None:
        _attr(el, "rel" if rel is None else "href")  # raises, naming it
    return models.Link(rel, href, "get" if method is None else method.lower())


def _id_attr(el):
    return _attr(el, "id")


def _links(el):
    return tuple([_link(link) for link in el.iterfind("actions/link")])


def _ids(el, path):
    return tuple(_attr(child, "id") for child in el.iterfind(path))


def api(root):
    collections = []
    for link in root.iterfind("link"):
        features = tuple(
            models.Feature(
                name=_attr(f, "name"), operation=f.get("rel", ""),
                params=tuple(_attr(p, "name") for p in f.iterfind("param")),
                constraints=types.MappingProxyType({
                    _attr(c, "name"): (c.text or "").strip()
                    for c in f.iterfind("constraint")}))
            for f in link.iterfind("feature"))
        collections.append(models.Collection(
            name=_attr(link, "rel"), href=_attr(link, "href"),
            features=features))
    return models.Api(driver=_attr(root, "driver"),
                      version=_attr(root, "version"),
                      provider=root.get("provider"),
                      collections=tuple(collections))


def realm(el):
    return models.Realm(id=_attr(el, "id"), name=_text(el, "name"),
                        state=_text(el, "state"), limit=_text(el, "limit")
                        or None)


def _hardware_property(el):
    param = el.find("param")
    return models.HardwareProperty(
        name=_attr(el, "name"), kind=el.get("kind", "fixed"),
        value=el.get("value"), unit=el.get("unit"),
        first=el.find("range").get("first")
        if el.find("range") is not None else None,
        last=el.find("range").get("last")
        if el.find("range") is not None else None,
        values=tuple(_attr(e, "value") for e in el.iterfind("enum/entry")),
        param=None if param is None else param.get("name"))


def hardware_profile(el):
    return models.HardwareProfile(
        id=_attr(el, "id"), name=_text(el, "name") or el.get("id"),
        properties=tuple(_hardware_property(p)
                         for p in el.iterfind("property")))


def image(el):
    return models.Image(
        id=_attr(el, "id"), name=_text(el, "name") or el.get("id"),
        description=_text(el, "description"), owner=_text(el, "owner_id"),
        architecture=_text(el, "architecture"), state=_text(el, "state"),
        creation_time=_text(el, "creation_time"),
        root_type=_text(el, "root_type"),
        hardware_profiles=_ids(el, "hardware_profiles/hardware_profile"),
        actions=_links(el))


def _authentication(auth):
    login = {}  # the first of each <login> child, as find("login/x")
    for parent in auth:
        if parent.tag == "login":
            for child in parent:
                login.setdefault(child.tag, child)
    return models.Authentication(
        auth.get("type", "key"), _text_of(login.get("keyname")),
        _text_of(login.get("username")), _text_of(login.get("password")))


def _address(el):
    text = el.text
    return models.InstanceAddress("" if text is None else text.strip(),
                                  el.get("type", "ipv4"), el.get("port"))


def _volume(el):
    return models.VolumeAttachment(_attr(el, "id"), el.get("device"))


#: Instance children read as text (the first of each), and their fields.
_INSTANCE_TEXTS = {"name": "name", "state": "state", "owner_id": "owner",
                   "launch_time": "launch_time"}
#: Instance children naming another object by id, and their fields.
_INSTANCE_REFS = {"image": "image_id", "realm": "realm_id",
                  "hardware_profile": "hardware_profile_id"}
#: Instance children listing things: field, item tag, reader.  Every such
#: child adds to the field, as ``iterfind("actions/link")`` would.
_INSTANCE_LISTS = {
    "actions": ("actions", "link", _link),
    "public_addresses": ("public_addresses", "address", _address),
    "private_addresses": ("private_addresses", "address", _address),
    "firewalls": ("firewalls", "firewall", _id_attr),
    "network_interfaces": ("network_interfaces", "network_interface",
                           _id_attr),
}


def _listed(tag):
    """The reader of the instance field listed under ``tag`` children."""
    _, item, read = _INSTANCE_LISTS[tag]

    def read_list(el):
        return tuple([read(x) for child in el if child.tag == tag
                      for x in child if x.tag == item])
    return read_list


def _first(el, tag):
    for child in el:
        if child.tag == tag:
            return child
    return None


def _overrides(el):
    hwp = _first(el, "hardware_profile")
    return types.MappingProxyType(
        {} if hwp is None else {_attr(p, "name"): p.get("value")
                                for p in hwp if p.tag == "property"})


def _volumes(el):
    volumes = _first(el, "storage_volumes")
    return () if volumes is None else tuple(
        [_volume(v) for v in volumes if v.tag == "storage_volume"])


def _instance_authentication(el):
    auth = _first(el, "authentication")
    return None if auth is None else _authentication(auth)


def _instance_scalars(el):
    """The fields of an instance that are not lists: single values come
    from the first such child."""
    first = {}
    create_image = False
    for child in el:
        tag = child.tag
        if tag == "actions":
            create_image = create_image or any(
                x.tag == "link" and x.get("rel") == "create_image"
                for x in child)
        elif tag not in first and tag not in _INSTANCE_LISTS:
            first[tag] = child
    fields = {field: _text_of(first.get(tag))
              for tag, field in _INSTANCE_TEXTS.items()}
    fields.update((field, _id_of(first.get(tag)))
                  for tag, field in _INSTANCE_REFS.items())
    fields["state"] = (fields["state"] or "UNKNOWN").upper()
    fields["create_image"] = create_image
    return fields


#: Instance fields read on first use, and their readers: lists one by
#: one, the other fields together.
_INSTANCE_DEFERRED = {
    "hardware_overrides": _overrides,
    **{field: _listed(tag) for tag, (field, _, _) in _INSTANCE_LISTS.items()},
    "storage_volumes": _volumes,
    "authentication": _instance_authentication,
    **dict.fromkeys([*_INSTANCE_TEXTS.values(), *_INSTANCE_REFS.values(),
                     "create_image"], models.Together(_instance_scalars)),
}


#: The instance children whose content the check looks at.
_CHECKED = frozenset({"actions", "firewalls", "network_interfaces",
                      "hardware_profile", "storage_volumes"})


def _check_ids(parent, item):
    for x in parent:
        if x.tag == item and x.get("id") is None:
            _attr(x, "id")  # raises, naming it


def instance(el):
    """An instance: read on first use, field by field (lists) or together
    (the rest), once checked here to read without error.

    A list can hold thousands of instances, so this is one pass over the
    children, raising the first error in the order an eager reader would
    meet it (:func:`models.build_deferred`); the instance keeps its
    element until every field is read.
    """
    ident = _attr(el, "id")
    hwp = volumes = None
    for child in el:
        tag = child.tag
        if tag not in _CHECKED:
            continue
        if tag == "actions":
            for x in child:
                if x.tag == "link" and (x.get("rel") is None
                                        or x.get("href") is None):
                    _link(x)  # raises, naming the attribute
        elif tag == "firewalls" or tag == "network_interfaces":
            _check_ids(child, _INSTANCE_LISTS[tag][1])
        elif tag == "hardware_profile":
            hwp = child if hwp is None else hwp
        elif tag == "storage_volumes":
            volumes = child if volumes is None else volumes
    if hwp is not None:
        for p in hwp:
            if p.tag == "property" and p.get("name") is None:
                _attr(p, "name")  # raises
    if volumes is not None:
        _check_ids(volumes, "storage_volume")
    return models.build_deferred(models.Instance, {"id": ident},
                                 _INSTANCE_DEFERRED, el)


def key(el):
    return models.Key(
        id=_attr(el, "id"), name=_text(el, "name") or el.get("id"),
        credential_type=el.get("type"), fingerprint=_text(el, "fingerprint"),
        pem=_text(el, "pem"), username=_text(el, "username"),
        password=_text(el, "password"), state=_text(el, "state") or None,
        actions=_links(el))


def address(el):
    return models.Address(id=_attr(el, "id"), ip=_text(el, "ip") or
                          el.get("id"), instance_id=_child_id(el, "instance"),
                          actions=_links(el))


def storage_volume(el):
    return models.StorageVolume(
        id=_attr(el, "id"), name=_text(el, "name") or el.get("id"),
        state=_text(el, "state"), capacity=_text(el, "capacity"),
        created=_text(el, "created"), kind=_text(el, "kind"),
        device=_text(el, "device"),
        realm_id=_child_id(el, "realm") or _text(el, "realm_id"),
        instance_id=_child_id(el, "mount/instance"),
        description=_text(el, "description"), actions=_links(el))


def _firewall_rule(el):
    return models.FirewallRule(
        id=_attr(el, "id"), protocol=_text(el, "allow_protocol"),
        port_from=_text(el, "port_from"), port_to=_text(el, "port_to"),
        direction=_text(el, "direction"),
        rule_action=_text(el, "rule_action"), log_rule=_text(el, "log_rule"),
        sources=tuple(models.FirewallSource(
            type=s.get("type", "address"), address=s.get("address"),
            prefix=s.get("prefix"), family=s.get("family"),
            name=s.get("name"), owner=s.get("owner"))
            for s in el.iterfind("sources/source")))


def firewall(el):
    return models.Firewall(
        id=_attr(el, "id"), name=_text(el, "name") or el.get("id"),
        description=_text(el, "description"), owner=_text(el, "owner_id"),
        rules=tuple(_firewall_rule(r) for r in el.iterfind("rules/rule")),
        actions=_links(el))


def error_message(root):
    """The message of a Deltacloud ``<error>`` document, if it is one."""
    if root.tag != "error":
        return None
    return _text(root, "message")


def storage_snapshot(el):
    return models.StorageSnapshot(
        id=_attr(el, "id"), name=_text(el, "name") or el.get("id"),
        state=_text(el, "state"), created=_text(el, "created"),
        volume_id=_child_id(el, "storage_volume"),
        description=_text(el, "description"), actions=_links(el))


def bucket(el):
    return models.Bucket(id=_attr(el, "id"),
                         name=_text(el, "name") or el.get("id"),
                         size=_text(el, "size"), blob_ids=_ids(el, "blob"))


def blob(el):
    length = _text(el, "content_length")
    content = el.find("content")
    return models.Blob(
        id=_attr(el, "id"), bucket=_text(el, "bucket"),
        content_length=int(length) if length and length.isdigit() else None,
        content_type=_text(el, "content_type"),
        last_modified=_text(el, "last_modified"),
        user_metadata=types.MappingProxyType({
            _attr(e, "key"): (e.text or "").strip()
            for e in el.iterfind("user_metadata/entry")}),
        content_href=None if content is None else content.get("href"))


def metric(el):
    return models.Metric(
        id=_attr(el, "id"), entity=_text(el, "entity"),
        properties=tuple(models.MetricProperty(
            name=prop.tag, samples=tuple(types.MappingProxyType({
                _attr(p, "name"): p.get("value")
                for p in sample.iterfind("property")})
                for sample in prop.iterfind("sample")))
            for prop in el.iterfind("properties/*")))


def network(el):
    return models.Network(
        id=_attr(el, "id"), name=_text(el, "name") or el.get("id"),
        state=_text(el, "state"),
        address_blocks=tuple(_text_of(b) for b in
                             el.iterfind("address_blocks/address_block")),
        subnet_ids=_ids(el, "subnets/subnet"), actions=_links(el))


def subnet(el):
    return models.Subnet(
        id=_attr(el, "id"), name=_text(el, "name") or el.get("id"),
        state=_text(el, "state"), address_block=_text(el, "address_block"),
        network_id=_text(el, "network"), type=_text(el, "type"),
        actions=_links(el))


def network_interface(el):
    return models.NetworkInterface(
        id=_attr(el, "id"), name=_text(el, "name") or el.get("id"),
        ip_address=_text(el, "ip_address"),
        network_id=_child_id(el, "network") or _text(el, "network"),
        instance_id=_child_id(el, "instance") or _text(el, "instance"),
        actions=_links(el))


def instance_state(el):
    return models.InstanceState(
        name=_attr(el, "name"), transitions=tuple(models.StateTransition(
            to=_attr(t, "to"), action=t.get("action"),
            auto=t.get("auto") == "true")
            for t in el.iterfind("transition")))


def driver(el):
    return models.Driver(
        id=_attr(el, "id"), name=_text(el, "name") or el.get("id"),
        providers=tuple(models.DriverProvider(
            id=_attr(p, "id"), entrypoints=types.MappingProxyType({
                _attr(e, "kind"): (e.text or "").strip()
                for e in p.iterfind("entrypoint")}))
            for p in el.iterfind("provider")))


def load_balancer(el):
    return models.LoadBalancer(
        id=_attr(el, "id"), realm_ids=_ids(el, "realm"),
        listeners=tuple(models.Listener(
            protocol=li.get("protocol"),
            load_balancer_port=_text(li, "load_balancer_port"),
            instance_port=_text(li, "instance_port"))
            for li in el.iterfind("listeners/listener")),
        instance_ids=_ids(el, "instances/instance"),
        public_addresses=tuple(_text_of(a) for a in
                               el.iterfind("public_addresses/address")),
        created_at=_text(el, "created_at"), actions=_links(el))
