"""The mock cloud's state: pure Python, no HTTP.

Methods are named after Deltacloud operations and raise :class:`MockError`
with the status and message the real mock driver would produce.  Every
object has an owner; a user sees and touches only what it owns (fixture
objects belong to ``mockuser``), except realms, hardware profiles and
images, which are public.  One re-entrant lock guards all state, and every
public method returns copies, so callers render outside the lock from a
consistent snapshot.

Instances are stored copy-on-write: a stored instance (and everything in
it) is never changed in place; every change stores a new dict with a new
``version`` (unique within the cloud, across resets too).  The
``*_snapshot*`` reads hand out those stored dicts uncopied, read-only, so
a listing costs no copies and a renderer may cache an instance's document
by its version (:class:`heat_deltacloud.server.documents.FragmentCache`).
"""

import base64
import copy
import functools
import ipaddress
import itertools
import json
import pathlib
import re
import secrets
import threading
import time

from heat_deltacloud.server.interface import CloudDriver, DriverError

FIXTURES = pathlib.Path(__file__).parent / "data" / "mock-fixtures.json"
MOCK_USER = "mockuser"

#: Instance state -> the actions the mock offers in it (and stores).
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
#: Hardware-profile properties a create may override (``hwp_<name>``).
OVERRIDABLE = ("cpu", "memory", "storage", "architecture")
#: The first address a fresh allocation follows when none exist.
ADDRESS_FLOOR = ipaddress.ip_address("192.168.0.0")
PEM_ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789=/+")


#: The errors of every driver (an alias kept for the mock's callers).
MockError = DriverError


def not_found():
    return MockError(404, "Not Found")


def load_fixtures(path=FIXTURES):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def ruby_time(seconds):
    """``Time.now.to_s`` as the Ruby driver stamps new volumes."""
    return time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(seconds))


def decode_user_data(text):
    """Base64 as leniently as Ruby's ``Base64.decode64``: characters
    outside the alphabet are skipped and a short tail is tolerated."""
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
    cleaned = cleaned[:len(cleaned) - (len(cleaned) % 4 == 1)]
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))


def fake_pem():
    """Random filler shaped like the real mock's keys (not a real key)."""
    lines = ["".join(secrets.choice(PEM_ALPHABET) for _ in range(75))
             for _ in range(21)]
    lines.append("".join(secrets.choice(PEM_ALPHABET) for _ in range(68)))
    return ("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) +
            "-----END RSA PRIVATE KEY-----")


def fake_fingerprint():
    return ":".join(f"{b:02x}" for b in secrets.token_bytes(20))


def hostname_address(instance, kind):
    return {"address": f"{instance['image_id']}.{instance['id']}.{kind}.com",
            "type": "hostname"}


#: Values :func:`copied` shares instead of copying.
IMMUTABLE = (str, bytes, int, float, bool, type(None))


def copied(value):
    """A deep copy of the plain data the cloud keeps (dicts, lists and
    tuples of scalars), several times faster than ``copy.deepcopy``;
    anything else goes through ``copy.deepcopy``."""
    if isinstance(value, IMMUTABLE):
        return value
    if type(value) is dict:
        return {k: v if isinstance(v, IMMUTABLE) else copied(v)
                for k, v in value.items()}
    if isinstance(value, list):  # a Listing's copy is a plain list
        return [copied(v) for v in value]
    if type(value) is tuple:
        return tuple(copied(v) for v in value)
    return copy.deepcopy(value)


def locked(method):
    """Run ``method`` under the cloud's lock and return a deep copy."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.lock:
            return copied(method(self, *args, **kwargs))
    return wrapper


def locked_snapshot(method):
    """Run ``method`` under the cloud's lock and return its result
    uncopied: stored instances, which nobody may change (see the module's
    docstring)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)
    return wrapper


def _matches(obj, filters):
    return all(obj.get(name) == value for name, value in filters.items())


#: Cloud attribute -> the collection its objects belong to.
TABLES = {"instances": "instances", "keys": "keys",
          "addresses": "addresses", "volumes": "storage_volumes",
          "snapshots": "storage_snapshots", "firewalls": "firewalls",
          "buckets": "buckets", "networks": "networks",
          "subnets": "subnets", "network_interfaces": "network_interfaces",
          "load_balancers": "load_balancers"}


