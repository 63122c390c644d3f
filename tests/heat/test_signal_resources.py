"""Every wait condition on the Deltacloud backend, end to end.

Real Heat 27 (the embedded engine), heat-api and heat-api-cfn served over
HTTP on 127.0.0.1 from our api-paste.ini, and the mock Deltacloud in guest
mode: instances run their user data on this host, with heat-cfntools'
real ``cfn-signal`` (the mock's wrappers, files kept in each instance's
root) and the real ``curl``.  Where nothing should signal, the test plays
the instance itself with plain HTTP.

Covered: ``AWS::CloudFormation::WaitCondition`` (Count, Data, Timeout),
``OS::Heat::WaitCondition`` with ``OS::Heat::WaitConditionHandle``
(CFN_SIGNAL by default here: ``curl_cli`` and the ``signal`` attribute's
``alarm_url``; NO_SIGNAL), the transports this backend refuses at
validation, suspend/resume of a stack user and a deleted resource's key.
"""

import copy
import json
import os
import re
import subprocess
import urllib.parse

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions
import pytest
import requests

from heat_deltacloud.mock import guestboot
import support
from support import mock_fixtures, outputs, wait_for


pytestmark = [pytest.mark.heat]

USERS = {"carol": "carol-pw"}
USER = "carol"
#: Bounds for polls; stacks carry their own (short) timeout_mins.
WAIT = 90


cloud, mock = mock_fixtures(USERS, fix_user_data_feature=True, guest=True,
                    guest_timeout=60)


@pytest.fixture
def ctx(heat, mock):
    return heat.context(USER, USERS[USER], mock.url)



def create(heat, ctx, name, template, params=None, timeout_mins=2):
    return heat.engine_client.create_stack(
        ctx, name, template, params or {}, {},
        {"timeout_mins": timeout_mins})


def settle(heat, ctx, identity):
    return heat.wait_for_stack(ctx, identity, timeout=WAIT)



def resource(heat, ctx, identity, name):
    return heat.engine_client.describe_stack_resource(ctx, identity, name)


def physical_id(heat, ctx, identity, name):
    return wait_for(lambda: resource(heat, ctx, identity, name)[
        "physical_resource_id"], what=f"{name}'s physical id")


def console(mock, heat, ctx, identity, server):
    """The finished guest-mode boot of ``server``."""
    instance = physical_id(heat, ctx, identity, server)
    record = mock.wait_guest(instance, timeout=WAIT)
    assert record["status"] == "finished", record
    return record


def signed_urls_in_user_data(mock):
    return support.signed_urls_in_user_data(mock, USER)


def delete(heat, ctx, identity):
    stack = heat.delete_stack(ctx, identity, timeout=WAIT)
    assert (stack["stack_action"], stack["stack_status"]) == (
        "DELETE", "COMPLETE"), stack["stack_status_reason"]


def script(*lines):
    return "#!/bin/sh\nset -e\n" + "\n".join(lines) + "\n"


# -- AWS::CloudFormation::WaitCondition ---------------------------------------

def aws_wait_template(user_data, *, count=1, timeout=60):
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
            "Node": {"Type": "AWS::EC2::Instance", "Properties": {
                "ImageId": "img1", "InstanceType": "m1-small",
                "UserData": {"Fn::Base64": {"Fn::Join": ["", user_data]}}}},
            "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                     "DependsOn": "Node",
                     "Properties": {"Handle": {"Ref": "Handle"},
                                    "Timeout": str(timeout),
                                    "Count": str(count)}},
        },
        "Outputs": {"Data": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}}},
    }


def test_aws_wait_condition_counts_two_signals(heat, served_apis, mock,
                                               ctx):
    handle = {"Ref": "Handle"}
    template = aws_wait_template([
        "#!/bin/sh\nset -e\n",
        "cfn-signal -e 0 -i first -d one '", handle, "'\n",
        "cfn-signal -e 0 -i second -d two '", handle, "'\n"], count=2)
    identity = create(heat, ctx, "aws-count", template)
    record = console(mock, heat, ctx, identity, "Node")
    assert [s["http_status"] for s in record["signals"]] == [200, 200]
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert json.loads(outputs(stack)["Data"]) == {"first": "one",
                                                  "second": "two"}
    delete(heat, ctx, identity)


