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
HOT = "2021-04-16"

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
        {}, "Deltacloud has no ports: associate a floating IP with EIP"),
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
    "bucket-tags": ("AWS::S3::Bucket", "Tags", {"R": {
        "Type": "AWS::S3::Bucket", "Properties": {
            "Tags": [{"Key": "tier", "Value": "web"}]}}}, {}, None),
    "bucket-website": ("AWS::S3::Bucket", "WebsiteConfiguration", {"R": {
        "Type": "AWS::S3::Bucket", "Properties": {
            "WebsiteConfiguration": {"IndexDocument": "index.html",
                                     "ErrorDocument": "error.html"}}}},
        {}, "no static website"),
    "container-metadata": ("OS::Swift::Container", "X-Container-Meta", {
        "R": {"Type": "OS::Swift::Container", "Properties": {
            "X-Container-Meta": {"team": "web"},
            "X-Account-Meta": {"owner": "ops"}}}}, {}, None),
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
    deleted = heat.delete_stack(ctx, identity, timeout=60)
    # A stack left behind would make a later create of the name fail.
    assert deleted["stack_status"] == "COMPLETE", (
        deleted["stack_status_reason"])
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


@pytest.mark.parametrize("resource, status, words", [
    ({"Type": "AWS::S3::Bucket", "Properties": {"AccessControl": "Private"}},
     "COMPLETE", None),
    ({"Type": "AWS::S3::Bucket", "Properties": {
        "AccessControl": "PublicRead"}}, "FAILED",
     "private to their account: cannot honour X-Container-Read: .r:*"),
    ({"Type": "OS::Swift::Container", "Properties": {
        "X-Container-Read": ".r:*"}}, "FAILED",
     "private to their account"),
], ids=["private", "public-read", "container-public-read"])
def test_bucket_access_is_the_accounts_own(heat, deltacloud_mock, resource,
                                           status, words):
    """What the matrix calls partial for AccessControl and the access
    lists: private works, wider grants fail at create, nothing is left."""
    connection.DISCOVERY.clear()
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    before = {b["id"] for b in deltacloud_mock.app.cloud.buckets.values()}
    found, reason = outcome(heat, ctx, "bucket-access", {"R": resource})
    assert found == status, reason
    if words:
        assert words in reason
    assert {b["id"] for b in deltacloud_mock.app.cloud.buckets.values()} \
        == before


def test_without_buckets_the_types_are_refused_at_validation(
        heat, heat_types, deltacloud_mock):
    deltacloud_mock.set_capability("buckets", enabled=False)
    connection.DISCOVERY.clear()
    claims = matrix_of(deltacloud_mock, heat_types)
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    for resource_type in ("AWS::S3::Bucket", "OS::Swift::Container"):
        assert claims[resource_type].support == capabilities.UNSUPPORTED
        assert claims[resource_type].notes == (
            "the driver has no 'buckets' collection",)
        with pytest.raises(Exception, match="no 'buckets' collection"):
            heat.engine_client.create_stack(
                ctx, "no-buckets", {"AWSTemplateFormatVersion": "2010-09-09",
                                    "Resources": {"R": {
                                        "Type": resource_type}}},
                {}, {}, {"timeout_mins": 1})


def settled_update(heat, ctx, identity, attempts=600):
    """The stack once its update has settled (bounded polling)."""
    for _ in range(attempts):
        stack = heat.engine_client.show_stack(ctx, identity)[0]
        if stack["stack_action"] == "UPDATE" and \
                stack["stack_status"] != "IN_PROGRESS":
            return stack
        time.sleep(0.1)
    raise AssertionError(f"update of {identity} did not settle")


REPLACE = {"flavor_update_policy": "REPLACE"}

