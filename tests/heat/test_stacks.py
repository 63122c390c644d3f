"""Real Heat 27 (engine, convergence, in-process) on the mock Deltacloud.

Stacks are created through Heat's RPC client, with request contexts built
by Heat's own ContextMiddleware from X-Auth-User/X-Auth-Key/X-Auth-Url,
exactly as heat-api would pass them.
"""

import pathlib

import pytest

from support import mock_fixtures, outputs


pytestmark = [pytest.mark.heat]

CORPUS = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / \
    "corpus" / "cfn"
USERS = {"alice": "alice-pw", "bob": "bob-pw"}


cloud, mock = mock_fixtures(USERS, fix_user_data_feature=True)


def run_stack(heat, ctx, name, template, params=None, timeout=60):
    identity = heat.engine_client.create_stack(
        ctx, name, template, params or {}, {}, {"timeout_mins": 2})
    return identity, heat.wait_for_stack(ctx, identity, timeout=timeout)


def instances_of(mock, user):
    return [i for i in mock.all_instances() if i["owner"] == user]



CFN_TWO_TIER = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Flavor": {"Type": "String", "Default": "m1-small"}},
    "Resources": {
        "Key": {"Type": "OS::Nova::KeyPair",
                "Properties": {"name": "two-tier"}},
        "Db": {"Type": "AWS::EC2::Instance",
               "Properties": {"ImageId": "img1",
                              "InstanceType": {"Ref": "Flavor"},
                              "KeyName": {"Ref": "Key"}}},
        "Web": {"Type": "AWS::EC2::Instance", "DependsOn": "Db",
                "Properties": {
                    "ImageId": "img2", "InstanceType": "m1-large",
                    "KeyName": {"Ref": "Key"},
                    "UserData": {"Fn::Join": ["", [
                        "DB=", {"Fn::GetAtt": ["Db", "PrivateIp"]}]]}}},
    },
    "Outputs": {
        "WebIp": {"Value": {"Fn::GetAtt": ["Web", "PublicIp"]}},
        "DbZone": {"Value": {"Fn::GetAtt": ["Db", "AvailabilityZone"]}},
        "DbId": {"Value": {"Ref": "Db"}},
    },
}


def test_cfn_stack_lifecycle(heat, mock):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity, stack = run_stack(heat, ctx, "two-tier", CFN_TWO_TIER)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    mine = {i["id"]: i for i in instances_of(mock, "alice")}
    assert len(mine) == 2
    out = outputs(stack)
    assert out["DbId"] in mine
    web = next(i for i in mine.values() if i["image_id"] == "img2")
    assert out["WebIp"] == f"img2.{web['id']}.public.com"
    assert out["DbZone"] == "us"
    assert web["hwp_id"] == "m1-large"
    stack = heat.delete_stack(ctx, identity)
    assert (stack["stack_action"], stack["stack_status"]) == ("DELETE",
                                                              "COMPLETE")
    assert instances_of(mock, "alice") == []
    assert mock.request_counts().get("DELETE /api/keys/:id") == 1


HOT_SERVER = {
    "heat_template_version": "2018-08-31",
    "parameters": {"flavor": {"type": "string",
                              "default": "m1-large;memory=12288"}},
    "resources": {
        "server": {"type": "OS::Nova::Server",
                   "properties": {"image": "img3",
                                  "flavor": {"get_param": "flavor"},
                                  "availability_zone": "eu",
                                  "user_data_format": "RAW",
                                  "user_data": "#!/bin/sh\necho hi\n"}},
    },
    "outputs": {
        "ip": {"value": {"get_attr": ["server", "first_address"]}},
        "show": {"value": {"get_attr": ["server", "show", "status"]}},
    },
}


