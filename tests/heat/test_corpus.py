"""The public heat-templates (unmodified) on real Heat 27 and the mock.

The mock is seeded with what these templates name: images
``F17-x86_64-cfntools`` and friends, and hardware profiles ``m1.tiny`` to
``m1.xlarge``, as an operator's Deltacloud cloud would offer them.  Each
template either completes and deletes without leftovers, is rejected at
validation naming the unsupported resource type, or fails at create naming
what Deltacloud cannot do.

heat-api and heat-api-cfn are served next to the engine, so stack users,
their keys and signed URLs work (no Keystone): templates whose instances
signal a wait condition complete once the instance signals.  Their user
data installs packages and calls ``/opt/aws/bin/cfn-*`` on a Fedora
image, which cannot run here, so the test plays the instance: it finds
the signed URL in the instance's user data and sends the success signal
with the real ``cfn-signal`` (through the mock's guest-mode wrapper, its
files kept under the test's directory).
"""

import pathlib
import re
import subprocess

import pytest
import requests
import yaml

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.mock import guestboot
from heat_deltacloud.mock.models import load_fixtures
from heat_deltacloud.mock.server import MockServer
from support import wait_for


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
    # Stack users for its scaling policies; nothing signals at create.
    "cfn__aws_asg.template",
]
#: Complete once the instance signals its wait condition (the test plays
#: the instance): template -> the wait condition handle.
SIGNALLED = {
    "F17__MySQL_Single_Instance.template": "MySqlWaitHandle",
}
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
    # Its IAM user, access key and wait condition work, its security
    # groups need firewalls (completes with them: see below).
    "F17__PuppetMaster_Single_Instance.template": "'firewalls' collection",
    "F17__InstanceGroup.template": "'scheduler_hints'",
    # Its plain bucket is made (and deleted); its website bucket asks for
    # PublicRead and a static website, which Deltacloud buckets lack.
    "F17__S3_Single_Instance.template": "no static website",
}
#: Not run: Heat would fetch their nested templates from the internet.
NEEDS_INTERNET = {"F17__WordPress_Composed_Instances.template",
                  "F17__WordPress_With_LB.template"}


def test_every_corpus_template_has_an_expected_outcome():
    names = {p.name for p in CORPUS.iterdir()}
    assert names == set(COMPLETES) | set(SIGNALLED) | set(REJECTED) | \
        set(FAILS) | NEEDS_INTERNET


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


@pytest.fixture(scope="module", autouse=True)
def apis(served_apis):
    """heat-api and heat-api-cfn serving this module's stacks: signed
    URLs and metadata point at them."""
    return served_apis


def start(heat, cloud, name):
    template = yaml.safe_load((CORPUS / name).read_text())
    declared = template.get("Parameters", {})
    params = {k: v for k, v in PARAMETERS.items()
              if k in declared and "Default" not in declared[k]}
    ctx = heat.context("mockuser", "mockpassword", cloud.url)
    stack_name = name.replace("_", "-").replace(".", "-")
    identity = heat.engine_client.create_stack(
        ctx, stack_name, template, params, {}, {"timeout_mins": 2})
    return ctx, identity


def create(heat, cloud, name):
    ctx, identity = start(heat, cloud, name)
    return ctx, identity, heat.wait_for_stack(ctx, identity, timeout=90)


def instances(cloud):
    return {i["id"] for i in cloud.all_instances()}


def buckets(cloud):
    return set(cloud.app.cloud.buckets)


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
    before = instances(cloud), buckets(cloud)
    ctx, identity, stack = create(heat, cloud, name)
    assert stack["stack_status"] == "FAILED"
    assert any(r in stack["stack_status_reason"] for r in reason.split("|"))
    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE"
    assert (instances(cloud), buckets(cloud)) == before


# -- Templates whose instances signal -----------------------------------------

SIGNED_URL = re.compile(r"http://127\.0\.0\.1:\d+/v1/waitcondition/[^'\"\s]+")
SIGNAL_STATUS = re.compile(r"^cfn-signal: PUT \S+ -> HTTP (\d+)", re.M)


def play_the_instance(heat, ctx, identity, cloud, handle, tmp_path):
    """Send what the template's user data sends once it has set up the
    instance: ``cfn-signal -e 0 '<handle URL>'``, with the real cfn-signal
    (the mock's guest wrapper keeps its files under tmp_path)."""
    mine = f"/{identity['stack_id']}/resources/{handle}?"

    def signed_url_in_user_data():
        stack = heat.engine_client.show_stack(ctx, identity,
                                              resolve_outputs=False)[0]
        assert stack["stack_status"] == "IN_PROGRESS", (
            stack["stack_status_reason"])
        return [u for i in cloud.all_instances()
                for u in SIGNED_URL.findall(i.get("user_data") or "")
                if mine in u]
    url = wait_for(signed_url_in_user_data,
                   what=f"{handle}'s URL in user data")[0]
    root = guestboot.make_root(str(tmp_path), "corpus")
    result = subprocess.run(
        [f"{root}/{guestboot.BIN}/cfn-signal", "-e", "0", "-r",
         "set up by the test", url],
        env=guestboot.environment(root), capture_output=True, text=True,
        timeout=60)
    assert result.returncode == 0, result.stderr
    assert SIGNAL_STATUS.search(result.stderr).group(1) == "200", (
        result.stderr)