#: id -> (type, property, properties before, after the update, words the
#: update's failure must contain; None when it completes).
UPDATE_CASES = {
    "server-flavor": ("OS::Nova::Server", "flavor", SERVER,
                      {**SERVER, "flavor": "m1-large"}, "cannot resize"),
    "server-flavor-replace": ("OS::Nova::Server", "flavor",
                              {**SERVER, **REPLACE},
                              {**SERVER, **REPLACE, "flavor": "m1-large"},
                              None),
    "server-name": ("OS::Nova::Server", "name", {**SERVER, "name": "web"},
                    {**SERVER, "name": "db"}, "cannot rename servers"),
    "server-admin-pass": ("OS::Nova::Server", "admin_pass", SERVER,
                          {**SERVER, "admin_pass": "s3cret-Pw"},
                          "cannot set server passwords (admin_pass)"),
    "server-networks": ("OS::Nova::Server", "networks", SERVER,
                        {**SERVER, "networks": [{"network": "public"}]},
                        "a server's networks cannot change"),
    "server-metadata": ("OS::Nova::Server", "metadata", SERVER,
                        {**SERVER, "metadata": {"a": "b"}},
                        "must not contain greater than 0 entries"),
    "server-user-data-rebuild": (
        "OS::Nova::Server", "user_data_update_policy",
        {**SERVER, "user_data": "one", "user_data_update_policy": "REBUILD"},
        {**SERVER, "user_data": "two", "user_data_update_policy": "REBUILD"},
        "cannot rebuild servers"),
    "instance-type": ("AWS::EC2::Instance", "InstanceType", INSTANCE,
                      {**INSTANCE, "InstanceType": "m1-large"},
                      "cannot resize"),
    "instance-tags": ("AWS::EC2::Instance", "Tags", INSTANCE,
                      {**INSTANCE, "Tags": [{"Key": "tier",
                                             "Value": "web"}]}, None),
    "instance-tags-removed": ("AWS::EC2::Instance", "Tags",
                              {**INSTANCE, "Tags": [{"Key": "tier",
                                                     "Value": "web"}]},
                              INSTANCE, None),
    "volume-size": ("OS::Cinder::Volume", "size", VOLUME, {"size": 2},
                    "cannot extend volumes"),
    # name and description: one refusal (volumes.update)
    "volume-name-and-description": (
        "OS::Cinder::Volume", "name", {**VOLUME, "name": "data"},
        {**VOLUME, "name": "logs", "description": "old logs"},
        "cannot rename volumes or change their description"),
}


@pytest.mark.parametrize("case", sorted(UPDATE_CASES))
def test_the_matrix_says_what_an_update_does(heat, heat_types,
                                             deltacloud_mock, case):
    """Every property whose change on update fails, or is not kept, says
    so ("update" in its reason, never plainly supported); what completes
    does."""
    resource_type, name, before, after, words = UPDATE_CASES[case]
    deltacloud_mock.set_capability("instances", "user_data")
    connection.DISCOVERY.clear()
    prop = claimed(deltacloud_mock, heat_types, resource_type, name)
    assert prop.support != capabilities.SUPPORTED
    assert "update" in prop.reason, prop.reason

    def template(properties):
        return {"heat_template_version": HOT, "resources": {"R": {
            "type": resource_type, "properties": properties}}}

    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    identity = heat.engine_client.create_stack(
        ctx, f"update-{case}", template(before), {}, {}, {"timeout_mins": 2})
    created = heat.wait_for_stack(ctx, identity)
    assert created["stack_status"] == "COMPLETE", (
        created["stack_status_reason"])
    try:
        heat.engine_client.update_stack(ctx, identity, template(after), {},
                                        {}, {"timeout_mins": 2})
    except Exception as exc:  # Heat's validation errors come back here
        status, reason = "FAILED", str(exc)
    else:
        stack = settled_update(heat, ctx, identity)
        status, reason = stack["stack_status"], stack["stack_status_reason"]
    deleted = heat.delete_stack(ctx, identity, timeout=60)
    assert deleted["stack_status"] == "COMPLETE", (
        deleted["stack_status_reason"])
    if words is None:
        assert status == "COMPLETE", reason
    else:
        assert status == "FAILED"
        assert words in reason, reason


# -- the signal plane ---------------------------------------------------------

SOFTWARE_SERVER = {"type": "OS::Nova::Server", "properties": {
    "image": "img1", "flavor": "m1-small",
    "user_data_format": "SOFTWARE_CONFIG"}}
GROUP_MEMBER = {"type": "OS::Heat::RandomString"}

