"""What a Deltacloud driver lets each Heat resource type and property do.

The property lists come from Heat's own resource registry, so every
property a template can use is named; the table here says only how the
properties that are not plainly supported fare, and which ``/api``
collection or feature decides.  :func:`matrix` combines both with a
driver's ``/api``; ``heat-deltacloud doctor`` prints the result.

``tests/doctor/test_capability_claims.py`` runs each kind of claim
(supported, ignored, rejected for want of a feature or always, and each
change on update that fails or needs the REPLACE policy) on real Heat 27
and the mock.
"""

import dataclasses
import logging

from heat_deltacloud.deltacloud.client import UNADVERTISED

SUPPORTED, PARTIAL, IGNORED, REJECTED, UNSUPPORTED = (
    "supported", "partial", "ignored", "rejected", "unsupported")


@dataclasses.dataclass(frozen=True)
class Rule:
    """How one property fares.

    ``status`` applies when the driver has ``needs`` (a ``(collection,
    feature)`` pair; feature None means the collection alone), or always
    when ``needs`` is empty; ``without`` applies when it lacks it.
    ``droppable`` marks user data, which ``ignore_unsupported_user_data``
    turns from rejected into ignored.  ``param`` is the create parameter
    of the feature: a driver known to honour it without advertising the
    feature (:data:`~heat_deltacloud.deltacloud.client.UNADVERTISED`, the
    mock driver's volume names) has it.  ``on_update`` says how changing
    the property on a stack update fails where create honours or ignores
    it (a supported property is then partial).
    """

    why: str
    status: str = SUPPORTED
    needs: tuple = ()
    without: str = REJECTED
    droppable: bool = False
    param: str | None = None
    on_update: str = ""

    def has(self, api):
        return not self.needs or _has(api, *self.needs, self.param)

    def judge(self, api, ignore_unsupported_user_data=False):
        """``(status, reason)`` on a driver's ``/api``."""
        status, reason = self._at_create(api, ignore_unsupported_user_data)
        if not self.on_update:
            return status, reason
        return (PARTIAL if status == SUPPORTED else status,
                f"{reason}; {self.on_update}" if reason else self.on_update)

    def _at_create(self, api, ignore_unsupported_user_data):
        if self.has(api):
            return self.status, "" if self.status == SUPPORTED else self.why
        collection, feature = self.needs
        lacking = (f"the driver has no '{collection}' collection"
                   if feature is None else
                   f"the driver lacks the '{feature}' feature of "
                   f"'{collection}'")
        if self.droppable and ignore_unsupported_user_data:
            return IGNORED, (f"{lacking}: dropped "
                             "(ignore_unsupported_user_data)")
        return self.without, f"{lacking}: {self.why}"


def rejected(why):
    return Rule(why, REJECTED)


def ignored(why):
    return Rule(why, IGNORED)


def partial(why):
    return Rule(why, PARTIAL)


def needs(collection, feature, why, without=REJECTED, param=None):
    return Rule(why, needs=(collection, feature), without=without,
                param=param)


def fails_on_update(rule, why):
    """``rule``, and a change on stack update fails (one-line 501)."""
    return dataclasses.replace(
        rule, on_update=f"changing it on update fails (501): {why}")


@dataclasses.dataclass(frozen=True)
class Mapping:
    """A resource type: the collection it is built on (None for types that
    need no Deltacloud collection, such as the signal plane's), its
    properties' rules, and the properties Heat always sends (a rejection
    there makes the whole type unusable).

    ``notes`` are shown with the type.  ``without_plugins`` is shown too,
    and makes a supported type partial (unsupported when
    ``plugins_required``), when heat.conf's ``plugin_dirs`` lacks
    heat-deltacloud's resource plugins
    (:mod:`heat_deltacloud.heat.resources`).  ``refused`` makes the type
    unsupported on every driver, for that reason.
    """

    collection: str | None
    rules: dict = dataclasses.field(default_factory=dict)
    always_sent: frozenset = frozenset()
    notes: tuple = ()
    without_plugins: str = ""
    plugins_required: bool = False
    refused: str = ""