class Listing(list):
    """Stored instances as one listing found them; ``listing_key`` names
    that content for the cloud's life (a renderer may keep the document
    by it: :meth:`heat_deltacloud.server.documents.Renderer.many_document`).
    """

    def __init__(self, items, listing_key):
        super().__init__(items)
        self.listing_key = listing_key


class Observer:
    """Told about instance lifecycle events, under the cloud's lock (so
    it must not block); guest mode (:class:`.guest.Guest`) is one."""

    def instance_running(self, ident, user_data):
        """``ident`` is RUNNING now (again, perhaps)."""

    def instance_gone(self, ident):
        """``ident`` was destroyed (its id may be reused)."""

    def reset(self):
        """Every instance was replaced by the seed."""


class Cloud(CloudDriver):
    """All of the mock's state, seeded from the fixtures: the ``mock``
    driver of :mod:`heat_deltacloud.server.interface`.

    ``state_delay`` (seconds) and ``pending_polls`` (API reads) make new
    instances start ``PENDING``: they turn ``RUNNING`` once the delay has
    passed *and* ``pending_polls`` reads have answered ``PENDING``.
    ``observer`` (an :class:`Observer`) hears of instances turning
    RUNNING and going away.
    """

    def __init__(self, fixtures=None, *, state_delay=0.0, pending_polls=0,
                 clock=time.time, observer=None):
        self.fixtures = copy.deepcopy(fixtures or load_fixtures())
        self.state_delay = float(state_delay)
        self.pending_polls = int(pending_polls)
        self.clock = clock
        self.observer = observer or Observer()
        self.lock = threading.RLock()
        #: Instance versions; never restarted, so a version names one
        #: snapshot of one instance for the cloud's whole life.
        self._versions = itertools.count(1)
        #: Listing keys (:class:`Listing`), never restarted either.
        self._listing_keys = itertools.count(1)
        self.reset()

    # -- seeding --------------------------------------------------------------

    def reset(self):
        """Back to the seeded state."""
        fx = copy.deepcopy(self.fixtures)
        with self.lock:
            self.realms = {r["id"]: r for r in fx["realms"]}
            self.hardware_profiles = {p["id"]: p
                                      for p in fx["hardware_profiles"]}
            self.images = {i["id"]: i for i in fx["images"]}
            from heat_deltacloud.mock.drivers import DRIVERS
            for driver in DRIVERS.values():
                self.images.update({i["id"]: dict(i, driver=driver.name)
                                    for i in copy.deepcopy(driver.images)})
            self.instances = {}
            #: Ids of the stored instances that are PENDING on a delay.
            self._pending = set()
            #: user -> (the version of the newest change then, the user's
            #: stored instances): a listing with no change since reuses it.
            self._listed = {}
            for seed in fx["instances"]:
                self._store(self._seed_instance(seed))
            self.keys = {(MOCK_USER, k["id"]): {
                "id": k["id"], "owner": MOCK_USER,
                "credential_type": k["credential_type"],
                "fingerprint": k["fingerprint"], "pem": k["pem_rsa_key"]}
                for k in fx["keys"]}
            self.addresses = {a["id"]: dict(a, owner=MOCK_USER)
                              for a in fx["addresses"]}
            self.volumes = {v["id"]: dict(v, owner=MOCK_USER,
                                          capacity=str(v["capacity"]))
                            for v in fx["storage_volumes"]}
            self.snapshots = {s["id"]: dict(s, owner=MOCK_USER)
                              for s in fx["storage_snapshots"]}
            self.firewalls = {}
            self.buckets = {b["id"]: {"id": b["id"], "name": b["name"],
                                      "owner": MOCK_USER}
                            for b in fx.get("buckets", ())}
            self.blobs = {(b["bucket"], b["id"]): self._seed_blob(b)
                          for b in fx.get("blobs", ())}
            self.networks = {n["id"]: dict(n, owner=MOCK_USER,
                                           subnets=list(n["subnets"]))
                             for n in fx.get("networks", ())}
            self.subnets = {n["id"]: dict(n, owner=MOCK_USER)
                            for n in fx.get("subnets", ())}
            self.network_interfaces = {
                n["id"]: dict(n, owner=MOCK_USER)
                for n in fx.get("network_interfaces", ())}
            self.load_balancers = {}
            self._serial = 0
            self.observer.reset()

    @staticmethod
    def _seed_instance(inst):
        profile = inst.pop("instance_profile")
        inst.pop("actions", None)  # recomputed from the state
        inst.update(hwp_id=profile["id"], hwp_overrides=profile["overrides"],
                    keyname=inst.get("keyname"), user_data=None,
                    firewalls=[])
        inst.setdefault("network_interfaces", [])
        inst.setdefault("storage_volumes", [])
        return inst

    @staticmethod
    def _seed_blob(blob):
        metadata = blob.get("user_metadata") or {}
        return {"id": blob["id"], "bucket": blob["bucket"],
                "owner": MOCK_USER, "content": blob["content"].encode(),
                "content_type": blob["content_type"],
                "last_modified": blob["last_modified"],
                "user_metadata": dict(metadata)}

    # -- helpers --------------------------------------------------------------

    def _owned(self, table, key, user, error=not_found):
        """``table[key]`` if ``user`` owns it; otherwise ``error()``:
        someone else's object looks exactly like a missing one.  The
        error names the collection and id that were missing
        (``collection``, ``ident``), for drivers that word it."""
        obj = table.get(key)
        if obj is None or obj["owner" if "owner" in obj else "owner_id"] \
                != user:
            exc = error()
            exc.collection = next((name for attr, name in TABLES.items()
                                   if getattr(self, attr, None) is table),
                                  None)
            exc.ident = key[1] if isinstance(key, tuple) else key
            raise exc
        return obj

    def _new_id(self, prefix, table):
        """``<prefix><unix seconds>`` as the real mock makes them, with a
        suffix when the second is already taken (the real ids collide)."""
        ident = f"{prefix}{int(self.clock())}"
        while ident in table:
            self._serial += 1
            ident = f"{prefix}{int(self.clock())}_{self._serial}"
        return ident

    def _store(self, instance, **changes):
        """Store ``instance`` with ``changes`` as a new snapshot with a new
        version and return it: stored instances are never changed in
        place (snapshot readers hold them outside the lock), so every
        change, nested ones too, goes through here."""
        snapshot = {**instance, **changes, "version": next(self._versions)}
        self.instances[snapshot["id"]] = snapshot
        self._listed.clear()
        if "pending" in snapshot:
            self._pending.add(snapshot["id"])
        else:
            self._pending.discard(snapshot["id"])
        return snapshot

    def _drop(self, ident):
        """Remove a stored instance, with the bookkeeping :meth:`_store`
        keeps (pending set, listings)."""
        del self.instances[ident]
        self._pending.discard(ident)
        self._listed.clear()

    # -- realms and hardware profiles (public) --------------------------------

    def _error_hook(self, ident):
        """Realm ids 500, 501, 502 and 504 fail, as the real mock's test
        hooks do (for a show and for an ``id`` filter alike)."""
        trigger = self.fixtures["realm_error_triggers"].get(ident)
        if isinstance(trigger, dict):
            raise MockError(trigger["status"], trigger["message"])

    @locked
    def realm(self, ident):
        self._error_hook(ident)
        if ident not in self.realms:
            raise not_found()
        return self.realms[ident]

    @locked
    def list_realms(self, ident=None):
        self._error_hook(ident)
        return [r for r in self.realms.values()
                if ident is None or r["id"] == ident]

    @locked
    def hardware_profile(self, ident):
        if ident not in self.hardware_profiles:
            raise not_found()
        return self.hardware_profiles[ident]

    @locked
    def list_hardware_profiles(self, architecture=None, ident=None,
                               profiles=None):
        """Sorted as the real list view sorts them; ``profiles`` is
        another driver's table (default: the fixtures')."""
        def sort_key(profile):
            props = {p["name"]: p for p in profile["properties"]}
            if "cpu" not in props or "memory" not in props:
                return (1, 0.0, 0.0)
            return (0, *(float(props[n].get("value", props[n].get(
                "default"))) for n in ("cpu", "memory")))

        def arch_matches(profile):
            for prop in profile["properties"]:
                if prop["name"] == "architecture":
                    return architecture in (prop.get("values") or
                                            [prop.get("value")])
            return False
        if profiles is None:
            profiles = self.hardware_profiles.values()
        return sorted((p for p in profiles
                       if (ident is None or p["id"] == ident) and
                       (architecture is None or arch_matches(p))),
                      key=sort_key)

    # -- images (public) ------------------------------------------------------

    @locked
    def image(self, ident, driver="mock"):
        """``driver``: images seeded for one driver show only there."""
        if ident not in self.images or \
                self.images[ident].get("driver", driver) != driver:
            raise MockError(404, "Not Found", "images", ident)
        return self.images[ident]

    @locked
    def list_images(self, user, driver="mock", **filters):
        if filters.get("owner_id") == "self":
            filters["owner_id"] = user
        return sorted((i for i in self.images.values()
                       if _matches(i, filters) and
                       i.get("driver", driver) == driver),
                      key=lambda i: (i["owner_id"], i["description"] or ""))

    @locked
    def create_image(self, user, instance_id, name=None, description=None):
        instance = self._owned(self.instances, instance_id, user)
        if not instance.get("create_image"):
            raise MockError(500, "CreateImageNotSupported")
        if not name:
            raise MockError(500, "The image needs a name (its id)")
        image = {"id": name, "name": name, "owner_id": "root",
                 "description": description, "architecture": "i386",
                 "state": "AVAILABLE"}
        self.images[name] = image
        return image

    @locked
    def destroy_image(self, user, ident, driver="mock"):
        image = self.images.get(ident)
        if image is not None and image.get("driver", driver) == driver:
            del self.images[ident]

    # -- instances ------------------------------------------------------------

    def _settle(self, instance, polled=False):
        """Move a PENDING instance on once its delay and polls are done;
        ``polled`` says an API read is about to show it.  Returns the
        instance as stored now."""
        pending = instance.get("pending")
        if pending is None:
            return instance
        if polled and pending["polls_left"] > 0:
            return self._store(instance, pending=dict(
                pending, polls_left=pending["polls_left"] - 1))
        if pending["polls_left"] <= 0 and \
                self.clock() >= pending["until"]:
            instance = {k: v for k, v in instance.items() if k != "pending"}
            instance = self._store(instance, state="RUNNING")
            self._running(instance)
        return instance

    def _running(self, instance):
        if instance["state"] == "RUNNING":
            self.observer.instance_running(instance["id"],
                                           instance["user_data"])

    @locked_snapshot
    def instance_snapshot(self, user, ident):
        """:meth:`instance`, uncopied: read-only."""
        return self._settle(self._owned(self.instances, ident, user),
                            polled=True)

    def list_instance_snapshots(self, user, **filters):
        """:meth:`list_instances`, uncopied: read-only.  The user's
        stored instances are looked for once after each change (under the
        lock, which every change clears ``_listed`` under); filters apply
        outside it."""
        with self.lock:
            if self._pending:  # settled in the stored order, as before
                for ident in [i for i in self.instances if i in
                              self._pending and
                              self.instances[i]["owner_id"] == user]:
                    self._settle(self.instances[ident], polled=True)
            mine = self._listed.get(user)
            if mine is None:
                mine = self._listed[user] = Listing(
                    (i for i in self.instances.values()
                     if i["owner_id"] == user),
                    ("instances", next(self._listing_keys)))
        if not filters:
            return Listing(mine, mine.listing_key)
        return [i for i in mine if _matches(i, filters)]

    @locked
    def instance(self, user, ident):
        return self.instance_snapshot(user, ident)

    @locked
    def list_instances(self, user, **filters):
        return self.list_instance_snapshots(user, **filters)

    def _next_instance_id(self):
        number = 0
        while f"inst{number}" in self.instances:
            number += 1
        return f"inst{number}"

    @locked
    def create_instance(self, user, image_id, *, hwp_id=None, realm_id=None,
                        name=None, keyname=None, user_data=None,
                        initial_state=None, overrides=None, firewalls=(),
                        profiles=None, default_hwp="m1-small",
                        default_realm=None, root_type=None):
        """``profiles`` (ids) and ``default_hwp``/``default_realm`` are
        the driver's when it is not the mock's."""
        hwp_id = default_hwp if hwp_id is None else hwp_id
        if hwp_id not in (self.hardware_profiles if profiles is None
                          else profiles):
            raise MockError(400, f"Hardware profile '{hwp_id}' does not "
                                 "exists.")
        ident = self._next_instance_id()
        state = initial_state or "RUNNING"
        instance = {
            "id": ident, "owner_id": user, "image_id": image_id,
            "name": name if name is not None else f"i-{int(self.clock())}",
            "realm_id": realm_id if realm_id is not None else
            default_realm or next(iter(self.realms)),
            "state": "RUNNING" if state == "STARTED" else state,
            "hwp_id": hwp_id, "hwp_overrides": dict(overrides or {}),
            "create_image": True, "storage_volumes": [],
            "network_interfaces": [], "keyname": keyname,
            "firewalls": list(firewalls), "root_type": root_type,
            "user_data": None if user_data is None
            else decode_user_data(user_data)}
        instance["public_addresses"] = [hostname_address(instance,
                                                         "public")]
        instance["private_addresses"] = [hostname_address(instance,
                                                          "private")]
        if instance["state"] == "RUNNING" and (self.state_delay or
                                               self.pending_polls):
            instance["state"] = "PENDING"
            instance["pending"] = {
                "until": self.clock() + self.state_delay,
                "polls_left": self.pending_polls}
        instance = self._store(instance)
        self._running(instance)
        return instance

    @locked
    def instance_action(self, user, ident, action, transitions=None):
        """start, stop, reboot or destroy, as the real API layer allows.

        A missing (or someone else's) instance is 403 and an action the
        state machine does not offer in the current state is 405.  Returns
        the changed instance, or None when it was destroyed.
        """
        instance = self._settle(self._owned(
            self.instances, ident, user,
            error=lambda: MockError(403, "Forbidden")))
        if callable(transitions):
            transitions = transitions(instance)
        transitions = TRANSITIONS if transitions is None else transitions
        key = (instance["state"].upper(), action)
        if key not in transitions:
            raise MockError(405, "Method Not Allowed")
        new_state = transitions[key]
        if new_state is None:
            self._drop(ident)
            for nic in instance["network_interfaces"]:
                self.network_interfaces.pop(nic, None)
            self.observer.instance_gone(ident)
            return None
        instance = self._store(instance, state=new_state)
        self._running(instance)
        return instance

    def run_on_instance(self, user, ident, command):
        """What the mock driver's ``run`` answers (the handler has read
        the instance): no command runs."""
        return (f"This is where the output from '{command}' would appear "
                "if this were not a mock provider")

    @locked
    def set_instance_state(self, ident, state):
        """Control plane: force any instance into any state."""
        if ident not in self.instances:
            raise not_found()
        instance = {k: v for k, v in self.instances[ident].items()
                    if k != "pending"}
        instance = self._store(instance, state=state.upper())
        self._running(instance)
        return instance

    @locked
    def any_instance(self, ident):
        """Control plane: any user's instance; not counted as a poll."""
        if ident not in self.instances:
            raise not_found()
        return self._settle(self.instances[ident])

    @locked
    def all_instances(self):
        """Every user's instances; looking does not count as a poll."""
        for instance in list(self.instances.values()):
            self._settle(instance)
        return list(self.instances.values())

    # -- keys (per-user names) ------------------------------------------------

    @locked
    def key(self, user, ident):
        return self._owned(self.keys, (user, ident), user)

    @locked
    def list_keys(self, user, **filters):
        return [k for k in self.keys.values()
                if k["owner"] == user and _matches(k, filters)]

    @locked
    def create_key(self, user, name):
        if (user, name) in self.keys:
            raise MockError(403, "Key with same name already exists")
        key = {"id": name, "owner": user, "credential_type": "key",
               "fingerprint": fake_fingerprint(), "pem": fake_pem()}
        self.keys[(user, name)] = key
        return key

    @locked
    def destroy_key(self, user, ident):
        self._owned(self.keys, (user, ident), user)
        del self.keys[(user, ident)]

    # -- addresses (global IPs, owned) ----------------------------------------

    @locked
    def address(self, user, ident):
        return self._owned(self.addresses, ident, user)

    @locked
    def list_addresses(self, user, **filters):
        return [a for a in self.addresses.values()
                if a["owner"] == user and _matches(a, filters)]

    @locked
    def create_address(self, user):
        highest = max((ipaddress.ip_address(a) for a in self.addresses),
                      default=ADDRESS_FLOOR)
        address = {"id": str(highest + 1), "instance_id": None,
                   "owner": user}
        self.addresses[address["id"]] = address
        return address

    @locked
    def associate_address(self, user, ident, instance_id):
        address = self._owned(self.addresses, ident, user)
        if address["instance_id"]:
            raise MockError(403, "AddressInUse")
        instance = self._owned(self.instances, instance_id, user)
        address["instance_id"] = instance_id
        self._store(instance, public_addresses=[{"address": ident,
                                                  "type": "ipv4"}])

    @locked
    def disassociate_address(self, user, ident):
        address = self._owned(self.addresses, ident, user)
        if not address["instance_id"]:
            raise MockError(403, "AddressNotInUse")
        instance = self.instances.get(address["instance_id"])
        if instance is not None:
            self._store(instance, public_addresses=[
                hostname_address(instance, "public")])
        address["instance_id"] = None

    @locked
    def destroy_address(self, user, ident):
        address = self._owned(self.addresses, ident, user)
        if address["instance_id"]:
            raise MockError(403, "AddressInUse")
        del self.addresses[ident]

    @locked
    def all_addresses(self):
        return list(self.addresses.values())

    # -- storage volumes ------------------------------------------------------

    @locked
    def volume(self, user, ident):
        return self._owned(self.volumes, ident, user)

    @locked
    def list_volumes(self, user, **filters):
        return [v for v in self.volumes.values()
                if v["owner"] == user and _matches(v, filters)]

    @locked
    def create_volume(self, user, capacity=None, name=None,
                      description=None):
        ident = self._new_id("volume_", self.volumes)
        volume = {"id": ident, "owner": user,
                  "name": name or f"Volume{ident}",
                  "capacity": str(capacity or "1"), "state": "AVAILABLE",
                  "device": None, "instance_id": None, "realm_id": None,
                  "description": description,
                  "created": ruby_time(self.clock())}
        self.volumes[ident] = volume
        return volume

    @locked
    def attach_volume(self, user, ident, instance_id, device):
        volume = self._owned(self.volumes, ident, user)
        instance = self._owned(self.instances, instance_id, user)
        volume.update(state="IN-USE", instance_id=instance_id,
                      device=device)
        self._store(instance, storage_volumes=[
            *instance["storage_volumes"], {"id": ident, "device": device}])
        return volume

    @locked
    def detach_volume(self, user, ident):
        volume = self._owned(self.volumes, ident, user)
        instance = self.instances.get(volume["instance_id"])
        if instance is not None:
            self._store(instance, storage_volumes=[
                v for v in instance["storage_volumes"] if v["id"] != ident])
        volume.update(state="AVAILABLE", instance_id=None, device=None)
        return volume

    @locked
    def destroy_volume(self, user, ident):
        if ident in self.volumes:
            self._owned(self.volumes, ident, user)
            del self.volumes[ident]

    # -- storage snapshots ----------------------------------------------------

    @locked
    def snapshot(self, user, ident):
        return self._owned(self.snapshots, ident, user)

    @locked
    def list_snapshots(self, user, **filters):
        return [s for s in self.snapshots.values()
                if s["owner"] == user and _matches(s, filters)]

    @locked
    def create_snapshot(self, user, volume_id, name=None, description=None):
        self._owned(self.volumes, volume_id, user)
        snapshot = {"id": self._new_id("store_snapshot_", self.snapshots),
                    "owner": user, "storage_volume_id": volume_id,
                    "state": "COMPLETED", "name": name,
                    "description": description,
                    "created": ruby_time(self.clock())}
        self.snapshots[snapshot["id"]] = snapshot
        return snapshot

    @locked
    def destroy_snapshot(self, user, ident):
        if ident in self.snapshots:
            self._owned(self.snapshots, ident, user)
            del self.snapshots[ident]

    # -- firewalls (per-user names; off unless switched on) -------------------

    @locked
    def firewall(self, user, ident):
        return self._owned(self.firewalls, (user, ident), user)

    @locked
    def default_firewall(self, user):
        """An EC2 account's ``default`` security group, made on first
        sight: it admits traffic from its own members."""
        if (user, "default") not in self.firewalls:
            self.firewalls[(user, "default")] = {
                "id": "default", "name": "default", "owner": user,
                "description": "default group", "rules": []}
            for protocol, low, high in (("tcp", "0", "65535"),
                                        ("udp", "0", "65535"),
                                        ("icmp", "-1", "-1")):
                self.add_firewall_rule(user, "default", protocol, low, high,
                                       [{"type": "group", "name": "default",
                                         "owner": user}])

    @locked
    def list_firewalls(self, user, **filters):
        return [f for f in self.firewalls.values()
                if f["owner"] == user and _matches(f, filters)]

    @locked
    def create_firewall(self, user, name, description):
        if (user, name) in self.firewalls:
            raise MockError(409, "Firewall already exists")
        firewall = {"id": name, "name": name, "owner": user,
                    "description": description, "rules": []}
        self.firewalls[(user, name)] = firewall
        return firewall

    @locked
    def add_firewall_rule(self, user, ident, protocol, port_from, port_to,
                          sources):
        firewall = self._owned(self.firewalls, (user, ident), user)
        self._serial += 1
        firewall["rules"].append({
            "id": f"rule{self._serial}", "protocol": protocol,
            "port_from": port_from, "port_to": port_to,
            "sources": list(sources)})
        return firewall

    @locked
    def delete_firewall_rule(self, user, ident, rule_id):
        firewall = self._owned(self.firewalls, (user, ident), user)
        rules = [r for r in firewall["rules"] if r["id"] != rule_id]
        if len(rules) == len(firewall["rules"]):
            raise not_found()
        firewall["rules"] = rules

    @locked
    def destroy_firewall(self, user, ident):
        self._owned(self.firewalls, (user, ident), user)
        del self.firewalls[(user, ident)]

    # -- buckets and blobs (bucket names are global, as in S3) ----------------

    def _bucket(self, user, ident):
        return self._owned(self.buckets, ident, user)

    def _blob_ids(self, ident):
        return [blob for bucket, blob in self.blobs if bucket == ident]

    def _with_blobs(self, bucket):
        blob_ids = self._blob_ids(bucket["id"])
        return dict(bucket, blob_list=blob_ids, size=len(blob_ids))

    @locked
    def bucket(self, user, ident):
        return self._with_blobs(self._bucket(user, ident))

    @locked
    def list_buckets(self, user, **filters):
        return [self._with_blobs(b) for b in self.buckets.values()
                if b["owner"] == user and _matches(b, filters)]

    @locked
    def create_bucket(self, user, name, location=None):
        if name in self.buckets:
            raise MockError(409, f"Bucket '{name}' already exists")
        self.buckets[name] = {"id": name, "name": name, "owner": user,
                              "location": location}
        return self._with_blobs(self.buckets[name])

    @locked
    def destroy_bucket(self, user, ident):
        if ident not in self.buckets or \
                self.buckets[ident]["owner"] != user:
            raise MockError(404, "BucketNotExist")
        if self._blob_ids(ident):
            raise MockError(403, "Delete operation not valid for non-empty "
                                 "bucket")
        del self.buckets[ident]

    @locked
    def blob(self, user, bucket, ident):
        self._bucket(user, bucket)
        if (bucket, ident) not in self.blobs:
            raise not_found()
        return self.blobs[(bucket, ident)]

    @locked
    def create_blob(self, user, bucket, ident, content, content_type,
                    metadata):
        if bucket not in self.buckets or \
                self.buckets[bucket]["owner"] != user:
            raise MockError(404, "BucketNotExist")
        blob = {"id": ident, "bucket": bucket, "owner": user,
                "content": bytes(content), "content_type": content_type,
                "last_modified": ruby_time(self.clock()),
                "user_metadata": dict(metadata)}
        self.blobs[(bucket, ident)] = blob
        return blob

    @locked
    def destroy_blob(self, user, bucket, ident):
        if bucket in self.buckets and \
                self.buckets[bucket]["owner"] != user:
            raise MockError(404, "BucketNotExist")
        if (bucket, ident) not in self.blobs:
            raise MockError(500, "Could not delete a non existent blob")
        del self.blobs[(bucket, ident)]

    @locked
    def update_blob_metadata(self, user, bucket, ident, metadata):
        blob = self.blob(user, bucket, ident)
        self.blobs[(bucket, ident)]["user_metadata"] = dict(metadata)
        return blob

    # -- networks, subnets, network interfaces --------------------------------

    @locked
    def network(self, user, ident):
        return self._owned(self.networks, ident, user)

    @locked
    def list_networks(self, user, **filters):
        return [n for n in self.networks.values()
                if n["owner"] == user and _matches(n, filters)]

    @locked
    def create_network(self, user, name=None, address_block=None):
        ident = name or self._new_id("net_", self.networks)
        if ident in self.networks:
            raise MockError(409, f"Network '{ident}' already exists")
        network = {"id": ident, "name": ident, "owner": user,
                   "address_blocks": [address_block], "state": "UP",
                   "subnets": []}
        self.networks[ident] = network
        return network

    @locked
    def destroy_network(self, user, ident):
        network = self._owned(self.networks, ident, user)
        for subnet in network["subnets"]:
            self.subnets.pop(subnet, None)
        del self.networks[ident]

    @locked
    def subnet(self, user, ident):
        return self._owned(self.subnets, ident, user)

    @locked
    def list_subnets(self, user, **filters):
        return [n for n in self.subnets.values()
                if n["owner"] == user and _matches(n, filters)]

    @locked
    def create_subnet(self, user, network_id, address_block, name=None):
        network = self._owned(self.networks, network_id, user)
        ident = name or self._new_id("subnet_", self.subnets)
        if ident in self.subnets:
            raise MockError(409, f"Subnet '{ident}' already exists")
        subnet = {"id": ident, "name": ident, "owner": user,
                  "network": network_id, "address_block": address_block,
                  "type": "PRIVATE", "state": "UP"}
        self.subnets[ident] = subnet
        network["subnets"].append(ident)
        return subnet

    @locked
    def destroy_subnet(self, user, ident):
        subnet = self._owned(self.subnets, ident, user)
        network = self.networks.get(subnet["network"])
        if network is not None and ident in network["subnets"]:
            network["subnets"].remove(ident)
        del self.subnets[ident]

    @locked
    def network_interface(self, user, ident):
        return self._owned(self.network_interfaces, ident, user)

    @locked
    def list_network_interfaces(self, user, **filters):
        return [n for n in self.network_interfaces.values()
                if n["owner"] == user and _matches(n, filters)]

    @locked
    def create_network_interface(self, user, instance_id, network,
                                 name=None, subnet=None):
        """``subnet`` picks the address block; the real driver reads it
        but does not declare it (and crashes without it), so the
        ``network`` parameter stands in for it when absent."""
        instance = self._owned(self.instances, instance_id, user)
        block_of = self._owned(self.subnets, subnet or network, user)
        ident = name or self._new_id("nic_", self.network_interfaces)
        if ident in self.network_interfaces:
            raise MockError(409, f"Network interface '{ident}' already "
                                 "exists")
        hosts = list(ipaddress.ip_network(block_of["address_block"],
                                          strict=False).hosts())
        address = str(hosts[secrets.randbelow(len(hosts))]) if hosts \
            else block_of["address_block"].partition("/")[0]
        nic = {"id": ident, "name": ident, "owner": user,
               "instance": instance_id, "network": network,
               "ip_address": address}
        if subnet:
            nic["subnet"] = subnet
        self.network_interfaces[ident] = nic
        self._store(instance, network_interfaces=[
            *instance["network_interfaces"], ident])
        return nic

    @locked
    def destroy_network_interface(self, user, ident):
        nic = self._owned(self.network_interfaces, ident, user)
        instance = self.instances.get(nic["instance"])
        if instance is not None and ident in instance["network_interfaces"]:
            self._store(instance, network_interfaces=[
                n for n in instance["network_interfaces"] if n != ident])
        del self.network_interfaces[ident]

    # -- load balancers (per-user names; the ec2 driver's ELB) ----------------

    @locked
    def load_balancer(self, user, ident):
        return self._owned(self.load_balancers, (user, ident), user,
                           error=lambda: MockError(
                               404, "LoadBalancerNotFound: There is no "
                                    f"ACTIVE Load Balancer named '{ident}'"))

    @locked
    def list_load_balancers(self, user, **filters):
        return [b for b in self.load_balancers.values()
                if b["owner"] == user and _matches(b, filters)]

    @locked
    def create_load_balancer(self, user, name, realm_id, protocol,
                             balancer_port, instance_port, region):
        if (user, name) in self.load_balancers:
            raise MockError(409, "DuplicateLoadBalancerName: Load balancer "
                                 f"'{name}' already exists")
        self._serial += 1
        balancer = {
            "id": name, "owner": user, "realms": [realm_id],
            "listeners": [{"protocol": protocol,
                           "load_balancer_port": balancer_port,
                           "instance_port": instance_port}],
            "instances": [], "created_at": ruby_time(self.clock()),
            "public_addresses": [f"{name}-{self._serial}.{region}.elb."
                                 "amazonaws.com"]}
        self.load_balancers[(user, name)] = balancer
        return balancer

    @locked
    def register_instance(self, user, ident, instance_id, register=True):
        balancer = self.load_balancer(user, ident)
        self._owned(self.instances, instance_id, user)
        stored = self.load_balancers[(user, ident)]
        if register and instance_id not in stored["instances"]:
            stored["instances"].append(instance_id)
        elif not register and instance_id in stored["instances"]:
            stored["instances"].remove(instance_id)
        return dict(balancer, instances=list(stored["instances"]))

    @locked
    def destroy_load_balancer(self, user, ident):
        """An unknown name is quietly done, as the real driver's
        ``destroy_load_balancer`` returns instead of raising."""
        self.load_balancers.pop((user, ident), None)