def test_aws_wait_condition_one_of_two_signals_times_out(
        heat, served_apis, mock, ctx):
    handle = {"Ref": "Handle"}
    template = aws_wait_template([
        "#!/bin/sh\nset -e\n",
        "cfn-signal -e 0 -i only -d one '", handle, "'\n"],
        count=2, timeout=3)
    identity = create(heat, ctx, "aws-timeout", template)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "FAILED"
    # Heat's WaitConditionTimeout: "<n> of <count> received".
    assert "1 of 2 received" in stack["stack_status_reason"], (
        stack["stack_status_reason"])
    wait = resource(heat, ctx, identity, "Wait")
    assert wait["resource_status"] == "FAILED"
    assert "WaitConditionTimeout" in wait["resource_status_reason"]
    delete(heat, ctx, identity)


# -- OS::Heat::WaitCondition + OS::Heat::WaitConditionHandle ------------------

def os_wait_template(user_data, *, count=1, timeout=60, transport=None,
                     params=None):
    handle = {"type": "OS::Heat::WaitConditionHandle"}
    if transport:
        handle["properties"] = {"signal_transport": transport}
    return {
        "heat_template_version": "2021-04-16",
        "resources": {
            "handle": handle,
            "node": {"type": "OS::Nova::Server", "properties": {
                "image": "img1", "flavor": "m1-small",
                "user_data_format": "RAW",
                "user_data": {"str_replace": {
                    "template": user_data,
                    "params": params or {"$CURL": {"get_attr": [
                        "handle", "curl_cli"]}}}}}},
            "wait": {"type": "OS::Heat::WaitCondition",
                     "depends_on": "node",
                     "properties": {"handle": {"get_resource": "handle"},
                                    "timeout": timeout, "count": count}},
        },
        "outputs": {"data": {"value": {"get_attr": ["wait", "data"]}},
                    "curl_cli": {"value": {"get_attr": ["handle",
                                                        "curl_cli"]}},
                    "signal": {"value": {"get_attr": ["handle",
                                                      "signal"]}}},
    }


SUCCESS_X = """--data-binary '{"status": "SUCCESS", "data": "x"}'"""


def test_os_wait_condition_signalled_with_curl_cli(heat, served_apis,
                                                   mock, ctx):
    template = os_wait_template(script(f"$CURL {SUCCESS_X}"))
    identity = create(heat, ctx, "os-curl", template)
    record = console(mock, heat, ctx, identity, "node")
    assert record["exit_status"] == 0, record["output"]
    assert "HTTP/1.1 200" in record["output"], record["output"]
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    out = outputs(stack)
    # No id sent: Heat numbers the signals.
    assert json.loads(out["data"]) == {"1": "x"}
    assert out["curl_cli"].startswith(
        "curl -i -X PUT -H 'Content-Type: application/json' ")
    assert f"'{served_apis.heat_api_cfn}/v1/waitcondition/" in \
        out["curl_cli"]
    # The signal attribute carries the same signed URL.
    assert json.loads(out["signal"]) == {
        "alarm_url": out["curl_cli"].rsplit(" ", 1)[1].strip("'")}
    delete(heat, ctx, identity)


def test_os_wait_condition_counts_signals_to_the_alarm_url(
        heat, served_apis, mock, ctx):
    """The ``signal`` attribute's alarm_url, as a JSON-reading agent uses
    it: three signals (two with ids, one numbered by Heat)."""
    user_data = script(
        "url=$(printf '%s' '$SIGNAL' | python3 -c "
        "'import json, sys; print(json.load(sys.stdin)[\"alarm_url\"])')",
        "for body in '{\"id\": \"a\", \"data\": \"1\"}' "
        "'{\"id\": \"b\", \"data\": \"2\", \"reason\": \"b up\"}' "
        "'{\"data\": \"3\"}'; do",
        "  curl -sf -X PUT -H 'Content-Type: application/json' "
        "--data-binary \"$body\" \"$url\"",
        "done")
    template = os_wait_template(user_data, count=3, params={
        "$SIGNAL": {"get_attr": ["handle", "signal"]}})
    identity = create(heat, ctx, "os-alarm", template)
    record = console(mock, heat, ctx, identity, "node")
    assert record["exit_status"] == 0, record["output"]
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert json.loads(outputs(stack)["data"]) == {"a": "1", "b": "2",
                                                  "3": "3"}
    delete(heat, ctx, identity)