USER_DATA = Rule("user data refused at create (set "
                 "ignore_unsupported_user_data to boot without it)",
                 needs=("instances", "user_data"), droppable=True)
KEY_NAME = needs("instances", "authentication_key",
                 "key names refused at create")
FIREWALLS = needs("instances", "firewalls",
                  "security groups refused at create")
NO_PORTS = "Deltacloud has no networks or ports"
NO_HINTS = rejected("Deltacloud has no scheduler hints")
NO_METADATA = ("Deltacloud has no metadata: accepted at create and on "
               "update, logged, not stored")
REPLACE_ONLY = partial("changing it on update needs the REPLACE policy, "
                       "else it fails (501): Deltacloud cannot resize or "
                       "rebuild")
NO_SNAPSHOTS = rejected("the cinder shim makes no volume from a snapshot "
                        "or backup")
SERVER_SNAPSHOT = ("deletion_policy Snapshot: the delete leaves an image of "
                   "the instance (needs images/image_name, else refused at "
                   "validation); stack snapshots are refused")
VOLUME_SNAPSHOT = ("deletion_policy Snapshot: the delete leaves a storage "
                   "snapshot of the volume (needs storage_snapshots, else "
                   "refused at validation)")
NO_VOLUME_UPDATE = ("Deltacloud cannot rename volumes or change their "
                    "description")

# The signal plane (stack users and EC2 keys in Heat's database, signed
# URLs checked at heat-api-cfn): see the operator guide's "Signals without
# Keystone".
SIGNAL_TRANSPORT = partial(
    "CFN_SIGNAL (a pre-signed heat-api-cfn URL) or NO_SIGNAL; "
    "TOKEN_SIGNAL and HEAT_SIGNAL (Keystone), TEMP_URL_SIGNAL (Swift) and "
    "ZAQAR_SIGNAL (Zaqar) are refused at validation")
POLL_TRANSPORT = partial(
    "POLL_SERVER_CFN (the default: metadata polled from heat-api-cfn with a "
    "stack user's key); POLL_SERVER_HEAT (Keystone), POLL_TEMP_URL (Swift) "
    "and ZAQAR_MESSAGE (Zaqar) are refused at validation")
SIGNED_URL = ("signals through a pre-signed heat-api-cfn URL "
              "(heat_waitcondition_server_url), which instances must reach")
HANDLE_WINDOW = ("the handle's URL is signed once, when the handle is "
                 "created, and is refused once older than [deltacloud] "
                 "signature_ttl (86400 s by default; wait condition "
                 "timeouts reach 43200 s)")
ALARM_URL = ("its alarm URL is signed without a Timestamp: it never "
             "expires and is revoked with the resource; whoever holds it "
             "can trigger the policy (no Aodh/CloudWatch alarms here: POST "
             "it yourself)")
LATE_REFUSAL = ("plugin_dirs lacks heat-deltacloud's resource plugins: "
                "transports needing Keystone, Swift or Zaqar fail at create "
                "instead of validation")
NO_CATALOG = ("plugin_dirs lacks heat-deltacloud's resource plugins: Heat "
              "refuses the type (ResourceTypeUnavailable), looking for the "
              "orchestration service in a Keystone catalog")
DEPLOYMENT_NEEDS = ("needs a server with user_data_format SOFTWARE_CONFIG "
                    "and an image running os-collect-config with the "
                    "heat-config hooks")
NO_IDENTITY = ("there is no Keystone to manage: Heat's policy refuses the "
               "type at validation to the roles deltacloud_auth gives "
               "(member, reader), and it would fail at create")

BUCKET_METADATA = "Deltacloud buckets have no metadata: accepted, not stored"
BUCKET_WEBSITE = "Deltacloud buckets serve no static website"
BUCKET_ACL = ("only the caller's own account (project or project:user) or "
              "nothing: Deltacloud buckets are private to their account; "
              "any other access list is refused at create")