@pytest.mark.parametrize("name, handle", sorted(SIGNALLED.items()))
def test_signalled_templates_complete_and_delete_cleanly(
        heat, cloud, name, handle, tmp_path):
    before = instances(cloud)
    ctx, identity = start(heat, cloud, name)
    play_the_instance(heat, ctx, identity, cloud, handle, tmp_path)
    stack = heat.wait_for_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert (stack["stack_action"], stack["stack_status"]) == ("DELETE",
                                                              "COMPLETE")
    assert instances(cloud) == before


def test_aws_asg_scales_up_through_its_output_url(heat, cloud):
    """cfn__aws_asg's scale_up_url output, POSTed with no body nor extra
    headers as its description says, adds an instance (Cooldown 60 allows
    one)."""
    before = instances(cloud)
    ctx, identity, stack = create(heat, cloud, "cfn__aws_asg.template")
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert len(instances(cloud) - before) == 3
    url = {o["output_key"]: o["output_value"]
           for o in stack["outputs"]}["scale_up_url"]
    assert requests.post(url, timeout=30).status_code == 200
    wait_for(lambda: len(instances(cloud) - before) == 4,
             what="a fourth instance")
    wait_for(lambda: not heat.engine_client.describe_stack_resource(
        ctx, identity, "ASG")["metadata"].get("scaling_in_progress"),
        what="the scaling to finish")
    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE"
    assert instances(cloud) == before


# -- the corpus on the emulated ec2 driver ------------------------------------

#: Outcomes on ec2 (firewalls, user data and key names advertised, as the
#: real driver has them): None completes, else the words of the create
#: failure.  What FAILS lacks on mock (firewalls) completes here; the
#: rest is the same as on mock (a few kept as checks that it carries over).
EC2 = {
    "F17__EC2WithEBSSample.template": None,
    "F17__WordPress_2_Instances_With_EBS_EIP.template": None,
    "F17__WordPress_Single_Instance_With_EIP.template": None,
    "F18__WordPress_NoKey.yaml": None,
    # Volume names are not sent: the ec2 driver keeps none.
    "F17__WordPress_Single_Instance_With_EBS.template": None,
    "F17__getting_started.template": None,
    "F17__S3_Single_Instance.template": "no static website",
}
#: Complete on ec2 once the instance signals (see SIGNALLED).
EC2_SIGNALLED = {
    "F17__PuppetMaster_Single_Instance.template": "PuppetMasterWaitHandle",
}


@pytest.fixture(scope="module")
def ec2_cloud():
    with MockServer(fixtures=seeded_fixtures(), driver="ec2") as server, \
            Client(server.url, "mockuser", "mockpassword") as client:
        # The account's ``default`` security group, there before any
        # stack (the mock makes it on the account's first ec2 request).
        assert [f.id for f in client.firewalls.list()] == ["default"]
        yield server


def leftovers(cloud):
    """What a stack may make: instances, buckets, firewalls (ec2 has a
    ``default`` one of its own), addresses, volumes."""
    state = cloud.app.cloud
    return (instances(cloud), buckets(cloud),
            {f["id"] for f in state.list_firewalls("mockuser")},
            {a["id"] for a in state.list_addresses("mockuser")},
            {v["id"] for v in state.list_volumes("mockuser")})


@pytest.mark.parametrize("name, reason", sorted(EC2.items()))
def test_corpus_on_the_ec2_driver(heat, ec2_cloud, name, reason):
    before = leftovers(ec2_cloud)
    ctx, identity, stack = create(heat, ec2_cloud, name)
    if reason is None:
        assert stack["stack_status"] == "COMPLETE", (
            stack["stack_status_reason"])
    else:
        assert stack["stack_status"] == "FAILED"
        assert reason in stack["stack_status_reason"]
    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert (stack["stack_action"], stack["stack_status"]) == ("DELETE",
                                                              "COMPLETE")
    assert leftovers(ec2_cloud) == before


@pytest.mark.parametrize("name, handle", sorted(EC2_SIGNALLED.items()))
def test_signalled_templates_on_the_ec2_driver(heat, ec2_cloud, name,
                                               handle, tmp_path):
    """Its security groups become ec2 firewalls; IAM user, key and wait
    condition work as on mock."""
    before = leftovers(ec2_cloud)
    ctx, identity = start(heat, ec2_cloud, name)
    play_the_instance(heat, ctx, identity, ec2_cloud, handle, tmp_path)
    stack = heat.wait_for_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert len(ec2_cloud.app.cloud.list_firewalls("mockuser")) == \
        len(before[2]) + 2
    stack = heat.delete_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE"
    assert leftovers(ec2_cloud) == before
