"""Images through the glance shape, floating IPs through neutron's."""

import pytest

from heat_deltacloud.compat.glance import exceptions as glance_exc
from heat_deltacloud.compat.neutron import exceptions as neutron_exc


def test_images_get_and_list(images):
    image = images.images.get("img1")
    assert (image.id, image.name, image.status, image.min_ram,
            image.min_disk) == ("img1", "img1", "active", 0, 0)
    assert image["architecture"] == "x86_64"
    assert [i.id for i in images.images.list(filters={"name": "img3"})] \
        == ["img3"]
    assert {i.id for i in images.images.list()} == {"img1", "img2", "img3"}
    assert list(images.images.list(filters={"name": "nope"})) == []


def test_missing_image_is_glances_not_found(images):
    with pytest.raises(glance_exc.HTTPNotFound):
        images.images.get("img99")


def test_one_external_network(network):
    nets = network.list_networks(**{"router:external": True})["networks"]
    assert [n["id"] for n in nets] == ["public"]
    assert network.show_network("private")["network"]["name"] == "private"
    with pytest.raises(neutron_exc.NotFound):
        network.show_network("nope")


def test_floating_ip_lifecycle(network, compute, deltacloud_mock):
    server = compute.servers.create("web", "img1", "m1-small")
    fip = network.create_floatingip(
        {"floatingip": {"floating_network_id": "public"}})["floatingip"]
    assert fip["floating_ip_address"] == fip["id"] == "192.168.0.5"
    assert fip["port_id"] is None
    network.update_floatingip(fip["id"], {"floatingip": {
        "port_id": server.id}})
    shown = network.show_floatingip(fip["id"])["floatingip"]
    assert (shown["port_id"], shown["status"]) == (server.id, "ACTIVE")
    # The mock puts the address in place of the public hostname.
    assert compute.servers.get(server.id).networks["public"] == [
        "192.168.0.5"]
    assert compute.servers.get(server.id).accessIPv4 == "192.168.0.5"
    found = network.list_floatingips(floating_ip_address="192.168.0.5")
    assert [f["id"] for f in found["floatingips"]] == ["192.168.0.5"]
    with pytest.raises(neutron_exc.Conflict):
        network.delete_floatingip(fip["id"])  # still associated
    network.update_floatingip(fip["id"], {"floatingip": {"port_id": None}})
    network.delete_floatingip(fip["id"])
    with pytest.raises(neutron_exc.NotFound):
        network.show_floatingip(fip["id"])


def test_floating_ips_only_from_the_public_network(network):
    with pytest.raises(neutron_exc.BadRequest, match="'public'"):
        network.create_floatingip(
            {"floatingip": {"floating_network_id": "private"}})


def test_security_groups_over_firewalls(network, compute, deltacloud_mock):
    deltacloud_mock.set_capability("firewalls")
    deltacloud_mock.set_capability("instances", "firewalls")
    group = network.create_security_group(
        {"security_group": {"name": "web", "description": "Web"}})
    assert group["security_group"]["id"] == "web"
    rule = network.create_security_group_rule({"security_group_rule": {
        "security_group_id": "web", "direction": "ingress",
        "protocol": "tcp", "port_range_min": 80, "port_range_max": 80,
        "remote_ip_prefix": "10.0.0.0/8"}})["security_group_rule"]
    assert rule["id"].startswith("web/")
    assert (rule["remote_ip_prefix"], rule["port_range_min"]) == (
        "10.0.0.0/8", 80)
    shown = network.show_security_group("web")["security_group"]
    assert [r["id"] for r in shown["security_group_rules"]] == [rule["id"]]
    server = compute.servers.create("web", "img1", "m1-small",
                                    security_groups=["web", "default"])
    [instance] = [i for i in deltacloud_mock.all_instances()
                  if i["id"] == server.id]
    assert instance["firewalls"] == ["web"]
    with pytest.raises(neutron_exc.BadRequest, match="ingress rules only"):
        network.create_security_group_rule({"security_group_rule": {
            "security_group_id": "web", "direction": "egress"}})
    network.delete_security_group_rule(rule["id"])
    assert network.show_security_group("web")["security_group"][
        "security_group_rules"] == []
    network.delete_security_group("web")
    with pytest.raises(neutron_exc.NotFound):
        network.show_security_group("web")


def test_security_groups_need_firewalls(network):
    with pytest.raises(neutron_exc.NeutronClientException,
                       match="no 'firewalls' collection"):
        network.create_security_group({"security_group": {"name": "x"}})


def test_other_neutron_calls_fail_by_name(network):
    with pytest.raises(neutron_exc.NeutronClientException,
                       match="no Neutron 'create_router'"):
        network.create_router({"router": {}})