BUCKET_NAMES = ("bucket names are global (S3): a name already taken fails "
                "the create (409) rather than adopting that bucket")
BUCKET_URLS = ("DomainName is the Deltacloud server's host; WebsiteURL the "
               "bucket under /api/buckets (read with Deltacloud credentials)")
NO_TEMP_URLS = ("Deltacloud buckets have no temporary URLs: use a wait "
                "condition with CFN_SIGNAL (refused at validation with "
                "heat-deltacloud's resource plugins, at create without)")
LB_NOTES = (
    "DNSName and CanonicalHostedZoneName: the balancer's public address; "
    "CanonicalHostedZoneNameID and SourceSecurityGroup.* are null "
    "(Deltacloud gives none)",
    "Ref is the resource's name (what LoadBalancerNames of an "
    "AWS::AutoScaling::AutoScalingGroup names); Instances are registered and "
    "unregistered on update, as the group's scaling does")
HAPROXY = ("plugin_dirs lacks heat-deltacloud's resource plugins: Heat's "
           "own type, a nested stack running haproxy on an instance of its "
           "own, fails validation on its AWS::CloudWatch::Alarm")

#: Resource type -> how its properties fare on Deltacloud.  Properties not
#: named are supported; Heat's unimplemented and hidden ones are left out.
RESOURCE_TYPES = {
    "AWS::EC2::Instance": Mapping("instances", {
        "KeyName": KEY_NAME,
        "SecurityGroups": FIREWALLS,
        "SecurityGroupIds": FIREWALLS,
        "UserData": USER_DATA,
        "Volumes": needs("storage_volumes", None,
                         "volumes cannot be attached"),
        "NetworkInterfaces": rejected(NO_PORTS),
        "SubnetId": rejected(NO_PORTS),
        "NovaSchedulerHints": NO_HINTS,
        "BlockDeviceMappings": NO_SNAPSHOTS,
        "Tags": ignored(NO_METADATA),
        "InstanceType": partial("changing it on update fails: Deltacloud "
                                "cannot resize"),
    }, always_sent=frozenset({"UserData"})),
    "OS::Nova::Server": Mapping("instances", {
        "name": fails_on_update(
            needs("instances", "user_name",
                  "instances get the driver's names", IGNORED),
            "Deltacloud cannot rename servers"),
        "key_name": KEY_NAME,
        "security_groups": FIREWALLS,
        "user_data": USER_DATA,
        "user_data_format": partial(
            "without the 'user_data' feature a server boots without "
            "Heat's boot configuration only when it carries nothing (no "
            "user_data, metadata or software config; RAW with no "
            "user_data sends none)"),
        "user_data_update_policy": partial(
            "REPLACE (the default) replaces the server when user_data "
            "changes; with REBUILD the update fails (501): Deltacloud "
            "cannot rebuild"),
        "software_config_transport": POLL_TRANSPORT,
        "deployment_swift_data": rejected(
            "used only by SOFTWARE_CONFIG (no Swift)"),
        "networks": rejected(f"{NO_PORTS}: refused at create and on "
                             "update (501)"),
        "block_device_mapping": rejected("Deltacloud has no block devices"),
        "block_device_mapping_v2": rejected(
            "Deltacloud has no block devices"),
        "scheduler_hints": NO_HINTS,
        "metadata": rejected("Deltacloud has no metadata (Heat's "
                             "validation sees a limit of 0 entries, at "
                             "create and on update; an empty map passes "
                             "and is not stored)"),
        "personality": rejected("Deltacloud has no personality files "
                                "(Heat's validation sees a limit of 0)"),
        "tags": rejected("needs Nova microversion 2.26; the shim is 2.1"),
        "admin_pass": rejected("Deltacloud cannot set passwords: refused "
                               "at create and on update (501)"),
        "config_drive": rejected("Deltacloud has no config drive"),
        "diskConfig": rejected("Deltacloud has no disk configuration"),
        "reservation_id": ignored("Deltacloud has no reservation ids"),
        "flavor": REPLACE_ONLY,
        "image": REPLACE_ONLY,
    }, notes=(SERVER_SNAPSHOT,), without_plugins=LATE_REFUSAL),
    "OS::Nova::KeyPair": Mapping("keys", {
        "public_key": needs("keys", "import_key",
                            "importing a public key refused at create"),
        "type": rejected("needs Nova microversion 2.2; the shim is 2.1"),
        "user": rejected("Deltacloud keys belong to the caller"),
    }),
    "AWS::EC2::EIP": Mapping("addresses"),
    "AWS::EC2::EIPAssociation": Mapping("addresses", {
        "AllocationId": rejected(f"{NO_PORTS}: use EIP"),
        "NetworkInterfaceId": ignored(f"{NO_PORTS}: the EIP goes to "
                                      "InstanceId"),
    }),
    "OS::Nova::FloatingIP": Mapping("addresses"),
    "OS::Nova::FloatingIPAssociation": Mapping("addresses"),
    "AWS::EC2::Volume": Mapping("storage_volumes", {
        "SnapshotId": NO_SNAPSHOTS,
        "Tags": ignored(NO_METADATA),
    }, notes=(VOLUME_SNAPSHOT,)),
    "AWS::EC2::VolumeAttachment": Mapping("storage_volumes"),
    "OS::Cinder::Volume": Mapping("storage_volumes", {
        "size": partial("changing it on update fails (501): Deltacloud "
                        "cannot extend volumes"),
        "name": fails_on_update(
            needs("storage_volumes", "volume_name", "volume names not kept",
                  IGNORED, param="name"), NO_VOLUME_UPDATE),
        "description": fails_on_update(
            needs("storage_volumes", "volume_description",
                  "volume descriptions not kept", IGNORED),
            NO_VOLUME_UPDATE),
        "metadata": ignored(NO_METADATA),
        "snapshot_id": NO_SNAPSHOTS,
        "backup_id": NO_SNAPSHOTS,
        "volume_type": rejected("Deltacloud has no volume types"),
        "image": rejected("Deltacloud cannot make a volume from an image"),
        "source_volid": rejected("Deltacloud cannot clone volumes"),
        "scheduler_hints": NO_HINTS,
        "read_only": rejected("Deltacloud has no read-only volumes "
                              "(true is refused at validation)"),
    }, notes=(VOLUME_SNAPSHOT,)),
    "OS::Cinder::VolumeAttachment": Mapping("storage_volumes", {
        "mountpoint": partial("required: Deltacloud attaches only at a "
                              "named device"),
    }),
    "AWS::EC2::SecurityGroup": Mapping("firewalls", {
        "SecurityGroupEgress": rejected("Deltacloud firewalls have ingress "
                                        "rules only"),
        "VpcId": ignored("Heat does not use it"),
    }),
    # Object storage: the swift shim over buckets (compat/swift).
    "AWS::S3::Bucket": Mapping("buckets", {
        "AccessControl": partial(
            "Private (the default), AuthenticatedRead, BucketOwnerRead and "
            "BucketOwnerFullControl: the bucket stays private to the "
            "account, as Deltacloud buckets are; PublicRead and "
            "PublicReadWrite are refused at create"),
        "WebsiteConfiguration": rejected(BUCKET_WEBSITE),
        "Tags": ignored(BUCKET_METADATA),
    }, notes=(BUCKET_NAMES, BUCKET_URLS)),
    "OS::Swift::Container": Mapping("buckets", {
        "X-Container-Read": partial(BUCKET_ACL),
        "X-Container-Write": partial(BUCKET_ACL),
        "X-Container-Meta": ignored(
            f"{BUCKET_METADATA} (Web-* keys are refused at create: "
            f"{BUCKET_WEBSITE})"),
        "X-Account-Meta": ignored(
            "Deltacloud accounts have no metadata: accepted, not stored "
            "(Temp-Url-Key is refused at create: no temporary URLs)"),
    }, notes=(BUCKET_NAMES, BUCKET_URLS,
              "BytesUsed reads each blob (one request per object)")),
    "OS::Heat::SwiftSignalHandle": Mapping(None, refused=NO_TEMP_URLS),
    "OS::Heat::SwiftSignal": Mapping(None, refused=NO_TEMP_URLS),
    # Deltacloud load balancers (resources/load_balancer.py), not Heat's
    # haproxy nested stack.
    "AWS::ElasticLoadBalancing::LoadBalancer": Mapping("load_balancers", {
        "AvailabilityZones": partial(
            "one realm: the first zone holding one of Instances, else the "
            "first zone (a Deltacloud load balancer is in one realm)"),
        "Listeners": partial(
            "exactly one (HTTP or TCP): a Deltacloud load balancer has one "
            "listener; more are refused at validation"),
        "HealthCheck": ignored(
            "Deltacloud has no health check settings: accepted (Interval "
            "> Timeout checked), not applied; the provider's defaults "
            "apply"),
        "SecurityGroups": rejected(
            "Deltacloud load balancers have no security groups"),
    }, notes=LB_NOTES, without_plugins=HAPROXY, plugins_required=True),
    # The signal plane: no Deltacloud collection involved.
    "AWS::CloudFormation::WaitConditionHandle": Mapping(None, notes=(
        f"Ref: a URL for cfn-signal (PUT); {SIGNED_URL}",)),
    "AWS::CloudFormation::WaitCondition": Mapping(None, notes=(
        HANDLE_WINDOW,)),
    "OS::Heat::UpdateWaitConditionHandle": Mapping(None, notes=(
        f"replaced on every update; {SIGNED_URL}",)),
    "OS::Heat::WaitConditionHandle": Mapping(None, {
        "signal_transport": SIGNAL_TRANSPORT,
    }, notes=("signal_transport defaults to CFN_SIGNAL here (TOKEN_SIGNAL "
              "in Heat); curl_cli PUTs the signed URL: append "
              "--data-binary '{\"status\": \"SUCCESS\"}'",),
        without_plugins="plugin_dirs lacks heat-deltacloud's resource "
                        "plugins: signal_transport defaults to "
                        "TOKEN_SIGNAL, which fails at create; set "
                        "CFN_SIGNAL"),
    "OS::Heat::WaitCondition": Mapping(None, notes=(HANDLE_WINDOW,)),
    "AWS::IAM::User": Mapping(None, {
        "Path": ignored("Heat does not implement it"),
        "Groups": ignored("Heat does not implement it"),
        "LoginProfile": ignored("the password is kept as a salted hash; "
                                "no service here logs in with it"),
    }),
    "AWS::IAM::AccessKey": Mapping(None, notes=(
        "Ref and SecretAccessKey: an EC2 key for cfn-get-metadata and "
        "cfn-hup (DescribeStackResource on heat-api-cfn, limited to the "
        "user's Policies)",)),
    "OS::Heat::AccessPolicy": Mapping(None),
    "AWS::AutoScaling::ScalingPolicy": Mapping(None, notes=(
        f"Ref and AlarmUrl: {ALARM_URL}",)),
    "OS::Heat::ScalingPolicy": Mapping(None, notes=(
        f"alarm_url: {ALARM_URL}",
        "signal_url: heat-api's signal URL ([clients_heat] url), for "
        "callers with Deltacloud credentials")),
    "OS::Heat::SoftwareConfig": Mapping(
        None, without_plugins=NO_CATALOG, plugins_required=True),
    "OS::Heat::StructuredConfig": Mapping(
        None, without_plugins=NO_CATALOG, plugins_required=True),
    "OS::Heat::SoftwareDeployment": Mapping(None, {
        "signal_transport": SIGNAL_TRANSPORT,
    }, notes=(DEPLOYMENT_NEEDS,), without_plugins=NO_CATALOG,
        plugins_required=True),
    "OS::Heat::StructuredDeployment": Mapping(None, {
        "signal_transport": SIGNAL_TRANSPORT,
    }, notes=(DEPLOYMENT_NEEDS,), without_plugins=NO_CATALOG,
        plugins_required=True),
    # Identity: still unavailable.
    **{f"OS::Keystone::{name}": Mapping(None, refused=NO_IDENTITY)
       for name in ("Domain", "Endpoint", "Group", "GroupRoleAssignment",
                    "Project", "Region", "Role", "Service", "User",
                    "UserRoleAssignment")},
}


