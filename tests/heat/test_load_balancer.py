"""AWS::ElasticLoadBalancing::LoadBalancer over Deltacloud load balancers,
on real Heat 27 and the mock's emulated ec2 driver; refused at validation
on the mock driver, which has none."""

import pytest

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.heat import capabilities
from heat_deltacloud.mock.server import MockServer

pytestmark = [pytest.mark.heat]

TYPE = "AWS::ElasticLoadBalancing::LoadBalancer"
INSTANCE = {"ImageId": "img1", "InstanceType": "m1.small"}
LISTENER = {"LoadBalancerPort": "80", "InstancePort": "8080",
            "Protocol": "HTTP"}
HEALTH_CHECK = {"Target": "HTTP:8080/", "HealthyThreshold": "3",
                "UnhealthyThreshold": "5", "Interval": "30", "Timeout": "5"}


def template(lb_properties, **resources):
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        **resources,
        "LB": {"Type": TYPE, "Properties": {
            "AvailabilityZones": {"Fn::GetAZs": ""},
            "Listeners": [LISTENER], **lb_properties}}},
        "Outputs": {name: {"Value": {"Fn::GetAtt": ["LB", name]}}
                    for name in ("DNSName", "CanonicalHostedZoneName",
                                 "CanonicalHostedZoneNameID")} | {
            "Ref": {"Value": {"Ref": "LB"}}}}


def web(**properties):
    return {"Type": "AWS::EC2::Instance",
            "Properties": {**INSTANCE, **properties}}


@pytest.fixture(scope="module")
def ec2():
    with MockServer(driver="ec2") as server:
        yield server


@pytest.fixture
def cloud(ec2):
    ec2.reset()
    yield ec2


def balancers(cloud):
    return {ident: b for (_, ident), b in
            cloud.app.cloud.load_balancers.items()}


def instances(cloud):
    return {i["id"] for i in cloud.all_instances()}


def physical(heat, ctx, identity, name):
    return heat.engine_client.describe_stack_resource(
        ctx, identity, name)["physical_resource_id"]


def outputs(stack):
    return {o["output_key"]: o["output_value"] for o in stack["outputs"]}


def create(heat, cloud, name, tmpl):
    ctx = heat.context("mockuser", "mockpassword", cloud.url)
    identity = heat.engine_client.create_stack(
        ctx, name, tmpl, {}, {}, {"timeout_mins": 2})
    return ctx, identity, heat.wait_for_stack(ctx, identity, timeout=90)


def update(heat, ctx, identity, tmpl):
    heat.engine_client.update_stack(ctx, identity, tmpl, {}, {},
                                    {"timeout_mins": 2})
    return heat.wait_for_stack(ctx, identity, timeout=90)


def test_balances_its_instances_and_follows_updates(heat, cloud):
    tmpl = template({"Instances": [{"Ref": "A"}],
                     "HealthCheck": HEALTH_CHECK},
                    A=web(), B=web(AvailabilityZone="us-east-1c"))
    before = instances(cloud)
    ctx, identity, stack = create(heat, cloud, "lb-life", tmpl)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    a, b = (physical(heat, ctx, identity, n) for n in "AB")
    [(name, balancer)] = balancers(cloud).items()
    assert physical(heat, ctx, identity, "LB") == name
    assert name.startswith("lb-life-LB-") and len(name) <= 32
    assert balancer["listeners"] == [{"protocol": "HTTP",
                                      "load_balancer_port": "80",
                                      "instance_port": "8080"}]
    assert balancer["instances"] == [a]
    [address] = balancer["public_addresses"]
    assert outputs(stack) == {"DNSName": address,
                              "CanonicalHostedZoneName": address,
                              "CanonicalHostedZoneNameID": None,
                              "Ref": "LB"}
    shown = heat.engine_client.show_stack(ctx, identity)[0]
    assert shown["stack_status"] == "COMPLETE"

    # Instances change in place: B registered, A unregistered.
    tmpl["Resources"]["LB"]["Properties"]["Instances"] = [{"Ref": "B"}]
    stack = update(heat, ctx, identity, tmpl)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert balancers(cloud)[name]["instances"] == [b]

    # Another listener replaces the balancer: a new name, the old gone.
    tmpl["Resources"]["LB"]["Properties"]["Listeners"] = [
        dict(LISTENER, Protocol="TCP", LoadBalancerPort="443")]
    stack = update(heat, ctx, identity, tmpl)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    [(new_name, balancer)] = balancers(cloud).items()
    assert new_name != name
    assert balancer["listeners"][0]["protocol"] == "TCP"
    # In the realm of its instance (B is in us-east-1c).
    assert (balancer["instances"], balancer["realms"]) == ([b],
                                                           ["us-east-1c"])

    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert balancers(cloud) == {}
    assert instances(cloud) == before


def test_an_autoscaling_group_registers_its_instances(heat, cloud):
    """The group registers its members (Heat's lbutils, as when it scales)
    through an update of the balancer's Instances."""
    tmpl = template({}, Config={
        "Type": "AWS::AutoScaling::LaunchConfiguration",
        "Properties": INSTANCE}, Group={
        "Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
            "AvailabilityZones": {"Fn::GetAZs": ""},
            "LaunchConfigurationName": {"Ref": "Config"},
            "MinSize": "2", "MaxSize": "2",
            "LoadBalancerNames": [{"Ref": "LB"}]}})
    before = instances(cloud)
    ctx, identity, stack = create(heat, cloud, "lb-group", tmpl)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    members = instances(cloud) - before
    [balancer] = balancers(cloud).values()
    assert len(members) == 2 and set(balancer["instances"]) == members
    # The update kept the balancer's id (its delete depends on it).
    assert physical(heat, ctx, identity, "LB") == balancer["id"]

    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert balancers(cloud) == {} and instances(cloud) == before


