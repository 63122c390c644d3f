"""The Deltacloud API's URL table and its handlers.

Each handler reads parameters from the :class:`~.exchange.Exchange`, calls
the driver in ``ex.cloud`` (:mod:`heat_deltacloud.server.interface`: the
mock's :class:`~.models.Cloud`, or a real cloud's) and renders;
credentials are checked only when a handler asks for ``ex.user``, which
is the real server's lazy auth.
"""

import dataclasses
import random
import re

from heat_deltacloud.mock import models
from heat_deltacloud.mock.drivers import DRIVERS, ec2
from heat_deltacloud.server import documents


@dataclasses.dataclass(frozen=True)
class Route:
    """One operation of the real server.

    ``capability`` is what a 412 names in ``Expect`` when the collection is
    hidden; ``index`` operations answer errors with the status's generic
    message; ``required`` parameters are checked (400 plain text) before
    the handler runs; ``runtime`` routes send ``X-Backend-Runtime``.
    """

    method: str
    template: str
    handler: object
    capability: str | None = None
    index: bool = False
    required: tuple = ()
    enums: tuple = ()
    runtime: bool = False
    #: answers its own media type whatever the client accepts
    raw: bool = False

    @property
    def collection(self):
        parts = self.template.split("/")
        return parts[2] if len(parts) > 2 else None


# -- entry point, drivers, state machine --------------------------------------

def entry_point(ex):
    if "force_auth" in ex.request.GET:
        ex.check_credentials_for_force_auth()
    collections = ex.controls.entry_point(ex.driver)
    if ex.fmt == "xml":
        return ex.respond(200, ex.renderer.entry_point_xml(collections))
    return ex.respond_json(200, ex.renderer.entry_point_json(collections))


def drivers(ex):
    emulated = list(DRIVERS.values())
    if ex.fmt == "json":
        return ex.respond_json(200, ex.renderer.drivers_json(emulated))
    return ex.respond(200, ex.renderer.drivers_xml(emulated))


def driver(ex):
    found = DRIVERS.get(ex.args["id"])
    if found is None:
        raise models.not_found()
    if ex.fmt == "json":
        return ex.respond_json(200, ex.renderer.driver_json(found))
    return ex.respond(200, ex.renderer.driver_xml(found))


def _state_machine(ex):
    return ex.driver.state_machine or \
        ex.cloud.fixtures["instance_state_machine"]


def instance_states(ex):
    states = ex.renderer.instance_states(_state_machine(ex))
    if ex.fmt == "json":
        return ex.respond_json(200, states)
    return ex.respond(200, ex.renderer.instance_states_xml(states))


# -- realms, hardware profiles, images ----------------------------------------

def _driver_realms(ex):
    """The driver's realms, or None for the cloud's (the mock's)."""
    table = ex.driver.realms
    if table is None:
        return None
    return table(ex.provider) if callable(table) else list(table)


def realms(ex):
    ex.authenticate()  # the driver checks credentials first
    table = _driver_realms(ex)
    if table is None:
        return ex.many("realm", ex.cloud.list_realms(ex.param("id")))
    return ex.many("realm", [r for r in table if ex.param("id") is None
                             or r["id"] == ex.param("id")])


def realm(ex):
    ex.authenticate()
    table = _driver_realms(ex)
    if table is None:
        return ex.one("realm", ex.cloud.realm(ex.args["id"]))
    found = next((r for r in table if r["id"] == ex.args["id"]), None)
    if found is None:
        raise models.not_found()
    return ex.one("realm", found)


def _profiles(ex, architecture=None, ident=None):
    return ex.cloud.list_hardware_profiles(
        architecture, ident, profiles=ex.driver.hardware_profiles)


def hardware_profiles(ex):
    return ex.many("hardware_profile", _profiles(
        ex, ex.param("architecture"), ex.param("id")))


def hardware_profile(ex):
    found = _profiles(ex, ident=ex.args["id"])
    if not found:
        raise models.not_found()
    return ex.one("hardware_profile", found[0])


