"""The public heat-templates (unmodified) on real Heat 27 and the mock.

The mock is seeded with what these templates name: images
``F17-x86_64-cfntools`` and friends, and hardware profiles ``m1.tiny`` to
``m1.xlarge``, as an operator's Deltacloud cloud would offer them.  Each
template either completes and deletes without leftovers, is rejected at
validation naming the unsupported resource type, or fails at create naming
what Deltacloud cannot do.
"""

import pathlib

import pytest
import yaml

from heat_deltacloud.mock.models import load_fixtures
from heat_deltacloud.mock.server import MockServer

pytestmark = [pytest.mark.heat, pytest.mark.slow]

CORPUS = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / \
    "corpus" / "cfn"
PARAMETERS = {"KeyName": "test-key", "InstanceType": "m1.small",
              "DBIpaddress": "127.0.0.1", "Image": "F17-x86_64-cfntools",
              "DBName": "wordpress", "DBUsername": "admin",
              "DBPassword": "adminpw", "DBRootPassword": "rootpw"}

COMPLETES = [
    "F17__WordPress_2_Instances.template",
    "F17__WordPress_And_Http.template",
    "F17__WordPress_NoKey.template",
    "F17__WordPress_Single_Instance.template",
    "F17__WordPress_Single_Instance.yaml",
    "F17__WordPress_Single_Instance_With_EBS.template",
    "F17__getting_started.template",
    "F18__WordPress_Single_Instance.template",
]
#: Refused at validation: the message names the resource type.
REJECTED = {
    "F17-invalid__AutoScalingMultiAZSample.template": "AWS::CloudWatch::Alarm",
    "F17-invalid__WordPress_Single_Instance_With_HA.template":
        "AWS::CloudWatch::Alarm",
    "F17-invalid__WordPress_Single_Instance_With_HA_AccessPolicy.template":
        "AWS::CloudWatch::Alarm",
    "F17__WordPress_Single_Instance_With_HA.yaml": "AWS::CloudWatch::Alarm",
    "F17__AutoScalingCeilometer.yaml": "OS::Ceilometer::Alarm",
    "F17__Neutron.template": "OS::Neutron::",
    "F17__S3_Single_Instance.template": "AWS::S3::Bucket",
    "F17__VPN_Service.template": "OS::Neutron::",
    "F17__WordPress_Single_Instance_With_Neutron.template":
        "OS::Neutron::",
}
#: Fail at create, with a reason naming what Deltacloud lacks (one of
#: the ``|``-separated alternatives).
FAILS = {
    "F17__EC2WithEBSSample.template": "'firewalls' collection",
    "F17__WordPress_2_Instances_With_EBS_EIP.template":
        "'firewalls' collection",
    "F17__WordPress_Single_Instance_With_EIP.template":
        "'firewalls' collection",
    "F18__WordPress_NoKey.yaml": "'firewalls' collection",
    # A security group and a stack user are created in parallel: either
    # one fails first.
    "F17__PuppetMaster_Single_Instance.template":
        "'firewalls' collection|create_stack_domain_user",
    "F17__InstanceGroup.template": "'scheduler_hints'",
    "F17__MySQL_Single_Instance.template": "create_stack_domain_user",
    "cfn__aws_asg.template": "create_stack_domain_user",
}
#: Not run: Heat would fetch their nested templates from the internet.
NEEDS_INTERNET = {"F17__WordPress_Composed_Instances.template",
                  "F17__WordPress_With_LB.template"}


def test_every_corpus_template_has_an_expected_outcome():
    names = {p.name for p in CORPUS.iterdir()}
    assert names == set(COMPLETES) | set(REJECTED) | set(FAILS) | \
        NEEDS_INTERNET


def seeded_fixtures():
    fixtures = load_fixtures()
    for distro in ("F17", "F18", "U10"):
        for arch in ("x86_64", "i386"):
            name = f"{distro}-{arch}-cfntools"
            fixtures["images"].append({
                "id": name, "name": name, "owner_id": "fedoraproject",
                "architecture": arch, "state": "AVAILABLE",
                "description": f"{distro} with cfntools",
                "creation_time": "Thu Oct 25 14:27:53 CEST 2012"})
    for name, cpu, memory, disk in (
            ("m1.tiny", 1, 512, 1), ("m1.small", 1, 2048, 20),
            ("m1.medium", 2, 4096, 40), ("m1.large", 4, 8192, 80),
            ("m1.xlarge", 8, 16384, 160)):
        fixtures["hardware_profiles"].append({
            "id": name, "name": name, "properties": [
                {"name": "cpu", "kind": "fixed", "unit": "count",
                 "value": cpu},
                {"name": "memory", "kind": "fixed", "unit": "MB",
                 "value": memory},
                {"name": "storage", "kind": "fixed", "unit": "GB",
                 "value": disk}]})
    return fixtures


@pytest.fixture(scope="module")
def cloud():
    with MockServer(fixtures=seeded_fixtures(),
                    fix_user_data_feature=True) as server:
        yield server


def create(heat, cloud, name):
    template = yaml.safe_load((CORPUS / name).read_text())
    declared = template.get("Parameters", {})
    params = {k: v for k, v in PARAMETERS.items()
              if k in declared and "Default" not in declared[k]}
    ctx = heat.context("mockuser", "mockpassword", cloud.url)
    stack_name = name.replace("_", "-").replace(".", "-")
    identity = heat.engine_client.create_stack(
        ctx, stack_name, template, params, {}, {"timeout_mins": 2})
    return ctx, identity, heat.wait_for_stack(ctx, identity, timeout=90)


def instances(cloud):
    return {i["id"] for i in cloud.all_instances()}


@pytest.mark.parametrize("name", COMPLETES)
def test_supported_templates_complete_and_delete_cleanly(heat, cloud,
                                                         name):
    before = instances(cloud)
    ctx, identity, stack = create(heat, cloud, name)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert instances(cloud) > before
    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert (stack["stack_action"], stack["stack_status"]) == ("DELETE",
                                                              "COMPLETE")
    assert instances(cloud) == before


@pytest.mark.parametrize("name, resource_type", sorted(REJECTED.items()))
def test_unsupported_types_are_rejected_at_validation(heat, cloud, name,
                                                      resource_type):
    before = instances(cloud)
    with pytest.raises(Exception) as err:
        create(heat, cloud, name)
    assert resource_type in str(err.value)
    assert instances(cloud) == before


@pytest.mark.parametrize("name, reason", sorted(FAILS.items()))
def test_unsupported_operations_fail_with_a_reason(heat, cloud, name,
                                                   reason):
    before = instances(cloud)
    ctx, identity, stack = create(heat, cloud, name)
    assert stack["stack_status"] == "FAILED"
    assert any(r in stack["stack_status_reason"] for r in reason.split("|"))
    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE"
    assert instances(cloud) == before
