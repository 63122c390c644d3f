"""Scaling policies signalled over real HTTP, counted in the mock.

Real Heat 27 (embedded engine), heat-api and heat-api-cfn served on
127.0.0.1 from our api-paste.ini, the mock Deltacloud.  A scaling
policy's ``AlarmUrl``/``alarm_url`` is a pre-signed heat-api-cfn URL that
never expires (no Timestamp); ``OS::Heat::ScalingPolicy``'s
``signal_url`` is heat-api's resource signal, called with the owner's
Deltacloud credentials.  Signals are handled in the background, so each
step waits (bounded) until the group holds the expected number of
instances and its scaling has finished.  Cooldowns are 0.
"""


import pytest
import requests

from support import mock_fixtures, outputs, wait_for


pytestmark = [pytest.mark.heat]

USERS = {"erin": "erin-pw"}
USER = "erin"
WAIT = 90


cloud, mock = mock_fixtures(USERS, fix_user_data_feature=True)


@pytest.fixture
def ctx(heat, mock):
    return heat.context(USER, USERS[USER], mock.url)




def running(mock):
    return len([i for i in mock.all_instances() if i["owner"] == USER])


def create(heat, ctx, name, template):
    identity = heat.engine_client.create_stack(
        ctx, name, template, {}, {}, {"timeout_mins": 2})
    stack = heat.wait_for_stack(ctx, identity, timeout=WAIT)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    return identity, outputs(stack)


def scaled_to(heat, ctx, identity, mock, group, count):
    """Wait until ``group`` has settled at ``count`` instances."""
    def settled():
        res = heat.engine_client.describe_stack_resource(ctx, identity,
                                                         group)
        return (running(mock) == count
                and not res["metadata"].get("scaling_in_progress"))
    wait_for(settled, what=f"{group} at {count} instances")
    # Nothing more arrives once the scaling finished.
    assert running(mock) == count
    group_stack = heat.engine_client.describe_stack_resource(
        ctx, identity, group)
    assert group_stack["resource_status"] == "COMPLETE", group_stack


AWS_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Launch": {"Type": "AWS::AutoScaling::LaunchConfiguration",
                   "Properties": {"ImageId": "img1",
                                  "InstanceType": "m1-small"}},
        "Group": {"Type": "AWS::AutoScaling::AutoScalingGroup",
                  "Properties": {
                      "AvailabilityZones": {"Fn::GetAZs": ""},
                      "LaunchConfigurationName": {"Ref": "Launch"},
                      "MinSize": "1", "MaxSize": "3",
                      "DesiredCapacity": "1"}},
        "Up": {"Type": "AWS::AutoScaling::ScalingPolicy",
               "Properties": {"AdjustmentType": "ChangeInCapacity",
                              "AutoScalingGroupName": {"Ref": "Group"},
                              "Cooldown": "0", "ScalingAdjustment": "1"}},
        "Down": {"Type": "AWS::AutoScaling::ScalingPolicy",
                 "Properties": {"AdjustmentType": "ChangeInCapacity",
                                "AutoScalingGroupName": {"Ref": "Group"},
                                "Cooldown": "0",
                                "ScalingAdjustment": "-1"}},
    },
    "Outputs": {
        "UpUrl": {"Value": {"Fn::GetAtt": ["Up", "AlarmUrl"]}},
        "UpRef": {"Value": {"Ref": "Up"}},
        "DownUrl": {"Value": {"Fn::GetAtt": ["Down", "AlarmUrl"]}},
    },
}