def test_os_wait_condition_failure_signal_fails_it(heat, served_apis,
                                                   mock, ctx):
    template = os_wait_template(script(
        "$CURL --data-binary "
        "'{\"status\": \"FAILURE\", \"reason\": \"disk full\"}'"))
    identity = create(heat, ctx, "os-failure", template)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "FAILED"
    assert "disk full" in stack["stack_status_reason"]
    delete(heat, ctx, identity)


def test_os_wait_condition_times_out(heat, served_apis, mock, ctx):
    template = os_wait_template(script(f"$CURL {SUCCESS_X}"), count=2,
                                timeout=3)
    identity = create(heat, ctx, "os-timeout", template)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "FAILED"
    assert "1 of 2 received" in stack["stack_status_reason"], (
        stack["stack_status_reason"])
    delete(heat, ctx, identity)


def test_no_signal_completes_without_a_signal(heat, served_apis, mock,
                                              ctx):
    template = os_wait_template(script("echo nothing to send"),
                                transport="NO_SIGNAL", params={"$X": "x"})
    identity = create(heat, ctx, "os-nosignal", template)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    out = outputs(stack)
    assert out["curl_cli"] is None
    assert json.loads(out["signal"]) == {}
    assert signed_urls_in_user_data(mock) == []
    delete(heat, ctx, identity)


# -- Transports refused at validation ----------------------------------------

IDENTITY = "Keystone credentials or tokens"
SWIFT = "Swift temporary URLs"
ZAQAR = "Zaqar (messaging)"
SIGNAL_INSTEAD = "use CFN_SIGNAL (a signed URL) or NO_SIGNAL"
POLL_INSTEAD = "use POLL_SERVER_CFN"


def deployment_template(signal_transport=None, config_transport=None):
    server = {"image": "img1", "flavor": "m1-small",
              "user_data_format": "SOFTWARE_CONFIG"}
    if config_transport:
        server["software_config_transport"] = config_transport
    deployment = {"config": {"get_resource": "config"},
                  "server": {"get_resource": "server"}}
    if signal_transport:
        deployment["signal_transport"] = signal_transport
    return {
        "heat_template_version": "2021-04-16",
        "resources": {
            "config": {"type": "OS::Heat::SoftwareConfig",
                       "properties": {"group": "script",
                                      "config": "#!/bin/sh\ntrue\n"}},
            "server": {"type": "OS::Nova::Server", "properties": server},
            "deployment": {"type": "OS::Heat::SoftwareDeployment",
                           "properties": deployment},
        },
    }


REFUSED = [
    ("handle", "TOKEN_SIGNAL", IDENTITY, SIGNAL_INSTEAD,
     lambda t: os_wait_template("", transport=t, params={"$X": "x"})),
    ("handle", "HEAT_SIGNAL", IDENTITY, SIGNAL_INSTEAD,
     lambda t: os_wait_template("", transport=t, params={"$X": "x"})),
    ("handle", "TEMP_URL_SIGNAL", SWIFT, SIGNAL_INSTEAD,
     lambda t: os_wait_template("", transport=t, params={"$X": "x"})),
    ("handle", "ZAQAR_SIGNAL", ZAQAR, SIGNAL_INSTEAD,
     lambda t: os_wait_template("", transport=t, params={"$X": "x"})),
    ("deployment", "HEAT_SIGNAL", IDENTITY, SIGNAL_INSTEAD,
     lambda t: deployment_template(signal_transport=t)),
    ("deployment", "TEMP_URL_SIGNAL", SWIFT, SIGNAL_INSTEAD,
     lambda t: deployment_template(signal_transport=t)),
    ("deployment", "ZAQAR_SIGNAL", ZAQAR, SIGNAL_INSTEAD,
     lambda t: deployment_template(signal_transport=t)),
    ("server", "POLL_SERVER_HEAT", IDENTITY, POLL_INSTEAD,
     lambda t: deployment_template(config_transport=t)),
    ("server", "POLL_TEMP_URL", SWIFT, POLL_INSTEAD,
     lambda t: deployment_template(config_transport=t)),
    ("server", "ZAQAR_MESSAGE", ZAQAR, POLL_INSTEAD,
     lambda t: deployment_template(config_transport=t)),
]


@pytest.mark.parametrize("name, transport, needs, instead, template",
                         REFUSED, ids=[f"{r[0]}-{r[1]}" for r in REFUSED])
