"""Render the mock's objects as Deltacloud XML and JSON documents.

Shapes follow the real server's views (``server/views/**.xml.haml``) and
models' ``to_hash`` (JSON): element order, attribute names, CDATA for free
text, absolute hrefs built from the request's Host, JSON's renamed fields.
"""

from lxml import etree

from heat_deltacloud.mock.models import STATE_ACTIONS

VERSION = "1.1.3"
XML_DECLARATION = b"<?xml version='1.0' encoding='utf-8' ?>\n"


def _el(parent, tag, text=None, cdata=False, **attrs):
    el = etree.SubElement(parent, tag, {k: str(v) for k, v in
                                        sorted(attrs.items())
                                        if v is not None})
    if text is not None:
        el.text = etree.CDATA(str(text)) if cdata else str(text)
    return el


def _root(tag, **attrs):
    return etree.Element(tag, {k: str(v) for k, v in sorted(attrs.items())
                               if v is not None})


def to_xml(root, declaration=True):
    body = etree.tostring(root, encoding="utf-8")
    return XML_DECLARATION + body if declaration else body


class Renderer:
    """Renders for one request: knows the API root URL and the format."""

    def __init__(self, api_url, driver="mock", provider=None):
        self.api = api_url
        self.driver = driver
        self.provider = provider

    def href(self, *parts):
        return "/".join([self.api, *parts])

    # -- /api --------------------------------------------------------------

    def entry_point_xml(self, collections):
        root = _root("api", driver=self.driver, provider=self.provider,
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

    # -- realms --------------------------------------------------------------

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

    # -- hardware profiles ---------------------------------------------------

    @staticmethod
    def _number(value):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def _default(self, prop):
        return self._number(prop.get("value", prop.get("default")))

    def hardware_profile_xml(self, parent, profile):
        el = _el(parent, "hardware_profile",
                 href=self.href("hardware_profiles", profile["id"]),
                 id=profile["id"])
        _el(el, "id", profile["id"])
        _el(el, "name", profile["name"])
        for prop in profile["properties"]:
            p = _el(el, "property", kind=prop["kind"], name=prop["name"],
                    unit=prop["unit"], value=self._default(prop))
            if prop["kind"] == "fixed":
                continue
            _el(p, "param", href=self.href("instances"), method="post",
                name=f"hwp_{prop['name']}", operation="create")
            if prop["kind"] == "range":
                _el(p, "range", first=self._number(prop["first"]),
                    last=self._number(prop["last"]))
            else:
                enum = _el(p, "enum")
                for value in prop["values"]:
                    _el(enum, "entry", value=self._number(value))
        return el

    def hardware_profile_json(self, profile):
        doc = {"id": profile["id"],
               "href": self.href("hardware_profiles", profile["id"]),
               "name": profile["name"]}
        if profile["properties"]:
            doc["properties"] = {p["name"]: self._default(p)
                                 for p in profile["properties"]}
        return doc

    # -- images --------------------------------------------------------------

    def image_xml(self, parent, image, profiles):
        el = _el(parent, "image", href=self.href("images", image["id"]),
                 id=image["id"])
        for field in ("name", "description", "owner_id", "architecture",
                      "state", "creation_time"):
            _el(el, field, image.get(field) or "")
        hwps = _el(el, "hardware_profiles")
        for profile in profiles:
            _el(hwps, "hardware_profile",
                href=self.href("hardware_profiles", profile),
                id=profile, rel="hardware_profile")
        _el(el, "root_type", "transient")
        actions = _el(el, "actions")
        _el(actions, "link", href=f"{self.href('instances')};image_id="
            f"{image['id']}", method="post", rel="create_instance")
        _el(actions, "link", href=self.href("images", image["id"]),
            method="delete", rel="destroy_image")
        return el

    def image_json(self, image, profiles):
        return {"id": image["id"], "href": self.href("images", image["id"]),
                "name": image["name"], "description": image.get(
                    "description"), "owner": image["owner_id"],
                "architecture": image["architecture"],
                "state": image["state"],
                "creation_time": image.get("creation_time"),
                "root_type": "transient",
                "hardware_profiles": [
                    {"id": p, "href": self.href("hardware_profiles", p),
                     "rel": "hardware_profile"} for p in profiles],
                "actions": [
                    {"href": f"{self.href('instances')};image_id="
                             f"{image['id']}", "rel": "create_instance",
                     "method": "post"},
                    {"href": self.href("images", image["id"]),
                     "rel": "destroy_image", "method": "delete"}]}

    # -- instances -----------------------------------------------------------

    def _instance_actions(self, inst):
        ident = inst["id"]
        links = []
        for action in STATE_ACTIONS.get(inst["state"], ()):
            if action == "destroy":
                links.append(("destroy", "delete",
                              self.href("instances", ident)))
            else:
                links.append((action, "post",
                              self.href("instances", ident, action)))
        links.append(("run", "post",
                      self.href("instances", ident, f"run;id={ident}")))
        if inst.get("create_image"):
            links.append(("create_image", "post",
                          f"{self.href('images')};instance_id={ident}"))
        return links

    def instance_xml(self, parent, inst):
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
        units = {"cpu": "count", "memory": "MB", "storage": "GB",
                 "architecture": "label"}
        for name, value in inst["hwp_overrides"].items():
            _el(hwp, "property", kind="fixed", name=name,
                unit=units.get(name), value=value)
        actions = _el(el, "actions")
        for rel, method, href in self._instance_actions(inst):
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
        ident = inst["id"]
        doc = {
            "id": ident, "href": self.href("instances", ident),
            "name": inst.get("name"), "state": inst["state"],
            "owner": inst["owner_id"],
            "image": {"href": self.href("images", inst["image_id"]),
                      "id": inst["image_id"], "rel": "image"},
            "realm": {"href": self.href("realms", inst["realm_id"]),
                      "id": inst["realm_id"], "rel": "realm"},
            "actions": [{"href": href, "rel": rel, "method": method}
                        for rel, method, href in
                        self._instance_actions(inst)],
            "hardware_profile": {
                "id": inst["hwp_id"],
                "href": self.href("hardware_profiles", inst["hwp_id"]),
                "rel": "hardware_profile",
                "properties": dict(inst["hwp_overrides"])},
            "public_addresses": list(inst["public_addresses"]),
            "private_addresses": list(inst["private_addresses"]),
            "storage_volumes": [
                {"id": v["id"], "href": self.href("storage_volumes",
                                                  v["id"]),
                 "rel": "storage_volume"} for v in inst["storage_volumes"]],
            "authentication_type": "key",
        }
        if inst.get("firewalls"):
            doc["firewalls"] = [{"id": f, "href": self.href("firewalls", f),
                                 "rel": "firewall"}
                                for f in inst["firewalls"]]
        if inst.get("create_image"):
            doc["create_image"] = True
        if inst.get("keyname") is not None:
            doc["authentication"] = {"keyname": inst["keyname"]}
        return doc

    # -- keys ----------------------------------------------------------------

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

    # -- addresses -----------------------------------------------------------

    def address_xml(self, parent, address):
        ident = address["id"]
        el = _el(parent, "address", href=self.href("addresses", ident),
                 id=ident)
        _el(el, "ip", ident)
        actions = _el(el, "actions")
        _el(actions, "link", href=self.href("addresses", ident),
            method="delete", rel="destroy")
        if address["instance_id"]:
            _el(actions, "link",
                href=self.href("addresses", ident, "disassociate"),
                method="post", rel="disassociate")
            _el(el, "instance",
                href=self.href("instances", address["instance_id"]),
                id=address["instance_id"])
        else:
            _el(actions, "link",
                href=self.href("addresses", ident, "associate"),
                method="post", rel="associate")
        return el

    def address_json(self, address):
        doc = {"id": address["id"],
               "href": self.href("addresses", address["id"]),
               "associated": bool(address["instance_id"])}
        if address["instance_id"]:
            doc["instance_id"] = address["instance_id"]
        return doc

    # -- storage volumes -----------------------------------------------------

    def volume_xml(self, parent, volume):
        ident = volume["id"]
        el = _el(parent, "storage_volume",
                 href=self.href("storage_volumes", ident), id=ident)
        _el(el, "created", volume.get("created") or "")
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
            _el(mount, "device", name=volume.get("device"))
        return el

    def volume_json(self, volume):
        doc = {"id": volume["id"],
               "href": self.href("storage_volumes", volume["id"]),
               "name": volume.get("name") or volume["id"],
               "created": volume.get("created"),
               "capacity": volume["capacity"], "device": volume.get(
                   "device"), "state": volume["state"],
               "description": volume.get("description"),
               "instance": {}}
        if volume.get("realm_id"):
            doc["realm"] = {"id": volume["realm_id"],
                            "href": self.href("realms", volume["realm_id"]),
                            "rel": "realm"}
        if volume.get("instance_id"):
            doc["instance"] = {
                "id": volume["instance_id"],
                "href": self.href("instances", volume["instance_id"]),
                "rel": "instance"}
        return doc

    # -- firewalls -----------------------------------------------------------

    def firewall_xml(self, parent, fw):
        el = _el(parent, "firewall", href=self.href("firewalls", fw["id"]),
                 id=fw["id"])
        actions = _el(el, "actions")
        _el(actions, "link", href=self.href("firewalls", fw["id"]),
            method="delete", rel="destroy")
        _el(el, "name", fw["name"])
        _el(el, "description", fw.get("description") or "")
        _el(el, "owner_id", fw["owner"])
        rules = _el(el, "rules")
        for rule in fw["rules"]:
            r = _el(rules, "rule", href=self.href(
                "firewalls", fw["id"], "rules", rule["id"]), id=rule["id"])
            _el(r, "allow_protocol", rule["protocol"])
            _el(r, "port_from", rule["port_from"])
            _el(r, "port_to", rule["port_to"])
            _el(r, "direction", "ingress")
            _el(r, "rule_action", "accept")
            _el(r, "log_rule", "false")
            sources = _el(r, "sources")
            for source in rule["sources"]:
                _el(sources, "source", **source)
        return el

    def firewall_json(self, fw):
        return {"id": fw["id"], "href": self.href("firewalls", fw["id"]),
                "name": fw["name"], "description": fw.get("description"),
                "owner_id": fw["owner"],
                "rules": [{"id": r["id"], "allow_protocol": r["protocol"],
                           "port_from": r["port_from"],
                           "port_to": r["port_to"],
                           "direction": "ingress", "rule_action": "accept",
                           "log_rule": "false",
                           "sources": list(r["sources"])}
                          for r in fw["rules"]]}

    # -- errors --------------------------------------------------------------

    def error_xml(self, status, message, path, params):
        root = _root("error", status=status, url=path)
        _el(root, "backend", driver=self.driver,
            provider=self.provider or "default")
        _el(root, "code", status)
        _el(root, "message", message, cdata=True)
        _el(root, "backtrace", "", cdata=True)
        request = _el(root, "request")
        for name, value in params:
            _el(request, "param", f'"{value}"', cdata=True, name=name)
        return to_xml(root)

    @staticmethod
    def error_json(status, message, error_class):
        return {"code": status, "message": message,
                "error": f"Deltacloud::Exceptions::{error_class}"}