def test_hot_server_with_flavor_overrides(heat, mock):
    ctx = heat.context("bob", USERS["bob"], mock.url)
    identity, stack = run_stack(heat, ctx, "hot", HOT_SERVER)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    [instance] = instances_of(mock, "bob")
    assert instance["realm_id"] == "eu"
    assert instance["hwp_overrides"] == {"memory": "12288"}
    assert outputs(stack) == {
        "ip": f"img3.{instance['id']}.public.com", "show": "ACTIVE"}
    heat.delete_stack(ctx, identity)
    assert instances_of(mock, "bob") == []


EIP_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Server": {"Type": "AWS::EC2::Instance",
                   "Properties": {"ImageId": "img1",
                                  "InstanceType": "m1-small"}},
        "Ip": {"Type": "AWS::EC2::EIP",
               "Properties": {"InstanceId": {"Ref": "Server"}}},
        "Ip2": {"Type": "AWS::EC2::EIP"},
        "Assoc": {"Type": "AWS::EC2::EIPAssociation",
                  "Properties": {"EIP": {"Ref": "Ip2"},
                                 "InstanceId": {"Ref": "Server"}}},
    },
    "Outputs": {"Ip": {"Value": {"Ref": "Ip"}},
                "Ip2": {"Value": {"Ref": "Ip2"}},
                "Alloc": {"Value": {"Fn::GetAtt": ["Ip", "AllocationId"]}}},
}


def test_elastic_ips_are_deltacloud_addresses(heat, mock):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    before = {a["id"] for a in mock.all_addresses()}
    identity, stack = run_stack(heat, ctx, "eip", EIP_TEMPLATE)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    out = outputs(stack)
    new = {a["id"]: a for a in mock.all_addresses()}
    assert {out["Ip"], out["Ip2"]} == set(new) - before
    assert out["Alloc"] == out["Ip"]
    [server] = instances_of(mock, "alice")
    assert {new[out["Ip"]]["instance_id"], new[out["Ip2"]]["instance_id"]} \
        == {server["id"]}
    heat.delete_stack(ctx, identity)
    assert {a["id"] for a in mock.all_addresses()} == before
    assert instances_of(mock, "alice") == []


def test_failed_create_reports_the_deltacloud_error(heat, mock):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    mock.add_fault("POST", "/api/instances", status=502)
    identity, stack = run_stack(heat, ctx, "broken", HOT_SERVER)
    assert (stack["stack_action"], stack["stack_status"]) == ("CREATE",
                                                              "FAILED")
    events = heat.engine_client.list_events(ctx, identity)
    reasons = [e["resource_status_reason"] for e in events
               if e["resource_name"] == "server"
               and e["resource_status"] == "FAILED"]
    assert reasons and "HTTP 502" in reasons[0]
    assert "POST" in reasons[0] and "/api/instances" in reasons[0]
    mock.clear_faults()
    heat.delete_stack(ctx, identity)


def test_users_see_only_their_own_stacks(heat, mock):
    alice = heat.context("alice", USERS["alice"], mock.url)
    bob = heat.context("bob", USERS["bob"], mock.url)
    identity, stack = run_stack(heat, alice, "alices", HOT_SERVER)
    assert stack["stack_status"] == "COMPLETE"
    assert [s["stack_name"] for s in
            heat.engine_client.list_stacks(bob)] == []
    assert "alices" in [s["stack_name"] for s in
                        heat.engine_client.list_stacks(alice)]
    heat.delete_stack(alice, identity)


def test_wrong_password_is_refused_at_validation(heat, mock):
    secret = "Wr0ng-Pa55-Zq"
    ctx = heat.context("alice", secret, mock.url)
    with pytest.raises(Exception) as err:
        heat.engine_client.create_stack(ctx, "badpw", HOT_SERVER, {}, {},
                                        {})
    assert type(err.value).__name__.startswith("StackValidationFailed")
    assert "Authentication Failure" in str(err.value)
    assert secret not in str(err.value)
    assert heat.engine_client.list_stacks(ctx) == []