def _lists_every_profile(ex):
    """The mock driver's images list every profile; another driver's
    (emulated or libcloud's) those matching the image's architecture."""
    return ex.driver.name == "mock"


def _profile_ids(ex, image=None):
    if image is not None and not _lists_every_profile(ex):
        return [p["id"] for p in _profiles(ex, image.get("architecture"))]
    return [p["id"] for p in _profiles(ex)]


def images(ex):
    user = ex.user
    found = ex.cloud.list_images(
        user, ex.driver.name, **ex.filters("id", "architecture", "owner_id"))
    if _lists_every_profile(ex):
        return ex.many("image", found, _profile_ids(ex))
    return _many_images(ex, found)


def _many_images(ex, found):
    """Images whose profile lists differ (other drivers)."""
    if ex.fmt == "json":
        return ex.respond_json(200, {"images": [
            ex.renderer.image_json(i, _profile_ids(ex, i)) for i in found]})
    root = documents.element("images")
    for found_image in found:
        ex.renderer.image_xml(root, found_image,
                              _profile_ids(ex, found_image))
    return ex.respond(200, documents.to_xml(root))


def image(ex):
    ex.authenticate()
    found = ex.cloud.image(ex.args["id"], ex.driver.name)
    return ex.one("image", found, _profile_ids(ex, found))


def create_image(ex):
    image = ex.cloud.create_image(ex.user, ex.param("instance_id"),
                                  ex.param("name"), ex.param("description"))
    return ex.one("image", image, _profile_ids(ex), status=201,
                  location=("images", image["id"]))


def destroy_image(ex):
    if ex.driver.strict_deletes:
        ex.cloud.image(ex.args["id"], ex.driver.name)
    ex.cloud.destroy_image(ex.user, ex.args["id"], ex.driver.name)
    return ex.no_content()


# -- instances ----------------------------------------------------------------

def instances(ex):
    return ex.many("instance", ex.cloud.list_instance_snapshots(
        ex.user, **ex.filters("id", "state", "realm_id")))


def instance(ex):
    return ex.one("instance", ex.cloud.instance_snapshot(ex.user,
                                                         ex.args["id"]))


def _firewall_names(ex):
    """``firewalls=a&firewalls=b``, ``firewalls[]=a`` or the EC2 style
    ``firewalls1=a``; ignored unless the feature is advertised."""
    if not ex.controls.feature_enabled("instances", "firewalls",
                                       ex.driver):
        return []
    multi = ex.request.params
    names = multi.getall("firewalls") + multi.getall("firewalls[]")
    names += [value for key, value in sorted(ex.params.items())
              if re.fullmatch(r"firewalls\d+", key)]
    return list(dict.fromkeys(names))


def create_instance(ex):
    user = ex.user
    overrides = {name: ex.param(f"hwp_{name}")
                 for name in models.OVERRIDABLE
                 if ex.param(f"hwp_{name}") is not None}
    extra = {}
    if ex.driver.hardware_profiles is not None:
        extra = _driver_defaults(ex)
    created = [ex.cloud.create_instance(
        user, ex.param("image_id"), hwp_id=ex.param("hwp_id"),
        realm_id=ex.param("realm_id"), name=ex.param("name"),
        keyname=ex.param("keyname"), user_data=ex.param("user_data"),
        initial_state=ex.param("initial_state"), overrides=overrides,
        firewalls=_firewall_names(ex), **extra)
        for _ in range(_instance_count(ex))]
    if len(created) > 1:  # a list, and no Location (instances.rb)
        response = ex.many("instance", created)
        response.status = 201
        return response
    instance = created[0]
    return ex.one("instance", instance, status=201,
                  location=("instances", instance["id"]))


#: The most instances one create makes (``instance_count``).
MAX_INSTANCE_COUNT = 20


def _instance_count(ex):
    """``instance_count`` where the driver advertises it (EC2 launches
    min=max=count), else one."""
    value = ex.param("instance_count")
    if not value or not ex.driver.has_feature("instances",
                                              "instance_count"):
        return 1
    try:
        count = int(value)
    except ValueError:
        raise models.MockError(400, f"Invalid instance_count '{value}'") \
            from None
    if not 1 <= count <= MAX_INSTANCE_COUNT:
        raise models.MockError(400, f"instance_count must be 1 to "
                                    f"{MAX_INSTANCE_COUNT}")
    return count