def test_unsupported_transports_are_refused_at_validation(
        heat, served_apis, mock, ctx, name, transport, needs, instead,
        template):
    """Over heat-api, as a user sees it: 400, naming the resource, the
    transport, what it needs and what to use; nothing is created."""
    before = mock.all_instances()
    answer = requests.post(
        f"{served_apis.heat_api}/v1/{USER}/stacks",
        headers={"X-Auth-User": USER, "X-Auth-Key": USERS[USER],
                 "X-Auth-Url": mock.url},
        json={"stack_name": f"refused-{name}", "template":
              template(transport), "timeout_mins": 1}, timeout=WAIT)
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]["message"]
    assert f"resources.{name}.properties" in message, message
    assert f"{transport} needs {needs}" in message, message
    assert instead in message, message
    assert mock.all_instances() == before


# -- AWS::IAM::User + AWS::IAM::AccessKey: cfn-get-metadata -------------------

#: Where heat-cfntools 2.0.0 sends DescribeStackResource
#: (cfn_helper.Metadata.remote_metadata): boto2's CloudFormationConnection
#: with is_secure=False, path '/v1' and port metadata_server_port() or
#: 8000; host and region name come from cfn-boto-cfg (cfn_region_endpoint,
#: cfn_region_name: Heat writes the metadata URL's host and 'heat').
#: cfn-get-metadata's --region reaches Metadata but not the connection,
#: -u/--url is parsed and ignored, --credential-file only gives the keys.
#: The port is read only from the end of cfn-metadata-server ("...:PORT"),
#: and Heat writes heat_metadata_server_url + '/v1/' there, so with Heat's
#: user data it is always 8000: serve heat-api-cfn on 8000, or strip the
#: path on the instance, as this guest does (boto adds '/v1' itself).
PORT_FROM_METADATA_SERVER = (
    "sed -i 's#/v1/*$##' "
    "\"$HEAT_DELTACLOUD_GUEST_ROOT/var/lib/heat-cfntools/"
    "cfn-metadata-server\"\n")


def get_metadata(label, stack, resource, key):
    """User data lines running the real cfn-get-metadata with a key."""
    return [f"echo '>>> {label}'\n",
            "cfn-get-metadata -s '", stack, f"' -r {resource} ",
            "--access-key '", {"Ref": key}, "' --secret-key '",
            {"Fn::GetAtt": [key, "SecretAccessKey"]}, "' ",
            f"|| echo '>>> {label} refused'\n"]


IAM_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Open": {"Type": "AWS::IAM::User"},
        "OpenKey": {"Type": "AWS::IAM::AccessKey",
                    "Properties": {"UserName": {"Ref": "Open"}}},
        "Policy": {"Type": "OS::Heat::AccessPolicy",
                   "Properties": {"AllowedResources": ["Allowed"]}},
        "Limited": {"Type": "AWS::IAM::User",
                    "Properties": {"Policies": [{"Ref": "Policy"}]}},
        "LimitedKey": {"Type": "AWS::IAM::AccessKey",
                       "Properties": {"UserName": {"Ref": "Limited"}}},
        "Allowed": {"Type": "OS::Heat::None",
                    "Metadata": {"greeting": "hello"}},
        "Other": {"Type": "OS::Heat::None",
                  "Metadata": {"secret": "not for Limited"}},
        "Node": {"Type": "AWS::EC2::Instance",
                 "DependsOn": ["Allowed", "Other"],
                 "Properties": {
                     "ImageId": "img1", "InstanceType": "m1-small",
                     "UserData": {"Fn::Base64": {"Fn::Join": ["", [
                         "#!/bin/sh\n", PORT_FROM_METADATA_SERVER,
                         *get_metadata("open other",
                                       {"Ref": "AWS::StackName"}, "Other",
                                       "OpenKey"),
                         *get_metadata("limited allowed",
                                       {"Ref": "AWS::StackId"}, "Allowed",
                                       "LimitedKey"),
                         *get_metadata("limited other",
                                       {"Ref": "AWS::StackName"}, "Other",
                                       "LimitedKey"),
                     ]]}}}},
    },
    "Outputs": {
        "Secret": {"Value": {"Fn::GetAtt": ["OpenKey", "SecretAccessKey"]}},
        "LimitedKey": {"Value": {"Ref": "LimitedKey"}},
        "LimitedSecret": {"Value": {"Fn::GetAtt": ["LimitedKey",
                                                   "SecretAccessKey"]}},
    },
}


