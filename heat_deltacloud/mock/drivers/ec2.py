"""The ``ec2`` driver: ``server/lib/deltacloud/drivers/ec2/ec2_driver.rb``
(and its entry in ``server/config/drivers/ec2.yaml``).

What the emulation takes from that source:

* ``/api``: every collection the driver implements, load balancers
  (Elastic Load Balancing) included, with its declared features
  (``instances``: metrics, user_data, firewalls, authentication_key,
  instance_count, attach_snapshot; ``images``: owner_id, image_name,
  image_description; ``buckets``: bucket_location).  No ``user_name``:
  EC2 names nothing, so ``name`` is ignored on create.
* Its hardware profiles (``t1.micro`` ... ``m2.4xlarge``), with the
  architecture as an enum where the driver lists two.
* Realms: the provider's availability zones (``us-east-1`` unless
  ``X-Deltacloud-Provider`` names another region), state ``available``.
* The state machine (stop passes through ``stopping``) and
  ``instance_actions_for``: an instance-store instance (an image whose
  ``root_type`` is ``transient``, as every mock image is) offers
  ``destroy`` instead of ``stop`` and never ``start``, so a RUNNING
  instance is destroyed directly; an EBS-backed one (``persistent``)
  stops, starts, and is destroyed once stopped.
* Instances as ``convert_instance`` shows them: named after their image
  (EC2 names nothing), ``create_image`` only when EBS-backed and
  RUNNING, in the ``default`` firewall when launched in none.
* A ``default`` firewall (security group) in every account, and one
  EBS-backed image of its own, ``ami-2b5fba42`` (the image the
  Deltacloud suite's ``config.yaml`` prefers for ec2), besides the
  cloud's images.
* Error shapes: a write naming a missing object fails as AWS does, its
  code in the message (``InvalidInstanceID.NotFound: The instance ID
  'x' does not exist``...), which the driver's ``exceptions`` block maps
  to 404 (``/NotFound/``); deleting a missing volume, snapshot or image
  is such an error too.  Reads of a missing object stay a bare 404
  ``Not Found``, as the driver returns nil for them.  Without ``hwp_id``
  EC2 launches ``m1.small``.
"""

from heat_deltacloud.mock.drivers import Driver, feature_table, state_machine

DEFAULT_REGION = "us-east-1"
ZONES = ("a", "b", "c", "d")
REGIONS = ("us-west-1", "us-west-2", "ap-southeast-1", "ap-northeast-1",
           "eu-west-1", "us-east-1", "sa-east-1")


def _hwp(ident, cpu, memory, storage, architecture, root_type=None):
    def fixed(name, unit, value):
        return {"name": name, "kind": "fixed", "unit": unit, "value": value}
    props = [fixed("cpu", "count", cpu), fixed("memory", "MB", memory),
             fixed("storage", "GB", storage)]
    if isinstance(architecture, list):
        props.append({"name": "architecture", "kind": "enum",
                      "unit": "label", "values": architecture,
                      "default": architecture[0]})
    else:
        props.append(fixed("architecture", "label", architecture))
    if root_type:
        props.append(fixed("root_type", None, root_type))
    return {"id": ident, "name": ident, "properties": props}


BOTH = ["i386", "x86_64"]
HARDWARE_PROFILES = [
    _hwp("t1.micro", 1, 613, 160, BOTH, "persistent"),
    _hwp("m1.small", 1, 1.7 * 1024, 160, BOTH),
    _hwp("m1.medium", 2, 3.75 * 1024, 410, BOTH),
    _hwp("m1.large", 4, 7.5 * 1024, 850, "x86_64"),
    _hwp("m1.xlarge", 8, 15 * 1024, 1690, "x86_64"),
    _hwp("c1.medium", 5, 1.7 * 1024, 350, BOTH),
    _hwp("c1.xlarge", 20, 7 * 1024, 1690, "x86_64"),
    _hwp("m2.xlarge", 6.5, 17.1 * 1024, 420, "x86_64"),
    _hwp("m2.2xlarge", 13, 34.2 * 1024, 850, "x86_64"),
    _hwp("m2.4xlarge", 26, 68.4 * 1024, 1690, "x86_64"),
]


def rule_id(firewall, rule):
    """``firewall_rule_id``: the rule's content as its id,
    ``owner~protocol~from~to~@address,ipv4,10.0.0.0,8,@group,owner,name``
    (EC2 gives rules no ids)."""
    sources = ",".join(
        f"@group,{s.get('owner')},{s.get('name')}" if s["type"] == "group"
        else f"@address,{s.get('family')},{s.get('address')},"
             f"{s.get('prefix')}" for s in rule["sources"])
    return (f"{firewall['owner']}~{rule['protocol']}~{rule['port_from']}~"
            f"{rule['port_to']}~{sources}")