def _driver_defaults(ex):
    """Another driver's profiles, default profile and first realm; the
    image must exist."""
    profiles = {p["id"]: p for p in ex.driver.hardware_profiles}
    # The cloud checks the image (EC2 answers InvalidAMIID.NotFound).
    image = ex.cloud.image(ex.param("image_id"), ex.driver.name)
    realms = _driver_realms(ex) or [{"id": None}]
    return {"profiles": profiles, "default_hwp": ex.driver.default_hwp,
            "default_realm": realms[0]["id"],
            "root_type": image.get("root_type")}


def _action(name):
    def handler(ex):
        changed = ex.cloud.instance_action(ex.user, ex.args["id"], name,
                                           ex.driver.transitions_for)
        if changed is None:
            return ex.no_content()
        if ex.fmt == "json":  # the bare instance, no wrapper
            return ex.respond_json(202, ex.renderer.instance_json(changed))
        return ex.one("instance", changed, status=202)
    handler.__name__ = f"{name}_instance"
    return handler


def run_on_instance(ex):
    inst = ex.cloud.instance(ex.user, ex.args["id"])
    command = ex.param("cmd")
    output = ex.cloud.run_on_instance(ex.user, ex.args["id"], command)
    if ex.fmt == "json":
        return ex.respond_json(200, ex.renderer.run_json(inst, command,
                                                         output))
    return ex.respond(200, ex.renderer.run_xml(inst, command, output))


# -- keys, addresses ----------------------------------------------------------

def keys(ex):
    return ex.many("key", ex.cloud.list_keys(ex.user, **ex.filters("id")))


def key(ex):
    return ex.one("key", ex.cloud.key(ex.user, ex.args["id"]))


def create_key(ex):
    key = ex.cloud.create_key(ex.user, ex.param("name"))
    return ex.one("key", key, status=201, location=("keys", key["id"]))


def destroy_key(ex):
    ex.cloud.destroy_key(ex.user, ex.args["id"])
    return ex.no_content()


def addresses(ex):
    return ex.many("address", ex.cloud.list_addresses(
        ex.user, **ex.filters("id")))


def address(ex):
    return ex.one("address", ex.cloud.address(ex.user, ex.args["id"]))


def create_address(ex):
    address = ex.cloud.create_address(ex.user)
    return ex.one("address", address, status=201,
                  location=("addresses", address["id"]))


def associate_address(ex):
    ex.cloud.associate_address(ex.user, ex.args["id"],
                               ex.param("instance_id"))
    return ex.empty(202)


def disassociate_address(ex):
    ex.cloud.disassociate_address(ex.user, ex.args["id"])
    return ex.empty(202)


def destroy_address(ex):
    ex.cloud.destroy_address(ex.user, ex.args["id"])
    return ex.no_content()


# -- storage volumes and snapshots --------------------------------------------

def storage_volumes(ex):
    return ex.many("storage_volume", ex.cloud.list_volumes(
        ex.user, **ex.filters("id")))


def storage_volume(ex):
    return ex.one("storage_volume", ex.cloud.volume(ex.user, ex.args["id"]))


def create_storage_volume(ex):
    origin = {name: ex.param(name) for name in ex.cloud.volume_origins
              if ex.param(name)}
    volume = ex.cloud.create_volume(ex.user, ex.param("capacity"),
                                    ex.param("name"),
                                    ex.param("description"), **origin)
    return ex.one("storage_volume", volume, status=201,
                  location=("storage_volumes", volume["id"]))


def attach_storage_volume(ex):
    volume = ex.cloud.attach_volume(ex.user, ex.args["id"],
                                    ex.param("instance_id"),
                                    ex.param("device"))
    return ex.one("storage_volume", volume, status=202)


