"""The capability matrix tells the truth: what it calls supported or
ignored completes on real Heat 27 and the mock, what it calls rejected
fails, for the reason given."""

import time

import pytest

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.heat import capabilities, connection

pytestmark = [pytest.mark.heat]

INSTANCE = {"ImageId": "img1", "InstanceType": "m1-small"}
SERVER = {"image": "img1", "flavor": "m1-small", "user_data_format": "RAW"}
VOLUME = {"size": 1}

#: id -> (type, property, resources, capability switches, words the
#: failure must contain when the matrix says "rejected").  The resource
#: named "R" carries the property.
CASES = {
    "instance-tags": ("AWS::EC2::Instance", "Tags", {"R": {
        "Type": "AWS::EC2::Instance", "Properties": {
            **INSTANCE, "Tags": [{"Key": "tier", "Value": "web"}]}}},
        {}, None),
    "instance-key-name": ("AWS::EC2::Instance", "KeyName", {
        "K": {"Type": "OS::Nova::KeyPair", "Properties": {"name": "k1"}},
        "R": {"Type": "AWS::EC2::Instance", "Properties": {
            **INSTANCE, "KeyName": {"Ref": "K"}}}}, {}, None),
    "instance-key-name-without-feature": (
        "AWS::EC2::Instance", "KeyName", {
            "K": {"Type": "OS::Nova::KeyPair", "Properties": {"name": "k1"}},
            "R": {"Type": "AWS::EC2::Instance", "Properties": {
                **INSTANCE, "KeyName": {"Ref": "K"}}}},
        {("instances", "authentication_key"): False},
        "'authentication_key'"),
    "instance-user-data-without-feature": (
        "AWS::EC2::Instance", "UserData", {"R": {
            "Type": "AWS::EC2::Instance", "Properties": INSTANCE}},
        {("instances", "user_data"): False}, "'user_data'"),
    "instance-hints": ("AWS::EC2::Instance", "NovaSchedulerHints", {"R": {
        "Type": "AWS::EC2::Instance", "Properties": {
            **INSTANCE, "NovaSchedulerHints": [{"Key": "a", "Value": "b"}]}}},
        {}, "'scheduler_hints'"),
    "instance-subnet": ("AWS::EC2::Instance", "SubnetId", {"R": {
        "Type": "AWS::EC2::Instance", "Properties": {
            **INSTANCE, "SubnetId": "private"}}}, {}, "Neutron"),
    "instance-volumes": ("AWS::EC2::Instance", "Volumes", {
        "V": {"Type": "AWS::EC2::Volume",
              "Properties": {"Size": 1, "AvailabilityZone": "us"}},
        "R": {"Type": "AWS::EC2::Instance", "Properties": {
            **INSTANCE, "Volumes": [{"VolumeId": {"Ref": "V"},
                                     "Device": "/dev/vdb"}]}}}, {}, None),
    "instance-security-groups": ("AWS::EC2::Instance", "SecurityGroups", {
        "G": {"Type": "AWS::EC2::SecurityGroup",
              "Properties": {"GroupDescription": "web"}},
        "R": {"Type": "AWS::EC2::Instance", "Properties": {
            **INSTANCE, "SecurityGroups": [{"Ref": "G"}]}}},
        {("firewalls", None): True, ("instances", "firewalls"): True},
        None),
    "server-name-without-feature": ("OS::Nova::Server", "name", {"R": {
        "Type": "OS::Nova::Server", "Properties": {**SERVER,
                                                   "name": "web"}}},
        {("instances", "user_name"): False}, None),
    "server-reservation-id": ("OS::Nova::Server", "reservation_id", {"R": {
        "Type": "OS::Nova::Server", "Properties": {
            **SERVER, "reservation_id": "r-1"}}}, {}, None),
    "server-metadata": ("OS::Nova::Server", "metadata", {"R": {
        "Type": "OS::Nova::Server", "Properties": {
            **SERVER, "metadata": {"a": "b"}}}}, {}, "metadata"),
    "server-tags": ("OS::Nova::Server", "tags", {"R": {
        "Type": "OS::Nova::Server", "Properties": {**SERVER,
                                                   "tags": ["a"]}}},
        {}, "microversion"),
    "server-networks": ("OS::Nova::Server", "networks", {"R": {
        "Type": "OS::Nova::Server", "Properties": {
            **SERVER, "networks": [{"network": "public"}]}}}, {}, "'nics'"),
    "server-security-groups-without-feature": (
        "OS::Nova::Server", "security_groups", {"R": {
            "Type": "OS::Nova::Server", "Properties": {
                **SERVER, "security_groups": ["web"]}}},
        {}, "'firewalls'"),
    "server-admin-pass": ("OS::Nova::Server", "admin_pass", {"R": {
        "Type": "OS::Nova::Server", "Properties": {
            **SERVER, "admin_pass": "s3cret-Pw"}}}, {}, "'admin_pass'"),
    "keypair-public-key": ("OS::Nova::KeyPair", "public_key", {"R": {
        "Type": "OS::Nova::KeyPair", "Properties": {
            "name": "k1", "public_key": "ssh-rsa AAAAB3Nza k1"}}},
        {}, "'import_key'"),
    "eip-allocation-id": ("AWS::EC2::EIPAssociation", "AllocationId", {
        "I": {"Type": "AWS::EC2::Instance", "Properties": INSTANCE},
        "R": {"Type": "AWS::EC2::EIPAssociation", "Properties": {
            "InstanceId": {"Ref": "I"}, "AllocationId": "192.0.2.1"}}},
        {}, "IndexError"),
    "volume-metadata-and-name": ("OS::Cinder::Volume", "metadata", {"R": {
        "Type": "OS::Cinder::Volume", "Properties": {
            **VOLUME, "name": "data", "metadata": {"a": "b"}}}}, {}, None),
    "volume-source": ("OS::Cinder::Volume", "source_volid", {"R": {
        "Type": "OS::Cinder::Volume", "Properties": {
            **VOLUME, "source_volid": "vol1"}}}, {}, "'source_volid'"),
    "security-group-vpc": ("AWS::EC2::SecurityGroup", "VpcId", {"R": {
        "Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "web", "VpcId": "vpc-1",
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": "22",
                                      "ToPort": "22",
                                      "CidrIp": "0.0.0.0/0"}]}}},
        {("firewalls", None): True}, None),
    "security-group-egress": ("AWS::EC2::SecurityGroup",
                              "SecurityGroupEgress", {"R": {
        "Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "web", "SecurityGroupEgress": [
                {"IpProtocol": "tcp", "FromPort": "22", "ToPort": "22",
                 "CidrIp": "0.0.0.0/0"}]}}},
        {("firewalls", None): True}, "ingress rules only"),
}