#: id -> (resources, outputs, {output: words its value contains}).
SIGNAL_CASES = {
    "aws-handle": (
        {"H": {"type": "AWS::CloudFormation::WaitConditionHandle"}},
        {"url": {"get_resource": "H"}},
        {"url": "/v1/waitcondition/arn%3Aopenstack%3Aheat"}),
    "os-handle": (
        {"H": {"type": "OS::Heat::WaitConditionHandle"}},
        {"curl": {"get_attr": ["H", "curl_cli"]}},
        {"curl": "-X PUT"}),
    "update-handle": (
        {"H": {"type": "OS::Heat::UpdateWaitConditionHandle"}},
        {"url": {"get_resource": "H"}}, {"url": "/v1/waitcondition/"}),
    "iam-user-and-key": (
        {"P": {"type": "OS::Heat::AccessPolicy",
               "properties": {"AllowedResources": ["P"]}},
         "U": {"type": "AWS::IAM::User", "properties": {
             "Policies": [{"get_resource": "P"}],
             "LoginProfile": {"Password": "unused-Pw1"}}},
         "K": {"type": "AWS::IAM::AccessKey",
               "properties": {"UserName": {"get_resource": "U"}}}},
        {"secret": {"get_attr": ["K", "SecretAccessKey"]},
         "access": {"get_resource": "K"}}, {}),
    "os-scaling-policy": (
        {"G": {"type": "OS::Heat::AutoScalingGroup", "properties": {
            "min_size": 1, "max_size": 2, "resource": GROUP_MEMBER}},
         "P": {"type": "OS::Heat::ScalingPolicy", "properties": {
             "auto_scaling_group_id": {"get_resource": "G"},
             "adjustment_type": "change_in_capacity",
             "scaling_adjustment": 1}}},
        {"alarm": {"get_attr": ["P", "alarm_url"]},
         "signal": {"get_attr": ["P", "signal_url"]}},
        {"alarm": "/v1/signal/", "signal": "/resources/P/signal"}),
    "software-config": (
        {"C": {"type": "OS::Heat::SoftwareConfig",
               "properties": {"group": "script", "config": "#!/bin/sh\n"}},
         "S": {"type": "OS::Heat::StructuredConfig",
               "properties": {"config": {"a": 1}}}}, {}, {}),
    "deployment-no-signal": (
        {"C": {"type": "OS::Heat::SoftwareConfig",
               "properties": {"group": "script", "config": "#!/bin/sh\n"}},
         "V": SOFTWARE_SERVER,
         "D": {"type": "OS::Heat::SoftwareDeployment", "properties": {
             "config": {"get_resource": "C"},
             "server": {"get_resource": "V"},
             "signal_transport": "NO_SIGNAL"}}}, {}, {}),
}


@pytest.fixture(scope="module")
def apis(heat):
    """heat-api and heat-api-cfn served, the URL options pointing at
    them, as an operator's heat.conf would."""
    from heat_deltacloud.heat import apis as heat_apis

    with heat_apis.serve(heat) as served:
        yield served


def hot_outcome(heat, ctx, name, resources, outputs=None):
    """``(status, reason, outputs)`` of a HOT stack, deleted after."""
    template = {"heat_template_version": HOT, "resources": resources,
                "outputs": {k: {"value": v}
                            for k, v in (outputs or {}).items()}}
    try:
        identity = heat.engine_client.create_stack(
            ctx, name, template, {}, {}, {"timeout_mins": 2})
    except Exception as exc:  # Heat's validation errors come back here
        return "FAILED", str(exc), {}
    stack = heat.wait_for_stack(ctx, identity, timeout=90)
    values = {o["output_key"]: o["output_value"]
              for o in stack.get("outputs", [])}
    heat.delete_stack(ctx, identity, timeout=90)
    return stack["stack_status"], stack["stack_status_reason"], values


def matrix_of(mock, heat_types):
    with Client(mock.url, "mockuser", "mockpassword") as client:
        return {c.resource_type: c for c in capabilities.matrix(
            client.api, heat_types=heat_types)}


@pytest.mark.parametrize("case", sorted(SIGNAL_CASES))
def test_signal_types_the_matrix_supports_complete(
        heat, apis, heat_types, deltacloud_mock, case):
    resources, outputs, expected = SIGNAL_CASES[case]
    deltacloud_mock.set_capability("instances", "user_data")
    connection.DISCOVERY.clear()
    claims = matrix_of(deltacloud_mock, heat_types)
    for resource in resources.values():
        if resource["type"] in capabilities.RESOURCE_TYPES:
            assert claims[resource["type"]].support in (
                capabilities.SUPPORTED, capabilities.PARTIAL), \
                resource["type"]
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    status, reason, values = hot_outcome(heat, ctx, f"signal-{case}",
                                         resources, outputs)
    assert status == "COMPLETE", reason
    assert all(values.get(key) for key in outputs), values
    for key, words in expected.items():
        assert words in values[key], values[key]


@pytest.mark.parametrize("resource, words", [
    ({"type": "OS::Heat::WaitConditionHandle",
      "properties": {"signal_transport": "TOKEN_SIGNAL"}},
     "TOKEN_SIGNAL needs Keystone"),
    ({"type": "OS::Heat::WaitConditionHandle",
      "properties": {"signal_transport": "ZAQAR_SIGNAL"}},
     "ZAQAR_SIGNAL needs Zaqar"),
    ({"type": "OS::Nova::Server", "properties": {
        **SOFTWARE_SERVER["properties"],
        "software_config_transport": "POLL_TEMP_URL"}},
     "POLL_TEMP_URL needs Swift"),
    ({"type": "OS::Keystone::Project", "properties": {"name": "p"}},
     "not authorized to use OS::Keystone::Project"),
    ({"type": "OS::Heat::SwiftSignalHandle"}, "no temporary URLs"),
    ({"type": "AWS::ElasticLoadBalancing::LoadBalancer", "properties": {
        "AvailabilityZones": [], "Listeners": [{
            "LoadBalancerPort": "80", "InstancePort": "80",
            "Protocol": "HTTP"}]}},
     "nested stack running haproxy"),
], ids=["token-signal", "zaqar-signal", "poll-temp-url", "keystone",
        "swift-signal", "load-balancer"])
