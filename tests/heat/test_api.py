"""heat-api and heat-api-cfn, loaded by Heat from our api-paste.ini.

Both APIs run as real WSGI apps (Heat's own ``load_paste_app``, served by
waitress on 127.0.0.1) in front of the embedded engine, which they reach
over the same in-process ``fake://`` transport.  The clients are the real
ones: python-heatclient without Keystone (X-Auth-User/X-Auth-Key/X-Auth-Url
headers) and boto3's CloudFormation client with a header hook.  The cloud
is the mock Deltacloud.
"""

import base64
import concurrent.futures
import json
import os
import re
import time

import pytest
import requests

pytestmark = [pytest.mark.heat, pytest.mark.slow]

ALICE = ("alice", "alice-pw")
BOB = ("bob", "bob-pw")

HOT_SERVER = {
    "heat_template_version": "2018-08-31",
    "resources": {
        "server": {"type": "OS::Nova::Server",
                   "properties": {"image": "img1", "flavor": "m1-small",
                                  "user_data_format": "RAW"}},
    },
    "outputs": {"ip": {"value": {"get_attr": ["server", "first_address"]}}},
}

CFN_INSTANCE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Web": {"Type": "AWS::EC2::Instance",
                "Properties": {"ImageId": "img1",
                               "InstanceType": "m1-small"}},
    },
    "Outputs": {"WebIp": {"Value": {"Fn::GetAtt": ["Web", "PublicIp"]}}},
}

@pytest.fixture(scope="module")
def cfn_server(heat_cfn_server):
    return heat_cfn_server


# -- clients -----------------------------------------------------------------

def heatclient(api, user, password, deltacloud_url, tenant=None):
    """python-heatclient as heat_integrationtests builds it: no session,
    so it sends X-Auth-User/X-Auth-Key/X-Auth-Url on every request."""
    from heatclient import client

    return client.Client("1", endpoint=f"{api.url}/v1/{tenant or user}",
                         username=user, password=password,
                         auth_url=deltacloud_url, timeout=30)


def cloudformation(api, user, password, deltacloud_url):
    """boto3's CloudFormation client, authenticating with Deltacloud.

    boto3 insists on signing with some AWS keys; heat-api-cfn's deltacloud
    pipeline ignores the signature and reads the X-Auth-* headers the
    hook adds (``user=None`` leaves them out).  A second hook drops the
    ``<X>None</X>`` elements Heat writes for unset values, which botocore
    cannot parse as dates or numbers.
    """
    import boto3
    import botocore.config

    def add_credentials(request, **kwargs):
        request.headers["X-Auth-User"] = user
        request.headers["X-Auth-Key"] = password
        request.headers["X-Auth-Url"] = deltacloud_url

    def drop_none_values(response_dict, **kwargs):
        response_dict["body"] = re.sub(rb"<(\w+)>None</\1>", b"",
                                       response_dict["body"])

    session = boto3.session.Session(aws_access_key_id="unused",
                                    aws_secret_access_key="unused",
                                    region_name="RegionOne")
    cfn = session.client(
        "cloudformation", endpoint_url=f"{api.url}/v1/",
        config=botocore.config.Config(retries={"max_attempts": 1},
                                      connect_timeout=5, read_timeout=30))
    if user is not None:
        cfn.meta.events.register("before-sign.cloudformation.*",
                                 add_credentials)
    cfn.meta.events.register("before-parse.cloudformation.*",
                             drop_none_values)
    return cfn


@pytest.fixture(autouse=True)
def _no_aws_config(monkeypatch):
    """boto3 must not read the developer's ~/.aws."""
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


# -- waiting -----------------------------------------------------------------

def wait_heat(hc, stack_id, timeout=60.0):
    """The stack once it leaves IN_PROGRESS; None once it is gone."""
    from heatclient import exc

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stack = hc.stacks.get(stack_id)
        except exc.HTTPNotFound:
            return None
        if not stack.stack_status.endswith("IN_PROGRESS"):
            return stack
        time.sleep(0.2)
    raise TimeoutError(f"stack {stack_id} still in progress")