#: What Heat uses of a driver, in the order ``doctor`` names what a driver
#: lacks: ``(collection, feature, create parameter, what needs it)``.
HEAT_USES = (
    ("instances", None, None, "servers (AWS::EC2::Instance, "
                              "OS::Nova::Server)"),
    ("instances", "user_data", "user_data",
     "user data (cfn-init, signals, software config)"),
    ("instances", "authentication_key", "keyname", "key names on servers"),
    ("instances", "firewalls", "firewalls", "security groups on servers"),
    ("instances", "user_name", "name", "server names"),
    ("images", "image_name", "name", "deletion_policy Snapshot of servers"),
    ("firewalls", None, None, "AWS::EC2::SecurityGroup"),
    ("keys", None, None, "OS::Nova::KeyPair"),
    ("keys", "import_key", "public_key", "OS::Nova::KeyPair public_key"),
    ("addresses", None, None, "AWS::EC2::EIP, floating IPs"),
    ("storage_volumes", None, None, "volumes (AWS::EC2::Volume, "
                                    "OS::Cinder::Volume)"),
    ("storage_volumes", "volume_name", "name", "volume names"),
    ("storage_snapshots", None, None, "deletion_policy Snapshot of volumes"),
    ("buckets", None, None, "AWS::S3::Bucket, OS::Swift::Container"),
    ("load_balancers", None, None, "AWS::ElasticLoadBalancing::LoadBalancer"),
)

