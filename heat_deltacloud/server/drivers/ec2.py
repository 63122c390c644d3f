"""``libcloud:ec2``: Amazon EC2 (and EC2-compatible endpoints) via libcloud.

On top of the generic mapping it adds addresses (elastic IPs), firewalls
(security groups, named as Deltacloud's ec2 driver named them), user data,
key names and security groups on create, image owners and ``shutting-down``
shown as ``SHUTTING_DOWN``, the image architectures each instance type runs
(:data:`ARCHITECTURES`) and stop/start for EBS-backed instances only.  Four
fixes to libcloud 3.x, each needed against moto and harmless against AWS:

* **SigV4.**  libcloud's EC2 driver signs with SigV2 unless given
  ``signature_version="4"``; moto's server picks the AWS service from the
  SigV4 credential scope, so SigV2 calls are answered as S3 and every list
  comes back empty.  AWS accepts SigV4 in every region.
* **Response namespace.**  libcloud looks elements up in
  ``http://ec2.amazonaws.com/doc/2016-11-15/`` (AWS's, trailing slash);
  moto answers in botocore's spelling, without the slash, and nothing would
  be found (nor, in error documents, which AWS sends without a namespace,
  the error).  :class:`Response` reads either.
* **CreateTags numbering.**  libcloud's ``ex_create_tags`` numbers
  ``ResourceId.0``/``Tag.0``; the EC2 query API's lists start at 1 and moto
  refuses 0 with 400, so creating a named volume failed.
  :meth:`EC2Driver.ex_create_tags` numbers from 1.
* **DetachVolume.**  libcloud sends only ``VolumeId``; moto fails with 500
  without the (optional) ``InstanceId``.  :meth:`EC2Driver.detach_volume`
  names the instance the volume is attached to.

And two additions: libcloud writes a snapshot's name as its EC2
``Description``; :meth:`EC2Driver.create_volume_snapshot` takes the
Deltacloud ``description`` for it (the name stays the ``Name`` tag).  An
image's ``rootDeviceName`` is kept (libcloud drops it): moto answers
``RootDeviceType`` ``standard`` for the EBS-backed images it registers,
and the root's block device mapping then says the image is persistent.
"""

from libcloud.compute.drivers import ec2 as libcloud_ec2
from libcloud.utils.xml import findtext

from heat_deltacloud.server.drivers.libcloud import Provider, Session
from heat_deltacloud.server.interface import DriverError

#: What libcloud's EC2 size data (``libcloud.compute.constants.
#: ec2_instance_types``, a size's ``extra``) says of a type -> the image
#: architectures (DescribeImages' values) it runs; the first match wins,
#: none: unknown.  Graviton types (a1, m6g, c7gn, t4g, ...) run arm64
#: images; "32-bit or 64-bit" types (t1, t2, m1, c1, ...) i386 ones too.
ARCHITECTURES = (
    ("physicalProcessor", "Graviton", ("arm64",)),
    ("processorArchitecture", "32-bit", ("i386", "x86_64")),
    ("processorArchitecture", "64-bit", ("x86_64",)),
)


def architectures(size):
    """The image architectures an instance type runs (None: unknown),
    as Deltacloud's ec2 driver offered an image only the profiles of its
    architecture."""
    extra = size.extra or {}
    for field, says, runs in ARCHITECTURES:
        if says in (extra.get(field) or ""):
            return runs
    return None


AWS_NAMESPACE = libcloud_ec2.NAMESPACE
#: The same namespace as botocore (and so moto) spells it.
BOTOCORE_NAMESPACE = AWS_NAMESPACE.rstrip("/")


class Response(libcloud_ec2.EC2Response):
    def parse_body(self):
        if isinstance(self.body, str):
            self.body = self.body.replace(f'xmlns="{BOTOCORE_NAMESPACE}"',
                                          f'xmlns="{AWS_NAMESPACE}"')
        return super().parse_body()

    def parse_error(self):
        # AWS's error documents have no namespace, which libcloud expects.
        if isinstance(self.body, str):
            self.body = self.body.replace(f' xmlns="{BOTOCORE_NAMESPACE}"',
                                          "")
        return super().parse_error()


class Connection(libcloud_ec2.EC2Connection):
    responseCls = Response


