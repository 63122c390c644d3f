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

import json
import re
import time

import pytest
import requests

from heat_deltacloud.mock.server import MockServer

pytestmark = [pytest.mark.heat]

USERS = {"carol": "carol-pw"}
USER = "carol"
SIGNED_URL = re.compile(r"http://127\.0\.0\.1:\d+/v1/(?:waitcondition|signal)"
                        r"/[^'\"\s]+")
#: Bounds for polls; stacks carry their own (short) timeout_mins.
WAIT = 90


@pytest.fixture(scope="module")
def cloud():
    with MockServer(users=USERS, fix_user_data_feature=True, guest=True,
                    guest_timeout=60) as server:
        yield server


@pytest.fixture
def mock(cloud):
    cloud.reset()
    yield cloud


@pytest.fixture
def ctx(heat, mock):
    return heat.context(USER, USERS[USER], mock.url)


def wait_for(predicate, timeout=WAIT, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met in {timeout}s")
        time.sleep(interval)


def create(heat, ctx, name, template, params=None, timeout_mins=2):
    return heat.engine_client.create_stack(
        ctx, name, template, params or {}, {},
        {"timeout_mins": timeout_mins})


def settle(heat, ctx, identity):
    return heat.wait_for_stack(ctx, identity, timeout=WAIT)


def outputs(stack):
    return {o["output_key"]: o["output_value"]
            for o in stack.get("outputs", [])}


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
    found = []
    for instance in mock.all_instances():
        if instance["owner"] == USER and instance.get("user_data"):
            found += SIGNED_URL.findall(instance["user_data"])
    return found


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
SWIFT = "Swift (object storage)"
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