def present_instance(instance):
    """``convert_instance``: the name is the image id, an image can be
    made only of a RUNNING EBS-backed instance, and an instance launched
    in no security group is in ``default``."""
    shown = dict(instance)
    shown["name"] = instance["image_id"]
    shown["create_image"] = (instance.get("root_type") == "persistent" and
                             instance["state"].upper() == "RUNNING")
    shown["firewalls"] = list(instance.get("firewalls") or ["default"])
    return shown


def region(provider=None):
    return provider if provider in REGIONS else DEFAULT_REGION


def realms(provider=None):
    """The availability zones of ``provider`` (a region)."""
    name = region(provider)
    return [{"id": f"{name}{zone}", "name": f"{name}{zone}",
             "state": "available", "limit": "unlimited"} for zone in ZONES]


COLLECTIONS = ("instances", "realms", "hardware_profiles", "images",
               "instance_states", "keys", "addresses", "storage_volumes",
               "storage_snapshots", "drivers", "buckets", "metrics",
               "networks", "subnets", "network_interfaces", "firewalls",
               "load_balancers")
_FEATURES = feature_table({
    ("instances", "user_data"), ("instances", "authentication_key"),
    ("instances", "firewalls"), ("instances", "instance_count"),
    ("instances", "metrics"), ("instances", "attach_snapshot"),
    ("images", "owner_id"), ("images", "image_name"),
    ("images", "image_description"), ("buckets", "bucket_location")})

ENTRYPOINTS = {
    kind: {region: host.format(region=region) if region != "us-east-1"
           or kind != "s3" else "s3.amazonaws.com" for region in REGIONS}
    for kind, host in (("s3", "s3-{region}.amazonaws.com"),
                       ("elb", "elasticloadbalancing.{region}."
                               "amazonaws.com"),
                       ("ec2", "ec2.{region}.amazonaws.com"),
                       ("mon", "monitoring.{region}.amazonaws.com"))}

IMAGES = ({"id": "ami-2b5fba42", "name": "ami-2b5fba42",
           "description": "Fedora (EBS-backed)", "owner_id": "amazon",
           "architecture": "x86_64", "state": "AVAILABLE",
           "root_type": "persistent", "creation_time": None},)

NOT_FOUND = {
    "instances": "InvalidInstanceID.NotFound: The instance ID '{id}' does "
                 "not exist",
    "images": "InvalidAMIID.NotFound: The image id '[{id}]' does not exist",
    "storage_volumes": "InvalidVolume.NotFound: The volume '{id}' does not "
                       "exist.",
    "storage_snapshots": "InvalidSnapshot.NotFound: The snapshot '{id}' "
                         "does not exist.",
    "firewalls": "InvalidGroup.NotFound: The security group '{id}' does "
                 "not exist",
    "keys": "InvalidKeyPair.NotFound: The key pair '{id}' does not exist",
    "addresses": "InvalidAddress.NotFound: Address '{id}' not found.",
    "buckets": "NoSuchBucket: The specified bucket does not exist",
    "subnets": "InvalidSubnetID.NotFound: The subnet ID '{id}' does not "
               "exist",
    "networks": "InvalidVpcID.NotFound: The vpc ID '{id}' does not exist",
    "network_interfaces": "InvalidNetworkInterfaceID.NotFound: The "
                          "networkInterface ID '{id}' does not exist",
}

DRIVER = Driver(
    name="ec2", title="EC2",
    source="server/lib/deltacloud/drivers/ec2/ec2_driver.rb",
    catalog={name: _FEATURES.get(name, []) for name in COLLECTIONS},
    off_by_default=frozenset(),
    hardware_profiles=HARDWARE_PROFILES, realms=realms,
    state_machine=state_machine([
        ("start", "pending", None), ("pending", "running", None),
        ("running", "running", "reboot"), ("running", "stopping", "stop"),
        ("stopping", "stopped", None), ("stopped", "running", "start"),
        ("stopped", "finish", "destroy")]),
    # instance_actions_for on an instance-store instance: stop becomes
    # destroy, start is never offered.
    actions={"RUNNING": ("reboot", "destroy"), "STOPPED": ("destroy",),
             "PENDING": (), "STOPPING": ()},
    transitions={("RUNNING", "reboot"): "RUNNING",
                 ("RUNNING", "destroy"): None,
                 ("STOPPED", "destroy"): None},
    # EBS-backed: the machine as declared; the stopping phase is not
    # emulated (stop answers STOPPED, as the mock driver's does).
    persistent_actions={"RUNNING": ("reboot", "stop"),
                        "STOPPED": ("start", "destroy"), "PENDING": (),
                        "STOPPING": ()},
    persistent_transitions={("RUNNING", "reboot"): "RUNNING",
                            ("RUNNING", "stop"): "STOPPED",
                            ("STOPPED", "start"): "RUNNING",
                            ("STOPPED", "destroy"): None},
    entrypoints=ENTRYPOINTS, images=IMAGES, default_firewall=True,
    rule_id=rule_id, not_found=NOT_FOUND, strict_deletes=True,
    present_instance=present_instance,
    default_hwp="m1.small")
