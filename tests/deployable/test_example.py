"""examples/wordpress: translated, then created on embedded Heat + mock."""

import json

import pytest

from heat_deltacloud.deployable import Mapping, load, to_json, translate
from heat_deltacloud.mock.server import MockServer

pytestmark = [pytest.mark.heat]


@pytest.fixture(scope="module")
def cloud():
    with MockServer(fix_user_data_feature=True) as server:
        yield server


def test_wordpress_example_creates_on_heat(heat, cloud, paths, helpers):
    cloud.reset()
    seeded = {i["id"] for i in cloud.all_instances()}
    template = translate(load(paths.example / "deployable.xml"),
                         Mapping.from_file(paths.example / "mapping.json"),
                         wait_conditions=False)
    assert helpers.required_params(template) == {
        "WebWordpressDbPassword": "value-of-WebWordpressDbPassword"}
    ctx = heat.context("mockuser", "mockpassword", cloud.url)
    identity = heat.engine_client.create_stack(
        ctx, "wordpress", json.loads(to_json(template)),
        {"parameters": {"WebWordpressDbPassword": "s3cret"}}, {},
        {"timeout_mins": 2})
    stack = heat.wait_for_stack(ctx, identity, timeout=90)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    instances = {i["image_id"]: i for i in cloud.all_instances()
                 if i["id"] not in seeded}
    assert {k: i["hwp_id"] for k, i in instances.items()} == {
        "img1": "m1-small", "img2": "m1-large"}
    outputs = {o["output_key"]: o["output_value"]
               for o in stack["outputs"]}
    assert set(outputs) == {"WebPublicIp", "WebPrivateIp", "DbPublicIp",
                            "DbPrivateIp"}
    assert all(outputs.values())
    assert all(i["has_user_data"] for i in instances.values())
    # The database's address was allocated first (the web server's boot
    # script names it), then attached to the database.
    [address] = [a for a in cloud.all_addresses()
                 if a["instance_id"] == instances["img2"]["id"]]
    assert outputs["DbPublicIp"] == address["id"], outputs
    # Private is private (issue 20 item 9): before, Heat's instance gave
    # its first public address for every address attribute.
    web_vm, db_vm = instances["img1"], instances["img2"]
    assert outputs["WebPrivateIp"] == \
        web_vm["private_addresses"][0]["address"]
    assert outputs["DbPrivateIp"] == db_vm["private_addresses"][0]["address"]
    assert outputs["WebPublicIp"] == web_vm["public_addresses"][0]["address"]
    # What the database's boot script receives: the web server's private
    # address (the web server gets the database's pre-allocated one).
    assert outputs["WebPrivateIp"] in db_vm["user_data"]
    assert "public" not in outputs["WebPrivateIp"]
    web = template["Resources"]["Web"]
    assert {"Ref": "DbAddress"} in \
        web["Properties"]["UserData"]["Fn::Base64"]["Fn::Join"][1]
    assert "DependsOn" not in web
    assert template["Resources"]["Db"]["DependsOn"] == ["Web"]
    heat.engine_client.delete_stack(ctx, identity, cast=False)


def test_address_attributes_read_the_network_of_their_kind():
    from heat_deltacloud.heat.resources.instance import NO_ADDRESS, pick

    addresses = {"private": [{"addr": "10.0.0.1", "version": 4},
                             {"addr": "a.private.example", "version": None}],
                 "public": []}
    assert pick(addresses, "private", False) == "10.0.0.1"
    assert pick(addresses, "private", True) == "a.private.example"
    assert pick(addresses, "public", False) == "10.0.0.1"  # none public
    assert pick({}, "public", True) == NO_ADDRESS
