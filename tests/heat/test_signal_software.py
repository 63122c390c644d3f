"""Software deployments over heat-api-cfn, with the test as the instance.

``OS::Heat::SoftwareConfig`` + ``OS::Heat::SoftwareDeployment``
(``signal_transport`` CFN_SIGNAL, the default) on an ``OS::Nova::Server``
with ``user_data_format: SOFTWARE_CONFIG`` and ``software_config_transport:
POLL_SERVER_CFN`` (the default): real Heat 27, heat-api-cfn served over
HTTP on 127.0.0.1, the mock Deltacloud.  The test plays the two agents of
an image built for software deployments, the way they talk to heat-api-cfn:

* os-collect-config's ``cfn`` collector: the keys and URL come from the
  ``os-collect-config.cfn`` block Heat puts into the server's boot
  metadata (the ``cfn-init-data`` part of its user data); it GETs
  ``DescribeStackResource`` signed with SigV2 by keystoneclient's
  ``Ec2Signer`` (no Timestamp) and reads the XML answer;
* heat-config-notify: POSTs the result as JSON to the deployment's
  ``deploy_signal_id`` (a pre-signed URL).
"""

import email
import email.policy
import json
import urllib.parse

import pytest
import requests
from keystoneclient.contrib.ec2 import utils as ec2_utils
from lxml import etree

from support import mock_fixtures, outputs, wait_for


pytestmark = [pytest.mark.heat]

USERS = {"dave": "dave-pw"}
USER = "dave"
WAIT = 90


cloud, mock = mock_fixtures(USERS, fix_user_data_feature=True)


@pytest.fixture
def ctx(heat, mock):
    return heat.context(USER, USERS[USER], mock.url)




TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "resources": {
        "config": {"type": "OS::Heat::SoftwareConfig", "properties": {
            "group": "script",
            "inputs": [{"name": "greeting", "default": "hello"}],
            "outputs": [{"name": "result"}],
            "config": "#!/bin/sh\n"
                      "echo $greeting > $heat_outputs_path.result\n"}},
        "server": {"type": "OS::Nova::Server", "properties": {
            "image": "img1", "flavor": "m1-small",
            "user_data_format": "SOFTWARE_CONFIG",
            "software_config_transport": "POLL_SERVER_CFN"}},
        "deployment": {"type": "OS::Heat::SoftwareDeployment",
                       "properties": {
                           "config": {"get_resource": "config"},
                           "server": {"get_resource": "server"},
                           "input_values": {"greeting": "hi"}}},
    },
    "outputs": {
        "result": {"value": {"get_attr": ["deployment", "result"]}},
        "stdout": {"value": {"get_attr": ["deployment", "deploy_stdout"]}},
        "status_code": {"value": {"get_attr": ["deployment",
                                               "deploy_status_code"]}},
    },
}


def boot_metadata(mock, instance_id):
    """The server's metadata as the instance gets it at boot: Heat's
    ``cfn-init-data`` user data part."""
    user_data = mock.instance(instance_id)["user_data"]
    message = email.message_from_string(user_data,
                                        policy=email.policy.compat32)
    for part in message.walk():
        if part.get_filename() == "cfn-init-data":
            return json.loads(part.get_payload(decode=True))
    raise AssertionError("no cfn-init-data part in the user data")


def collect_cfn(occ):
    """What os-collect-config's cfn collector does with its settings:
    SigV2 (Ec2Signer, GET, no Timestamp), XML answer, Metadata as JSON."""
    resource, field = occ["path"].split(".", 1)
    params = {"Action": "DescribeStackResource",
              "StackName": occ["stack_name"],
              "LogicalResourceId": resource,
              "AWSAccessKeyId": occ["access_key_id"],
              "SignatureVersion": "2"}
    url = urllib.parse.urlparse(occ["metadata_url"])
    params["Signature"] = ec2_utils.Ec2Signer(
        occ["secret_access_key"]).generate({
            "params": params, "verb": "GET", "host": url.netloc,
            "path": url.path})
    answer = requests.get(occ["metadata_url"], params=params,
                          headers={"Content-Type": "application/json"},
                          timeout=30)
    answer.raise_for_status()
    # os-collect-config parses it with lxml, as here.
    detail = etree.fromstring(answer.content).find(
        "DescribeStackResourceResult").find("StackResourceDetail")
    return json.loads(detail.find(field).text)