class EC2Driver(libcloud_ec2.EC2NodeDriver):
    connectionCls = Connection

    def _to_image(self, element):
        # libcloud leaves out the root device's name, which says which
        # block device mapping is the root (libcloud.image_root_type).
        found = super()._to_image(element)
        found.extra["root_device_name"] = findtext(
            element=element, xpath="rootDeviceName", namespace=AWS_NAMESPACE)
        return found

    def ex_create_tags(self, resource, tags):
        tags = {k: v for k, v in (tags or {}).items() if v is not None}
        if not tags:
            return False
        params = {"Action": "CreateTags", "ResourceId.1": resource.id}
        for number, (name, value) in enumerate(tags.items(), start=1):
            params[f"Tag.{number}.Key"] = name
            params[f"Tag.{number}.Value"] = value
        return self._get_boolean(
            self.connection.request(self.path, params=params).object)

    def detach_volume(self, volume, ex_force=False):
        params = {"Action": "DetachVolume", "VolumeId": volume.id}
        attached_to = (volume.extra or {}).get("instance_id")
        if attached_to:
            params["InstanceId"] = attached_to
        if ex_force:
            params["Force"] = 1
        self.connection.request(self.path, params=params)
        return True

    def create_volume_snapshot(self, volume, name=None, ex_metadata=None,
                               ex_description=None):
        params = {"Action": "CreateSnapshot", "VolumeId": volume.id}
        if ex_description or name:
            params["Description"] = ex_description or name
        snapshot = self._to_snapshot(
            self.connection.request(self.path, params=params).object, name)
        tags = {**(ex_metadata or {}), **({"Name": name} if name else {})}
        if self.ex_create_tags(snapshot, tags):
            snapshot.extra["tags"] = tags
        return snapshot


class _Named:
    """What libcloud's look-ups by id read of an object: its id."""

    def __init__(self, ident):
        self.id = ident


def _rule(group, index, rule):
    sources = [{"type": "address", "family": "ipv4",
                "address": cidr.partition("/")[0],
                "prefix": cidr.partition("/")[2] or "32"}
               for cidr in rule.get("cidr_ips") or ()]
    sources += [{"type": "group", "name": pair.get("group_name") or
                 pair.get("group_id"), "owner": pair.get("user_id")}
                for pair in rule.get("group_pairs") or ()]
    return {"id": f"{group.id}:{index}",
            "protocol": rule.get("protocol"),
            "port_from": str(rule.get("from_port")),
            "port_to": str(rule.get("to_port")), "sources": sources,
            "raw": rule}


def firewall(group):
    extra = group.extra or {}
    return {"id": group.name, "name": group.name,
            "description": extra.get("description"),
            "owner": extra.get("owner_id") or "",
            "rules": [_rule(group, n, r)
                      for n, r in enumerate(group.ingress_rules or ())]}


def address(elastic_ip):
    return {"id": elastic_ip.ip, "instance_id": elastic_ip.instance_id}