def wait_cfn(cfn, stack_id, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [stack] = cfn.describe_stacks(StackName=stack_id)["Stacks"]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            return stack
        time.sleep(0.2)
    raise TimeoutError(f"stack {stack_id} still in progress")


def instances_of(mock, user):
    return [i for i in mock.all_instances() if i["owner"] == user]


def validations(mock):
    return [r for r in mock.request_log() if r["route"] == "/api"]


# -- heat-api with python-heatclient -----------------------------------------

def test_heatclient_stack_lifecycle(heat_api_server, auth_users_mock):
    hc = heatclient(heat_api_server, *ALICE, auth_users_mock.url)
    created = hc.stacks.create(stack_name="hc-one", template=HOT_SERVER)
    stack_id = created["stack"]["id"]
    stack = wait_heat(hc, stack_id)
    assert stack.stack_status == "CREATE_COMPLETE", stack.stack_status_reason
    [instance] = instances_of(auth_users_mock, "alice")
    assert {o["output_key"]: o["output_value"] for o in stack.outputs} == \
        {"ip": f"img1.{instance['id']}.public.com"}

    events = hc.events.list(stack_id)
    assert ("server", "CREATE_COMPLETE") in {
        (e.resource_name, e.resource_status) for e in events}
    [resource] = hc.resources.list(stack_id)
    assert (resource.resource_name, resource.physical_resource_id) == (
        "server", instance["id"])
    assert [s.stack_name for s in hc.stacks.list()] == ["hc-one"]

    hc.stacks.delete(stack_id)
    stack = wait_heat(hc, stack_id)
    assert stack is None or stack.stack_status == "DELETE_COMPLETE"
    assert instances_of(auth_users_mock, "alice") == []


def test_credentials_are_checked_once_per_ttl(heat_api_server,
                                              auth_users_mock):
    hc = heatclient(heat_api_server, *BOB, auth_users_mock.url)
    for _ in range(3):
        assert list(hc.stacks.list()) == []
    assert len(validations(auth_users_mock)) <= 1


def test_wrong_password_is_401_without_engine_work(heat_api_server,
                                                   auth_users_mock,
                                                   embedded_heat):
    from heatclient import exc

    hc = heatclient(heat_api_server, "alice", "Wr0ng-Zq7",
                    auth_users_mock.url)
    with pytest.raises(exc.HTTPUnauthorized) as err:
        hc.stacks.create(stack_name="refused", template=HOT_SERVER)
    assert "Wr0ng-Zq7" not in str(err.value)
    # Only the credential check reached Deltacloud; no stack exists.
    assert {r["route"] for r in auth_users_mock.request_log()} == {"/api"}
    alice = embedded_heat.context(*ALICE, auth_users_mock.url)
    assert embedded_heat.engine_client.list_stacks(alice) == []


def test_no_credentials_is_401_with_www_authenticate(heat_api_server):
    resp = requests.get(f"{heat_api_server.url}/v1/alice/stacks",
                        timeout=10)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic ")
    assert resp.json()["error"]["code"] == 401


def test_http_basic_on_heat_api(heat_api_server, auth_users_mock):
    resp = requests.get(f"{heat_api_server.url}/v1/alice/stacks",
                        auth=ALICE, timeout=10,
                        headers={"X-Auth-Url": auth_users_mock.url})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"stacks": []}


def test_version_list_needs_no_credentials(heat_api_server):
    resp = requests.get(f"{heat_api_server.url}/", timeout=10)
    assert resp.status_code == 300
    assert resp.json()["versions"][0]["id"] == "v1.0"


def test_unreachable_deltacloud_is_503(heat_api_server, closed_port_url):
    from heatclient import exc

    hc = heatclient(heat_api_server, *ALICE, closed_port_url)
    with pytest.raises(exc.HTTPServiceUnavailable):
        list(hc.stacks.list())


def test_another_users_tenant_is_403(heat_api_server, auth_users_mock):
    """The project is the authenticated user; naming another in the URL,
    even with spoofed identity headers, is refused by Heat's own check."""
    from heatclient import exc

    hc = heatclient(heat_api_server, *ALICE, auth_users_mock.url,
                    tenant="bob")
    with pytest.raises(exc.HTTPForbidden):
        list(hc.stacks.list())
    resp = requests.get(
        f"{heat_api_server.url}/v1/bob/stacks", auth=ALICE, timeout=10,
        headers={"X-Auth-Url": auth_users_mock.url, "X-Roles": "admin",
                 "X-Project-Id": "bob", "X-Is-Admin-Project": "True"})
    assert resp.status_code == 403