def detach_storage_volume(ex):
    volume = ex.cloud.detach_volume(ex.user, ex.args["id"])
    return ex.one("storage_volume", volume, status=202)


def destroy_storage_volume(ex):
    if ex.driver.strict_deletes:
        ex.cloud.volume(ex.user, ex.args["id"])
    ex.cloud.destroy_volume(ex.user, ex.args["id"])
    return ex.no_content()


def storage_snapshots(ex):
    return ex.many("storage_snapshot", ex.cloud.list_snapshots(
        ex.user, **ex.filters("id")))


def storage_snapshot(ex):
    return ex.one("storage_snapshot",
                  ex.cloud.snapshot(ex.user, ex.args["id"]))


def create_storage_snapshot(ex):
    snapshot = ex.cloud.create_snapshot(ex.user, ex.param("volume_id"),
                                        ex.param("name"),
                                        ex.param("description"))
    return ex.one("storage_snapshot", snapshot, status=201,
                  location=("storage_snapshots", snapshot["id"]))


def destroy_storage_snapshot(ex):
    if ex.driver.strict_deletes:
        ex.cloud.snapshot(ex.user, ex.args["id"])
    ex.cloud.destroy_snapshot(ex.user, ex.args["id"])
    return ex.no_content()


# -- firewalls (a capability switched off by default) -------------------------

def firewalls(ex):
    if ex.driver.default_firewall:
        ex.cloud.default_firewall(ex.user)
    return ex.many("firewall", ex.cloud.list_firewalls(
        ex.user, **ex.filters("id")))


def firewall(ex):
    if ex.driver.default_firewall:
        ex.cloud.default_firewall(ex.user)
    return ex.one("firewall", ex.cloud.firewall(ex.user, ex.args["id"]))


def create_firewall(ex):
    firewall = ex.cloud.create_firewall(ex.user, ex.param("name"),
                                        ex.param("description"))
    return ex.one("firewall", firewall, status=201,
                  location=("firewalls", firewall["id"]))


def _rule_sources(params):
    """``ip_address<N>=10.0.0.0/8`` and ``group<N>`` + ``group<N>owner``
    form fields, as the real firewalls collection reads them."""
    sources = []
    for key, value in params.items():
        if re.match(r"ip[-_]address", key, re.IGNORECASE):
            address, _, prefix = value.partition("/")
            sources.append({"type": "address", "family": "ipv4",
                            "address": address, "prefix": prefix or "32"})
        elif re.fullmatch(r"group\d+", key):
            sources.append({"type": "group", "name": value,
                            "owner": params.get(f"{key}owner")})
    return sources


def add_firewall_rule(ex):
    user = ex.user
    sources = _rule_sources(ex.params)
    if not sources:
        raise models.MockError(400, "No sources. Specify at least one "
                                    "source ip address or group.")
    firewall = ex.cloud.add_firewall_rule(
        user, ex.args["id"], ex.param("protocol"), ex.param("port_from"),
        ex.param("port_to"), sources)
    return ex.one("firewall", firewall, status=201)


def delete_firewall_rule(ex):
    rule_id = ex.args["rule_id"]
    if ex.driver.rule_id is not None:  # the driver's ids name the content
        firewall = ex.cloud.firewall(ex.user, ex.args["id"])
        rule_id = next((r["id"] for r in firewall["rules"]
                        if ex.driver.rule_id(firewall, r) == rule_id),
                       rule_id)
    ex.cloud.delete_firewall_rule(ex.user, ex.args["id"], rule_id)
    return ex.no_content()


def destroy_firewall(ex):
    ex.cloud.destroy_firewall(ex.user, ex.args["id"])
    return ex.no_content()


# -- buckets and blobs --------------------------------------------------------

#: Request headers (WSGI names) that carry blob metadata.
BLOBMETA = re.compile(r"^HTTP[-_]X[-_]DELTACLOUD[-_]BLOBMETA[-_]", re.I)


def blob_metadata(environ):
    """``{KEY: value}`` from ``X-Deltacloud-Blobmeta-Key`` headers: the
    WSGI name upper-cased, the prefix dropped (``BlobHelper``)."""
    return {BLOBMETA.sub("", key.upper()): value
            for key, value in environ.items() if BLOBMETA.match(key)}


