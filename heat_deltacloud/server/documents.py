"""Render the mock's objects as Deltacloud XML and JSON documents.

Shapes follow the real server's views (``server/views/**.xml.haml``) and
models' ``to_hash`` (JSON): element order, attribute names, CDATA for free
text, absolute hrefs built from the request's Host, JSON's renamed fields.
Each kind of object has one ``<kind>_xml(parent, obj)`` and one
``<kind>_json(obj)`` method; :data:`KINDS` names its collection.

Documents are assembled from each object's serialized bytes
(:meth:`Renderer.fragment`), which a :class:`FragmentCache` keeps for
objects that carry a ``version`` (the mock's instances): a listing of
unchanged instances joins cached bytes instead of building elements, and
the same listing again is the same :class:`Document` (hashed once).
"""

import functools
import hashlib
import itertools
import json
import operator
import threading

from lxml import etree

from heat_deltacloud.mock.models import STATE_ACTIONS

VERSION = "1.1.3"
XML_DECLARATION = b"<?xml version='1.0' encoding='utf-8' ?>\n"
#: Object kind -> the collection (and list element) it belongs to.
KINDS = {"realm": "realms", "hardware_profile": "hardware_profiles",
         "image": "images", "instance": "instances", "key": "keys",
         "address": "addresses", "storage_volume": "storage_volumes",
         "storage_snapshot": "storage_snapshots", "firewall": "firewalls",
         "bucket": "buckets", "metric": "metrics", "network": "networks",
         "subnet": "subnets", "network_interface": "network_interfaces",
         "load_balancer": "load_balancers"}
#: A versioned object's version (:class:`FragmentCache`).
VERSION_OF = operator.itemgetter("version")
UNITS = {"cpu": "count", "memory": "MB", "storage": "GB",
         "architecture": "label"}


def _attrs(attrs):
    """Haml's habits: nil attributes vanish, the rest sort by name."""
    return {k: v if type(v) is str else str(v)
            for k, v in sorted(attrs.items()) if v is not None}


def _el(parent, tag, text=None, cdata=False, **attrs):
    el = etree.SubElement(parent, tag, _attrs(attrs) if attrs else None)
    if text is not None:
        text = text if type(text) is str else str(text)
        el.text = etree.CDATA(text) if cdata else text
    return el


def element(tag, **attrs):
    return etree.Element(tag, _attrs(attrs))


def to_xml(root, declaration=True):
    body = etree.tostring(root, encoding="utf-8")
    return XML_DECLARATION + body if declaration else body


class Document(bytes):
    """A rendered document that computes its MD5 (the ETag) once."""

    @functools.cached_property
    def md5(self):
        return hashlib.md5(self, usedforsecurity=False).hexdigest()