def test_two_users_at_once_see_only_their_own(heat_api_server,
                                              auth_users_mock):
    from heatclient import exc

    clients = {user: heatclient(heat_api_server, user, password,
                                auth_users_mock.url)
               for user, password in (ALICE, BOB)}

    def create(user):
        hc = clients[user]
        stack_id = hc.stacks.create(stack_name=f"{user}-stack",
                                    template=HOT_SERVER)["stack"]["id"]
        return stack_id, wait_heat(hc, stack_id)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = dict(zip(clients, pool.map(create, clients),
                           strict=True))
    for user, (_, stack) in results.items():
        assert stack.stack_status == "CREATE_COMPLETE", user
        assert [s.stack_name for s in clients[user].stacks.list()] == [
            f"{user}-stack"]
        [instance] = instances_of(auth_users_mock, user)
        [resource] = clients[user].resources.list(results[user][0])
        assert resource.physical_resource_id == instance["id"]

    alices_id = results["alice"][0]
    with pytest.raises((exc.HTTPForbidden, exc.HTTPNotFound)):
        clients["bob"].stacks.get(f"alice-stack/{alices_id}")
    with pytest.raises((exc.HTTPForbidden, exc.HTTPNotFound)):
        clients["bob"].stacks.delete(f"alice-stack/{alices_id}")

    for user, (stack_id, _) in results.items():
        clients[user].stacks.delete(stack_id)
    for user, (stack_id, _) in results.items():
        stack = wait_heat(clients[user], stack_id)
        assert stack is None or stack.stack_status == "DELETE_COMPLETE"
        assert instances_of(auth_users_mock, user) == []


# -- heat-api-cfn with boto3 -------------------------------------------------

def test_boto3_cloudformation_lifecycle(cfn_server, auth_users_mock):
    cfn = cloudformation(cfn_server, *ALICE, auth_users_mock.url)
    # Heat answers TimeoutInMinutes "None" when unset, which botocore
    # cannot read as a number: always send it.
    stack_id = cfn.create_stack(StackName="cfn-one",
                                TemplateBody=json.dumps(CFN_INSTANCE),
                                TimeoutInMinutes=5)["StackId"]
    assert stack_id.startswith("arn:openstack:heat::alice:stacks/cfn-one/")
    stack = wait_cfn(cfn, stack_id)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    [instance] = instances_of(auth_users_mock, "alice")
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == {
        "WebIp": f"img1.{instance['id']}.public.com"}

    summaries = cfn.list_stacks()["StackSummaries"]
    assert [s["StackName"] for s in summaries] == ["cfn-one"]
    detail = cfn.describe_stack_resource(
        StackName=stack_id, LogicalResourceId="Web")["StackResourceDetail"]
    assert (detail["PhysicalResourceId"], detail["ResourceStatus"]) == (
        instance["id"], "CREATE_COMPLETE")

    cfn.delete_stack(StackName=stack_id)
    stack = wait_cfn(cfn, stack_id)
    assert stack["StackStatus"] == "DELETE_COMPLETE"
    assert instances_of(auth_users_mock, "alice") == []


def test_boto3_describe_stack_events(cfn_server, auth_users_mock):
    """Heat 27's own CFN app fails this with a 500 (its events_list reads
    'ResourceProperties', which list_events leaves out); the deltacloud
    pipeline's app (heat_deltacloud.heat.cfn) answers it."""
    cfn = cloudformation(cfn_server, *BOB, auth_users_mock.url)
    stack_id = cfn.create_stack(StackName="cfn-events",
                                TemplateBody=json.dumps(CFN_INSTANCE),
                                TimeoutInMinutes=5)["StackId"]
    try:
        wait_cfn(cfn, stack_id)
        events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
        web = [e["ResourceStatus"] for e in events
               if e["LogicalResourceId"] == "Web"]
        assert web == ["CREATE_COMPLETE", "CREATE_IN_PROGRESS"]  # newest 1st
        assert {e["StackId"] for e in events} == {stack_id}
        assert len({e["EventId"] for e in events}) == len(events)
    finally:
        cfn.delete_stack(StackName=stack_id)
        wait_cfn(cfn, stack_id)


def test_heat_api_and_cfn_share_the_users_project(heat_api_server,
                                                  cfn_server,
                                                  auth_users_mock):
    hc = heatclient(heat_api_server, *BOB, auth_users_mock.url)
    stack_id = hc.stacks.create(stack_name="seen-by-both",
                                template=HOT_SERVER)["stack"]["id"]
    try:
        wait_heat(hc, stack_id)
        cfn = cloudformation(cfn_server, *BOB, auth_users_mock.url)
        assert [s["StackName"] for s in cfn.list_stacks()[
            "StackSummaries"]] == ["seen-by-both"]
        alices = cloudformation(cfn_server, *ALICE, auth_users_mock.url)
        assert alices.list_stacks()["StackSummaries"] == []
    finally:
        hc.stacks.delete(stack_id)
        wait_heat(hc, stack_id)


