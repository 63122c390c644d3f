"""HEAT_SIGNAL, TOKEN_SIGNAL and POLL_SERVER_HEAT through the identity
endpoint, with the test (or the mock's guest mode) as the instance.

Real Heat 27 (embedded engine), heat-api serving ``/identity`` and
heat-api-cfn on 127.0.0.1, the mock Deltacloud in guest mode (instances
run their user data on this host, with the real ``curl``).  Where the
instance runs an agent, the test plays it over real HTTP the way the agent
talks:

* heat-config-notify (HEAT_SIGNAL deployments and wait condition handles):
  keystoneclient v3 ``Client(auth_url, user_id, password, project_id)``,
  the ``orchestration`` endpoint from the token's catalog, then
  heatclient's ``resources.signal``;
* os-collect-config's ``heat`` collector (POLL_SERVER_HEAT): the same
  login with the server's credentials, then ``resources.metadata``.
"""

import email
import email.policy
import json

import pytest
import requests

from heat_deltacloud.mock.server import MockServer

from .helpers import USERS, WAIT, login
from support import wait_for, outputs


pytestmark = [pytest.mark.heat]

USER = "alice"


@pytest.fixture(scope="module")
def cloud():
    with MockServer(users=USERS, fix_user_data_feature=True, guest=True,
                    guest_timeout=60) as server:
        yield server


@pytest.fixture
def ctx(heat, mock):
    return heat.context(USER, USERS[USER], mock.url)


def create(heat, ctx, name, template, timeout_mins=2):
    return heat.engine_client.create_stack(
        ctx, name, template, {}, {}, {"timeout_mins": timeout_mins})


def settle(heat, ctx, identity):
    return heat.wait_for_stack(ctx, identity, timeout=WAIT)


def delete(heat, ctx, identity):
    stack = heat.delete_stack(ctx, identity, timeout=WAIT)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]


def physical_id(heat, ctx, identity, name):
    return wait_for(lambda: heat.engine_client.describe_stack_resource(
        ctx, identity, name)["physical_resource_id"],
        timeout=WAIT, what=f"{name}'s physical id")


def agent_clients(auth_url, user_id, password, project_id):
    """keystoneclient + heatclient as heat-config-notify and
    os-collect-config build them."""
    from heatclient import client as heat_client
    from keystoneclient.v3 import client as ks_client

    ks = ks_client.Client(auth_url=auth_url, user_id=user_id,
                          password=password, project_id=project_id)
    endpoint = ks.service_catalog.url_for(service_type="orchestration",
                                          endpoint_type="publicURL")
    return endpoint, heat_client.Client("1", endpoint, token=ks.auth_token)


# -- OS::Heat::WaitConditionHandle -------------------------------------------

def wait_template(transport, user_data="#!/bin/sh\ntrue\n", params=None):
    return {
        "heat_template_version": "2021-04-16",
        "resources": {
            "handle": {"type": "OS::Heat::WaitConditionHandle",
                       "properties": {"signal_transport": transport}},
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
                                    "timeout": 60}},
        },
        "outputs": {
            "data": {"value": {"get_attr": ["wait", "data"]}},
            "curl_cli": {"value": {"get_attr": ["handle", "curl_cli"]}},
            "token": {"value": {"get_attr": ["handle", "token"]}},
            "endpoint": {"value": {"get_attr": ["handle", "endpoint"]}},
            "signal": {"value": {"get_attr": ["handle", "signal"]}},
        },
    }


