"""The signal plane with Heat as processes: two engines, heat-api-cfn of its
own, PostgreSQL, RabbitMQ, the mock.

A wait condition handle's engine creates a stack user and an EC2 key in
Heat's database and signs a URL naming heat-api-cfn; the instance (here:
the test, with the URL read from the instance's user data in the mock)
PUTs to it as ``cfn-signal`` does; heat-api-cfn, another process, checks
the signature against the key in the shared database and hands the signal
to whichever engine the bus picks.  Nothing of this lives in one process's
memory, so a restarted heat-api-cfn verifies the same URL, and deleting
the stack revokes the key everywhere.
"""

import json
import pathlib
import re
import subprocess
import sys
import time

import pytest
import requests
from heatclient import exc as heat_exc

pytestmark = [pytest.mark.heat, pytest.mark.slow, pytest.mark.functional,
              pytest.mark.timeout(900)]

USER, PASSWORD = "mockuser", "mockpassword"
TIMEOUT = 180
POLL = 0.5
SIGNED_URL = re.compile(r"http://[^/'\"\s]+/v1/(?:waitcondition|signal)"
                        r"/[^'\"\s]+")


def template(count=1):
    """``count`` instances, each signalling the handle with its own id;
    a second tier waits for all of them."""
    resources = {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                 "Properties": {"Handle": {"Ref": "Handle"},
                                "Timeout": "300", "Count": str(count)}},
        "Web": {"Type": "AWS::EC2::Instance", "DependsOn": "Wait",
                "Properties": {"ImageId": "img2",
                               "InstanceType": "m1-small"}},
    }
    for n in range(count):
        resources[f"Db{n}"] = {
            "Type": "AWS::EC2::Instance",
            "Properties": {
                "ImageId": "img1", "InstanceType": "m1-small",
                "UserData": {"Fn::Base64": {"Fn::Join": ["", [
                    f"#!/bin/sh\ncfn-signal -e 0 -i db{n} -d ready{n} '",
                    {"Ref": "Handle"}, "'\n"]]}}}}
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Resources": resources,
            "Outputs": {"Data": {"Value": {"Fn::GetAtt": ["Wait",
                                                          "Data"]}}}}