def deployment_of(occ):
    """The deployment's inputs, once Heat published it in the metadata."""
    def found():
        deployments = collect_cfn(occ).get("deployments", [])
        return deployments and deployments[0]
    deployment = wait_for(found, what="a deployment in the metadata")
    return {i["name"]: i["value"] for i in deployment["inputs"]}


def notify(signal_id, body):
    """heat-config-notify's request for a CFN deployment."""
    return requests.post(signal_id, data=json.dumps(body),
                         headers={"content-type": "application/json"},
                         timeout=30)


def start(heat, ctx, mock, name):
    identity = heat.engine_client.create_stack(
        ctx, name, TEMPLATE, {}, {}, {"timeout_mins": 2})
    server = wait_for(lambda: heat.engine_client.describe_stack_resource(
        ctx, identity, "server")["physical_resource_id"],
        what="the server's instance")
    occ = boot_metadata(mock, server)["os-collect-config"]
    return identity, occ


def test_deployment_completes_with_its_outputs(heat, served_apis, mock,
                                               ctx):
    identity, occ = start(heat, ctx, mock, "deploys")
    assert occ["collectors"] == ["ec2", "cfn", "local"]
    cfn = occ["cfn"]
    assert cfn["metadata_url"] == served_apis.heat_api_cfn + "/v1/"
    assert cfn["path"] == "server.Metadata"
    assert cfn["stack_name"] == "deploys"
    inputs = deployment_of(cfn)
    assert inputs["greeting"] == "hi"
    assert inputs["deploy_signal_verb"] == "POST"
    assert inputs["deploy_signal_id"].startswith(
        served_apis.heat_api_cfn + "/v1/signal/")
    answer = notify(inputs["deploy_signal_id"], {
        "deploy_stdout": "said hi", "deploy_stderr": "",
        "deploy_status_code": 0, "result": "x"})
    assert answer.status_code == 200, answer.text
    stack = heat.wait_for_stack(ctx, identity, timeout=WAIT)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert outputs(stack) == {"result": "x", "stdout": "said hi",
                              "status_code": 0}
    # The server's key reads the server's metadata only.
    with pytest.raises(requests.HTTPError) as refused:
        collect_cfn(dict(cfn, path="deployment.Metadata"))
    assert refused.value.response.status_code == 403
    heat.delete_stack(ctx, identity, timeout=WAIT)


def test_non_zero_status_fails_the_deployment(heat, served_apis, mock,
                                              ctx):
    identity, occ = start(heat, ctx, mock, "deploy-fails")
    inputs = deployment_of(occ["cfn"])
    answer = notify(inputs["deploy_signal_id"], {
        "deploy_stdout": "", "deploy_stderr": "no such file",
        "deploy_status_code": 2})
    assert answer.status_code == 200, answer.text
    stack = heat.wait_for_stack(ctx, identity, timeout=WAIT)
    assert stack["stack_status"] == "FAILED"
    reason = stack["stack_status_reason"]
    assert "Deployment exited with non-zero status code: 2" in reason, \
        reason
    deployment = heat.engine_client.describe_stack_resource(
        ctx, identity, "deployment")
    assert deployment["resource_status"] == "FAILED"
    heat.delete_stack(ctx, identity, timeout=WAIT)