def _bounded_put(entries, lock, limit, key, value):
    """``entries[key] = value``, first dropping the oldest half of
    ``entries`` when it holds ``limit``."""
    with lock:
        if len(entries) >= limit:
            for old in list(itertools.islice(entries, limit // 2 or 1)):
                del entries[old]
        entries[key] = value


class FragmentCache:
    """Serialized objects by (version, view: kind, format, API URL, driver
    and run link), and the last few listings made of them by (view,
    versions).

    A version names one immutable snapshot of one object (the mock's
    instances, :mod:`heat_deltacloud.mock.models`), so an entry never goes
    stale: a changed object has a new version and misses.  Bounded: past
    ``limit`` fragments (``listings`` listings) the oldest half goes.
    Reads take no lock (a dict lookup is atomic); writes do.
    """

    def __init__(self, limit=20000, listings=8):
        self.limit, self.listings = limit, listings
        self._entries, self._listings = {}, {}
        self._lock = threading.Lock()
        self.get = self._entries.get
        self.listing = self._listings.get

    def __len__(self):
        return len(self._entries)

    def put(self, key, value):
        _bounded_put(self._entries, self._lock, self.limit, key, value)

    def put_listing(self, key, document):
        _bounded_put(self._listings, self._lock, self.listings, key,
                     document)


def _number(value):
    """Numbers as Ruby prints them: 1740.8, 10240 (not 10240.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _default(prop):
    return _number(prop.get("value", prop.get("default")))


class Renderer:
    """Renders for one request: knows the API's absolute root URL."""

    def __init__(self, api_url, driver="mock", provider=None,
                 actions_for=None, cache=None):
        self.api = api_url
        self.driver = driver
        self.provider = provider
        #: A :class:`FragmentCache` for versioned objects, or None.
        self.cache = cache
        #: instance -> the actions it offers (the driver's).
        self.actions_for = actions_for or (
            lambda inst: STATE_ACTIONS.get(inst["state"].upper(), ()))
        #: (firewall, rule) -> the rule's id as the driver shows it.
        self.rule_id = lambda firewall, rule: rule["id"]
        #: instance -> the instance as the driver shows it.
        self.present = lambda inst: inst
        #: Whether instances link ``run`` and images ``destroy_image``:
        #: the real views ask ``driver.respond_to?`` of each.
        self.can_run = self.can_destroy_image = True

    def href(self, *parts):
        return "/".join([self.api, *parts])

    # -- whole documents from serialized objects ------------------------------

    def fragment(self, kind, obj, fmt, *extra):
        """``obj`` serialized alone: its XML element, or its JSON object.
        A versioned object's bytes come from (and go to) the cache; the
        renderer's driver decides how an instance shows (its actions, the
        EC2 presentation), so the key names it with the API URL."""
        version = obj.get("version") if self.cache is not None else None
        if version is None or extra:
            return self._serialize(kind, obj, fmt, *extra)
        key = (version, self._view(kind, fmt))
        found = self.cache.get(key)
        if found is None:
            found = self._serialize(kind, obj, fmt)
            self.cache.put(key, found)
        return found

    def _view(self, kind, fmt):
        """What a cached fragment depends on besides its version (the
        driver decides the actions and presentation, ``can_run`` the
        ``run`` link)."""
        return (kind, fmt, self.api, self.driver, self.can_run)

    def _serialize(self, kind, obj, fmt, *extra):
        if fmt == "json":
            return json.dumps(getattr(self, f"{kind}_json")(
                obj, *extra)).encode()
        holder = etree.Element("holder")
        return etree.tostring(getattr(self, f"{kind}_xml")(
            holder, obj, *extra), encoding="utf-8")

    def one_document(self, kind, obj, fmt, *extra):
        """``{kind: obj}`` (JSON) or ``obj``'s element with the XML
        declaration, as bytes."""
        part = self.fragment(kind, obj, fmt, *extra)
        if fmt == "json":
            return b'{"%s": %s}' % (kind.encode(), part)
        return XML_DECLARATION + part

    def many_document(self, kind, objs, fmt, *extra):
        """``{collection: [obj, ...]}`` (JSON) or the XML declaration and
        ``<collection>`` holding each object's element, as a
        :class:`Document`: byte for byte what ``json.dumps`` and
        ``etree.tostring`` make of the whole.  A listing of versioned
        objects only is kept whole, by their versions, or by the
        ``listing_key`` of ``objs`` when the cloud names its content so
        (:class:`heat_deltacloud.mock.models.Listing`)."""
        if self.cache is None or extra:
            return self._assemble(kind, fmt, [
                self.fragment(kind, obj, fmt, *extra) for obj in objs])
        view = self._view(kind, fmt)
        named = getattr(objs, "listing_key", None)
        if named is not None:
            found = self.cache.listing((view, named))
            if found is not None:
                return found
        try:
            versions = tuple(map(VERSION_OF, objs))
        except KeyError:  # some objects carry no version
            versions = tuple(obj.get("version") for obj in objs)
        if None in versions:
            key = None
        else:
            key = (view, versions if named is None else named)
            found = self.cache.listing(key)
            if found is not None:
                return found
        cached, parts = self.cache.get, []
        for obj, version in zip(objs, versions):  # fragment(), inlined
            part = None if version is None else cached((version, view))
            parts.append(part or self.fragment(kind, obj, fmt))
        document = self._assemble(kind, fmt, parts)
        if key is not None:
            self.cache.put_listing(key, document)
        return document

    @staticmethod
    def _assemble(kind, fmt, parts):
        collection = KINDS[kind].encode()
        if fmt == "json":
            return Document(b'{"%s": [%s]}' % (collection,
                                              b", ".join(parts)))
        if not parts:
            return Document(b"%s<%s/>" % (XML_DECLARATION, collection))
        return Document(b"%s<%s>%s</%s>" % (XML_DECLARATION, collection,
                                            b"".join(parts), collection))

    def link(self, collection, ident, rel):
        """JSON's ``{id, href, rel}`` reference to another object."""
        return {"id": ident, "href": self.href(collection, ident),
                "rel": rel}

    # -- /api -----------------------------------------------------------------

    def entry_point_xml(self, collections):
        root = element("api", driver=self.driver, provider=self.provider,
                       version=VERSION)
        for name, features in collections:
            link = _el(root, "link", href=self.href(name), rel=name)
            for feature, operation, params in features:
                f = _el(link, "feature", name=feature, rel=operation)
                for param in params:
                    _el(f, "param", name=param)
        return to_xml(root, declaration=False)

    def entry_point_json(self, collections):
        return {"api": {
            "version": VERSION, "driver": self.driver,
            "provider": self.provider or "default",
            "links": [{"rel": name, "href": self.href(name),
                       "features": [[{"name": feature, "rel": operation,
                                      "params": [f"{p}:string:optional"
                                                 for p in params],
                                      "constraints": {}}]
                                    for feature, operation, params in
                                    features]}
                      for name, features in collections]}}

    # -- drivers and the state machine ----------------------------------------

    def drivers_xml(self, drivers):
        root = element("drivers")
        for driver in drivers:
            el = _el(root, "driver", href=self.href("drivers", driver.name),
                     id=driver.name)
            _el(el, "name", driver.title)
            for provider in driver.providers():
                _el(el, "provider", id=provider)
        return to_xml(root, declaration=False)

    def driver_xml(self, driver):
        root = element("driver", href=self.href("drivers", driver.name),
                       id=driver.name)
        _el(root, "name", driver.title)
        for provider, details in driver.providers().items():
            el = _el(root, "provider", id=provider)
            for kind, url in details.items():
                _el(el, "entrypoint", url, cdata=True, kind=kind)
        return to_xml(root, declaration=False)

    @staticmethod
    def drivers_json(drivers):
        """``driver_config.to_json``: ``{name: {name, entrypoints}}``."""
        return {d.name: dict({"entrypoints": d.entrypoints}
                             if d.entrypoints else {}, name=d.title)
                for d in drivers}

    @staticmethod
    def driver_json(driver):
        doc = dict({"entrypoints": driver.entrypoints}
                   if driver.entrypoints else {}, name=driver.title)
        doc["id"] = driver.name
        return {"driver": doc}

    @staticmethod
    def instance_states(machine):
        """``[{name, transitions: [{to, action} | {to, auto}]}]``."""
        return [{"name": state, "transitions": [
            {"to": t["to"], "auto": "true"} if t.get("auto")
            else {"to": t["to"], "action": t["action"]}
            for t in machine["transitions"] if t["from"] == state]}
            for state in machine["states"]]

    def instance_states_xml(self, states):
        root = element("states")
        for state in states:
            el = _el(root, "state", name=state["name"])
            for transition in state["transitions"]:
                _el(el, "transition", **transition)
        return to_xml(root, declaration=False)

    # -- realms ---------------------------------------------------------------

    def realm_xml(self, parent, realm):
        el = _el(parent, "realm", href=self.href("realms", realm["id"]),
                 id=realm["id"])
        _el(el, "name", realm["name"])
        _el(el, "state", realm["state"])
        if realm.get("limit") not in (None, "unlimited"):
            _el(el, "limit", realm["limit"], cdata=True)
        return el

    def realm_json(self, realm):
        return {"id": realm["id"], "href": self.href("realms", realm["id"]),
                "name": realm["name"], "state": realm["state"],
                "limit": realm.get("limit") or "unlimited"}

    # -- hardware profiles ----------------------------------------------------

    def hardware_profile_xml(self, parent, profile):
        el = _el(parent, "hardware_profile",
                 href=self.href("hardware_profiles", profile["id"]),
                 id=profile["id"])
        _el(el, "id", profile["id"])
        _el(el, "name", profile["name"])
        for prop in profile["properties"]:
            p = _el(el, "property", kind=prop["kind"], name=prop["name"],
                    unit=prop["unit"], value=_default(prop))
            if prop["kind"] == "fixed":
                continue
            _el(p, "param", href=self.href("instances"), method="post",
                name=f"hwp_{prop['name']}", operation="create")
            if prop["kind"] == "range":
                _el(p, "range", first=_number(prop["first"]),
                    last=_number(prop["last"]))
            else:
                enum = _el(p, "enum")
                for value in prop["values"]:
                    _el(enum, "entry", value=_number(value))
        return el

    def hardware_profile_json(self, profile):
        doc = {"id": profile["id"],
               "href": self.href("hardware_profiles", profile["id"]),
               "name": profile["name"]}
        if profile["properties"]:
            doc["properties"] = {p["name"]: _default(p)
                                 for p in profile["properties"]}
        return doc

    # -- images (every image lists every hardware profile) --------------------

    def image_xml(self, parent, image, profiles):
        ident = image["id"]
        el = _el(parent, "image", href=self.href("images", ident), id=ident)
        for field in ("name", "description", "owner_id", "architecture"):
            _el(el, field, image.get(field) or "")
        for field in ("state", "creation_time"):
            if image.get(field):
                _el(el, field, image[field])
        hwps = _el(el, "hardware_profiles")
        for profile in profiles:
            _el(hwps, "hardware_profile",
                href=self.href("hardware_profiles", profile), id=profile,
                rel="hardware_profile")
        _el(el, "root_type", image.get("root_type") or "transient")
        actions = _el(el, "actions")
        _el(actions, "link", href=f"{self.href('instances')};image_id="
            f"{ident}", method="post", rel="create_instance")
        if self.can_destroy_image:
            _el(actions, "link", href=self.href("images", ident),
                method="delete", rel="destroy_image")
        return el

    def image_json(self, image, profiles):
        return {"id": image["id"], "href": self.href("images", image["id"]),
                "name": image["name"],
                "description": image.get("description"),
                "owner": image["owner_id"],
                "architecture": image["architecture"],
                "state": image["state"],
                "root_type": image.get("root_type") or "transient",
                "creation_time": image.get("creation_time"),
                "hardware_profiles": [
                    self.link("hardware_profiles", p, "hardware_profile")
                    for p in profiles]}

    # -- instances ------------------------------------------------------------

    def instance_actions(self, inst):
        """``[(rel, method, href)]``: the state's actions, then run and
        create_image as the real views append them."""
        ident = inst["id"]
        links = [("destroy", "delete", self.href("instances", ident))
                 if action == "destroy" else
                 (action, "post", self.href("instances", ident, action))
                 for action in self.actions_for(inst)]
        if self.can_run:
            links.append(("run", "post",
                          self.href("instances", ident, f"run;id={ident}")))
        if inst.get("create_image"):
            links.append(("create_image", "post",
                          f"{self.href('images')};instance_id={ident}"))
        return links

    def instance_xml(self, parent, inst):
        inst = self.present(inst)
        ident = inst["id"]
        el = _el(parent, "instance", href=self.href("instances", ident),
                 id=ident)
        if inst.get("name") is not None:
            _el(el, "name", inst["name"])
        _el(el, "owner_id", inst["owner_id"])
        _el(el, "image", href=self.href("images", inst["image_id"]),
            id=inst["image_id"])
        _el(el, "realm", href=self.href("realms", inst["realm_id"]),
            id=inst["realm_id"])
        _el(el, "state", inst["state"])
        hwp = _el(el, "hardware_profile",
                  href=self.href("hardware_profiles", inst["hwp_id"]),
                  id=inst["hwp_id"])
        for name, value in inst["hwp_overrides"].items():
            _el(hwp, "property", kind="fixed", name=name,
                unit=UNITS.get(name), value=value)
        actions = _el(el, "actions")
        for rel, method, href in self.instance_actions(inst):
            _el(actions, "link", href=href, method=method, rel=rel)
        for kind in ("public_addresses", "private_addresses"):
            addresses = _el(el, kind)
            for address in inst[kind]:
                _el(addresses, "address", address["address"],
                    type=address["type"])
        if inst.get("firewalls"):
            firewalls = _el(el, "firewalls")
            for name in inst["firewalls"]:
                _el(firewalls, "firewall",
                    href=self.href("firewalls", name), id=name)
        volumes = _el(el, "storage_volumes")
        for volume in inst["storage_volumes"]:
            _el(volumes, "storage_volume",
                href=self.href("storage_volumes", volume["id"]),
                id=volume["id"], device=volume.get("device"))
        auth = _el(el, "authentication", type="key")
        if inst.get("keyname") is not None:
            _el(_el(auth, "login"), "keyname", inst["keyname"])
        if inst.get("network_interfaces"):
            nics = _el(el, "network_interfaces")
            for nic in inst["network_interfaces"]:
                _el(nics, "network_interface",
                    href=self.href("network_interfaces", nic), id=nic)
        return el

    def instance_json(self, inst):
        inst = self.present(inst)
        doc = {
            "id": inst["id"], "href": self.href("instances", inst["id"]),
            "name": inst.get("name"), "state": inst["state"],
            "owner": inst["owner_id"],
            "image": {"href": self.href("images", inst["image_id"]),
                      "id": inst["image_id"], "rel": "image"},
            "realm": {"href": self.href("realms", inst["realm_id"]),
                      "id": inst["realm_id"], "rel": "realm"},
            "actions": [{"href": href, "rel": rel, "method": method}
                        for rel, method, href in
                        self.instance_actions(inst)],
            "hardware_profile": dict(
                self.link("hardware_profiles", inst["hwp_id"],
                          "hardware_profile"),
                properties=dict(inst["hwp_overrides"])),
            "public_addresses": list(inst["public_addresses"]),
            "private_addresses": list(inst["private_addresses"]),
        }
        if inst.get("create_image"):
            doc["create_image"] = True
        if inst.get("firewalls"):
            doc["firewalls"] = [self.link("firewalls", f, "firewall")
                                for f in inst["firewalls"]]
        doc["storage_volumes"] = [
            self.link("storage_volumes", v["id"], "storage_volume")
            for v in inst["storage_volumes"]]
        doc["authentication_type"] = "key"
        if inst.get("keyname") is not None:
            doc["authentication"] = {"keyname": inst["keyname"]}
        return doc

    def run_xml(self, inst, command, output):
        root = element("instance", href=self.href("instances", inst["id"]),
                       id=inst["id"])
        _el(root, "public_address", self._first_public(inst))
        _el(root, "command", command)
        _el(root, "output", output)
        return to_xml(root, declaration=False)

    def run_json(self, inst, command, output):
        return {"instance": {"id": inst["id"],
                             "public_address": self._first_public(inst),
                             "command": command, "output": output}}

    @staticmethod
    def _first_public(inst):
        return next((a["address"] for a in inst["public_addresses"]), "")

    # -- keys -----------------------------------------------------------------

    def key_xml(self, parent, key):
        el = _el(parent, "key", href=self.href("keys", key["id"]),
                 id=key["id"], type=key["credential_type"])
        _el(el, "name", key["id"])
        actions = _el(el, "actions")
        _el(actions, "link", href=self.href("keys", key["id"]),
            method="delete", rel="destroy")
        _el(el, "fingerprint", key["fingerprint"])
        _el(el, "pem", key["pem"], cdata=True)
        _el(el, "state", "")
        return el

    def key_json(self, key):
        return {"id": key["id"], "href": self.href("keys", key["id"]),
                "credential_type": key["credential_type"],
                "username": None, "password": None, "state": None,
                "pem_rsa_key": key["pem"],
                "fingerprint": key["fingerprint"]}

    # -- addresses ------------------------------------------------------------

    def address_xml(self, parent, address):
        ident, instance = address["id"], address["instance_id"]
        el = _el(parent, "address", href=self.href("addresses", ident),
                 id=ident)
        _el(el, "ip", ident)
        actions = _el(el, "actions")
        _el(actions, "link", href=self.href("addresses", ident),
            method="delete", rel="destroy")
        rel = "disassociate" if instance else "associate"
        _el(actions, "link", href=self.href("addresses", ident, rel),
            method="post", rel=rel)
        if instance:
            _el(el, "instance", href=self.href("instances", instance),
                id=instance)
        return el

    def address_json(self, address):
        doc = {"id": address["id"],
               "href": self.href("addresses", address["id"]),
               "associated": bool(address["instance_id"])}
        if address["instance_id"]:
            doc["instance_id"] = address["instance_id"]
        return doc

    # -- storage volumes and snapshots ----------------------------------------

    def storage_volume_xml(self, parent, volume):
        ident = volume["id"]
        el = _el(parent, "storage_volume",
                 href=self.href("storage_volumes", ident), id=ident)
        if volume.get("created"):
            _el(el, "created", volume["created"])
        _el(el, "capacity", volume["capacity"], unit="GB")
        _el(el, "name", volume.get("name") or ident)
        if volume.get("device"):
            _el(el, "device", volume["device"])
        if volume.get("realm_id"):
            _el(el, "realm", href=self.href("realms", volume["realm_id"]),
                id=volume["realm_id"])
            _el(el, "realm_id", volume["realm_id"])
        _el(el, "state", volume["state"])
        if volume.get("instance_id"):
            mount = _el(el, "mount")
            _el(mount, "instance",
                href=self.href("instances", volume["instance_id"]),
                id=volume["instance_id"])
            if volume.get("device"):
                _el(mount, "device", name=volume["device"])
        return el

    def storage_volume_json(self, volume):
        realm = volume.get("realm_id")
        return {
            "id": volume["id"],
            "href": self.href("storage_volumes", volume["id"]),
            "name": volume.get("name") or volume["id"],
            "description": volume.get("description"),
            "state": volume["state"], "created": volume.get("created"),
            # Ruby's realm_url(nil) is the realms collection URL.
            "realm": {"id": realm, "href": self.href(
                *(("realms", realm) if realm else ("realms",))),
                "rel": "realm"},
            "device": volume.get("device"), "kind": None,
            "capacity": volume["capacity"], "actions": [],
            "instance": self.link("instances", volume["instance_id"],
                                  "instance")
            if volume.get("instance_id") else {}}

    def storage_snapshot_xml(self, parent, snapshot):
        ident = snapshot["id"]
        el = _el(parent, "storage_snapshot",
                 href=self.href("storage_snapshots", ident), id=ident)
        _el(el, "name", ident)
        _el(el, "created", snapshot.get("created") or "")
        volume = snapshot["storage_volume_id"]
        _el(el, "storage_volume", href=self.href("storage_volumes", volume),
            id=volume)
        return el

    def storage_snapshot_json(self, snapshot):
        return {"id": snapshot["id"],
                "href": self.href("storage_snapshots", snapshot["id"]),
                "state": snapshot["state"],
                "storage_volume": self.link(
                    "storage_volumes", snapshot["storage_volume_id"],
                    "storage_volume"),
                "created": snapshot.get("created")}

    # -- firewalls ------------------------------------------------------------

    def firewall_xml(self, parent, fw):
        href = self.href("firewalls", fw["id"])
        el = _el(parent, "firewall", href=href, id=fw["id"])
        actions = _el(el, "actions")
        _el(actions, "link", href=href, method="delete", rel="destroy")
        _el(actions, "link", href=f"{href}/rules", method="post",
            rel="update")
        _el(el, "name", fw["name"], cdata=True)
        _el(el, "description", fw.get("description") or "", cdata=True)
        _el(el, "owner_id", fw["owner"])
        rules = _el(el, "rules")
        for rule in fw["rules"]:
            rule_id = self.rule_id(fw, rule)
            rule_href = f"{href}/rules/{rule_id}"
            r = _el(rules, "rule", href=rule_href, id=rule_id)
            _el(_el(r, "actions"), "link", href=rule_href, method="delete",
                rel="destroy")
            for name, value in self._rule_fields(rule).items():
                _el(r, name, value)
            sources = _el(r, "sources")
            for source in rule["sources"]:
                _el(sources, "source", **source)
        return el

    @staticmethod
    def _rule_fields(rule):
        return {"allow_protocol": rule["protocol"],
                "port_from": rule["port_from"], "port_to": rule["port_to"],
                "direction": "ingress", "rule_action": "accept",
                "log_rule": "false"}

    def firewall_json(self, fw):
        return {"id": fw["id"], "href": self.href("firewalls", fw["id"]),
                "name": fw["name"], "description": fw.get("description"),
                "owner_id": fw["owner"],
                "rules": [{"id": self.rule_id(fw, r),
                           **self._rule_fields(r),
                           "sources": list(r["sources"])}
                          for r in fw["rules"]]}

    # -- buckets and blobs ----------------------------------------------------

    def bucket_xml(self, parent, bucket):
        ident = bucket["id"]
        el = _el(parent, "bucket", href=self.href("buckets", ident),
                 id=ident)
        _el(el, "name", bucket["name"])
        _el(el, "size", bucket["size"])
        for blob in bucket["blob_list"]:
            _el(el, "blob", href=self.href("buckets", ident, blob), id=blob)
        return el

    def bucket_json(self, bucket):
        ident = bucket["id"]
        return {"id": ident, "href": self.href("buckets", ident),
                "name": bucket["name"], "size": bucket["size"],
                "blob_list": [{"rel": "blob", "id": blob,
                               "href": self.href("buckets", ident, blob)}
                              for blob in bucket["blob_list"]]}

    def blob_xml(self, parent, blob):
        bucket, ident = blob["bucket"], blob["id"]
        href = self.href("buckets", bucket, ident)
        el = _el(parent, "blob", href=href, id=ident)
        _el(el, "bucket", bucket)
        _el(el, "content_length", len(blob["content"]))
        _el(el, "content_type", blob.get("content_type") or "")
        _el(el, "last_modified", blob.get("last_modified") or "")
        metadata = _el(el, "user_metadata")
        for key, value in blob["user_metadata"].items():
            _el(metadata, "entry", str(value).strip(), cdata=True, key=key)
        _el(el, "content", href=f"{href}/content", rel="blob_content")
        return el

    def blob_json(self, blob):
        bucket = blob["bucket"]
        return {"id": blob["id"],
                "href": self.href("buckets", bucket, blob["id"]),
                "bucket": {"rel": "bucket", "id": bucket,
                           "href": self.href("buckets", bucket)},
                "content_length": len(blob["content"]),
                "content_type": blob.get("content_type"),
                "last_modified": blob.get("last_modified"),
                "content": blob["content"].decode("utf-8", "replace"),
                "user_metadata": dict(blob["user_metadata"])}

    # -- metrics --------------------------------------------------------------

    def metric_xml(self, parent, metric):
        el = _el(parent, "metric", href=self.href("metrics", metric["id"]),
                 id=metric["id"])
        _el(el, "entity", metric["entity"] if metric["entity"] is not None
            else metric["id"])
        props = _el(el, "properties")
        for prop in metric["properties"]:
            p = _el(props, prop["name"])
            for sample in prop["values"] or ():
                s = _el(p, "sample")
                for key, value in sample.items():
                    _el(s, "property", name=key, value=_number(value))
        return el

    def metric_json(self, metric):
        return {"id": metric["id"], "href": self.href("metrics", metric["id"]),
                "entity": metric["entity"],
                "properties": [{"name": p["name"], "values": p["values"]}
                               for p in metric["properties"]]}

    # -- networks, subnets, network interfaces --------------------------------

    def _destroy_link(self, parent, collection, ident):
        actions = _el(parent, "actions")
        _el(actions, "link", href=self.href(collection, ident),
            method="delete", rel="destroy")

    def network_xml(self, parent, network):
        ident = network["id"]
        el = _el(parent, "network", href=self.href("networks", ident),
                 id=ident)
        _el(el, "name", network["name"])
        _el(el, "state", network["state"])
        blocks = _el(el, "address_blocks")
        for block in network["address_blocks"]:
            _el(blocks, "address_block", block)
        subnets = _el(el, "subnets")
        for subnet in network["subnets"]:
            _el(subnets, "subnet", href=self.href("subnets", subnet),
                id=subnet)
        self._destroy_link(el, "networks", ident)
        return el

    def network_json(self, network):
        return {"id": network["id"], "name": network["name"],
                "href": self.href("networks", network["id"]),
                "state": network["state"],
                "address_blocks": list(network["address_blocks"]),
                "subnets": [{"id": s, "href": self.href("subnets", s)}
                            for s in network["subnets"]]}

    def subnet_xml(self, parent, subnet):
        ident = subnet["id"]
        el = _el(parent, "subnet", href=self.href("subnets", ident),
                 id=ident)
        _el(el, "name", subnet["name"])
        _el(el, "state", subnet["state"])
        _el(el, "address_block", subnet["address_block"])
        _el(el, "network", subnet["network"])
        self._destroy_link(el, "subnets", ident)
        return el

    def subnet_json(self, subnet):
        return {"id": subnet["id"], "name": subnet["name"],
                "href": self.href("subnets", subnet["id"]),
                "type": subnet.get("type"), "state": subnet["state"],
                "address_block": subnet["address_block"],
                "network": {"id": subnet["network"],
                            "href": self.href("networks",
                                              subnet["network"])}}

    def network_interface_xml(self, parent, nic):
        """The real view links ``network`` as a subnet whenever the driver
        has subnets (the mock's do), whatever the id names."""
        ident = nic["id"]
        el = _el(parent, "network_interface",
                 href=self.href("network_interfaces", ident), id=ident)
        _el(el, "name", nic["name"])
        _el(el, "ip_address", nic["ip_address"])
        _el(el, "network", nic["network"],
            href=self.href("subnets", nic["network"]), id=nic["network"],
            rel="subnet")
        _el(el, "instance", nic["instance"],
            href=self.href("instances", nic["instance"]), id=nic["instance"])
        self._destroy_link(el, "network_interfaces", ident)
        return el

    def network_interface_json(self, nic):
        return {"id": nic["id"], "name": nic["name"],
                "href": self.href("network_interfaces", nic["id"]),
                "network": {"id": nic["network"],
                            "href": self.href("networks", nic["network"])},
                "instance": {"id": nic["instance"],
                             "href": self.href("instances", nic["instance"])},
                "ip_address": nic["ip_address"]}

    # -- load balancers -------------------------------------------------------

    def load_balancer_xml(self, parent, lb):
        ident = lb["id"]
        href = self.href("load_balancers", ident)
        el = _el(parent, "load_balancer", href=href, id=ident)
        actions = _el(el, "actions")
        _el(actions, "link", href=href, method="delete", rel="destroy")
        _el(actions, "link", href=f"{href}/register", method="post",
            rel="register")
        addresses = _el(el, "public_addresses")
        for address in lb["public_addresses"]:
            _el(addresses, "address", address)
        _el(el, "created_at", lb["created_at"])
        realm = lb["realms"][0]
        _el(el, "realm", href=self.href("realms", realm), id=realm)
        listeners = _el(el, "listeners")
        for listener in lb["listeners"]:
            li = _el(listeners, "listener", protocol=listener["protocol"])
            _el(li, "load_balancer_port", listener["load_balancer_port"])
            _el(li, "instance_port", listener["instance_port"])
        instances = _el(el, "instances")
        for inst in lb["instances"]:
            i = _el(instances, "instance", href=self.href("instances", inst),
                    id=inst)
            _el(i, "link", href=f"{href}/unregister?instance_id={inst}",
                rel="unregister")
        return el

    def load_balancer_json(self, lb):
        return {"id": lb["id"],
                "href": self.href("load_balancers", lb["id"]),
                "realms": [self.link("realms", r, "realm")
                           for r in lb["realms"]],
                "listeners": [dict(listener, id=None)
                              for listener in lb["listeners"]],
                "instances": [self.link("instances", i, "instance")
                              for i in lb["instances"]],
                "public_addresses": list(lb["public_addresses"]),
                "created_at": lb["created_at"]}

    # -- errors ---------------------------------------------------------------

    def error_xml(self, status, message, path, params):
        root = element("error", status=status, url=path)
        _el(root, "backend", driver=self.driver,
            provider=self.provider or "default")
        _el(root, "code", status)
        _el(root, "message", message, cdata=True)
        _el(root, "backtrace", "", cdata=True)
        request = _el(root, "request")
        for name, value in params:
            _el(request, "param", value, cdata=True, name=name)
        return to_xml(root)

    @staticmethod
    def error_json(status, message, error_class):
        return {"code": status, "message": message,
                "error": f"Deltacloud::Exceptions::{error_class}"}