def test_token_signal_with_curl_cli(heat, served, mock, ctx):
    """Heat's default transport: the instance runs the handle's curl_cli
    (a stack user token in X-Auth-Token) with the real curl."""
    template = wait_template("TOKEN_SIGNAL", (
        "#!/bin/sh\nset -e\n$CURL --data-binary "
        "'{\"status\": \"SUCCESS\", \"id\": \"db\", \"data\": \"up\"}'\n"))
    identity = create(heat, ctx, "token-signal", template)
    record = mock.wait_guest(physical_id(heat, ctx, identity, "node"),
                             timeout=WAIT)
    assert record["exit_status"] == 0, record["output"]
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    out = outputs(stack)
    assert json.loads(out["data"]) == {"db": "up"}
    assert out["curl_cli"].startswith("curl -i -X POST -H 'X-Auth-Token: ")
    token, endpoint = out["token"], out["endpoint"]
    project = stack["stack_user_project_id"]
    assert endpoint == (f"{served.heat_api}/v1/{project}/stacks/"
                        f"token-signal/{identity['stack_id']}/resources/"
                        "handle/signal")
    # The token is a stack user's: its stack's signal and metadata only.
    headers = {"X-Auth-Token": token}
    for method, url in [
            ("GET", f"{served.heat_api}/v1/{project}/stacks"),
            ("GET", endpoint.rsplit("/", 1)[0]),
            ("GET", endpoint),
            ("POST", endpoint.replace("/signal", "/metadata")),
            ("DELETE", endpoint.rsplit("/resources", 1)[0]),
            ("GET", f"{served.heat_api}/v1/{USER}/stacks")]:
        answer = requests.request(method, url, headers=headers,
                                  timeout=WAIT)
        assert answer.status_code == 403, (method, url, answer.text)
    # Through to the engine, which lets a handle's user read nothing.
    metadata = requests.get(endpoint.replace("/signal", "/metadata"),
                            headers=headers, timeout=WAIT)
    assert metadata.status_code == 403, metadata.text
    # heat-api-cfn takes no stack user tokens.
    answer = requests.get(f"{served.heat_api_cfn}/v1/", params={
        "Action": "ListStacks"}, headers=headers, timeout=WAIT)
    assert answer.status_code == 403
    delete(heat, ctx, identity)
    # The token died with its stack user.
    answer = requests.post(endpoint, headers=headers, json={}, timeout=WAIT)
    assert answer.status_code == 401


def test_token_signal_failure(heat, served, mock, ctx):
    template = wait_template("TOKEN_SIGNAL", (
        "#!/bin/sh\n$CURL --data-binary "
        "'{\"status\": \"FAILURE\", \"reason\": \"no disk\"}'\n"))
    identity = create(heat, ctx, "token-failure", template)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "FAILED"
    assert "no disk" in stack["stack_status_reason"]
    delete(heat, ctx, identity)


def test_heat_signal_wait_condition_as_an_agent(heat, served, mock, ctx):
    """HEAT_SIGNAL: the handle's ``signal`` attribute holds Keystone v3
    credentials of its stack user; the agent logs in and signals."""
    template = wait_template("HEAT_SIGNAL", "#!/bin/sh\necho '$SIGNAL'\n",
                             params={"$SIGNAL": {"get_attr": [
                                 "handle", "signal"]}})
    identity = create(heat, ctx, "heat-signal", template)
    instance = physical_id(heat, ctx, identity, "node")
    output = mock.wait_guest(instance, timeout=WAIT)["output"]
    signal = json.loads(output[output.index("{"):output.rindex("}") + 1])
    assert signal["auth_url"] == served.identity
    assert signal["project_id"] != USER
    assert signal["alarm_url"].startswith(
        f"{served.heat_api}/v1/{signal['project_id']}/stacks/heat-signal/")
    endpoint, client = agent_clients(
        signal["auth_url"], signal["user_id"], signal["password"],
        signal["project_id"])
    assert endpoint == f"{served.heat_api}/v1/{signal['project_id']}"
    client.resources.signal(f"heat-signal/{identity['stack_id']}",
                            "handle", data={"id": "web", "data": "ok"})
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert json.loads(outputs(stack)["data"]) == {"web": "ok"}
    # Wrong password: no token.
    from keystoneauth1 import exceptions as ks_exceptions
    with pytest.raises(ks_exceptions.Unauthorized):
        agent_clients(signal["auth_url"], signal["user_id"], "wrong",
                      signal["project_id"])
    delete(heat, ctx, identity)
    with pytest.raises(ks_exceptions.Unauthorized):
        agent_clients(signal["auth_url"], signal["user_id"],
                      signal["password"], signal["project_id"])


def handle_attributes(heat, ctx, identity):
    """The handle's token and endpoint, once it has them."""
    def found():
        attrs = heat.engine_client.describe_stack_resource(
            ctx, identity, "handle", with_attr=["token", "endpoint"])[
            "attributes"]
        return attrs.get("token") and attrs
    return wait_for(found, timeout=WAIT, what="the handle's token")