@pytest.fixture(scope="module")
def heat():
    from heat_deltacloud.heat import embedded
    return embedded.start()


@pytest.fixture(scope="module")
def heat_types():
    return capabilities.heat_resource_types()


def claimed(mock, heat_types, resource_type, name):
    with Client(mock.url, "mockuser", "mockpassword") as client:
        [found] = [c for c in capabilities.matrix(client.api,
                                                  heat_types=heat_types)
                   if c.resource_type == resource_type]
    [prop] = [p for p in found.properties if p.name == name]
    return prop


def outcome(heat, ctx, name, resources):
    """``(COMPLETE or FAILED, reason)``; validation errors fail too."""
    template = {"AWSTemplateFormatVersion": "2010-09-09",
                "Resources": resources}
    try:
        identity = heat.engine_client.create_stack(
            ctx, name, template, {}, {}, {"timeout_mins": 2})
    except Exception as exc:  # Heat's validation errors come back here
        return "FAILED", str(exc)
    stack = heat.wait_for_stack(ctx, identity, timeout=60)
    heat.delete_stack(ctx, identity, timeout=60)
    return stack["stack_status"], stack["stack_status_reason"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_matrix_matches_what_heat_does(heat, heat_types,
                                           deltacloud_mock, case):
    resource_type, name, resources, switches, words = CASES[case]
    deltacloud_mock.set_capability("instances", "user_data")
    for (collection, feature), enabled in switches.items():
        deltacloud_mock.set_capability(collection, feature, enabled)
    # The engine keeps each driver's /api for discovery_cache_ttl.
    connection.DISCOVERY.clear()
    prop = claimed(deltacloud_mock, heat_types, resource_type, name)
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    status, reason = outcome(heat, ctx, f"claim-{case}", resources)
    if prop.support in (capabilities.SUPPORTED, capabilities.IGNORED):
        assert words is None
        assert status == "COMPLETE", reason
    else:
        assert prop.support == capabilities.REJECTED
        assert status == "FAILED"
        assert words in reason


def test_the_table_names_only_properties_heat_has(heat_types):
    for resource_type, mapping in capabilities.RESOURCE_TYPES.items():
        _, _, names = heat_types[resource_type]
        assert set(mapping.rules) <= set(names), resource_type
        assert mapping.always_sent <= set(names), resource_type


def server(flavor, **more):
    return {"heat_template_version": "2021-04-16", "resources": {"S": {
        "type": "OS::Nova::Server",
        "properties": {**SERVER, "flavor": flavor, **more}}}}


def settled_update(heat, ctx, identity, attempts=600):
    """The stack once its update has settled (bounded polling)."""
    for _ in range(attempts):
        stack = heat.engine_client.show_stack(ctx, identity)[0]
        if stack["stack_action"] == "UPDATE" and \
                stack["stack_status"] != "IN_PROGRESS":
            return stack
        time.sleep(0.1)
    raise AssertionError(f"update of {identity} did not settle")


@pytest.mark.parametrize("before, after, status, words", [
    (server("m1-small"), server("m1-large"), "FAILED", "resize"),
    (server("m1-small", flavor_update_policy="REPLACE"),
     server("m1-large", flavor_update_policy="REPLACE"), "COMPLETE", None),
    ({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"I": {
        "Type": "AWS::EC2::Instance", "Properties": INSTANCE}}},
     {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"I": {
         "Type": "AWS::EC2::Instance",
         "Properties": {**INSTANCE, "InstanceType": "m1-large"}}}},
     "FAILED", "resize"),
], ids=["resize", "replace", "instance-type"])
def test_flavor_changes_need_replace(heat, deltacloud_mock, before, after,
                                     status, words):
    """What the matrix calls partial for flavor / InstanceType."""
    deltacloud_mock.set_capability("instances", "user_data")
    connection.DISCOVERY.clear()
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    identity = heat.engine_client.create_stack(
        ctx, "claim-update", before, {}, {}, {"timeout_mins": 2})
    assert heat.wait_for_stack(ctx, identity)["stack_status"] == "COMPLETE"
    heat.engine_client.update_stack(ctx, identity, after, {}, {},
                                    {"timeout_mins": 2})
    stack = settled_update(heat, ctx, identity)
    heat.delete_stack(ctx, identity, timeout=60)
    assert stack["stack_status"] == status, stack["stack_status_reason"]
    if words:
        assert words in stack["stack_status_reason"]
