"""Creates, instance actions and the other write operations."""

import base64
import urllib.parse

import pytest
from responses import matchers

from heat_deltacloud.deltacloud import exceptions, models

URL = "http://localhost:3001/api"


def form(call):
    return dict(urllib.parse.parse_qsl(call.request.body))


def test_create_instance_sends_form_fields(make_client, reply, rsps, fmt):
    client = make_client(fmt)
    reply("POST", "/instances", "instance", fmt, status=201)
    inst = client.instances.create("img1", hwp_id="m1-small", realm_id="eu",
                                   name="web1", keyname="test-key")
    assert inst.id == "inst4"
    sent = form(rsps.calls[-1])
    assert sent == {"image_id": "img1", "hwp_id": "m1-small",
                    "realm_id": "eu", "name": "web1", "keyname": "test-key"}
    call = rsps.calls[-1].request
    assert call.headers["Content-Type"] == \
        "application/x-www-form-urlencoded"
    assert call.headers["Accept"] == f"application/{fmt}"


def test_create_instance_accepts_model_objects(make_client, reply, rsps):
    client = make_client()
    reply("POST", "/instances", "instance", status=201)
    client.instances.create(models.Image("img1", "img1"),
                            hwp_id=models.HardwareProfile("m1-small",
                                                          "m1-small"))
    assert form(rsps.calls[-1]) == {"image_id": "img1",
                                    "hwp_id": "m1-small"}


def test_user_data_is_base64_encoded_when_advertised(make_client, reply,
                                                     rsps):
    client = make_client()
    client.api  # fetch, then pretend the driver advertises user_data
    feature = models.Feature("user_data", "create", ("user_data",))
    instances = client.api.collection("instances")
    client.discovery.api = models.Api("ec2", "1.1.3", collections=(
        models.Collection("instances", instances.href,
                          instances.features + (feature,)),))
    reply("POST", "/instances", "instance", status=201)
    client.instances.create("img1", user_data="#!/bin/sh\necho hi\n")
    sent = form(rsps.calls[-1])
    assert base64.b64decode(sent["user_data"]) == b"#!/bin/sh\necho hi\n"


@pytest.mark.parametrize("kwargs, feature", [
    ({"user_data": "x"}, "user_data"),
    ({"firewalls": ["web"]}, "firewalls"),
])
def test_unadvertised_features_fail_before_any_request(make_client, rsps,
                                                       kwargs, feature):
    client = make_client()
    with pytest.raises(exceptions.NotSupported) as err:
        client.instances.create("img1", **kwargs)
    assert f"'{feature}' feature of 'instances'" in str(err.value)
    assert len(rsps.calls) == 1  # only /api


def test_missing_collection_fails_before_any_request(make_client, rsps):
    client = make_client()
    with pytest.raises(exceptions.NotSupported,
                       match="has no 'firewalls' collection"):
        client.firewalls.list()
    assert len(rsps.calls) == 1


def test_hardware_overrides_are_validated_against_the_profile(
        make_client, reply, rsps):
    client = make_client()
    reply("GET", "/hardware_profiles/m1-large", "hardware_profile_m1-large")
    reply("POST", "/instances", "instance", status=201)
    client.instances.create("img1", hwp_id="m1-large", memory=8192,
                            storage="1024", architecture="x86_64")
    assert form(rsps.calls[-1]) == {
        "image_id": "img1", "hwp_id": "m1-large", "hwp_memory": "8192",
        "hwp_storage": "1024"}
    # The profile is cached: no second GET for the next create.
    reply("POST", "/instances", "instance", status=201)
    client.instances.create("img1", hwp_id="m1-large", cpu=2)
    assert form(rsps.calls[-1])["hwp_cpu"] == "2"


@pytest.mark.parametrize("overrides, message", [
    ({"memory": 99}, r"memory=99 is outside .*\(7680..15360\)"),
    ({"storage": 900}, r"storage=900 is outside .*\(850, 1024\)"),
    ({"architecture": "i386"}, "is fixed at x86_64"),
    ({"gpu": 1}, "has no property 'gpu'"),
])
def test_bad_hardware_overrides_are_refused(make_client, reply, overrides,
                                            message):
    client = make_client()
    reply("GET", "/hardware_profiles/m1-large", "hardware_profile_m1-large")
    with pytest.raises(exceptions.BadRequest, match=message):
        client.instances.create("img1", hwp_id="m1-large", **overrides)


def test_overrides_need_a_profile(make_client):
    client = make_client(api=False)
    with pytest.raises(exceptions.BadRequest, match="need hwp_id"):
        client.instances.create("img1", memory=1024)


def test_actions_follow_the_links_the_server_returns(make_client, reply,
                                                     rsps, fmt):
    client = make_client(fmt)
    reply("GET", "/instances/inst4", "instance", fmt)
    running = client.instances.get("inst4")
    # JSON answers an action with the bare instance (reference 7.4).
    body = (b'{"id": "inst4", "state": "STOPPED", "actions": []}'
            if fmt == "json" else None)
    if body:
        rsps.add("POST", URL + "/instances/inst4/stop", body=body,
                 status=202, content_type="application/json")
    else:
        reply("POST", "/instances/inst4/stop", "instance_stopped",
              status=202)
    stopped = client.instances.stop(running)
    assert stopped.state == "STOPPED"


def test_action_given_an_id_reads_the_instance_first(make_client, reply,
                                                     rsps):
    client = make_client()
    reply("GET", "/instances/inst4", "instance_stopped")
    reply("DELETE", "/instances/inst4", status=204)
    assert client.instances.destroy("inst4") is None
    assert [c.request.method for c in rsps.calls] == ["GET", "GET",
                                                      "DELETE"]