#: Collections no Heat resource type here is built on, and why.
UNUSED = {
    **dict.fromkeys(("networks", "subnets", "network_interfaces"),
                    "Heat's networks, subnets and ports are not mapped "
                    "onto them"),
    "metrics": "no CloudWatch or Aodh alarms here",
}


def _has(api, collection, feature, param):
    return api.supports(collection, feature) or (
        feature is not None and
        (api.driver, collection, param) in UNADVERTISED)


#: What ``deletion_policy: Snapshot`` leaves of each resource type that
#: honours it here, and what of a driver that needs: (collection,
#: feature, create parameter, what it makes).  Heat itself refuses the
#: policy for the other types (``AWS::EC2::Instance`` included).
SNAPSHOT_POLICY = {
    "OS::Nova::Server": ("images", "image_name", "name",
                         "an image of the server (images/image_name)"),
    **dict.fromkeys(("OS::Cinder::Volume", "AWS::EC2::Volume"), (
        "storage_snapshots", None, None,
        "a storage snapshot of the volume (storage_snapshots)")),
}


def snapshot_policy_refusal(resource_type, api):
    """What ``deletion_policy: Snapshot`` of ``resource_type`` needs and
    the driver of ``api`` cannot make, or None if it can (or if Heat
    judges the policy of that type)."""
    needs = SNAPSHOT_POLICY.get(resource_type)
    if needs is None:
        return None
    collection, feature, param, makes = needs
    if _has(api, collection, feature, param):
        return None
    return f"{makes}, which the Deltacloud driver '{api.driver}' cannot make"