SECURITY_GROUP = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Web": {"Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "web",
                    "SecurityGroupIngress": [
                        {"IpProtocol": "tcp", "FromPort": "80",
                         "ToPort": "80", "CidrIp": "0.0.0.0/0"},
                        {"IpProtocol": "tcp", "FromPort": "22",
                         "ToPort": "22", "CidrIp": "10.0.0.0/8"}]}},
        "Server": {"Type": "AWS::EC2::Instance",
                   "Properties": {"ImageId": "img1",
                                  "InstanceType": "m1-small",
                                  "SecurityGroups": [{"Ref": "Web"}]}},
    },
}


def test_security_groups_are_firewalls(heat, mock):
    from heat_deltacloud.heat import connection
    mock.set_capability("firewalls")
    mock.set_capability("instances", "firewalls")
    # The engine keeps each driver's /api for discovery_cache_ttl seconds.
    connection.DISCOVERY.clear()
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity, stack = run_stack(heat, ctx, "secgroup", SECURITY_GROUP)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    [server] = instances_of(mock, "alice")
    [firewall] = mock.app.cloud.list_firewalls("alice")
    assert server["firewalls"] == [firewall["id"]]
    assert sorted(r["port_from"] for r in firewall["rules"]) == ["22", "80"]
    heat.delete_stack(ctx, identity)
    assert mock.app.cloud.list_firewalls("alice") == []
    assert instances_of(mock, "alice") == []
    mock.reset()
    connection.DISCOVERY.clear()


def test_discovery_costs_one_request_per_stack(heat, mock):
    """/api, the hardware profile and the image are read once per stack,
    not once per server (the request budget depends on it)."""
    from heat_deltacloud.heat import connection
    connection.DISCOVERY.clear()
    mock.clear_requests()
    ctx = heat.context("bob", USERS["bob"], mock.url)
    template = {"heat_template_version": "2018-08-31", "resources": {
        f"s{i}": {"type": "OS::Nova::Server",
                  "properties": {"image": "img1", "flavor": "m1-small",
                                 "user_data_format": "RAW"}}
        for i in range(4)}}
    identity, stack = run_stack(heat, ctx, "four", template)
    assert stack["stack_status"] == "COMPLETE"
    counts = mock.request_counts()
    assert counts["POST /api/instances"] == 4
    assert (counts["GET /api"], counts["GET /api/images/:id"],
            counts["GET /api/hardware_profiles/:id"]) == (1, 1, 1)
    heat.delete_stack(ctx, identity)


def test_a_deleted_stacks_name_is_free_at_once(heat, mock):
    """delete_stack returns once Heat has marked the stack deleted (a
    moment after DELETE_COMPLETE): the name can be reused at once."""
    ctx = heat.context("alice", USERS["alice"], mock.url)
    template = {"heat_template_version": "2021-04-16",
                "resources": {"nothing": {"type": "OS::Heat::None"}}}
    for _ in range(3):
        identity, stack = run_stack(heat, ctx, "again", template)
        assert stack["stack_status"] == "COMPLETE", stack
        deleted = heat.delete_stack(ctx, identity)
        assert (deleted["stack_action"], deleted["stack_status"]) == (
            "DELETE", "COMPLETE")
        assert not heat._still_listed(ctx, identity)


def test_a_server_is_read_until_running_and_no_more(heat, mock):
    """Creating an ``OS::Nova::Server`` costs the create and the read that
    finds it RUNNING (the mock's instances run at once): no read to list
    ports Deltacloud does not have."""
    ctx = heat.context("alice", USERS["alice"], mock.url)
    template = {"heat_template_version": "2021-04-16",
                "resources": {"server": {
                    "type": "OS::Nova::Server",
                    "properties": {"image": "img1", "flavor": "m1-small",
                                   "user_data_format": "RAW"}}}}
    mock.clear_requests()
    identity, stack = run_stack(heat, ctx, "budget", template)
    assert stack["stack_status"] == "COMPLETE", stack
    assert [f"{r['method']} {r['route']}" for r in mock.request_log()
            if r["route"].startswith("/api/instances")] == [
        "POST /api/instances", "GET /api/instances/:id"]
    heat.delete_stack(ctx, identity)
