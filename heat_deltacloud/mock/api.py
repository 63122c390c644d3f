"""The Deltacloud API's URL table and its handlers.

Each handler reads parameters from the :class:`~.wsgi.Exchange`, calls
:class:`~.models.Cloud` and renders; credentials are checked only when a
handler asks for ``ex.user``, which is the real server's lazy auth.
"""

import dataclasses
import re

from heat_deltacloud.mock import models


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

    @property
    def collection(self):
        parts = self.template.split("/")
        return parts[2] if len(parts) > 2 else None


# -- entry point, drivers, state machine --------------------------------------

def entry_point(ex):
    if "force_auth" in ex.request.GET:
        ex.check_credentials_for_force_auth()
    collections = ex.controls.entry_point()
    if ex.fmt == "xml":
        return ex.respond(200, ex.renderer.entry_point_xml(collections))
    return ex.respond_json(200, ex.renderer.entry_point_json(collections))


def drivers(ex):
    if ex.fmt == "json":
        return ex.respond_json(200, {"mock": {"name": "Mock"}})
    return ex.respond(200, ex.renderer.drivers_xml())


def driver(ex):
    if ex.args["id"] != "mock":
        raise models.not_found()
    if ex.fmt == "json":
        return ex.respond_json(200, {"driver": {"name": "Mock",
                                                "id": "mock"}})
    return ex.respond(200, ex.renderer.driver_xml())


def instance_states(ex):
    states = ex.renderer.instance_states(
        ex.cloud.fixtures["instance_state_machine"])
    if ex.fmt == "json":
        return ex.respond_json(200, states)
    return ex.respond(200, ex.renderer.instance_states_xml(states))


# -- realms, hardware profiles, images ----------------------------------------

def realms(ex):
    ex.authenticate()  # the driver checks credentials first
    return ex.many("realm", ex.cloud.list_realms(ex.param("id")))


def realm(ex):
    ex.authenticate()
    return ex.one("realm", ex.cloud.realm(ex.args["id"]))


def hardware_profiles(ex):
    return ex.many("hardware_profile", ex.cloud.list_hardware_profiles(
        ex.param("architecture"), ex.param("id")))


def hardware_profile(ex):
    return ex.one("hardware_profile",
                  ex.cloud.hardware_profile(ex.args["id"]))


def _profile_ids(ex):
    return [p["id"] for p in ex.cloud.list_hardware_profiles()]


def images(ex):
    user = ex.user
    return ex.many("image", ex.cloud.list_images(
        user, **ex.filters("id", "architecture", "owner_id")),
        _profile_ids(ex))


def image(ex):
    ex.authenticate()
    return ex.one("image", ex.cloud.image(ex.args["id"]), _profile_ids(ex))


def create_image(ex):
    image = ex.cloud.create_image(ex.user, ex.param("instance_id"),
                                  ex.param("name"), ex.param("description"))
    return ex.one("image", image, _profile_ids(ex), status=201,
                  location=("images", image["id"]))


def destroy_image(ex):
    ex.cloud.destroy_image(ex.user, ex.args["id"])
    return ex.no_content()


# -- instances ----------------------------------------------------------------

def instances(ex):
    return ex.many("instance", ex.cloud.list_instances(
        ex.user, **ex.filters("id", "state", "realm_id")))


def instance(ex):
    return ex.one("instance", ex.cloud.instance(ex.user, ex.args["id"]))


def _firewall_names(ex):
    """``firewalls=a&firewalls=b``, ``firewalls[]=a`` or the EC2 style
    ``firewalls1=a``; ignored unless the feature is advertised."""
    if not ex.controls.feature_enabled("instances", "firewalls"):
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
    instance = ex.cloud.create_instance(
        user, ex.param("image_id"), hwp_id=ex.param("hwp_id"),
        realm_id=ex.param("realm_id"), name=ex.param("name"),
        keyname=ex.param("keyname"), user_data=ex.param("user_data"),
        initial_state=ex.param("initial_state"), overrides=overrides,
        firewalls=_firewall_names(ex))
    return ex.one("instance", instance, status=201,
                  location=("instances", instance["id"]))


def _action(name):
    def handler(ex):
        changed = ex.cloud.instance_action(ex.user, ex.args["id"], name)
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
    output = (f"This is where the output from '{command}' would appear "
              "if this were not a mock provider")
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
    volume = ex.cloud.create_volume(ex.user, ex.param("capacity"),
                                    ex.param("name"),
                                    ex.param("description"))
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
    ex.cloud.destroy_snapshot(ex.user, ex.args["id"])
    return ex.no_content()


# -- firewalls (a capability switched off by default) -------------------------

def firewalls(ex):
    return ex.many("firewall", ex.cloud.list_firewalls(
        ex.user, **ex.filters("id")))


def firewall(ex):
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
    ex.cloud.delete_firewall_rule(ex.user, ex.args["id"],
                                  ex.args["rule_id"])
    return ex.no_content()


def destroy_firewall(ex):
    ex.cloud.destroy_firewall(ex.user, ex.args["id"])
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
)