def test_aws_scaling_policies_scale_the_group(heat, served_apis, mock,
                                              ctx):
    identity, out = create(heat, ctx, "aws-asg", AWS_TEMPLATE)
    assert running(mock) == 1
    up, down = out["UpUrl"], out["DownUrl"]
    assert up.startswith(served_apis.heat_api_cfn + "/v1/signal/")
    assert out["UpRef"] == up
    # Scaling policy URLs never expire: no Timestamp is signed.
    assert "Timestamp=" not in up
    # No body, no headers, as the template's outputs advise.
    answer = requests.post(up, timeout=30)
    assert answer.status_code == 200, answer.text
    scaled_to(heat, ctx, identity, mock, "Group", 2)
    # A JSON body (an Aodh alarm's details) with its content type.
    answer = requests.post(up, json={"current": "alarm",
                                     "reason": "cpu above 90%"},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    scaled_to(heat, ctx, identity, mock, "Group", 3)
    # At MaxSize: accepted, nothing more.
    answer = requests.post(up, timeout=30)
    assert answer.status_code == 200, answer.text
    scaled_to(heat, ctx, identity, mock, "Group", 3)
    answer = requests.post(down, timeout=30)
    assert answer.status_code == 200, answer.text
    scaled_to(heat, ctx, identity, mock, "Group", 2)
    stack = heat.delete_stack(ctx, identity, timeout=WAIT)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert running(mock) == 0
    # The policy's key died with it.
    answer = requests.post(up, timeout=30)
    assert answer.status_code == 403
    assert "InvalidClientTokenId" in answer.text


def test_a_form_body_breaks_the_signature(heat, served_apis, mock, ctx):
    """heat-signals.md §5.3: form fields are request parameters, so they
    enter the signed string and the signature no longer matches (as with
    Keystone).  Nothing is scaled."""
    identity, out = create(heat, ctx, "aws-asg-form", AWS_TEMPLATE)
    answer = requests.post(out["UpUrl"], data=b'{"state": "alarm"}',
                           headers={"Content-Type":
                                    "application/x-www-form-urlencoded"},
                           timeout=30)
    assert answer.status_code == 403
    assert "SignatureDoesNotMatch" in answer.text
    assert running(mock) == 1
    heat.delete_stack(ctx, identity, timeout=WAIT)


OS_TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "resources": {
        "group": {"type": "OS::Heat::AutoScalingGroup", "properties": {
            "min_size": 1, "max_size": 3, "desired_capacity": 1,
            "resource": {"type": "OS::Nova::Server", "properties": {
                "image": "img1", "flavor": "m1-small",
                "user_data_format": "RAW"}}}},
        "up": {"type": "OS::Heat::ScalingPolicy", "properties": {
            "adjustment_type": "change_in_capacity",
            "auto_scaling_group_id": {"get_resource": "group"},
            "cooldown": 0, "scaling_adjustment": 1}},
        "down": {"type": "OS::Heat::ScalingPolicy", "properties": {
            "adjustment_type": "change_in_capacity",
            "auto_scaling_group_id": {"get_resource": "group"},
            "cooldown": 0, "scaling_adjustment": -1}},
    },
    "outputs": {
        "up_alarm": {"value": {"get_attr": ["up", "alarm_url"]}},
        "up_signal": {"value": {"get_attr": ["up", "signal_url"]}},
        "down_alarm": {"value": {"get_attr": ["down", "alarm_url"]}},
        "down_signal": {"value": {"get_attr": ["down", "signal_url"]}},
        "size": {"value": {"get_attr": ["group", "current_size"]}},
    },
}


def test_os_scaling_policy_alarm_and_signal_urls(heat, served_apis, mock,
                                                 ctx):
    identity, out = create(heat, ctx, "os-asg", OS_TEMPLATE)
    assert running(mock) == 1
    assert out["up_alarm"].startswith(
        served_apis.heat_api_cfn + "/v1/signal/")
    stack_path = f"stacks/os-asg/{identity['stack_id']}"
    assert out["up_signal"] == (f"{served_apis.heat_api}/v1/{USER}/"
                                f"{stack_path}/resources/up/signal")
    answer = requests.post(out["up_alarm"], timeout=30)
    assert answer.status_code == 200, answer.text
    scaled_to(heat, ctx, identity, mock, "group", 2)
    owner = {"X-Auth-User": USER, "X-Auth-Key": USERS[USER],
             "X-Auth-Url": mock.url}
    # heat-api needs the owner's credentials: none, or wrong ones, fail.
    assert requests.post(out["up_signal"], timeout=30).status_code == 401
    wrong = dict(owner, **{"X-Auth-Key": "nope"})
    assert requests.post(out["up_signal"], headers=wrong,
                         timeout=30).status_code == 401
    assert running(mock) == 2
    answer = requests.post(out["up_signal"], headers=owner, timeout=30)
    assert answer.status_code == 200, answer.text
    scaled_to(heat, ctx, identity, mock, "group", 3)
    answer = requests.post(out["down_signal"], headers=owner,
                           json={"reason": "quiet"}, timeout=30)
    assert answer.status_code == 200, answer.text
    scaled_to(heat, ctx, identity, mock, "group", 2)
    answer = requests.post(out["down_alarm"], timeout=30)
    assert answer.status_code == 200, answer.text
    scaled_to(heat, ctx, identity, mock, "group", 1)
    stack = heat.wait_for_stack(ctx, identity, timeout=WAIT)
    assert outputs(stack)["size"] == 1
    stack = heat.delete_stack(ctx, identity, timeout=WAIT)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    assert running(mock) == 0