def driver_differences(api):
    """``(lacks, unused)`` of a driver's ``/api``: what Heat would use
    that it lacks (``[(capability, what needs it)]``) and the collections
    it has that Heat does not use (``[(collection, why)]``)."""
    lacks = [(collection if feature is None else f"{collection}/{feature}",
              uses)
             for collection, feature, param, uses in HEAT_USES
             if not _has(api, collection, feature, param)]
    unused = [(name, why) for name, why in UNUSED.items()
              if api.supports(name)]
    return lacks, unused


@dataclasses.dataclass(frozen=True)
class Property:
    name: str
    support: str
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class Capability:
    resource_type: str
    support: str              # supported | partial | unsupported
    notes: tuple = ()
    properties: tuple = ()    # of Property, in Heat's schema order

    def limited(self):
        """The properties that are not plainly supported."""
        return [p for p in self.properties if p.support != SUPPORTED]

    def as_dict(self):
        return {"resource_type": self.resource_type,
                "support": self.support, "notes": list(self.notes),
                "properties": [dataclasses.asdict(p)
                               for p in self.properties]}


def heat_resource_types():
    """``{type: (support status, message, [property names])}`` from Heat's
    registry, for the types :data:`RESOURCE_TYPES` maps.  Hidden and
    unimplemented properties are left out: no template can use them."""
    from heat.engine import resources

    _threads_for_oslo_service()
    environment_log = logging.getLogger("heat.engine.environment")
    level = environment_log.level
    environment_log.setLevel(logging.ERROR)  # "X is HIDDEN" for each type
    try:
        resources.initialise()
    finally:
        environment_log.setLevel(level)
    env = resources.global_env()
    found = {}
    for resource_type in RESOURCE_TYPES:
        cls = env.get_class(resource_type)
        names = [name for name, schema in cls.properties_schema.items()
                 if schema.implemented and
                 schema.support_status.status != "HIDDEN"]
        found[resource_type] = (cls.support_status.status,
                                cls.support_status.message or "", names)
    return found