ENGINE_TYPES = {
    "cloud": {"type": "OS::Heat::CloudConfig", "properties": {
        "cloud_config": {"runcmd": ["echo hi"]}}},
    "script": {"type": "OS::Heat::SoftwareConfig", "properties": {
        "group": "script", "config": "#!/bin/sh\ntrue\n"}},
    "mime": {"type": "OS::Heat::MultipartMime", "properties": {
        "parts": [{"config": {"get_resource": "cloud"}},
                  {"config": {"get_resource": "script"}}]}},
    "structured": {"type": "OS::Heat::StructuredConfig", "properties": {
        "group": "Heat::Ungrouped", "config": {"key": "value"}}},
    "component": {"type": "OS::Heat::SoftwareComponent", "properties": {
        "configs": [{"actions": ["CREATE"], "tool": "script",
                     "config": "#!/bin/sh\ntrue\n"}]}},
    "server": {"type": "OS::Nova::Server", "properties": {
        "image": "img1", "flavor": "m1-small", "user_data_format": "RAW",
        "user_data": {"get_resource": "mime"}}},
    "group": {"type": "OS::Heat::SoftwareDeploymentGroup", "properties": {
        "config": {"get_resource": "script"}, "servers": {},
        "signal_transport": "NO_SIGNAL"}},
    "structured_group": {"type": "OS::Heat::StructuredDeploymentGroup",
                         "properties": {
                             "config": {"get_resource": "structured"},
                             "servers": {},
                             "signal_transport": "NO_SIGNAL"}},
}


def test_engine_served_types_need_no_catalog(heat, served_apis, mock,
                                             ctx):
    """Configs, MIME user data and deployment groups run in the engine:
    no Keystone catalog is asked for them; the MIME config is a server's
    user data."""
    template = {"heat_template_version": "2021-04-16",
                "resources": ENGINE_TYPES}
    identity = heat.engine_client.create_stack(
        ctx, "engine-types", template, {}, {}, {"timeout_mins": 2})
    stack = heat.wait_for_stack(ctx, identity, timeout=WAIT)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    server = heat.engine_client.describe_stack_resource(
        ctx, identity, "server")["physical_resource_id"]
    user_data = mock.instance(server)["user_data"]
    assert "runcmd" in user_data and "#!/bin/sh" in user_data
    heat.delete_stack(ctx, identity, timeout=WAIT)


def test_remote_stack_still_needs_a_catalog(heat, served_apis, mock, ctx):
    template = {"heat_template_version": "2021-04-16", "resources": {
        "remote": {"type": "OS::Heat::Stack", "properties": {
            "context": {"region_name": "elsewhere"},
            "template": {"heat_template_version": "2021-04-16"}}}}}
    with pytest.raises(Exception) as refused:
        heat.engine_client.create_stack(ctx, "remote", template, {}, {},
                                        {"timeout_mins": 1})
    message = str(refused.value)
    assert "Service heat is not available for resource type " \
        "OS::Heat::Stack" in message, message


def test_deployment_update_is_signalled_anew(heat, served_apis, mock, ctx):
    """An updated deployment waits for a new signal.  On the embedded
    sqlite this once failed (FOREIGN KEY constraint failed): a deleted
    row's id was reused and Heat deleted the new data by the old id."""
    identity, occ = start(heat, ctx, mock, "deploy-updates")
    try:
        deployment_update(heat, ctx, identity, occ["cfn"])
    finally:
        heat.delete_stack(ctx, identity, timeout=WAIT)


def deployment_update(heat, ctx, identity, cfn):
    inputs = deployment_of(cfn)
    answer = notify(inputs["deploy_signal_id"], {
        "deploy_stdout": "said hi", "deploy_status_code": 0, "result": "x"})
    assert answer.status_code == 200, answer.text
    stack = heat.wait_for_stack(ctx, identity, timeout=WAIT)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    # An update with new inputs: a new deployment action, signalled anew.
    template = json.loads(json.dumps(TEMPLATE))
    template["resources"]["deployment"]["properties"]["input_values"] = {
        "greeting": "bonjour"}
    heat.engine_client.update_stack(ctx, identity, template, {}, {},
                                    {"timeout_mins": 2})
    update = wait_for(lambda: (lambda i: i["greeting"] == "bonjour" and i)(
        deployment_of(cfn)), what="the updated deployment")
    assert update["deploy_action"] == "UPDATE"
    answer = notify(update["deploy_signal_id"], {
        "deploy_stdout": "said bonjour", "deploy_status_code": 0,
        "result": "y"})
    assert answer.status_code == 200, answer.text
    stack = wait_for(lambda: (lambda s: s["stack_action"] == "UPDATE"
                              and s["stack_status"] != "IN_PROGRESS"
                              and s)(heat.engine_client.show_stack(
                                  ctx, identity, resolve_outputs=True)[0]),
                     what="the update")
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert outputs(stack)["result"] == "y"