def wait_for(check, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(POLL)


def stack_state(client, stack_id):
    try:
        stack = client.stacks.get(stack_id)
    except heat_exc.HTTPNotFound:
        return None
    return stack


def wait_settled(client, stack_id):
    def settled():
        stack = stack_state(client, stack_id)
        if stack is None or not stack.stack_status.endswith("IN_PROGRESS"):
            return stack or "GONE"
        return None
    return wait_for(settled, f"stack {stack_id} to settle")


def signed_urls(harness, client, stack_id, count):
    """The signed URLs in the user data of the stack's instances, once
    there are ``count``; the stack must still be in progress."""
    def found():
        stack = stack_state(client, stack_id)
        assert stack is not None
        assert stack.stack_status == "CREATE_IN_PROGRESS", (
            stack.stack_status, stack.stack_status_reason)
        urls = [url for instance in harness.mock.all_instances()
                for url in SIGNED_URL.findall(instance.get("user_data")
                                              or "")
                if stack_id in url]
        return urls if len(urls) == count else None
    return wait_for(found, f"{count} signed URL(s) in user data")


def put_signal(url, unique_id, data, status="SUCCESS"):
    """What ``cfn-signal`` sends: ``curl -X PUT -H 'Content-Type:'
    --data-binary <json> URL``."""
    body = json.dumps({"Status": status, "Reason": "Configuration Complete",
                       "UniqueId": unique_id, "Data": data})
    return requests.put(url, data=body.encode(), timeout=30,
                        headers={"Content-Type": ""})


def cfn_signal(tmp_path, *args):
    """The real cfn-signal script (heat-cfntools), its log in tmp_path
    rather than /var/log; None when heat-cfntools is not installed."""
    script = pathlib.Path(sys.executable).parent / "cfn-signal"
    if not script.exists():
        return None
    code = ("import logging, runpy, sys\n"
            f"logging.basicConfig(filename={str(tmp_path / 'cfn.log')!r})\n"
            f"sys.argv = ['cfn-signal', *{list(args)!r}]\n"
            f"runpy.run_path({str(script)!r}, run_name='__main__')\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=60, check=False)


def outputs(stack):
    return {o["output_key"]: o["output_value"] for o in stack.outputs}


def images_of(harness, stack_name):
    return sorted(i["image_id"] for i in harness.mock.all_instances()
                  if i["name"].startswith(stack_name + "-"))


def delete(client, stack_id):
    client.stacks.delete(stack_id)
    stack = wait_settled(client, stack_id)
    assert stack == "GONE" or stack.stack_status == "DELETE_COMPLETE"


def access_key(url):
    return re.search(r"AWSAccessKeyId=([0-9a-f]+)", url).group(1)


def key_rows(harness, access):
    return harness.query("SELECT count(*) FROM deltacloud_ec2_credentials "
                         "WHERE access = :access", access=access)[0][0]


def test_wait_condition_completes_with_two_engines(harness, tmp_path):
    """Two instances signal one handle (Count 2) through heat-api-cfn, one
    with the real cfn-signal; the engines complete the wait and create
    the second tier."""
    assert len(harness.engines) == 2
    client = harness.heat_client(USER, PASSWORD)
    stack_id = client.stacks.create(stack_name="waits",
                                    template=template(2))["stack"]["id"]
    urls = signed_urls(harness, client, stack_id, 2)
    assert len(set(urls)) == 1, "one handle, one URL"
    url = urls[0]
    assert url.startswith(harness.heat_cfn_url + "/v1/waitcondition/")
    assert images_of(harness, "waits") == ["img1", "img1"]

    done = cfn_signal(tmp_path, "-e", "0", "-i", "db0", "-d", "ready0", url)
    if done is None:
        answer = put_signal(url, "db0", "ready0")
        assert answer.status_code == 200, answer.text
    else:
        assert done.returncode == 0, done.stderr
    # One of two signals, recorded by the handle: the wait goes on.
    assert set(wait_for(lambda: client.resources.metadata(stack_id,
                                                          "Handle"),
                        "the first signal in the handle's metadata")) == \
        {"db0"}
    assert client.resources.get(stack_id, "Wait").resource_status == \
        "CREATE_IN_PROGRESS"
    assert client.stacks.get(stack_id).stack_status == "CREATE_IN_PROGRESS"
    answer = put_signal(url, "db1", "ready1")
    assert answer.status_code == 200, answer.text

    stack = wait_settled(client, stack_id)
    assert stack.stack_status == "CREATE_COMPLETE", stack.stack_status_reason
    assert json.loads(outputs(stack)["Data"]) == {"db0": "ready0",
                                                  "db1": "ready1"}
    assert images_of(harness, "waits") == ["img1", "img1", "img2"]
    delete(client, stack_id)


def test_signal_verified_by_a_restarted_heat_api_cfn(harness):
    """The key a signature is checked with lives in Heat's database, not in
    heat-api-cfn: a new heat-api-cfn process verifies a URL signed before
    it started, and still refuses a forged one."""
    client = harness.heat_client(USER, PASSWORD)
    stack_id = client.stacks.create(stack_name="restart",
                                    template=template(1))["stack"]["id"]
    url, = signed_urls(harness, client, stack_id, 1)
    before = harness.apis["heat-api-cfn"]["process"].pid

    harness.restart_api("heat-api-cfn")
    assert harness.apis["heat-api-cfn"]["process"].pid != before

    forged = re.sub(r"Signature=[^&]+", "Signature=AAAA", url)
    answer = put_signal(forged, "db0", "forged")
    assert answer.status_code == 403
    assert "SignatureDoesNotMatch" in answer.text
    answer = put_signal(url, "db0", "after restart")
    assert answer.status_code == 200, answer.text
    stack = wait_settled(client, stack_id)
    assert stack.stack_status == "CREATE_COMPLETE", stack.stack_status_reason
    assert json.loads(outputs(stack)["Data"]) == {"db0": "after restart"}
    delete(client, stack_id)


def test_stack_delete_revokes_the_stack_users_key(harness):
    """Deleting the stack deletes its stack user and EC2 key: the signed
    URL is refused (403), by every heat-api-cfn, from then on."""
    client = harness.heat_client(USER, PASSWORD)
    stack_id = client.stacks.create(stack_name="revoked",
                                    template=template(1))["stack"]["id"]
    url, = signed_urls(harness, client, stack_id, 1)
    access = access_key(url)
    assert key_rows(harness, access) == 1
    delete(client, stack_id)

    assert key_rows(harness, access) == 0
    answer = put_signal(url, "db0", "too late")
    assert answer.status_code == 403
    assert "InvalidClientTokenId" in answer.text


HOT_WAIT = """
heat_template_version: 2018-08-31
parameters:
  transport: {type: string}
resources:
  handle:
    type: OS::Heat::WaitConditionHandle
    properties: {signal_transport: {get_param: transport}}
  server:
    type: OS::Nova::Server
    properties:
      image: img1
      flavor: m1-small
      user_data_format: RAW
      user_data:
        str_replace:
          template: |
            #!/bin/sh
            wc_notify --data-binary '{"status": "SUCCESS", "data": "up"}'
          params:
            wc_notify: {get_attr: [handle, curl_cli]}
  wait:
    type: OS::Heat::WaitCondition
    properties: {handle: {get_resource: handle}, timeout: 300}
outputs:
  data: {value: {get_attr: [wait, data]}}
"""


@pytest.mark.parametrize("transport", ["CFN_SIGNAL", "TOKEN_SIGNAL"])
def test_heat_wait_condition_handle_curl_cli(harness, transport):
    """OS::Heat::WaitConditionHandle's curl_cli, run as the instance runs
    it (real curl): CFN_SIGNAL PUTs a signed URL to heat-api-cfn;
    TOKEN_SIGNAL POSTs to heat-api with a stack user's token an engine
    minted, which heat-api (another process, same heat.conf) accepts."""
    client = harness.heat_client(USER, PASSWORD)
    name = f"hot-{transport.lower().replace('_', '-')}"
    stack_id = client.stacks.create(
        stack_name=name, template=HOT_WAIT,
        parameters={"transport": transport})["stack"]["id"]

    def notify_line():
        stack = stack_state(client, stack_id)
        assert stack.stack_status == "CREATE_IN_PROGRESS", (
            stack.stack_status, stack.stack_status_reason)
        for instance in harness.mock.all_instances():
            if instance["name"].startswith(name + "-server-"):
                return (instance.get("user_data") or "").splitlines()[1]
        return None
    line = wait_for(notify_line, "the server's user data")
    expected = (harness.heat_cfn_url + "/v1/waitcondition/"
                if transport == "CFN_SIGNAL" else harness.heat_api_url)
    assert expected in line
    done = subprocess.run(["sh", "-c", line], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert " 200 " in done.stdout.splitlines()[0], done.stdout

    stack = wait_settled(client, stack_id)
    assert stack.stack_status == "CREATE_COMPLETE", stack.stack_status_reason
    assert json.loads(outputs(stack)["data"]) == {"1": "up"}
    delete(client, stack_id)


@pytest.mark.parametrize("attempt", range(3))
def test_stack_user_tables_created_by_racing_first_uses(harness, attempt):
    """Every engine and heat-api-cfn creates the stack-user tables on first
    use; on a fresh database the first stacks reach two engines at once.
    Racing first uses, each on an oslo.db engine as Heat's, all succeed."""
    import threading

    from oslo_db.sqlalchemy import engines

    from heat_deltacloud.heat import stackusers

    url = harness.postgres.create_database(f"tables_race_{attempt}")
    racers = 6
    barrier = threading.Barrier(racers)
    errors = []

    def first_use():
        store = stackusers.StackUserStore(engines.create_engine(url))
        barrier.wait()
        try:
            store.create_project("stack", "owner")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            store.engine.dispose()
    threads = [threading.Thread(target=first_use) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
