"""OS::Nova::Server's ``addresses`` on real Heat 27: the instance's own
addresses, which Heat would otherwise build from Neutron ports (none on
Deltacloud, so it was always ``{}``)."""

import pytest

from support import mock_fixtures, outputs

pytestmark = [pytest.mark.heat]

USERS = {"alice": "alice-pw"}

cloud, mock = mock_fixtures(USERS, fix_user_data_feature=True)

TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "resources": {"S": {"type": "OS::Nova::Server", "properties": {
        "image": "img1", "flavor": "m1-small"}}},
    "outputs": {
        "id": {"value": {"get_resource": "S"}},
        "addresses": {"value": {"get_attr": ["S", "addresses"]}},
        "private": {"value": {"get_attr": [
            "S", "addresses", "private", 0, "addr"]}},
        "networks": {"value": {"get_attr": ["S", "networks"]}},
    },
}


def test_addresses_are_the_instances_own(heat, mock):
    ctx = heat.context("alice", USERS["alice"], mock.url)
    identity = heat.engine_client.create_stack(
        ctx, "addresses", TEMPLATE, {}, {}, {"timeout_mins": 2})
    stack = heat.wait_for_stack(ctx, identity, timeout=60)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    found = outputs(stack)
    [instance] = [i for i in mock.all_instances() if i["id"] == found["id"]]
    heat.delete_stack(ctx, identity, timeout=60)

    def entries(field, kind):
        # The mock gives host names, which Nova shows with version None.
        return [{"addr": a["address"], "version": None,
                 "OS-EXT-IPS:type": kind, "OS-EXT-IPS-MAC:mac_addr": None}
                for a in instance[field]]

    assert found["addresses"] == {
        "public": entries("public_addresses", "floating"),
        "private": entries("private_addresses", "fixed")}
    assert found["private"] == instance["private_addresses"][0]["address"]
    assert found["private"].endswith(".private.com")
    # The same addresses as the networks attribute, which Heat took from
    # the server already.
    assert {label: [e["addr"] for e in values]
            for label, values in found["addresses"].items()} == \
        found["networks"]
