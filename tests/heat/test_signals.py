"""Heat's signal plane on the Deltacloud backend, end to end.

Real Heat 27 (embedded engine, heat-api-cfn from our api-paste.ini) on the
mock Deltacloud; the instance side is the real ``cfn-signal`` of
heat-cfntools over real HTTP, run by the test with the URL Heat put into
the instance's user data.
"""

import re
import subprocess

import pytest
import requests

from heat_deltacloud.mock import guestboot
from support import mock_fixtures, outputs, signed_urls_in_user_data, wait_for


pytestmark = [pytest.mark.heat]

USERS = {"alice": "alice-pw", "bob": "bob-pw"}


cloud, mock = mock_fixtures(USERS, fix_user_data_feature=True)


def cfn_signal(tmp_path, *args):
    """The real cfn-signal through the mock's guest-mode wrapper: its log
    and nova's cached meta_data.json live in an instance root under
    tmp_path (not the host's /var/log and /var/lib), so without ``-i`` the
    UniqueId is the root's instance id ("node") and nothing asks
    169.254.169.254.  The wrapper prints the HTTP status it got."""
    root = guestboot.make_root(str(tmp_path), "node")
    return subprocess.run([f"{root}/{guestboot.BIN}/cfn-signal", *args],
                          env=guestboot.environment(root),
                          capture_output=True, text=True, timeout=60)


def http_status(result):
    found = re.search(r"^cfn-signal: PUT \S+ -> HTTP (\d+)",
                      result.stderr, re.M)
    assert found, result.stderr
    return int(found.group(1))



def signed_url_of(heat, ctx, identity, mock, user):
    """The first signed URL in ``user``'s instances, once Heat made one."""
    def found():
        stack = heat.engine_client.show_stack(ctx, identity,
                                              resolve_outputs=False)[0]
        assert stack["stack_status"] == "IN_PROGRESS", (
            stack["stack_status_reason"])
        return signed_urls_in_user_data(mock, user)
    return wait_for(found, what="a signed URL in the user data")[0]



def images_of(mock, user):
    return sorted(i["image_id"] for i in mock.all_instances()
                  if i["owner"] == user)



WAIT_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Db": {"Type": "AWS::EC2::Instance", "Properties": {
            "ImageId": "img1", "InstanceType": "m1-small",
            "UserData": {"Fn::Base64": {"Fn::Join": ["", [
                "#!/bin/sh\ncfn-signal -e 0 -i dbpass -d s3cr3t '",
                {"Ref": "Handle"}, "'\n"]]}}}},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                 "DependsOn": "Db",
                 "Properties": {"Handle": {"Ref": "Handle"},
                                "Timeout": "120", "Count": "1"}},
        "Web": {"Type": "AWS::EC2::Instance", "DependsOn": "Wait",
                "Properties": {"ImageId": "img2",
                               "InstanceType": "m1-small"}},
    },
    "Outputs": {"Data": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}}},
}


@pytest.fixture(scope="module")
def apis(embedded_heat):
    from heat_deltacloud.heat import apis as heat_apis

    with heat_apis.serve(embedded_heat) as served:
        yield served


def test_cfn_signal_completes_a_wait_condition(heat, apis, mock,
                                                 tmp_path):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity = heat.engine_client.create_stack(
        ctx, "waits", WAIT_TEMPLATE, {}, {}, {"timeout_mins": 3})
    url = signed_url_of(heat, ctx, identity, mock, "alice")
    assert url.startswith(apis.heat_api_cfn + "/v1/waitcondition/")
    # The second tier waits for the signal.
    assert images_of(mock, "alice") == ["img1"]
    result = cfn_signal(tmp_path, "-e", "0", "-i", "dbpass", "-d",
                        "s3cr3t", url)
    assert result.returncode == 0, result.stderr
    assert http_status(result) == 200
    stack = heat.wait_for_stack(ctx, identity, timeout=120)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert outputs(stack)["Data"] == '{"dbpass": "s3cr3t"}'
    assert images_of(mock, "alice") == ["img1", "img2"]
    heat.delete_stack(ctx, identity)
    # The stack user and its key died with the stack.
    answer = requests.put(url, json={"Status": "SUCCESS", "Reason": "r",
                                     "UniqueId": "x", "Data": "d"},
                          timeout=30)
    assert answer.status_code == 403
    assert "InvalidClientTokenId" in answer.text


def test_failure_signal_fails_the_stack(heat, apis, mock, tmp_path):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity = heat.engine_client.create_stack(
        ctx, "fails", WAIT_TEMPLATE, {}, {}, {"timeout_mins": 3})
    url = signed_url_of(heat, ctx, identity, mock, "alice")
    result = cfn_signal(tmp_path, "-e", "3", "-r", "database did not start",
                        url)
    assert result.returncode == 0, result.stderr
    assert http_status(result) == 200
    stack = heat.wait_for_stack(ctx, identity, timeout=120)
    assert stack["stack_status"] == "FAILED"
    assert "database did not start" in stack["stack_status_reason"]
    heat.delete_stack(ctx, identity)