class EC2Session(Session):
    """EC2's extras over the generic session."""

    def create_options(self, keyname=None, firewalls=(), user_data=None):
        options = {}
        if keyname:
            options["ex_keyname"] = keyname
        if firewalls:
            options["ex_security_groups"] = list(firewalls)
        if user_data is not None:
            options["ex_userdata"] = user_data
        return options

    def image_options(self, description):
        return {"description": description} if description else {}

    def snapshot_options(self, description):
        return {"ex_description": description} if description else {}

    def _list_images(self, owner):
        return self.do("list_images",
                       ex_owner=owner or self.backend.image_owner)

    def _images_by_id(self, ids):
        try:
            return self.do("list_images", ex_image_ids=list(ids))
        except DriverError as error:
            if error.status == 404:  # InvalidAMIID.NotFound / Malformed
                return []
            raise

    def _nodes(self, ids=None):
        try:
            return self.do("list_nodes", ex_node_ids=ids)
        except DriverError as error:
            if ids and error.status in (404, 502) and \
                    "InvalidInstanceID" in error.message:
                return []
            raise

    def _volumes(self, ids=None):
        # A volume is asked for by id rather than picked from all the
        # account's (Heat polls one while it is created and attached).
        return self.do("list_volumes", ex_filters={"volume-id": list(ids)}
                       if ids else None)

    def _snapshots(self):
        return self.do("list_snapshots", owner="self")

    def _snapshot(self, ident):
        try:
            found = self.do("list_snapshots", snapshot=_Named(ident))
        except DriverError as error:
            if error.status != 404:
                raise
            found = []
        if not found:
            raise DriverError(404, "Not Found", "storage_snapshots", ident)
        return found[0]

    # -- addresses ------------------------------------------------------------

    def _elastic_ip(self, ident):
        found = [a for a in self.do("ex_describe_all_addresses")
                 if a.ip == ident]
        if not found:
            raise DriverError(404, "Not Found", "addresses", ident)
        return found[0]

    def list_addresses(self, user, **filters):
        return [address(a) for a in self.do("ex_describe_all_addresses")
                if not filters.get("id") or a.ip == filters["id"]]

    def address(self, user, ident):
        return address(self._elastic_ip(ident))

    def create_address(self, user):
        return address(self.do("ex_allocate_address", domain="vpc"))

    def associate_address(self, user, ident, instance_id):
        elastic_ip = self._elastic_ip(ident)
        node = self._node(instance_id)
        self.do("ex_associate_address_with_node", node, elastic_ip,
                domain=elastic_ip.domain)

    def disassociate_address(self, user, ident):
        elastic_ip = self._elastic_ip(ident)
        if not elastic_ip.instance_id:
            raise DriverError(403, "AddressNotInUse")
        self.do("ex_disassociate_address", elastic_ip,
                domain=elastic_ip.domain)

    def destroy_address(self, user, ident):
        elastic_ip = self._elastic_ip(ident)
        self.do("ex_release_address", elastic_ip, domain=elastic_ip.domain)

    # -- firewalls ------------------------------------------------------------

    def _group(self, name):
        found = [g for g in self.do("ex_get_security_groups")
                 if g.name == name]
        if not found:
            raise DriverError(404, "Not Found", "firewalls", name)
        return found[0]

    def list_firewalls(self, user, **filters):
        return [firewall(g) for g in self.do("ex_get_security_groups")
                if not filters.get("id") or g.name == filters["id"]]

    def firewall(self, user, ident):
        return firewall(self._group(ident))

    def create_firewall(self, user, name, description):
        self.do("ex_create_security_group", name, description)
        return self.firewall(user, name)

    def add_firewall_rule(self, user, ident, protocol, port_from, port_to,
                          sources):
        group = self._group(ident)
        cidrs = [f"{s['address']}/{s['prefix']}" for s in sources
                 if s["type"] == "address"]
        pairs = [{"group_name": s["name"]} for s in sources
                 if s["type"] == "group"]
        self.do("ex_authorize_security_group_ingress", group.id,
                int(port_from), int(port_to), cidr_ips=cidrs or None,
                group_pairs=pairs or None, protocol=protocol)
        return self.firewall(user, ident)

    def delete_firewall_rule(self, user, ident, rule_id):
        group = self._group(ident)
        rule = next((r for r in firewall(group)["rules"]
                     if r["id"] == rule_id), None)
        if rule is None:
            raise DriverError(404, "Not Found", "firewalls", rule_id)
        raw = rule["raw"]
        self.do("ex_revoke_security_group_ingress", group.id,
                raw.get("from_port"), raw.get("to_port"),
                cidr_ips=raw.get("cidr_ips") or None,
                group_pairs=raw.get("group_pairs") or None,
                protocol=raw.get("protocol"))

    def destroy_firewall(self, user, ident):
        self.do("ex_delete_security_group_by_id", self._group(ident).id)


PROVIDER = Provider(
    name="ec2", driver_class=EC2Driver, session_class=EC2Session,
    collections={
        "addresses": ("ex_describe_all_addresses", "ex_allocate_address",
                      "ex_associate_address_with_node",
                      "ex_disassociate_address", "ex_release_address"),
        "firewalls": ("ex_get_security_groups", "ex_create_security_group",
                      "ex_authorize_security_group_ingress",
                      "ex_revoke_security_group_ingress",
                      "ex_delete_security_group_by_id"),
    },
    features={"instances": (("user_data", "create", ["user_data"]),
                            ("firewalls", "create", ["firewalls"]),
                            ("authentication_key", "create", ["keyname"])),
              # as Deltacloud's ec2 driver: images listed by owner
              # (ex_owner), made with a name and a description
              # (CreateImage's Name and Description)
              "images": (("owner_id", "index", ["owner_id"]),
                         ("image_name", "create", ["name"]),
                         ("image_description", "create", ["description"])),
              # a Name tag (the CreateTags fix above)
              "storage_volumes": (("volume_name", "create", ["name"]),)},
    raw_states={"shutting-down": "SHUTTING_DOWN"},
    # SigV4: see the module's docstring.
    driver_options={"signature_version": "4"},
    default_size="t2.micro",
    architectures=architectures,
    # Deltacloud's ec2 driver: "stop" and "start" for EBS-backed only.
    persistent_only=("start", "stop"),
    regions=tuple(libcloud_ec2.VALID_EC2_REGIONS))
