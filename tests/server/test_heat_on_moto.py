"""Real Heat 27 (embedded) through heat-deltacloud-server onto moto's EC2:
a public CFN template with a security group, elastic IPs and an EBS volume
creates, shows its outputs and deletes, leaving nothing in moto."""

import pathlib
import re

import pytest
import yaml

try:
    # oslo.service's threading backend, before Heat's plugins load (see
    # tests/heat/conftest.py).
    from heat_deltacloud.heat import embedded as _embedded  # noqa: F401
except ImportError:  # no Heat: the heat-marked tests report it
    pass

pytestmark = [pytest.mark.heat]

CORPUS = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / \
    "corpus" / "cfn"
TEMPLATE = "F17__WordPress_2_Instances_With_EBS_EIP.template"
ROOT = "/dev/sda1"
KEY, SECRET = "AKIDHEATTEST", "heat-test-secret-5d4c"


@pytest.fixture(scope="module")
def heat():
    from heat_deltacloud.heat import apis, embedded
    engine = embedded.start()
    # heat-api-cfn serves the instances' metadata URLs in user data.
    with apis.serve(engine):
        yield engine


def _resources(moto):
    """What a stack may leave in moto: live instances, volumes (not the
    instances' root volumes), addresses and security groups other than
    ``default``."""
    live = {i["InstanceId"] for r in moto.describe_instances()[
        "Reservations"] for i in r["Instances"]
        if i["State"]["Name"] not in ("terminated", "shutting-down")}
    volumes = {v["VolumeId"] for v in moto.describe_volumes()["Volumes"]
               if not any(a["Device"] == ROOT for a in v["Attachments"])}
    return (live, volumes, {a["PublicIp"] for a in moto.describe_addresses()[
            "Addresses"]}, {g["GroupName"] for g in
                            moto.describe_security_groups()[
                                "SecurityGroups"]} - {"default"})


def test_cfn_wordpress_with_ebs_and_eips_on_moto(heat, server, moto):
    if not (CORPUS / TEMPLATE).is_file():
        pytest.skip(f"the corpus is not at {CORPUS}")
    moto.register_image(Name="F17-x86_64-cfntools", Architecture="x86_64",
                        RootDeviceName=ROOT)
    moto.create_key_pair(KeyName="test-key")
    before = _resources(moto)
    template = yaml.safe_load((CORPUS / TEMPLATE).read_text())
    ctx = heat.context(KEY, SECRET, server.url)
    identity = heat.engine_client.create_stack(
        ctx, "wordpress-on-moto", template,
        {"KeyName": "test-key", "DBPassword": "adminpw",
         "DBRootPassword": "rootpw"}, {}, {"timeout_mins": 3})
    stack = heat.wait_for_stack(ctx, identity, timeout=150)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]

    live, volumes, addresses, groups = _resources(moto)
    assert len(live - before[0]) == 2
    assert len(volumes) == 1 and len(addresses) == 2
    assert groups == {g for g in groups if "WikiDatabaseSecurityGroup" in g}
    [volume] = moto.describe_volumes(VolumeIds=list(volumes))["Volumes"]
    assert volume["Attachments"][0]["InstanceId"] in live
    assert volume["Attachments"][0]["Device"] == "/dev/vdc"
    url = {o["output_key"]: o["output_value"]
           for o in stack["outputs"]}["WebsiteURL"]
    # Heat keeps WebServer's PublicIp as the server showed it when it
    # completed, before its elastic IP was associated.
    assert re.fullmatch(r"http://\d+\.\d+\.\d+\.\d+/wordpress", url), url

    stack = heat.delete_stack(ctx, identity, timeout=150)
    assert (stack["stack_action"], stack["stack_status"]) == ("DELETE",
                                                              "COMPLETE")
    assert _resources(moto) == before


def test_a_server_with_deletion_policy_snapshot_leaves_an_image(heat, server,
                                                                moto,
                                                                own_image):
    """libcloud:ec2 advertises images/image_name, so the policy passes
    validation; the delete makes an AMI of the instance, then terminates
    it."""
    template = {"heat_template_version": "2021-04-16", "resources": {
        "web": {"type": "OS::Nova::Server", "deletion_policy": "Snapshot",
                "properties": {"image": own_image, "flavor": "t2.micro"}}}}
    ctx = heat.context(KEY, SECRET, server.url)
    identity = heat.engine_client.create_stack(
        ctx, "snapshot-on-moto", template, {}, {}, {"timeout_mins": 2})
    stack = heat.wait_for_stack(ctx, identity, timeout=60)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    [instance] = [i for r in moto.describe_instances()["Reservations"]
                  for i in r["Instances"]]

    stack = heat.delete_stack(ctx, identity, timeout=60)
    assert (stack["stack_action"], stack["stack_status"]) == (
        "DELETE", "COMPLETE"), stack["stack_status_reason"]
    [image] = [i for i in moto.describe_images(Owners=["self"])["Images"]
               if i["ImageId"] != own_image]
    assert image["Name"].startswith("snapshot-on-moto-web-")
    assert image["Description"].startswith(
        "heat-deltacloud snapshot of server snapshot-on-moto-web-")
    assert moto.describe_instances(InstanceIds=[instance["InstanceId"]])[
        "Reservations"][0]["Instances"][0]["State"]["Name"] in (
        "shutting-down", "terminated")
