"""The mock cloud's state: pure Python, no HTTP.

Methods are named after Deltacloud operations and raise :class:`MockError`
with the status and message the real mock driver would produce.  Every
object has an owner; a user sees and touches only what it owns (fixture
objects belong to ``mockuser``), except public realms, hardware profiles
and images.  One re-entrant lock guards all state.
"""

import base64
import copy
import ipaddress
import json
import pathlib
import secrets
import threading
import time

FIXTURES = pathlib.Path(__file__).parent / "data" / "mock-fixtures.json"
MOCK_USER = "mockuser"

#: Instance state -> the actions the mock offers in it.
STATE_ACTIONS = {
    "RUNNING": ("reboot", "stop"),
    "STOPPED": ("start", "destroy"),
    "PENDING": (),
}
#: (state, action) -> the state after it; None means the record vanishes.
TRANSITIONS = {
    ("RUNNING", "reboot"): "RUNNING",
    ("RUNNING", "stop"): "STOPPED",
    ("STOPPED", "start"): "RUNNING",
    ("STOPPED", "destroy"): None,
}
OVERRIDABLE = ("cpu", "memory", "storage", "architecture")


class MockError(Exception):
    """A failure the API turns into an error document."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def load_fixtures(path=FIXTURES):
    return json.loads(pathlib.Path(path).read_text())


def _fake_pem():
    chars = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
             "0123456789+/=")
    lines = ["".join(secrets.choice(chars) for _ in range(75))
             for _ in range(21)]
    lines.append("".join(secrets.choice(chars) for _ in range(68)))
    return ("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) +
            "-----END RSA PRIVATE KEY-----")


def _fingerprint():
    return ":".join(f"{b:02x}" for b in secrets.token_bytes(20))


class Cloud:
    """All of the mock's state, seeded from the fixtures."""

    def __init__(self, fixtures=None, *, state_delay=0.0, pending_polls=0,
                 clock=time.time):
        self.fixtures = fixtures or load_fixtures()
        self.state_delay = state_delay
        self.pending_polls = pending_polls
        self.clock = clock
        self.lock = threading.RLock()
        self.reset()

    # -- seeding ---------------------------------------------------------

    def reset(self):
        fx = copy.deepcopy(self.fixtures)
        with self.lock:
            self.realms = {r["id"]: r for r in fx["realms"]}
            self.hardware_profiles = {p["id"]: p
                                      for p in fx["hardware_profiles"]}
            self.images = {i["id"]: i for i in fx["images"]}
            self.instances = {}
            for inst in fx["instances"]:
                profile = inst.pop("instance_profile")
                inst.update(hwp_id=profile["id"],
                            hwp_overrides=profile["overrides"],
                            keyname=inst.get("keyname"), user_data=None)
                inst.setdefault("network_interfaces", [])
                inst.setdefault("storage_volumes", [])
                inst.pop("actions", None)
                self.instances[inst["id"]] = inst
            self.keys = {}
            for key in fx["keys"]:
                self.keys[key["id"]] = {
                    "id": key["id"], "owner": MOCK_USER,
                    "credential_type": key["credential_type"],
                    "fingerprint": key["fingerprint"],
                    "pem": key["pem_rsa_key"]}
            self.addresses = {a["id"]: dict(a, owner=MOCK_USER)
                              for a in fx["addresses"]}
            self.volumes = {v["id"]: dict(v, owner=MOCK_USER,
                                          capacity=str(v["capacity"]),
                                          name=v["id"])
                            for v in fx["storage_volumes"]}
            self.firewalls = {}
            self._serial = 0

    # -- helpers ---------------------------------------------------------

    def _owned(self, table, ident, user, missing_status=404):
        obj = table.get(ident)
        if obj is None or obj.get("owner", obj.get("owner_id")) != user:
            raise MockError(missing_status, "Not Found" if
                            missing_status == 404 else "Forbidden")
        return obj

    def _unique(self, prefix, table):
        ident = f"{prefix}{int(self.clock())}"
        while ident in table:
            self._serial += 1
            ident = f"{prefix}{int(self.clock())}_{self._serial}"
        return ident

    # -- realms, hardware profiles, images ---------------------------------

    def realm(self, ident):
        trigger = self.fixtures["realm_error_triggers"].get(ident)
        if trigger:
            raise MockError(trigger["status"], trigger["message"])
        found = self.realms.get(ident)
        if found is None:
            raise MockError(404, "Not Found")
        return found

    def list_realms(self, realm_id=None):
        if realm_id is not None:
            return [self.realm(realm_id)]
        return list(self.realms.values())

    def hardware_profile(self, ident):
        found = self.hardware_profiles.get(ident)
        if found is None:
            raise MockError(404, "Not Found")
        return found

    def list_hardware_profiles(self, architecture=None):
        def sort_key(p):
            props = {q["name"]: q for q in p["properties"]}
            if "cpu" not in props or "memory" not in props:
                return (1, 0, 0)
            return (0, *(float(props[n].get("value", props[n].get(
                "default"))) for n in ("cpu", "memory")))

        def matches(p):
            if architecture is None:
                return True
            for prop in p["properties"]:
                if prop["name"] == "architecture":
                    values = prop.get("values") or [prop.get("value")]
                    return architecture in values
            return False
        return sorted((p for p in self.hardware_profiles.values()
                       if matches(p)), key=sort_key)

    def image(self, ident):
        found = self.images.get(ident)
        if found is None:
            raise MockError(404, "Not Found")
        return found

    def list_images(self, user, **filters):
        if filters.get("owner_id") == "self":
            filters["owner_id"] = user
        images = [i for i in self.images.values()
                  if all(i.get(k) == v for k, v in filters.items())]
        return sorted(images, key=lambda i: (i["owner_id"],
                                             i["description"] or ""))

    def create_image(self, user, instance_id, name=None, description=None):
        with self.lock:
            instance = self._owned(self.instances, instance_id, user)
            if not instance.get("create_image"):
                raise MockError(500, "CreateImageNotSupported")
            if not name:
                raise MockError(500, "An image needs a name")
            image = {"id": name, "name": name, "owner_id": "root",
                     "description": description, "architecture": "i386",
                     "state": "AVAILABLE",
                     "creation_time": time.strftime(
                         "%a %b %d %H:%M:%S UTC %Y", time.gmtime())}
            self.images[name] = image
            return image

    def destroy_image(self, user, ident):
        with self.lock:
            self.images.pop(ident, None)

    # -- instances ---------------------------------------------------------

    def _advance(self, instance):
        """Move a PENDING instance on once its delay and polls are done."""
        if instance["state"] != "PENDING" or "pending_until" not in instance:
            return
        instance["polls_left"] -= 1
        if instance["polls_left"] <= 0 and \
                self.clock() >= instance["pending_until"]:
            instance["state"] = "RUNNING"
            del instance["pending_until"], instance["polls_left"]

    def instance(self, user, ident):
        with self.lock:
            instance = self._owned(self.instances, ident, user)
            self._advance(instance)
            return copy.deepcopy(instance)

    def list_instances(self, user, **filters):
        with self.lock:
            found = []
            for instance in self.instances.values():
                if instance["owner_id"] != user:
                    continue
                self._advance(instance)
                if all(instance.get(k) == v for k, v in filters.items()):
                    found.append(copy.deepcopy(instance))
            return found

    def create_instance(self, user, image_id, *, hwp_id=None, realm_id=None,
                        name=None, keyname=None, user_data=None,
                        initial_state=None, overrides=None, firewalls=()):
        hwp_id = hwp_id or "m1-small"
        if hwp_id not in self.hardware_profiles:
            raise MockError(400, f"Hardware profile '{hwp_id}' does not "
                                 "exists.")
        decoded = None
        if user_data:
            try:
                decoded = base64.b64decode(user_data)
            except ValueError:
                raise MockError(400, "user_data is not base64") from None
        with self.lock:
            number = 0
            while f"inst{number}" in self.instances:
                number += 1
            ident = f"inst{number}"
            state = {"STARTED": "RUNNING", None: "RUNNING"}.get(
                initial_state, initial_state)
            instance = {
                "id": ident, "owner_id": user, "image_id": image_id,
                "name": name if name is not None
                else f"i-{int(self.clock())}",
                "realm_id": realm_id or next(iter(self.realms)),
                "state": state, "hwp_id": hwp_id,
                "hwp_overrides": dict(overrides or {}),
                "public_addresses": [{"address": f"{image_id}.{ident}."
                                                 "public.com",
                                      "type": "hostname"}],
                "private_addresses": [{"address": f"{image_id}.{ident}."
                                                  "private.com",
                                       "type": "hostname"}],
                "create_image": True, "storage_volumes": [],
                "network_interfaces": [], "keyname": keyname,
                "firewalls": list(firewalls),
                "user_data": decoded}
            if state == "RUNNING" and (self.state_delay or
                                       self.pending_polls):
                instance.update(state="PENDING",
                                pending_until=self.clock() + self.state_delay,
                                polls_left=self.pending_polls)
            self.instances[ident] = instance
            return copy.deepcopy(instance)

    def instance_action(self, user, ident, action):
        """Run start/stop/reboot/destroy per the state machine.

        A missing (or someone else's) instance is 403, an action illegal in
        the current state 405, as the real API layer answers.
        """
        with self.lock:
            instance = self._owned(self.instances, ident, user,
                                   missing_status=403)
            self._advance(instance)
            key = (instance["state"], action)
            if key not in TRANSITIONS:
                raise MockError(405, "Method Not Allowed")
            new_state = TRANSITIONS[key]
            if new_state is None:
                del self.instances[ident]
                return None
            instance["state"] = new_state
            return copy.deepcopy(instance)

    def set_instance_state(self, ident, state):
        """Control plane: force an instance into any state."""
        with self.lock:
            instance = self.instances.get(ident)
            if instance is None:
                raise MockError(404, "Not Found")
            instance["state"] = state.upper()
            instance.pop("pending_until", None)
            return copy.deepcopy(instance)

    def all_instances(self):
        with self.lock:
            for instance in self.instances.values():
                self._advance(instance)
            return [copy.deepcopy(i) for i in self.instances.values()]

    # -- keys --------------------------------------------------------------

    def key(self, user, ident):
        with self.lock:
            return dict(self._owned(self.keys, ident, user))

    def list_keys(self, user, **filters):
        with self.lock:
            return [dict(k) for k in self.keys.values()
                    if k["owner"] == user and
                    all(k.get(f) == v for f, v in filters.items())]

    def create_key(self, user, name):
        with self.lock:
            if name in self.keys:
                raise MockError(403, "Key with same name already exists")
            key = {"id": name, "owner": user, "credential_type": "key",
                   "fingerprint": _fingerprint(), "pem": _fake_pem()}
            self.keys[name] = key
            return dict(key)

    def destroy_key(self, user, ident):
        with self.lock:
            self._owned(self.keys, ident, user)
            del self.keys[ident]

    # -- addresses ---------------------------------------------------------

    def address(self, user, ident):
        with self.lock:
            return dict(self._owned(self.addresses, ident, user))

    def list_addresses(self, user, **filters):
        with self.lock:
            return [dict(a) for a in self.addresses.values()
                    if a["owner"] == user and
                    all(a.get(f) == v for f, v in filters.items())]

    def create_address(self, user):
        with self.lock:
            highest = max((ipaddress.ip_address(a) for a in self.addresses),
                          default=ipaddress.ip_address("192.168.0.0"))
            ident = str(highest + 1)
            address = {"id": ident, "instance_id": None, "owner": user}
            self.addresses[ident] = address
            return dict(address)

    def associate_address(self, user, ident, instance_id):
        with self.lock:
            address = self._owned(self.addresses, ident, user)
            instance = self._owned(self.instances, instance_id, user)
            if address["instance_id"]:
                raise MockError(403, "AddressInUse")
            address["instance_id"] = instance_id
            instance["public_addresses"] = [{"address": ident,
                                             "type": "ipv4"}]

    def disassociate_address(self, user, ident):
        with self.lock:
            address = self._owned(self.addresses, ident, user)
            if not address["instance_id"]:
                raise MockError(403, "AddressNotInUse")
            instance = self.instances.get(address["instance_id"])
            if instance is not None:
                instance["public_addresses"] = [{
                    "address": f"{instance['image_id']}.{instance['id']}."
                               "public.com", "type": "hostname"}]
            address["instance_id"] = None

    def destroy_address(self, user, ident):
        with self.lock:
            address = self._owned(self.addresses, ident, user)
            if address["instance_id"]:
                raise MockError(403, "AddressInUse")
            del self.addresses[ident]

    def all_addresses(self):
        with self.lock:
            return [dict(a) for a in self.addresses.values()]

    # -- storage volumes ---------------------------------------------------

    def volume(self, user, ident):
        with self.lock:
            return dict(self._owned(self.volumes, ident, user))

    def list_volumes(self, user, **filters):
        with self.lock:
            return [dict(v) for v in self.volumes.values()
                    if v["owner"] == user and
                    all(v.get(f) == val for f, val in filters.items())]

    def create_volume(self, user, capacity=None, name=None,
                      description=None):
        with self.lock:
            ident = self._unique("volume_", self.volumes)
            volume = {"id": ident, "owner": user, "name": name or
                      f"Volume{ident}", "capacity": str(capacity or "1"),
                      "state": "AVAILABLE", "device": None,
                      "instance_id": None, "realm_id": None,
                      "description": description,
                      "created": time.strftime("%a %b %d %H:%M:%S UTC %Y",
                                               time.gmtime())}
            self.volumes[ident] = volume
            return dict(volume)

    def attach_volume(self, user, ident, instance_id, device):
        with self.lock:
            volume = self._owned(self.volumes, ident, user)
            instance = self._owned(self.instances, instance_id, user)
            volume.update(state="IN-USE", instance_id=instance_id,
                          device=device)
            instance["storage_volumes"].append({"id": ident,
                                                "device": device})
            return dict(volume)

    def detach_volume(self, user, ident):
        with self.lock:
            volume = self._owned(self.volumes, ident, user)
            instance = self.instances.get(volume["instance_id"])
            if instance is not None:
                instance["storage_volumes"] = [
                    v for v in instance["storage_volumes"]
                    if v["id"] != ident]
            volume.update(state="AVAILABLE", instance_id=None, device=None)
            return dict(volume)

    def destroy_volume(self, user, ident):
        with self.lock:
            if ident in self.volumes:
                self._owned(self.volumes, ident, user)
                del self.volumes[ident]

    # -- firewalls (off unless switched on) --------------------------------

    def firewall(self, user, ident):
        with self.lock:
            return copy.deepcopy(self._owned(self.firewalls, ident, user))

    def list_firewalls(self, user, **filters):
        with self.lock:
            return [copy.deepcopy(f) for f in self.firewalls.values()
                    if f["owner"] == user and
                    all(f.get(k) == v for k, v in filters.items())]

    def create_firewall(self, user, name, description):
        with self.lock:
            if name in self.firewalls:
                raise MockError(409, "Firewall already exists")
            firewall = {"id": name, "name": name, "owner": user,
                        "description": description, "rules": []}
            self.firewalls[name] = firewall
            return copy.deepcopy(firewall)

    def add_firewall_rule(self, user, ident, protocol, port_from, port_to,
                          sources):
        with self.lock:
            firewall = self._owned(self.firewalls, ident, user)
            if not sources:
                raise MockError(400, "A rule needs at least one source")
            self._serial += 1
            firewall["rules"].append({
                "id": f"rule{self._serial}", "protocol": protocol,
                "port_from": port_from, "port_to": port_to,
                "sources": sources})
            return copy.deepcopy(firewall)

    def delete_firewall_rule(self, user, ident, rule_id):
        with self.lock:
            firewall = self._owned(self.firewalls, ident, user)
            rules = [r for r in firewall["rules"] if r["id"] != rule_id]
            if len(rules) == len(firewall["rules"]):
                raise MockError(404, "Not Found")
            firewall["rules"] = rules

    def destroy_firewall(self, user, ident):
        with self.lock:
            self._owned(self.firewalls, ident, user)
            del self.firewalls[ident]