def stack_user_cfn(served_apis, access, secret):
    """boto3's CloudFormation client signing with a stack user's key."""
    session = boto3.session.Session(aws_access_key_id=access,
                                    aws_secret_access_key=secret,
                                    region_name="heat")
    return session.client(
        "cloudformation", endpoint_url=served_apis.heat_api_cfn + "/v1/",
        config=botocore.config.Config(retries={"max_attempts": 1},
                                      connect_timeout=5, read_timeout=30))


@pytest.fixture(autouse=True)
def _no_aws_config(monkeypatch):
    """boto3 must not read the developer's ~/.aws."""
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def sections(output):
    """The console output split at the '>>> label' lines."""
    found, label = {}, None
    for line in output.splitlines():
        if line.startswith(">>> "):
            label = line[4:]
            found[label] = []
        elif label is not None:
            found[label].append(line)
    return {k: "\n".join(v) for k, v in found.items()}


def test_iam_access_keys_read_metadata_with_cfn_get_metadata(
        heat, served_apis, mock, ctx):
    """The real cfn-get-metadata, in the guest, with keys from Ref and
    Fn::GetAtt SecretAccessKey: SigV4 DescribeStackResource at the served
    heat-api-cfn; an AccessPolicy limits a user to its AllowedResources."""
    identity = create(heat, ctx, "iam", IAM_TEMPLATE)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    secret = outputs(stack)["Secret"]
    assert secret and secret != "000-000-000"
    record = console(mock, heat, ctx, identity, "Node")
    found = sections(record["output"])
    assert set(found) == {"open other", "limited allowed", "limited other",
                          "limited other refused"}, record["output"]
    assert json.loads(found["open other"].strip().splitlines()[-1]) == {
        "secret": "not for Limited"}, record["output"]
    assert json.loads(found["limited allowed"].strip().splitlines()[
        -1]) == {"greeting": "hello"}, record["output"]
    # Refused by the engine's AccessPolicy check; cfn-get-metadata fails
    # (see test_refused_json_describe_stack_resource_is_a_403 for how).
    assert "not for Limited" not in found["limited other"], record["output"]
    assert "Traceback" in found["limited other"], record["output"]
    # The same keys, from another real client (boto3: SigV4 POST, XML).
    keys = outputs(stack)
    cfn = stack_user_cfn(served_apis, keys["LimitedKey"],
                         keys["LimitedSecret"])
    detail = cfn.describe_stack_resource(StackName="iam",
                                         LogicalResourceId="Allowed")
    # Metadata is JSON inside the XML answer.
    assert json.loads(detail["StackResourceDetail"]["Metadata"]) == {
        "greeting": "hello"}
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        cfn.describe_stack_resource(StackName="iam",
                                    LogicalResourceId="Other")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] \
        == 403
    delete(heat, ctx, identity)