def test_another_stacks_token_cannot_signal(heat, served, mock, ctx):
    first = create(heat, ctx, "first", wait_template("TOKEN_SIGNAL"))
    second = create(heat, ctx, "second", wait_template("TOKEN_SIGNAL"))
    first_attrs = handle_attributes(heat, ctx, first)
    second_attrs = handle_attributes(heat, ctx, second)
    answer = requests.post(second_attrs["endpoint"], headers={
        "X-Auth-Token": first_attrs["token"]}, json={"status": "SUCCESS"},
        timeout=WAIT)
    assert answer.status_code == 403
    # Its own still works.
    answer = requests.post(first_attrs["endpoint"], headers={
        "X-Auth-Token": first_attrs["token"]}, json={"status": "SUCCESS"},
        timeout=WAIT)
    assert answer.status_code == 200, answer.text
    assert settle(heat, ctx, first)["stack_status"] == "COMPLETE"
    delete(heat, ctx, first)
    delete(heat, ctx, second)


def test_suspended_stack_users_token_is_refused(heat, served, mock, ctx):
    """Suspend disables the handle's stack user: its token is 401 (not
    passed on) until the stack is resumed."""
    template = wait_template("TOKEN_SIGNAL")
    # No server: only the handle's stack user matters here.
    del template["resources"]["node"]
    del template["resources"]["wait"]["depends_on"]
    template["outputs"] = {}
    identity = create(heat, ctx, "suspends", template)
    attrs = handle_attributes(heat, ctx, identity)
    # The wait condition needs its signal before anything can suspend.
    answer = requests.post(attrs["endpoint"], headers={
        "X-Auth-Token": attrs["token"]}, json={"status": "SUCCESS"},
        timeout=WAIT)
    assert answer.status_code == 200, answer.text
    assert settle(heat, ctx, identity)["stack_status"] == "COMPLETE"
    heat.engine_client.stack_suspend(ctx, identity)
    stack = settle(heat, ctx, identity)
    assert (stack["stack_action"], stack["stack_status"]) == (
        "SUSPEND", "COMPLETE"), stack["stack_status_reason"]
    answer = requests.post(attrs["endpoint"], headers={
        "X-Auth-Token": attrs["token"]}, json={"status": "SUCCESS"},
        timeout=WAIT)
    assert answer.status_code == 401
    heat.engine_client.stack_resume(ctx, identity)
    stack = settle(heat, ctx, identity)
    assert (stack["stack_action"], stack["stack_status"]) == (
        "RESUME", "COMPLETE"), stack["stack_status_reason"]
    answer = requests.get(attrs["endpoint"].replace("/signal", "/metadata"),
                          headers={"X-Auth-Token": attrs["token"]},
                          timeout=WAIT)
    assert answer.status_code == 403  # accepted, then the engine's no
    delete(heat, ctx, identity)


# -- Software deployments: POLL_SERVER_HEAT + HEAT_SIGNAL --------------------

DEPLOYMENT_TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "resources": {
        "config": {"type": "OS::Heat::SoftwareConfig", "properties": {
            "group": "script",
            "inputs": [{"name": "greeting", "default": "hello"}],
            "outputs": [{"name": "result"}],
            "config": "#!/bin/sh\necho $greeting\n"}},
        "server": {"type": "OS::Nova::Server", "properties": {
            "image": "img1", "flavor": "m1-small",
            "user_data_format": "SOFTWARE_CONFIG",
            "software_config_transport": "POLL_SERVER_HEAT"}},
        "deployment": {"type": "OS::Heat::SoftwareDeployment",
                       "properties": {
                           "config": {"get_resource": "config"},
                           "server": {"get_resource": "server"},
                           "signal_transport": "HEAT_SIGNAL",
                           "input_values": {"greeting": "hi"}}},
    },
    "outputs": {
        "result": {"value": {"get_attr": ["deployment", "result"]}},
        "status_code": {"value": {"get_attr": ["deployment",
                                               "deploy_status_code"]}},
    },
}


def boot_metadata(mock, instance_id):
    user_data = mock.instance(instance_id)["user_data"]
    message = email.message_from_string(user_data,
                                        policy=email.policy.compat32)
    for part in message.walk():
        if part.get_filename() == "cfn-init-data":
            return json.loads(part.get_payload(decode=True))
    raise AssertionError("no cfn-init-data part in the user data")