def _threads_for_oslo_service():
    """Loading Heat's resources imports oslo.service, which settles on
    eventlet unless told otherwise; choose threads, as Heat's own commands
    and the embedded engine do, so this process can still run Heat."""
    from oslo_service import backend
    from oslo_service.backend import exceptions

    try:
        backend.init_backend(backend.BackendType.THREADING)
    except exceptions.BackendAlreadySelected:
        pass


def capability(resource_type, api, heat_type,
               ignore_unsupported_user_data=False, plugins=True):
    """The :class:`Capability` of one type on a driver's ``/api``.

    ``plugins`` says whether heat.conf's ``plugin_dirs`` names
    heat-deltacloud's resource plugins.
    """
    mapping = RESOURCE_TYPES[resource_type]
    status, message, names = heat_type
    properties = []
    for name in names:
        rule = mapping.rules.get(name)
        support, reason = rule.judge(api, ignore_unsupported_user_data) \
            if rule else (SUPPORTED, "")
        properties.append(Property(name, support, reason))
    properties = tuple(properties)
    if mapping.refused:
        return Capability(resource_type, UNSUPPORTED, (mapping.refused,),
                          properties)
    if status == "HIDDEN":
        return Capability(resource_type, UNSUPPORTED,
                          (f"Heat hides this type: {message}",), properties)
    if mapping.collection and not api.supports(mapping.collection):
        return Capability(resource_type, UNSUPPORTED,
                          (f"the driver has no '{mapping.collection}' "
                           "collection",), properties)
    blocked = [p for p in properties
               if p.name in mapping.always_sent and p.support == REJECTED]
    if blocked:
        return Capability(resource_type, UNSUPPORTED, tuple(
            f"Heat always sends {p.name}, and {p.reason}" for p in blocked),
            properties)
    notes = mapping.notes
    limited = any(p.support != SUPPORTED for p in properties)
    if mapping.without_plugins and not plugins:
        if mapping.plugins_required:
            return Capability(resource_type, UNSUPPORTED,
                              (mapping.without_plugins,), properties)
        notes += (mapping.without_plugins,)
        limited = True
    return Capability(resource_type, PARTIAL if limited else SUPPORTED,
                      notes, properties)


def matrix(api, ignore_unsupported_user_data=False, heat_types=None,
           plugins=True):
    """The capability of every mapped resource type on a driver's ``/api``.

    ``heat_types`` defaults to :func:`heat_resource_types` (Heat's
    registry); ``plugins`` says whether ``plugin_dirs`` names
    heat-deltacloud's resource plugins.
    """
    heat_types = heat_types or heat_resource_types()
    return [capability(resource_type, api, heat_types[resource_type],
                       ignore_unsupported_user_data, plugins)
            for resource_type in RESOURCE_TYPES]