def test_refused_json_describe_stack_resource_is_a_403(heat, served_apis,
                                                       mock, ctx):
    """With ContentType=JSON (boto2's, so cfn-get-metadata's) a refusal is
    a 403, not Heat 27's error serialized as a JSON string with a 200."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {name: IAM_TEMPLATE["Resources"][name] for name in (
            "Policy", "Limited", "LimitedKey", "Allowed", "Other")},
        "Outputs": {name: IAM_TEMPLATE["Outputs"][name] for name in (
            "LimitedKey", "LimitedSecret")}}
    identity = create(heat, ctx, "iam-json", template)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    keys = outputs(stack)
    answers = {}
    for resource in ("Allowed", "Other"):
        # What boto2's CloudFormationConnection sends (SigV4 GET).
        query = urllib.parse.urlencode({
            "Action": "DescribeStackResource", "ContentType": "JSON",
            "LogicalResourceId": resource, "StackName": "iam-json",
            "Version": "2010-05-15"})
        request = botocore.awsrequest.AWSRequest(
            method="GET", url=f"{served_apis.heat_api_cfn}/v1/?{query}")
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(
            keys["LimitedKey"], keys["LimitedSecret"]), "cloudformation",
            "heat").add_auth(request)
        answers[resource] = requests.get(request.url,
                                         headers=dict(request.headers),
                                         timeout=30)
    delete(heat, ctx, identity)
    assert answers["Allowed"].status_code == 200
    assert answers["Other"].status_code == 403, answers["Other"].text


# -- Suspend, resume, deleted resources ---------------------------------------

SIGNAL_STATUS = re.compile(r"^cfn-signal: PUT \S+ -> HTTP (\d+)", re.M)


def cfn_signal(tmp_path, *args):
    """The real cfn-signal through the mock's guest wrapper (an instance
    root under tmp_path, files rebased there, loopback only); the HTTP
    status it got."""
    roots = list(tmp_path.glob("node-*"))
    root = str(roots[0]) if roots else guestboot.make_root(str(tmp_path),
                                                           "node")
    result = subprocess.run(
        [f"{root}/{guestboot.BIN}/cfn-signal", *args],
        env=guestboot.environment(root), capture_output=True, text=True,
        timeout=60)
    assert result.returncode == 0, result.stderr
    found = SIGNAL_STATUS.search(result.stderr)
    assert found, result.stderr
    return int(found.group(1)), result.stderr


HANDLES_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Kept": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Dropped": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
    },
    "Outputs": {"Kept": {"Value": {"Ref": "Kept"}},
                "Dropped": {"Value": {"Ref": "Dropped"}}},
}


def handle_metadata(heat, ctx, identity, name):
    return resource(heat, ctx, identity, name)["metadata"]


def test_suspended_stack_refuses_its_signed_urls(heat, served_apis, mock,
                                                 ctx, tmp_path):
    identity = create(heat, ctx, "suspends", HANDLES_TEMPLATE)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    url = outputs(stack)["Kept"]
    assert cfn_signal(tmp_path, "-i", "before", "-d", "1", url)[0] == 200
    heat.engine_client.stack_suspend(ctx, identity)
    stack = settle(heat, ctx, identity)
    assert (stack["stack_action"], stack["stack_status"]) == (
        "SUSPEND", "COMPLETE"), stack["stack_status_reason"]
    # The stack user is disabled: refused before the engine is asked.
    status, log = cfn_signal(tmp_path, "-i", "during", "-d", "2", url)
    assert status == 403, log
    assert "suspended" in log and "AccessDenied" in log, log
    heat.engine_client.stack_resume(ctx, identity)
    stack = settle(heat, ctx, identity)
    assert (stack["stack_action"], stack["stack_status"]) == (
        "RESUME", "COMPLETE"), stack["stack_status_reason"]
    assert cfn_signal(tmp_path, "-i", "after", "-d", "3", url)[0] == 200
    metadata = handle_metadata(heat, ctx, identity, "Kept")
    assert {k: v["Data"] for k, v in metadata.items()} == {"before": "1",
                                                           "after": "3"}
    delete(heat, ctx, identity)


def test_a_removed_resources_key_is_unknown(heat, served_apis, mock, ctx,
                                            tmp_path):
    identity = create(heat, ctx, "updates", HANDLES_TEMPLATE)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    kept, dropped = outputs(stack)["Kept"], outputs(stack)["Dropped"]
    assert cfn_signal(tmp_path, "-i", "one", dropped)[0] == 200
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Kept": HANDLES_TEMPLATE["Resources"]["Kept"]},
        "Outputs": {"Kept": HANDLES_TEMPLATE["Outputs"]["Kept"]}}
    heat.engine_client.update_stack(ctx, identity, template, {}, {},
                                    {"timeout_mins": 2})
    stack = wait_for(lambda: (lambda s: s["stack_action"] == "UPDATE"
                              and s["stack_status"] != "IN_PROGRESS"
                              and s)(heat.engine_client.show_stack(
                                  ctx, identity, resolve_outputs=True)[0]),
                     what="the update")
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert outputs(stack)["Kept"] == kept
    status, log = cfn_signal(tmp_path, "-i", "two", dropped)
    assert status == 403, log
    assert "InvalidClientTokenId" in log, log
    assert cfn_signal(tmp_path, "-i", "three", kept)[0] == 200
    delete(heat, ctx, identity)


def test_wait_conditions_in_nested_stacks(heat, served_apis, mock, ctx):
    """Members of a ResourceGroup (nested stacks of a template resource)
    each signal their own handle: the nested stacks share the parent's
    stack user project, and the key is scoped to them."""
    member = os_wait_template(script(
        "$CURL --data-binary \"{\\\"data\\\": \\\"$NAME\\\"}\""),
        params={"$CURL": {"get_attr": ["handle", "curl_cli"]},
                "$NAME": {"get_param": "name"}})
    member["parameters"] = {"name": {"type": "string"}}
    member["outputs"] = {"data": member["outputs"]["data"]}
    template = {
        "heat_template_version": "2021-04-16",
        "resources": {"group": {
            "type": "OS::Heat::ResourceGroup",
            "properties": {"count": 2, "resource_def": {
                "type": "member.yaml",
                "properties": {"name": "member-%index%"}}}}},
        "outputs": {"data": {"value": {"get_attr": ["group", "data"]}}},
    }
    identity = heat.engine_client.create_stack(
        ctx, "nested-waits", template, {},
        {"member.yaml": json.dumps(member)}, {"timeout_mins": 2})
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert sorted(json.loads(d)["1"] for d in outputs(stack)["data"]) == [
        "member-0", "member-1"]
    urls = signed_urls_in_user_data(mock)
    assert len(urls) == 2
    delete(heat, ctx, identity)
    # Deleting the parent revoked the nested stacks' keys too.
    answer = requests.put(urls[0], json={"status": "SUCCESS"}, timeout=30)
    assert answer.status_code == 403
    assert "InvalidClientTokenId" in answer.text


# -- keys made at create, not by the first reader -----------------------------

KEYED_TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "resources": {
        "handle": {"type": "OS::Heat::WaitConditionHandle"},
        "group": {"type": "OS::Heat::AutoScalingGroup", "properties": {
            "min_size": 0, "max_size": 1,
            "resource": {"type": "OS::Heat::None"}}},
        "policy": {"type": "OS::Heat::ScalingPolicy", "properties": {
            "adjustment_type": "change_in_capacity",
            "auto_scaling_group_id": {"get_resource": "group"},
            "scaling_adjustment": 1}},
    },
    "outputs": {
        "curl_cli": {"value": {"get_attr": ["handle", "curl_cli"]}},
        "alarm_url": {"value": {"get_attr": ["policy", "alarm_url"]}},
    },
}


def test_signal_keys_exist_before_anything_reads_them(heat, served_apis,
                                                      mock, ctx):
    """A handle's and a policy's key is made once, at create: readers of
    their signed URLs (the engine's propagation and every concurrent
    ``stack show``) all sign with it.  Made lazily by each reader, two
    keys' resource-data writes interleaved into a pair that never
    verified (a nested-stack wait condition timed out on CI)."""
    from concurrent.futures import ThreadPoolExecutor

    import sqlalchemy as sa

    from heat_deltacloud.heat import stackusers

    template = copy.deepcopy(KEYED_TEMPLATE)
    outputs_template = template.pop("outputs")
    identity = create(heat, ctx, "keyed", template)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    users = {name: resource(heat, ctx, identity, name)["physical_resource_id"]
             for name in ("handle", "policy")}
    credentials = stackusers.CREDENTIALS
    with stackusers.store().engine.connect() as conn:
        keys = {name: [row.access for row in conn.execute(
            sa.select(credentials.c.access).where(
                credentials.c.user_id == user))]
            for name, user in users.items()}
    # Nothing read an attribute yet, and each already has its one key.
    assert {name: len(found) for name, found in keys.items()} == {
        "handle": 1, "policy": 1}

    template["outputs"] = outputs_template
    heat.engine_client.update_stack(ctx, identity, template, {}, {},
                                    {"timeout_mins": 2})
    assert settle(heat, ctx, identity)["stack_status"] == "COMPLETE"

    def shown(_):
        return outputs(heat.engine_client.show_stack(
            ctx, identity, resolve_outputs=True)[0])

    with ThreadPoolExecutor(4) as pool:
        seen = list(pool.map(shown, range(8)))
    access = {name: {urllib.parse.parse_qs(urllib.parse.urlsplit(
        re.search(r"http://\S+?(?=['\s]|$)", o[output]).group(0)).query)[
        "AWSAccessKeyId"][0] for o in seen}
        for name, output in (("handle", "curl_cli"),
                             ("policy", "alarm_url"))}
    assert access == {name: set(found) for name, found in keys.items()}
    url = re.search(r"'(http://[^']+)'", seen[0]["curl_cli"]).group(1)
    answer = requests.put(url, json={"status": "SUCCESS"}, timeout=30)
    assert answer.status_code == 200, answer.text
    delete(heat, ctx, identity)