def _meta_headers(response, metadata):
    for key, value in metadata.items():
        response.headers[f"X-Deltacloud-Blobmeta-{key}"] = str(value)
    return response


def buckets(ex):
    return ex.many("bucket", ex.cloud.list_buckets(ex.user,
                                                   **ex.filters("id")))


def bucket(ex):
    return ex.one("bucket", ex.cloud.bucket(ex.user, ex.args["id"]))


def create_bucket(ex):
    location = ex.param("location") or ex.param("bucket_location") \
        if ex.driver.has_feature("buckets", "bucket_location") else None
    bucket = ex.cloud.create_bucket(ex.user, ex.param("name"), location)
    return ex.one("bucket", bucket, status=201,
                  location=("buckets", bucket["id"]))


def destroy_bucket(ex):
    ex.cloud.destroy_bucket(ex.user, ex.args["id"])
    return ex.no_content()


def blob(ex):
    return ex.one("blob", ex.cloud.blob(ex.user, ex.args["id"],
                                        ex.args["blob_id"]))


def put_blob(ex):
    """``PUT /api/buckets/:bucket/:blob``: the body is the content."""
    request = ex.request
    blob = ex.cloud.create_blob(
        ex.user, ex.args["id"], ex.args["blob_id"], request.body,
        request.content_type or "", blob_metadata(request.environ))
    return ex.one("blob", blob)


def create_blob(ex):
    """``POST /api/buckets/:id`` from a form: ``blob_id``, ``blob_data``
    (a file part) and ``meta_params`` pairs ``meta_nameN``/``meta_valueN``."""
    user = ex.user
    data = ex.request.POST.get("blob_data")
    if hasattr(data, "file"):
        content, content_type = data.file.read(), data.type or ""
    else:
        content, content_type = (data or "").encode(), "text/plain"
    metadata = {}
    try:
        count = int(ex.param("meta_params") or 0)
    except ValueError:
        count = 0
    for number in range(1, count + 1):
        key = ex.param(f"meta_name{number}")
        if key is not None:
            metadata[key.upper()] = ex.param(f"meta_value{number}")
    blob = ex.cloud.create_blob(user, ex.args["id"], ex.param("blob_id"),
                                content, content_type, metadata)
    return ex.one("blob", blob, status=201)


def destroy_blob(ex):
    ex.cloud.destroy_blob(ex.user, ex.args["id"], ex.args["blob_id"])
    return ex.no_content()


def head_blob(ex):
    """``HEAD`` on a blob: its metadata as headers, 204."""
    blob = ex.cloud.blob(ex.user, ex.args["id"], ex.args["blob_id"])
    return _meta_headers(ex.empty(204), blob["user_metadata"])


def update_blob_metadata(ex):
    metadata = blob_metadata(ex.request.environ)
    ex.cloud.update_blob_metadata(ex.user, ex.args["id"],
                                  ex.args["blob_id"], metadata)
    return _meta_headers(ex.empty(204), metadata)


def blob_content(ex):
    blob = ex.cloud.blob(ex.user, ex.args["id"], ex.args["blob_id"])
    response = ex.respond(200, blob["content"], blob.get("content_type")
                          or "application/octet-stream")
    response.headers["Content-Disposition"] = \
        f"attachment; filename={blob['id']}"
    return response


# -- metrics (the user's instances, as the mock driver computes them) ---------

METRIC_NAMES = ("cpuUtilization", "diskReadRequestCount", "diskReadSector",
                "diskWriteRequestCount", "diskWriteSector", "nicInputByte",
                "nicInputPacket", "nicOutputByte", "nicOutputPacket")


def _metric_unit(name):
    for pattern, unit in (("Utilization", "Percent"), ("Byte", "Bytes"),
                          ("Sector", "Count"), ("Count", "Count"),
                          ("Packet", "Count")):
        if pattern in name:
            return unit
    return "None"