def test_what_the_matrix_refuses_is_refused_at_validation(
        heat, apis, heat_types, deltacloud_mock, resource, words):
    connection.DISCOVERY.clear()
    claims = matrix_of(deltacloud_mock, heat_types)
    claim = claims[resource["type"]]
    if claim.support != capabilities.UNSUPPORTED:
        [prop] = [p for p in claim.properties
                  if p.name in resource["properties"] and
                  p.name.endswith("transport")]
        assert prop.support == capabilities.PARTIAL
        assert resource["properties"][prop.name] in prop.reason
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    identity = None
    try:
        identity = heat.engine_client.create_stack(
            ctx, "refused", {"heat_template_version": HOT,
                             "resources": {"R": resource}},
            {}, {}, {"timeout_mins": 1})
    except Exception as exc:  # refused at validation: no stack made
        assert words in str(exc)
    assert identity is None, "the stack was created"


def test_curl_cli_signals_a_wait_condition(heat, apis, deltacloud_mock):
    """What the templates guide shows: an instance runs the handle's
    curl_cli with a JSON body; CFN_SIGNAL is the default transport."""
    import re

    import requests

    deltacloud_mock.set_capability("instances", "user_data")
    connection.DISCOVERY.clear()
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    template = {"heat_template_version": HOT, "resources": {
        "H": {"type": "OS::Heat::WaitConditionHandle"},
        "S": {"type": "OS::Nova::Server", "properties": {
            **SERVER, "user_data": {"str_replace": {
                "template": "#!/bin/sh\nwc_notify --data-binary "
                            "'{\"status\": \"SUCCESS\", \"data\": \"up\"}'\n",
                "params": {"wc_notify": {"get_attr": ["H", "curl_cli"]}}}}}},
        "W": {"type": "OS::Heat::WaitCondition", "depends_on": "S",
              "properties": {"handle": {"get_resource": "H"},
                             "timeout": 120}}},
        "outputs": {"data": {"value": {"get_attr": ["W", "data"]}}}}
    identity = heat.engine_client.create_stack(
        ctx, "curl-cli", template, {}, {}, {"timeout_mins": 3})
    pattern = re.compile(r"curl -i -X PUT .*? '(http://[^']+)'")
    url = None
    for _ in range(600):
        found = [pattern.search(i.get("user_data") or "")
                 for i in deltacloud_mock.all_instances()]
        found = [m.group(1) for m in found if m]
        if found:
            url = found[-1]
            break
        time.sleep(0.1)
    assert url and url.startswith(apis.heat_api_cfn + "/v1/waitcondition/")
    answer = requests.put(url, json={"status": "SUCCESS", "data": "up"},
                          headers={"Accept": "application/json"},
                          timeout=30)
    assert answer.status_code == 200, answer.text
    stack = heat.wait_for_stack(ctx, identity, timeout=120)
    heat.delete_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert [o["output_value"] for o in stack["outputs"]] == [
        '{"1": "up"}']


# -- the difference between drivers -------------------------------------------

def test_doctor_names_the_driver_and_what_it_lacks_for_heat():
    from heat_deltacloud import doctor
    from heat_deltacloud.mock.server import MockServer

    found = {}
    for driver in ("mock", "ec2"):
        with MockServer(driver=driver) as mock, \
                Client(mock.url, "mockuser", "mockpassword") as client:
            found[driver] = doctor.check_driver(client.api)
    assert (found["mock"].name, found["mock"].status) == ("driver mock", "OK")
    assert found["mock"].detail.startswith(
        "lacks instances/user_data (user data (cfn-init, signals, software "
        "config)), instances/firewalls (security groups on servers), "
        "firewalls (AWS::EC2::SecurityGroup), keys/import_key")
    assert "storage_volumes/volume_name" not in found["mock"].detail
    assert "load_balancers (AWS::ElasticLoadBalancing::LoadBalancer); " \
        "has" in found["mock"].detail
    assert found["ec2"].name == "driver ec2"
    assert found["ec2"].detail.startswith(
        "lacks instances/user_name (server names), keys/import_key "
        "(OS::Nova::KeyPair public_key), storage_volumes/volume_name "
        "(volume names); has, unused by Heat: networks")