def collect_heat(occ):
    """os-collect-config's heat collector."""
    _, client = agent_clients(occ["auth_url"], occ["user_id"],
                              occ["password"], occ["project_id"])
    return client.resources.metadata(occ["stack_id"], occ["resource_name"])


def test_software_deployment_poll_server_heat_and_heat_signal(
        heat, served, mock, ctx):
    identity = create(heat, ctx, "deploy-heat", DEPLOYMENT_TEMPLATE)
    server = physical_id(heat, ctx, identity, "server")
    meta = boot_metadata(mock, server)
    occ = meta["os-collect-config"]
    assert "heat" in occ["collectors"]
    occ = occ["heat"]
    assert occ["auth_url"] == served.identity
    assert occ["stack_id"] == f"deploy-heat/{identity['stack_id']}"

    def deployment():
        deployments = collect_heat(occ).get("deployments", [])
        return deployments and deployments[0]
    found = wait_for(deployment, timeout=WAIT,
                     what="a deployment in the metadata")
    inputs = {i["name"]: i["value"] for i in found["inputs"]}
    assert inputs["greeting"] == "hi"
    assert inputs["deploy_signal_transport"] == "HEAT_SIGNAL"
    assert inputs["deploy_auth_url"] == served.identity
    # heat-config-notify
    _, client = agent_clients(
        inputs["deploy_auth_url"], inputs["deploy_user_id"],
        inputs["deploy_password"], inputs["deploy_project_id"])
    client.resources.signal(inputs["deploy_stack_id"],
                            inputs["deploy_resource_name"], data={
                                "deploy_stdout": "hi\n", "deploy_stderr": "",
                                "deploy_status_code": 0, "result": "hi"})
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert outputs(stack) == {"result": "hi", "status_code": 0}
    # The server's credentials read its own metadata only.
    _, server_client = agent_clients(occ["auth_url"], occ["user_id"],
                                     occ["password"], occ["project_id"])
    from heatclient import exc as heat_exc
    with pytest.raises(heat_exc.HTTPException) as caught:
        server_client.resources.metadata(occ["stack_id"], "deployment")
    assert caught.value.code == 403
    delete(heat, ctx, identity)


# -- Scaling policies ---------------------------------------------------------

SCALING_TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "resources": {
        "group": {"type": "OS::Heat::AutoScalingGroup", "properties": {
            "min_size": 1, "max_size": 3,
            "resource": {"type": "OS::Nova::Server", "properties": {
                "image": "img1", "flavor": "m1-small"}}}},
        "up": {"type": "OS::Heat::ScalingPolicy", "properties": {
            "adjustment_type": "change_in_capacity",
            "auto_scaling_group_id": {"get_resource": "group"},
            "scaling_adjustment": 1, "cooldown": 0}},
    },
    "outputs": {
        "signal_url": {"value": {"get_attr": ["up", "signal_url"]}},
        "size": {"value": {"get_attr": ["group", "current_size"]}},
    },
}


def test_scaling_policy_signal_url_with_a_users_token(heat, served, mock,
                                                      ctx):
    """``signal_url`` (heat-api, the owner's project) signalled as an
    alarm service or the owner would: with the owner's token."""
    identity = create(heat, ctx, "scaling", SCALING_TEMPLATE)
    stack = settle(heat, ctx, identity)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    url = outputs(stack)["signal_url"]
    assert url.startswith(f"{served.heat_api}/v1/{USER}/stacks/scaling/")
    token_id, _ = login(served, USER)
    bob, _ = login(served, "bob")
    answer = requests.post(url, headers={"X-Auth-Token": bob}, json={},
                           timeout=WAIT)
    assert answer.status_code == 403
    answer = requests.post(url, headers={"X-Auth-Token": token_id},
                           json={}, timeout=WAIT)
    assert answer.status_code == 200, answer.text

    def grown():
        stack = heat.engine_client.show_stack(ctx, identity,
                                              resolve_outputs=True)[0]
        return (stack["stack_status"] == "COMPLETE"
                and outputs(stack)["size"] == 2 and stack)
    wait_for(grown, timeout=WAIT, what="a second server")
    assert len([i for i in mock.all_instances()
                if i["owner"] == USER]) == 2
    delete(heat, ctx, identity)