def _samples(name, now):
    """``Metric::Property#generate_mock_values!``: six random samples."""
    rng = random.Random()  # noqa: S311 - mock values, not secrets
    samples = []
    for age in range(6):
        low, high = 1 + rng.randrange(49), 50 + rng.randrange(50)
        if name == "cpuUtilization":
            low, high = low / 100, high / 100
            average = (low + high) / 2
        else:
            average = (low + high) // 2
        samples.append({"minimum": low, "maximum": high, "average": average,
                        "timestamp": int(now) - age,
                        "unit": _metric_unit(name)})
    return samples


def _metric(instance, values=False, now=0):
    return {"id": instance["id"], "entity": instance.get("name"),
            "properties": [{"name": name, "values": _samples(name, now)
                            if values else None}
                           for name in sorted(METRIC_NAMES)]}


def metrics(ex):
    return ex.many("metric", [_metric(i) for i in ex.cloud.list_instances(
        ex.user, **ex.filters("id"))])


def metric(ex):
    instance = ex.cloud.instance(ex.user, ex.args["id"])
    return ex.one("metric", _metric(instance, True, ex.cloud.clock()))


# -- networks, subnets, network interfaces ------------------------------------

def networks(ex):
    return ex.many("network", ex.cloud.list_networks(ex.user,
                                                     **ex.filters("id")))


def network(ex):
    return ex.one("network", ex.cloud.network(ex.user, ex.args["id"]))


def create_network(ex):
    network = ex.cloud.create_network(ex.user, ex.param("name") or None,
                                      ex.param("address_block"))
    return ex.one("network", network, status=201,
                  location=("networks", network["id"]))


def destroy_network(ex):
    ex.cloud.destroy_network(ex.user, ex.args["id"])
    return ex.no_content()


def subnets(ex):
    return ex.many("subnet", ex.cloud.list_subnets(ex.user,
                                                   **ex.filters("id")))


def subnet(ex):
    return ex.one("subnet", ex.cloud.subnet(ex.user, ex.args["id"]))


def create_subnet(ex):
    subnet = ex.cloud.create_subnet(ex.user, ex.param("network_id"),
                                    ex.param("address_block"),
                                    ex.param("name") or None)
    return ex.one("subnet", subnet, status=201,
                  location=("subnets", subnet["id"]))


def destroy_subnet(ex):
    ex.cloud.destroy_subnet(ex.user, ex.args["id"])
    return ex.no_content()


def network_interfaces(ex):
    return ex.many("network_interface", ex.cloud.list_network_interfaces(
        ex.user, **ex.filters("id")))


def network_interface(ex):
    return ex.one("network_interface",
                  ex.cloud.network_interface(ex.user, ex.args["id"]))


def create_network_interface(ex):
    nic = ex.cloud.create_network_interface(
        ex.user, ex.param("instance"), ex.param("network"),
        ex.param("name") or None, ex.param("subnet") or None)
    return ex.one("network_interface", nic, status=201,
                  location=("network_interfaces", nic["id"]))


def destroy_network_interface(ex):
    ex.cloud.destroy_network_interface(ex.user, ex.args["id"])
    return ex.no_content()


# -- load balancers (the ec2 driver's; 412 on drivers without them) ----------

def load_balancers(ex):
    return ex.many("load_balancer", ex.cloud.list_load_balancers(
        ex.user, **ex.filters("id")))


def load_balancer(ex):
    return ex.one("load_balancer",
                  ex.cloud.load_balancer(ex.user, ex.args["id"]))


def create_load_balancer(ex):
    balancer = ex.cloud.create_load_balancer(
        ex.user, ex.param("name"), ex.param("realm_id"),
        ex.param("listener_protocol"), ex.param("listener_balancer_port"),
        ex.param("listener_instance_port"), ec2.region(ex.provider))
    return ex.one("load_balancer", balancer, status=201,
                  location=("load_balancers", balancer["id"]))


def _registration(register):
    def handler(ex):
        return ex.one("load_balancer", ex.cloud.register_instance(
            ex.user, ex.args["id"], ex.param("instance_id"), register))
    handler.__name__ = "register_instance" if register \
        else "unregister_instance"
    return handler


