"""``heat-deltacloud validate``: Heat's validation and the capability
matrix, offline (issue 20 item 11)."""

import dataclasses
import json
import pathlib
import subprocess
import sys

import pytest

from heat_deltacloud import cli
from heat_deltacloud.deltacloud import Client
from heat_deltacloud.launch import validation
from heat_deltacloud.launch.cli import explain_text

pytestmark = [pytest.mark.heat]

ROOT = pathlib.Path(__file__).resolve().parents[2]


def hot(**resources):
    return {"heat_template_version": "2018-08-31", "resources": resources}


SERVER = {"type": "OS::Nova::Server",
          "properties": {"image": "img1", "flavor": "m1-small"}}


@pytest.fixture(scope="module")
def heat():
    from heat_deltacloud.heat import embedded
    return embedded.start()


@pytest.fixture
def context(heat, deltacloud_mock):
    return heat.context("mockuser", "mockpassword", deltacloud_mock.url)


@pytest.fixture(scope="module")
def heat_types():
    from heat_deltacloud.heat import capabilities
    return capabilities.heat_resource_types()


def api_of(mock):
    with Client(mock.url, "mockuser", "mockpassword") as client:
        return client.api


def test_heats_refusals_are_explained(heat, context):
    [typo] = validation.heat_findings(
        heat, hot(s={**SERVER, "type": "OS::Nova::Sever"}), {}, context)
    assert typo.line() == ("error: Heat knows no resource type "
                           "OS::Nova::Sever; did you mean OS::Nova::Server?")
    [neutron] = validation.heat_findings(
        heat, hot(n={"type": "OS::Neutron::Net"}), {}, context)
    # Before: "InternalFailure: ... due to an internal error: HEAT-E99001
    # Service neutron is not available ...".
    assert neutron.text.startswith(
        "resource type OS::Neutron::Net cannot be used here (Heat's "
        "neutron service): Deltacloud has no networks")
    assert "internal error" not in neutron.text
    assert validation.heat_findings(heat, hot(s=SERVER), {}, context) == []


def test_the_drivers_capabilities_judge_each_property(deltacloud_mock,
                                                      heat_types):
    template = hot(s={**SERVER, "properties": {
        **SERVER["properties"], "networks": [{"network": "public"}],
        "reservation_id": "r-1"}})
    found = validation.capability_findings(
        template, api_of(deltacloud_mock), heat_types)
    lines = [f.line() for f in found if f.level != validation.NOTE]
    assert lines == [
        "error: s (OS::Nova::Server): property networks rejected: "
        "Deltacloud has no networks or ports: refused at create and on "
        "update (501)",
        "warning: s (OS::Nova::Server): property reservation_id ignored: "
        "Deltacloud has no reservation ids"]


def test_user_data_is_judged_by_the_drivers_feature(deltacloud_mock,
                                                    heat_types):
    instance = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "I": {"Type": "AWS::EC2::Instance",
              "Properties": {"ImageId": "img1", "InstanceType": "m1-small"}}}}
    api = api_of(deltacloud_mock)  # the real mock: no user_data feature
    [refused] = validation.capability_findings(instance, api, heat_types)
    assert refused.level == "error"
    assert "Heat always sends UserData" in refused.text
    assert [f for f in validation.capability_findings(
        instance, api, heat_types, ignore_unsupported_user_data=True)
        if f.level == "error"] == []
    # A server with no user data needs none (issue 20 item 17).
    assert [f for f in validation.capability_findings(
        hot(s=SERVER), api, heat_types) if f.level == "error"] == []


def test_deletion_policy_snapshot_is_judged_by_the_driver(deltacloud_mock,
                                                         heat_types):
    template = hot(s={**SERVER, "deletion_policy": "Snapshot"},
                   v={"type": "OS::Cinder::Volume", "properties": {"size": 1},
                      "deletion_policy": "Snapshot"})
    api = api_of(deltacloud_mock)  # makes images and storage snapshots
    assert [f for f in validation.capability_findings(
        template, api, heat_types) if f.level == "error"] == []
    # A driver that advertises neither (and is not known to name images
    # anyway, as the mock is).
    bare = dataclasses.replace(api, driver="rhevm", collections=tuple(
        c for c in api.collections if c.name != "storage_snapshots"))
    errors = [f.line() for f in validation.capability_findings(
        template, bare, heat_types) if f.level == "error"]
    assert errors == [
        "error: s (OS::Nova::Server): deletion policy Snapshot needs an "
        "image of the server (images/image_name), which the Deltacloud "
        "driver 'rhevm' cannot make; set it to Delete or Retain",
        "error: v (OS::Cinder::Volume): deletion policy Snapshot needs a "
        "storage snapshot of the volume (storage_snapshots), which the "
        "Deltacloud driver 'rhevm' cannot make; set it to Delete or Retain"]
    # CFN spells it DeletionPolicy; Retain needs nothing.
    cfn = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
        "V": {"Type": "AWS::EC2::Volume", "DeletionPolicy": "Snapshot",
              "Properties": {"Size": "1", "AvailabilityZone": "us"}},
        "W": {"Type": "AWS::EC2::Volume", "DeletionPolicy": "Retain",
              "Properties": {"Size": "1", "AvailabilityZone": "us"}}}}
    assert [f.resource for f in validation.capability_findings(
        cfn, bare, heat_types) if f.level == "error"] == [
        "V (AWS::EC2::Volume)"]