def test_failed_creates_delete_only_their_own_balancer(heat, cloud):
    with Client(cloud.url, "mockuser", "mockpassword") as client:
        client.load_balancers.create("not-heats", "us-east-1a", "TCP", 22,
                                     22)
    # Choosing among zones reads the instance: nothing is made.
    ctx, identity, stack = create(heat, cloud, "lb-no-instance",
                                  template({"Instances": ["i-missing"]}))
    assert stack["stack_status"] == "FAILED"
    assert "Instances: there is no instance 'i-missing' in this " \
        "Deltacloud account" in stack["stack_status_reason"]
    assert list(balancers(cloud)) == ["not-heats"]
    heat.delete_stack(ctx, identity, timeout=90)
    # In one zone the balancer is made, then registering fails (ec2's
    # error); the stack's delete removes it and only it.
    ctx, identity, stack = create(heat, cloud, "lb-fails", template({
        "Instances": ["i-missing"], "AvailabilityZones": ["us-east-1b"]}))
    assert stack["stack_status"] == "FAILED"
    assert "InvalidInstanceID.NotFound: The instance ID 'i-missing' does " \
        "not exist" in stack["stack_status_reason"]
    assert len(balancers(cloud)) == 2
    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert list(balancers(cloud)) == ["not-heats"]


def test_stack_check_finds_a_balancer_gone(heat, cloud):
    ctx, identity, stack = create(heat, cloud, "lb-check", template({}))
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    heat.engine_client.stack_check(ctx, identity)
    stack = heat.wait_for_stack(ctx, identity, timeout=90)
    assert (stack["stack_action"], stack["stack_status"]) == ("CHECK",
                                                              "COMPLETE")
    [name] = balancers(cloud)
    with Client(cloud.url, "mockuser", "mockpassword") as client:
        client.load_balancers.destroy(name)
    heat.engine_client.stack_check(ctx, identity)
    stack = heat.wait_for_stack(ctx, identity, timeout=90)
    assert (stack["stack_action"], stack["stack_status"]) == ("CHECK",
                                                              "FAILED")
    assert f"There is no ACTIVE Load Balancer named '{name}'" in \
        stack["stack_status_reason"]
    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]


@pytest.mark.parametrize("lb_properties, words", [
    ({"Listeners": [LISTENER, dict(LISTENER, LoadBalancerPort="81")]},
     "Resources.LB.Properties.Listeners: 2 listeners: a Deltacloud load "
     "balancer has exactly one"),
    ({"AvailabilityZones": []},
     "Resources.LB.Properties.AvailabilityZones: no zone"),
    ({"SecurityGroups": ["web"]},
     "Resources.LB.Properties.SecurityGroups: Deltacloud load balancers "
     "have no security groups"),
    ({"HealthCheck": dict(HEALTH_CHECK, Interval="2")},
     "Interval must be larger than Timeout"),
], ids=["listeners", "no-zone", "security-groups", "health-check"])
def test_what_deltacloud_cannot_do_is_refused_at_validation(
        heat, cloud, lb_properties, words):
    ctx = heat.context("mockuser", "mockpassword", cloud.url)
    with pytest.raises(Exception) as err:
        heat.engine_client.create_stack(ctx, "lb-refused",
                                        template(lb_properties), {}, {},
                                        {"timeout_mins": 1})
    assert words in str(err.value)
    assert balancers(cloud) == {}


def test_refused_at_validation_without_load_balancers(heat, deltacloud_mock):
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    with pytest.raises(Exception) as err:
        heat.engine_client.create_stack(
            ctx, "lb-none", template({}), {}, {}, {"timeout_mins": 1})
    assert type(err.value).__name__.startswith("ResourceTypeUnavailable")
    assert (f"not available for resource type {TYPE}" in str(err.value) and
            "the Deltacloud driver has no 'load_balancers' collection"
            in str(err.value))


def test_the_matrix_row_per_driver(cloud, deltacloud_mock):
    heat_type = ("SUPPORTED", "", ["AvailabilityZones", "HealthCheck",
                                   "Instances", "Listeners",
                                   "SecurityGroups"])
    found = {}
    for name, mock in (("ec2", cloud), ("mock", deltacloud_mock)):
        with Client(mock.url, "mockuser", "mockpassword") as client:
            found[name] = capabilities.capability(TYPE, client.api,
                                                  heat_type)
            found[f"{name}-no-plugins"] = capabilities.capability(
                TYPE, client.api, heat_type, plugins=False)
    assert found["ec2"].support == capabilities.PARTIAL
    assert {p.name: p.support for p in found["ec2"].limited()} == {
        "AvailabilityZones": "partial", "HealthCheck": "ignored",
        "Listeners": "partial", "SecurityGroups": "rejected"}
    assert (found["mock"].support, found["mock"].notes) == (
        capabilities.UNSUPPORTED,
        ("the driver has no 'load_balancers' collection",))
    assert found["ec2-no-plugins"].support == capabilities.UNSUPPORTED
    assert "haproxy" in found["ec2-no-plugins"].notes[0]