@pytest.mark.parametrize("password,code,status", [
    # No Deltacloud credentials: boto3's SigV4 signature (with its
    # placeholder key) is checked as a stack user's, and the key is unknown.
    (None, "InvalidClientTokenId", 403),
    ("Wr0ng-Zq7", "InvalidClientTokenId", 401),
])
def test_boto3_refused(cfn_server, auth_users_mock, password, code, status):
    import botocore.exceptions

    user = None if password is None else "alice"
    cfn = cloudformation(cfn_server, user, password, auth_users_mock.url)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        cfn.list_stacks()
    error = err.value.response["Error"]
    assert error["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert "Wr0ng-Zq7" not in str(err.value)


def test_http_basic_on_heat_api_cfn(cfn_server, auth_users_mock):
    credentials = base64.b64encode(b"alice:alice-pw").decode()
    resp = requests.post(
        f"{cfn_server.url}/v1/", timeout=10,
        data={"Action": "ListStacks", "Version": "2010-05-15"},
        headers={"Authorization": f"Basic {credentials}",
                 "X-Auth-Url": auth_users_mock.url})
    assert resp.status_code == 200, resp.text
    assert b"ListStacksResponse" in resp.content


# -- heat_deltacloud.heat.apis -----------------------------------------------

def test_served_apis_have_urls_and_the_cfn_policy(served_apis):
    from oslo_config import cfg

    from heat_deltacloud.heat import apis

    assert served_apis.urls == {"heat-api": served_apis.heat_api,
                                "heat-api-cfn": served_apis.heat_api_cfn}
    for url in served_apis.urls.values():
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    with open(cfg.CONF.oslo_policy.policy_file) as policy_file:
        policy = json.load(policy_file)
    assert policy == apis.CFN_POLICY


def test_stop_closes_the_port(embedded_heat):
    from heat_deltacloud.heat import apis

    served = apis.serve(embedded_heat, apps=("heat-api",), cfn_policy=False)
    url = served.heat_api
    with requests.Session() as keep_alive:
        assert keep_alive.get(f"{url}/", timeout=10).status_code == 300
        served.stop()
        assert not served.servers["heat-api"].serving
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/", timeout=5)


def test_unknown_compute_backend_fails_when_the_api_loads(embedded_heat):
    from heat.common import exception
    from oslo_config import cfg

    from heat_deltacloud.heat import apis

    cfg.CONF.set_override("compute_backend", "no-such-cloud")
    try:
        with pytest.raises(exception.Invalid, match="deltacloud"):
            apis.serve(embedded_heat, apps=("heat-api",), cfn_policy=False)
    finally:
        cfg.CONF.clear_override("compute_backend")


def test_password_stays_out_of_logs_and_answers_end_to_end(
        heat_api_server, cfn_server, auth_users_mock, caplog):
    """Through heat-api, Heat's context filter, RPC and the engine."""
    import logging

    # The embedded Heat quiets these; caplog restores their levels.
    for name in (None, "heat", "heat_deltacloud", "oslo_messaging",
                 "oslo.messaging", "oslo_policy"):
        caplog.set_level(logging.DEBUG, logger=name)
    # Messages are formatted as they are logged: some arguments (Heat's
    # resources) cannot be formatted once their stack is gone.
    server_side = []
    clients = ("heatclient", "botocore", "boto3", "urllib3")

    class Collect(logging.Handler):
        def emit(self, record):
            if not record.name.startswith(clients):
                server_side.append((record.name, self.format(record)))

    collect = Collect(logging.DEBUG)
    logging.getLogger().addHandler(collect)
    try:
        _refuse_then_run_a_stack(heat_api_server, cfn_server,
                                 auth_users_mock.url)
    finally:
        logging.getLogger().removeHandler(collect)
    # heatclient's curl-style DEBUG log shows X-Auth-Key (it masks only
    # tokens): that is the client's log.  Nothing server-side may.
    assert any(name.startswith("heat.") for name, _ in server_side)
    for name, message in server_side:
        assert E2E_SECRET not in message, name
        assert ALICE[1] not in message, name


E2E_SECRET = "Wr0ng-Zq7-e2e-secret"


def _refuse_then_run_a_stack(heat_api, cfn_api, deltacloud_url):
    import botocore.exceptions
    from heatclient import exc

    hc = heatclient(heat_api, "alice", E2E_SECRET, deltacloud_url)
    with pytest.raises(exc.HTTPUnauthorized) as refused:
        list(hc.stacks.list())
    assert E2E_SECRET not in str(refused.value)
    cfn = cloudformation(cfn_api, "alice", E2E_SECRET, deltacloud_url)
    with pytest.raises(botocore.exceptions.ClientError) as refused_cfn:
        cfn.list_stacks()
    assert E2E_SECRET not in str(refused_cfn.value.response)

    hc = heatclient(heat_api, *ALICE, deltacloud_url)
    stack_id = hc.stacks.create(stack_name="quiet",
                                template=HOT_SERVER)["stack"]["id"]
    assert wait_heat(hc, stack_id).stack_status == "CREATE_COMPLETE"
    hc.stacks.delete(stack_id)
    wait_heat(hc, stack_id)