def test_action_not_offered_is_refused_client_side(make_client, reply):
    client = make_client()
    reply("GET", "/instances/inst4", "instance")
    running = client.instances.get("inst4")
    with pytest.raises(exceptions.MethodNotAllowed) as err:
        client.instances.destroy(running)
    assert str(err.value) == (
        "instance 'inst4' in state RUNNING offers no 'destroy' action "
        "(offers: reboot, stop, run, create_image)")


def test_server_405_is_method_not_allowed(make_client, reply):
    client = make_client()
    reply("GET", "/instances/inst4", "instance")
    running = client.instances.get("inst4")
    reply("POST", "/instances/inst4/reboot", "error_405", status=405)
    with pytest.raises(exceptions.MethodNotAllowed) as err:
        client.instances.reboot(running)
    assert err.value.status == 405
    assert err.value.message == "Method Not Allowed"


def test_keys_create_and_destroy(make_client, reply, rsps, fmt):
    client = make_client(fmt)
    reply("POST", "/keys", "key", fmt, status=201)
    key = client.keys.create("test-key")
    assert key.pem.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert form(rsps.calls[-1]) == {"name": "test-key"}
    reply("DELETE", "/keys/test-key", status=204)
    client.keys.destroy(key)


def test_key_import_needs_the_feature(make_client):
    client = make_client()
    with pytest.raises(exceptions.NotSupported, match="import_key"):
        client.keys.create("k", public_key="ssh-rsa AAAA")


def test_addresses_lifecycle(make_client, reply, rsps, fmt):
    client = make_client(fmt)
    reply("POST", "/addresses", "address", fmt, status=201)
    address = client.addresses.create()
    assert address.ip == "192.168.0.5"
    rsps.add("POST", URL + "/addresses/192.168.0.5/associate", status=202,
             match=[matchers.urlencoded_params_matcher(
                 {"instance_id": "inst4"})])
    assert client.addresses.associate(address, "inst4") is None
    rsps.add("POST", URL + "/addresses/192.168.0.5/disassociate",
             status=202)
    client.addresses.disassociate("192.168.0.5")
    reply("DELETE", "/addresses/192.168.0.5", status=204)
    client.addresses.destroy(address)


def test_volumes_lifecycle(make_client, reply, rsps):
    client = make_client()
    reply("POST", "/storage_volumes", "storage_volume", status=201)
    volume = client.storage_volumes.create(capacity=2)
    assert form(rsps.calls[-1]) == {"capacity": "2"}
    reply("POST", f"/storage_volumes/{volume.id}/attach", "storage_volume",
          status=202, match=[matchers.urlencoded_params_matcher(
              {"instance_id": "inst1", "device": "/dev/sdb"})])
    client.storage_volumes.attach(volume, "inst1", "/dev/sdb")
    reply("POST", f"/storage_volumes/{volume.id}/detach", "storage_volume",
          status=202)
    client.storage_volumes.detach(volume)
    reply("DELETE", f"/storage_volumes/{volume.id}", status=204)
    client.storage_volumes.destroy(volume)


def test_volume_name_needs_the_feature_or_a_driver_that_keeps_it(
        make_client, reply, rsps):
    client = make_client()
    # The mock driver stores names without advertising volume_name.
    assert client.honours("storage_volumes", "volume_name", "name")
    reply("POST", "/storage_volumes", "storage_volume", status=201)
    client.storage_volumes.create(name="data")
    assert form(rsps.calls[-1]) == {"name": "data"}
    with pytest.raises(exceptions.NotSupported,
                       match="volume_description"):
        client.storage_volumes.create(description="data")
    other = make_client(api=False)
    other.discovery.api = models.Api("ec2", "1.1.3", collections=(
        models.Collection("storage_volumes", URL + "/storage_volumes"),))
    assert not other.honours("storage_volumes", "volume_name", "name")
    with pytest.raises(exceptions.NotSupported, match="volume_name"):
        other.storage_volumes.create(name="data")


def test_firewall_rules(make_client, reply, rsps):
    client = make_client(api=False)
    client.discovery.api = models.Api("ec2", "1.1.3", collections=(
        models.Collection("firewalls", URL + "/firewalls"),))
    reply("POST", "/firewalls/web/rules", "firewall", status=201)
    fw = client.firewalls.add_rule("web", "tcp", 80, 80,
                                   addresses=["10.0.0.0/8"],
                                   groups=[("db", "mockuser")])
    assert fw.id == "web"
    assert form(rsps.calls[-1]) == {
        "protocol": "tcp", "port_from": "80", "port_to": "80",
        "ip_address1": "10.0.0.0/8", "group1": "db",
        "group1owner": "mockuser"}
    with pytest.raises(exceptions.BadRequest, match="at least one"):
        client.firewalls.add_rule("web", "tcp", 22, 22)


def test_action_unread_posts_to_the_fixed_route(make_client, reply, rsps):
    """One request, no read first: the answer carries the new state."""
    client = make_client()
    reply("POST", "/instances/inst4/stop", "instance_stopped", status=202)
    stopped = client.instances.act_unread("inst4", "stop")
    assert stopped.state == "STOPPED"
    assert stopped.action("destroy") is not None
    assert [c.request.method for c in rsps.calls] == ["GET", "POST"]


def test_action_unread_refused_by_the_server(make_client, reply):
    client = make_client()
    reply("POST", "/instances/inst4/stop", "error_405", status=405)
    with pytest.raises(exceptions.MethodNotAllowed):
        client.instances.act_unread("inst4", "stop")