def test_a_command_line_mistake_exits_2_before_heat_starts(capsys):
    status = cli.main(["validate", str(ROOT / "examples" / "wordpress" /
                                       "deployable.xml"),
                       "--param", "nonsense"])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        "heat-deltacloud validate: error: --param 'nonsense': expected "
        "KEY=VALUE")


def test_validate_command(tmp_path):
    template = tmp_path / "bad.yaml"
    template.write_text(json.dumps(hot(
        s={**SERVER, "properties": {**SERVER["properties"],
                                    "metadata": {"a": "b"}}})))
    result = subprocess.run(
        [sys.executable, "-m", "heat_deltacloud.cli", "validate",
         str(template), "--driver", "ec2", "-f", "json"],
        capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["driver"] == "ec2" and document["valid"] is False
    assert [f["text"] for f in document["findings"]
            if f["level"] == "error"] == [
        "property metadata rejected: Deltacloud has no metadata (Heat's "
        "validation sees a limit of 0 entries, at create and on update; "
        "an empty map passes and is not stored)"]
    assert "Traceback" not in result.stderr


def test_explain_text_leaves_other_messages_alone():
    assert explain_text("something else") == "something else"


def test_what_validate_template_lets_pass_and_create_refuses():
    # Before: "valid for Heat 27", then launch's CreateStack refused "The
    # Parameter (img) was not provided".
    template = {
        "heat_template_version": "2018-08-31",
        "parameters": {"img": {"type": "string"},
                       "flavor": {"type": "string", "default": "m1-small"}},
        "resources": {"s": {"type": "OS::Nova::Server", "properties": {
            "image": {"get_param": "img"},
            "flavor": {"get_param": "flavour"},
            "name": {"get_param": "OS::stack_name"},
            "metadata": {"of": {"get_param": ["flavor", "x"]}}}}},
        "outputs": {"id": {"value": {"get_resource": "s"}},
                    "typo": {"value": {"Ref": "ss"}}}}
    lines = [f.line() for f in validation.parameter_findings(template, {})]
    assert lines == [
        "error: parameter img has no default and no value: give --param "
        "img=VALUE",
        "error: s: refers to flavour, which is neither a parameter nor a "
        "resource of the template: declare it or fix the name",
        "error: typo: refers to ss, which is neither a parameter nor a "
        "resource of the template: declare it or fix the name"]
    template["resources"]["s"]["properties"]["flavor"] = "m1-small"
    template["outputs"]["typo"] = {"value": {"Ref": "s"}}
    assert validation.parameter_findings(template, {"img": "img1"}) == []
    translated = {"Parameters": {"ImageBase": {
        "Type": "String", "Description": "Image for image base"}},
        "Resources": {}}
    [unmapped] = validation.parameter_findings(translated, {},
                                               deployable=True)
    assert unmapped.line() == (
        "error: parameter ImageBase (Image for image base) has no default "
        "and no value: give --param ImageBase=VALUE or map it in --mapping "
        "FILE")


def test_a_parameter_without_a_value_says_which_to_give():
    assert explain_text(
        "Heat refused CreateStack: InvalidParameterValue: A bad or "
        "out-of-range value was supplied:The Parameter (img) was not "
        "provided.") == ("parameter img needs a value: give --param "
                         "img=VALUE (or a default in the template)")


@pytest.mark.parametrize("refusal, advice", [
    ("Heat refused DescribeStacks: MissingAuthenticationToken: "
     "Authentication required: no Deltacloud URL is configured, send it as "
     "X-Auth-Url.", "this Heat has no [deltacloud] url; give "
     "--deltacloud-url (or $DELTACLOUD_URL)"),
    ("Heat refused DescribeStacks: InvalidClientTokenId: Deltacloud "
     "rejected the credentials.", "Deltacloud rejected the credentials: "
     "check --user and --password-file (or $DELTACLOUD_USERNAME and "
     "$DELTACLOUD_PASSWORD)"),
])
def test_authentication_refusals_say_which_option(refusal, advice):
    # Before: Heat's words alone (status, events and delete passed them on
    # unexplained).
    explained = explain_text(refusal)
    assert explained.startswith(refusal.rstrip(".").rsplit(":", 1)[0])
    assert explained.endswith(advice)


def test_an_unreachable_deltacloud_is_one_line_with_the_option(
        tmp_path, capsys):
    # Before: "cannot read http://...:N/api's /api: Could not connect...".
    import socket

    template = tmp_path / "t.yaml"
    template.write_text(json.dumps(hot(s=SERVER)))
    with socket.socket() as unused:  # bound, not listening: refused
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/api"
        status = cli.main(["validate", str(template), "--deltacloud-url",
                           url])
    assert status == 1
    [error] = capsys.readouterr().err.splitlines()
    assert error.startswith(f"heat-deltacloud: cannot read the /api of "
                            f"Deltacloud at {url} (")
    assert error.endswith("): check --deltacloud-url (or $DELTACLOUD_URL) "
                          "and that the server runs")
