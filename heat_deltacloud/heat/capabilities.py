"""What each Heat resource type needs from the Deltacloud driver.

One table: resource type -> the collection it is built on, and the
features whose absence limits it (with what is lost).  The doctor derives
the capability matrix from it and a driver's ``/api``.
"""

import dataclasses

#: (collection, feature) pairs a server uses, with what is lost without.
SERVER_FEATURES = (
    ("instances", "user_name", "names not kept (instances get the "
                               "driver's names)"),
    ("instances", "user_data", "user data refused (or dropped with "
                               "ignore_unsupported_user_data)"),
    ("instances", "authentication_key", "key_name / KeyName refused"),
    ("instances", "firewalls", "security_groups / SecurityGroups "
                               "refused"),
)

#: resource type -> (collection required, limiting features)
RESOURCE_TYPES = {
    "AWS::EC2::Instance": ("instances", SERVER_FEATURES),
    "OS::Nova::Server": ("instances", SERVER_FEATURES),
    "OS::Nova::KeyPair": ("keys", (
        ("keys", "import_key", "public_key (import) refused"),)),
    "AWS::EC2::EIP": ("addresses", ()),
    "AWS::EC2::EIPAssociation": ("addresses", ()),
    "OS::Nova::FloatingIP": ("addresses", ()),
    "OS::Nova::FloatingIPAssociation": ("addresses", ()),
    "AWS::EC2::Volume": ("storage_volumes", ()),
    "AWS::EC2::VolumeAttachment": ("storage_volumes", ()),
    "OS::Cinder::Volume": ("storage_volumes", (
        ("storage_volumes", "volume_name", "volume names not kept"),)),
    "OS::Cinder::VolumeAttachment": ("storage_volumes", ()),
    "AWS::EC2::SecurityGroup": ("firewalls", ()),
}

#: Limits whatever the driver: Deltacloud has no counterpart.
ALWAYS_IGNORED = {
    "AWS::EC2::Instance": "Tags kept nowhere; NetworkInterfaces, SubnetId "
                          "and Volumes-with-devices refused",
    "OS::Nova::Server": "metadata kept nowhere; networks, "
                        "block_device_mapping, personality, "
                        "scheduler_hints refused",
    "AWS::EC2::Volume": "Tags kept nowhere",
    "AWS::EC2::SecurityGroup": "egress rules refused",
}


@dataclasses.dataclass(frozen=True)
class Capability:
    resource_type: str
    support: str              # supported | partial | unsupported
    notes: tuple

    def as_dict(self):
        return {"resource_type": self.resource_type,
                "support": self.support, "notes": list(self.notes)}


def matrix(api):
    """The capability of every mapped resource type on a driver's ``/api``."""
    result = []
    for resource_type, (collection, features) in RESOURCE_TYPES.items():
        if not api.supports(collection):
            result.append(Capability(
                resource_type, "unsupported",
                (f"the driver has no '{collection}' collection",)))
            continue
        notes = [f"no '{feature}' feature: {lost}"
                 for coll, feature, lost in features
                 if not api.supports(coll, feature)]
        if resource_type in ALWAYS_IGNORED:
            notes.append(ALWAYS_IGNORED[resource_type])
        missing = any(not api.supports(c, f) for c, f, _ in features)
        result.append(Capability(resource_type,
                                 "partial" if missing or notes else
                                 "supported", tuple(notes)))
    return result
