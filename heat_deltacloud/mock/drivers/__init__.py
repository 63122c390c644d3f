"""The Deltacloud drivers the mock emulates, one small module each.

A real Deltacloud server fronts many drivers and picks one per request
(``X-Deltacloud-Driver``, the ``;driver=`` matrix parameter on ``/api``,
``API_DRIVER`` for the default).  The mock keeps one in-memory cloud and
presents it the way each emulated driver presents its cloud: which
collections ``/api`` lists and with which features, the hardware
profiles, realms and instance state machine, the actions an instance
offers in each state, and the driver's entry in ``/api/drivers``.

Each module (:mod:`.mock`, :mod:`.ec2`) builds one :class:`Driver` and
names the Ruby source it follows.
"""

import dataclasses

#: The features the real server knows (``server/lib/deltacloud/drivers/
#: features.rb``), in its order: (collection, feature) -> (operation,
#: parameters).  ``/api`` lists a driver's features in this order.
FEATURES = {
    ("images", "owner_id"): ("index", ["owner_id"]),
    ("images", "image_name"): ("create", ["name"]),
    ("images", "image_description"): ("create", ["description"]),
    ("buckets", "bucket_location"): ("create", ["location"]),
    ("instances", "metrics"): ("create", ["metrics"]),
    ("instances", "realm_filter"): ("index", ["realm_id"]),
    ("instances", "user_name"): ("create", ["name"]),
    ("instances", "user_data"): ("create", ["user_data"]),
    ("instances", "user_files"): ("create", ["user_files"]),
    ("instances", "user_iso"): ("create", ["user_iso"]),
    ("instances", "firewalls"): ("create", ["firewalls"]),
    ("instances", "authentication_key"): ("create", ["keyname"]),
    ("instances", "authentication_password"): ("create", ["password"]),
    ("instances", "hardware_profiles"): ("create", []),
    ("instances", "register_to_load_balancer"): ("create",
                                                 ["load_balancer_id"]),
    ("instances", "instance_count"): ("create", ["instance_count"]),
    ("instances", "attach_snapshot"): ("create", ["snapshot_id",
                                                  "device_name"]),
    ("instances", "sandboxing"): ("create", ["sandbox"]),
    ("keys", "import_key"): ("create", ["public_key"]),
    ("storage_volumes", "volume_name"): ("create", ["name"]),
    ("storage_volumes", "volume_description"): ("create", ["description"]),
}


def feature_table(declared, shown=()):
    """``{collection: [(feature, operation, params, default)]}`` in the
    order of :data:`FEATURES`; ``declared`` are the driver's features
    (advertised by default), ``shown`` extra ones the mock can switch on
    (off by default)."""
    table = {}
    for (collection, feature), (operation, params) in FEATURES.items():
        if (collection, feature) in declared:
            table.setdefault(collection, []).append(
                (feature, operation, params, True))
        elif (collection, feature) in shown:
            table.setdefault(collection, []).append(
                (feature, operation, params, False))
    return table


@dataclasses.dataclass(frozen=True)
class Driver:
    """How one real driver presents the mock's cloud.

    ``catalog`` maps each collection the driver can serve, in ``/api``
    order, to its switchable features ``(feature, operation, params,
    shown by default)``; ``off_by_default`` collections are served only
    once switched on (the mock driver's firewalls).  ``state_machine``
    has the fixtures' shape (``states``, ``transitions`` with ``from``,
    ``to`` and ``action`` or ``auto``); ``actions`` maps an upper-case
    state to the actions an instance offers in it and ``transitions``
    ``(STATE, action)`` to the state after it (``None``: the record
    goes).  ``entrypoints`` is the driver's ``server/config/drivers``
    entry (``{kind: {provider: host}}``).
    """

    name: str
    title: str
    source: str
    catalog: dict
    off_by_default: frozenset
    hardware_profiles: list
    realms: list
    state_machine: dict
    actions: dict
    transitions: dict
    entrypoints: dict = dataclasses.field(default_factory=dict)
    default_hwp: str | None = None
    #: Realm ids that raise errors (the mock driver's test hooks).
    error_hooks: dict = dataclasses.field(default_factory=dict)
    #: Actions and transitions of instances whose image is ``persistent``
    #: (EBS-backed), when they differ.
    persistent_actions: dict = None
    persistent_transitions: dict = None
    #: Images only this driver shows (seeded into the shared cloud).
    images: tuple = ()
    #: Every account has a ``default`` firewall (an EC2 security group).
    default_firewall: bool = False
    #: (firewall, rule) -> the id the driver shows for a rule; None: the
    #: mock's own (``rule<n>``).
    rule_id: object = None
    #: collection -> the message (``{id}``) of a write that names a
    #: missing object, where the cloud's own error text reaches the client.
    not_found: dict = dataclasses.field(default_factory=dict)
    #: Deleting a missing volume, snapshot or image is an error (the mock
    #: driver deletes quietly).
    strict_deletes: bool = False
    #: instance -> the instance as this driver shows it (a copy); None
    #: shows it as stored.
    present_instance: object = None

    def providers(self):
        """``{provider: {kind: host}}``, as the real ``driver_provider``
        helper turns the entrypoints around."""
        result = {}
        for kind, hosts in self.entrypoints.items():
            for provider, host in hosts.items():
                result.setdefault(provider, {})[kind] = host
        return result

    def _persistent(self, instance):
        return self.persistent_actions is not None and \
            instance.get("root_type") == "persistent"

    def actions_for(self, instance):
        """The actions ``instance`` offers in its state."""
        table = self.persistent_actions if self._persistent(instance) \
            else self.actions
        return table.get(instance["state"].upper(), ())

    def transitions_for(self, instance):
        return self.persistent_transitions if self._persistent(instance) \
            else self.transitions

    def has_feature(self, collection, feature):
        return any(f == feature and default for f, _, _, default in
                   self.catalog.get(collection, ()))


def state_machine(transitions):
    """The fixtures' machine shape from ``[(from, to, action|None)]``
    (``None``: automatic), states in order of first appearance."""
    states = []
    for source, target, _ in transitions:
        for state in (source, target):
            if state not in states:
                states.append(state)
    return {"states": states, "transitions": [
        {"from": s, "to": t, "auto": True} if a is None else
        {"from": s, "to": t, "action": a} for s, t, a in transitions]}


def class_name(driver):
    """``Deltacloud::Drivers::<Camel>``: what an unknown driver's 500
    names, as Ruby's ``const_get`` reports it."""
    return "".join(part.capitalize() for part in driver.split("_"))


def _load():
    from heat_deltacloud.mock.drivers import ec2, mock
    return {d.name: d for d in (mock.DRIVER, ec2.DRIVER)}


#: name -> :class:`Driver`, in ``/api/drivers`` order.
DRIVERS = _load()
DEFAULT = "mock"


def get(name):
    """The emulated driver called ``name`` (lower case), or None."""
    return DRIVERS.get(name)