def destroy_load_balancer(ex):
    ex.cloud.destroy_load_balancer(ex.user, ex.args["id"])
    return ex.no_content()


R = Route
#: Every operation, matched in order; an unknown method/path is 404.
ROUTES = (
    R("GET", "/api", entry_point),
    R("GET", "/api/drivers", drivers, index=True),
    R("GET", "/api/drivers/:id", driver),
    R("GET", "/api/instance_states", instance_states),
    R("GET", "/api/realms", realms, "realms", index=True, runtime=True),
    R("GET", "/api/realms/:id", realm, "realms", runtime=True),
    R("GET", "/api/hardware_profiles", hardware_profiles,
      "hardware_profiles", index=True, runtime=True),
    R("GET", "/api/hardware_profiles/:id", hardware_profile,
      "hardware_profiles", runtime=True),
    R("GET", "/api/images", images, "images", index=True, runtime=True),
    R("POST", "/api/images", create_image, "create_image",
      required=("instance_id",)),
    R("GET", "/api/images/:id", image, "image", runtime=True),
    R("DELETE", "/api/images/:id", destroy_image, "destroy_image"),
    R("GET", "/api/instances", instances, "instances", index=True,
      runtime=True),
    R("POST", "/api/instances", create_instance, "create_instance",
      required=("image_id",)),
    R("GET", "/api/instances/:id", instance, "instances", runtime=True),
    R("DELETE", "/api/instances/:id", _action("destroy"),
      "destroy_instance", runtime=True),
    R("POST", "/api/instances/:id/start", _action("start"),
      "start_instance", runtime=True),
    R("POST", "/api/instances/:id/stop", _action("stop"), "stop_instance",
      runtime=True),
    R("POST", "/api/instances/:id/reboot", _action("reboot"),
      "reboot_instance", runtime=True),
    R("POST", "/api/instances/:id/run", run_on_instance, "run_on_instance",
      required=("cmd",)),
    R("GET", "/api/keys", keys, "keys", index=True, runtime=True),
    R("POST", "/api/keys", create_key, "create_key", required=("name",)),
    R("GET", "/api/keys/:id", key, "keys", runtime=True),
    R("DELETE", "/api/keys/:id", destroy_key, "destroy_key"),
    R("GET", "/api/addresses", addresses, "addresses", index=True,
      runtime=True),
    R("POST", "/api/addresses", create_address, "create_address"),
    R("GET", "/api/addresses/:id", address, "addresses", runtime=True),
    R("DELETE", "/api/addresses/:id", destroy_address, "destroy_address"),
    R("POST", "/api/addresses/:id/associate", associate_address,
      "associate_address", required=("instance_id",)),
    R("POST", "/api/addresses/:id/disassociate", disassociate_address,
      "disassociate_address"),
    R("GET", "/api/storage_volumes", storage_volumes, "storage_volumes",
      index=True, runtime=True),
    R("POST", "/api/storage_volumes", create_storage_volume,
      "create_storage_volume"),
    R("GET", "/api/storage_volumes/:id", storage_volume, "storage_volumes",
      runtime=True),
    R("DELETE", "/api/storage_volumes/:id", destroy_storage_volume,
      "destroy_storage_volume"),
    R("POST", "/api/storage_volumes/:id/attach", attach_storage_volume,
      "attach_storage_volume", required=("instance_id", "device")),
    R("POST", "/api/storage_volumes/:id/detach", detach_storage_volume,
      "detach_storage_volume"),
    R("GET", "/api/storage_snapshots", storage_snapshots,
      "storage_snapshots", index=True, runtime=True),
    R("POST", "/api/storage_snapshots", create_storage_snapshot,
      "create_storage_snapshot", required=("volume_id",)),
    R("GET", "/api/storage_snapshots/:id", storage_snapshot,
      "storage_snapshots", runtime=True),
    R("DELETE", "/api/storage_snapshots/:id", destroy_storage_snapshot,
      "destroy_storage_snapshot"),
    R("GET", "/api/firewalls", firewalls, "firewalls", index=True,
      runtime=True),
    R("POST", "/api/firewalls", create_firewall, "create_firewall",
      required=("name", "description")),
    R("GET", "/api/firewalls/:id", firewall, "firewalls", runtime=True),
    R("DELETE", "/api/firewalls/:id", destroy_firewall, "delete_firewall"),
    R("POST", "/api/firewalls/:id/rules", add_firewall_rule,
      "create_firewall_rule", required=("protocol", "port_from", "port_to"),
      enums=(("protocol", ("tcp", "udp", "icmp")),)),
    R("DELETE", "/api/firewalls/:id/rules/:rule_id", delete_firewall_rule,
      "delete_firewall_rule"),
    R("GET", "/api/buckets", buckets, "buckets", index=True, runtime=True),
    R("POST", "/api/buckets", create_bucket, "create_bucket",
      required=("name",)),
    R("GET", "/api/buckets/:id", bucket, "buckets", runtime=True),
    R("DELETE", "/api/buckets/:id", destroy_bucket, "delete_bucket"),
    R("POST", "/api/buckets/:id", create_blob, "create_blob",
      required=("id", "blob_id", "blob_data")),
    R("HEAD", "/api/buckets/:id/:blob_id", head_blob, "blob_metadata"),
    R("PUT", "/api/buckets/:id/:blob_id", put_blob, "create_blob"),
    R("GET", "/api/buckets/:id/:blob_id", blob, "blob",
      required=("blob_id",)),
    R("DELETE", "/api/buckets/:id/:blob_id", destroy_blob, "delete_blob",
      required=("blob_id",)),
    R("POST", "/api/buckets/:id/:blob_id", update_blob_metadata,
      "update_blob_metadata", required=("blob_id",)),
    R("GET", "/api/buckets/:id/:blob_id/content", blob_content, "blob",
      required=("id", "blob_id"), raw=True),
    R("GET", "/api/metrics", metrics, "metrics", index=True, runtime=True),
    R("GET", "/api/metrics/:id", metric, "metrics", runtime=True),
    R("GET", "/api/networks", networks, "networks", index=True,
      runtime=True),
    R("POST", "/api/networks", create_network, "create_network"),
    R("GET", "/api/networks/:id", network, "networks", runtime=True),
    R("DELETE", "/api/networks/:id", destroy_network, "destroy_network"),
    R("GET", "/api/subnets", subnets, "subnets", index=True, runtime=True),
    R("POST", "/api/subnets", create_subnet, "create_subnet",
      required=("network_id", "address_block")),
    R("GET", "/api/subnets/:id", subnet, "subnets", runtime=True),
    R("DELETE", "/api/subnets/:id", destroy_subnet, "destroy_subnet"),
    R("GET", "/api/network_interfaces", network_interfaces,
      "network_interfaces", index=True, runtime=True),
    R("POST", "/api/network_interfaces", create_network_interface,
      "create_network_interface", required=("instance", "network")),
    R("GET", "/api/network_interfaces/:id", network_interface,
      "network_interfaces", runtime=True),
    R("DELETE", "/api/network_interfaces/:id", destroy_network_interface,
      "destroy_network_interface"),
    R("GET", "/api/load_balancers", load_balancers, "load_balancers",
      index=True, runtime=True),
    R("POST", "/api/load_balancers", create_load_balancer,
      "create_load_balancer",
      required=("name", "realm_id", "listener_protocol",
                "listener_balancer_port", "listener_instance_port"),
      enums=(("listener_protocol", ("HTTP", "TCP")),)),
    R("GET", "/api/load_balancers/:id", load_balancer, "load_balancer",
      runtime=True),
    R("DELETE", "/api/load_balancers/:id", destroy_load_balancer,
      "destroy_load_balancer"),
    R("POST", "/api/load_balancers/:id/register", _registration(True),
      "lb_register_instance", required=("instance_id",)),
    R("POST", "/api/load_balancers/:id/unregister", _registration(False),
      "lb_unregister_instance", required=("instance_id",)),
)
