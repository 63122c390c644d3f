"""servers over Deltacloud instances, against the mock over HTTP."""

import pytest

from heat_deltacloud.compat import nova
from heat_deltacloud.compat.nova import exceptions
from heat_deltacloud.compat.nova.servers import UNHONOURED_ARGUMENTS
from heat_deltacloud.deltacloud import Client


def test_create_maps_nova_arguments(compute, deltacloud_mock):
    server = compute.servers.create(
        "web", "img1", "m1-large;memory=12288", key_name="test-key",
        availability_zone="eu", security_groups=None, meta=None,
        nics=None, block_device_mapping=None, userdata=None)
    assert server.status == "ACTIVE"
    assert server.name == "web"
    assert server.flavor == {"id": "m1-large;memory=12288", "links": []}
    assert server.image == {"id": "img1", "links": []}
    assert getattr(server, "OS-EXT-AZ:availability_zone") == "eu"
    assert server.key_name == "test-key"
    assert server.networks == {
        "public": [f"img1.{server.id}.public.com"],
        "private": [f"img1.{server.id}.private.com"]}
    assert server.addresses["private"] == [{
        "addr": f"img1.{server.id}.private.com", "version": None,
        "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": None}]
    assert server.interface_list() == []
    [mine] = [i for i in deltacloud_mock.all_instances()
              if i["id"] == server.id]
    assert mine["name"] == "web"


@pytest.mark.parametrize("arg", sorted(UNHONOURED_ARGUMENTS))
def test_unhonoured_arguments_are_refused_by_name(compute, deltacloud_mock,
                                                  arg):
    value = {"min_count": 3, "max_count": 3, "config_drive": True,
             "disk_config": "MANUAL", "nics": [{"net-id": "x"}],
             "block_device_mapping": {"vda": "x"}}.get(arg, ["x"])
    with pytest.raises(exceptions.BadRequest) as err:
        compute.servers.create("web", "img1", "m1-small", **{arg: value})
    assert f"'{arg}'" in err.value.message
    assert err.value.code == 400
    assert not [i for i in deltacloud_mock.all_instances()
                if i["name"] == "web"]


def test_defaults_of_unhonoured_arguments_are_accepted(compute):
    kwargs = {arg: allowed[0] for arg, allowed in
              UNHONOURED_ARGUMENTS.items()}
    assert compute.servers.create("web", "img1", "m1-small",
                                  **kwargs).status == "ACTIVE"


def test_unknown_argument_is_a_type_error(compute):
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        compute.servers.create("web", "img1", "m1-small", colour="red")


def test_user_data_needs_the_feature(compute):
    with pytest.raises(exceptions.BadRequest,
                       match="does not accept user data"):
        compute.servers.create("web", "img1", "m1-small",
                               userdata="#!/bin/sh\n")


def test_user_data_can_be_dropped_when_configured(dc):
    lenient = nova.Client(dc, ignore_unsupported_user_data=True)
    server = lenient.servers.create("web", "img1", "m1-small",
                                    userdata="#!/bin/sh\n")
    assert server.status == "ACTIVE"


def test_user_data_is_sent_when_advertised(user_data_mock):
    with Client(user_data_mock.url, "mockuser", "mockpassword") as dc:
        server = nova.Client(dc).servers.create(
            "web", "img1", "m1-small", userdata="#!/bin/sh\necho hi\n")
    assert server.status == "ACTIVE"


def test_get_and_list(compute):
    server = compute.servers.create("web", "img1", "m1-small")
    again = compute.servers.get(server.id)
    assert again == server
    assert again.to_dict()["deltacloud:state"] == "RUNNING"
    names = [s.name for s in compute.servers.list(
        search_opts={"name": "^we"})]
    assert names == ["web"]
    assert {s.id for s in compute.servers.list(
        search_opts={"status": "ACTIVE"})} >= {server.id, "inst0"}
    assert compute.servers.list(search_opts={"status": "SHUTOFF"}) == []


def test_missing_server_is_novaclients_not_found(compute):
    with pytest.raises(exceptions.NotFound) as err:
        compute.servers.get("inst99")
    assert err.value.code == 404
    if exceptions.NATIVE:
        import novaclient.exceptions
        assert type(err.value) is novaclient.exceptions.NotFound


def test_stop_start_reboot(compute):
    server = compute.servers.create("web", "img1", "m1-small")
    server.stop()
    assert server.get().status == "SHUTOFF"
    assert getattr(server, "OS-EXT-STS:vm_state") == "stopped"
    with pytest.raises(exceptions.Conflict) as err:
        server.stop()
    assert "offers no 'stop' action" in err.value.message
    server.start()
    assert server.get().status == "ACTIVE"
    server.reboot()
    assert server.get().status == "ACTIVE"


def test_delete_from_running_stops_then_destroys(compute, deltacloud_mock):
    server = compute.servers.create("web", "img1", "m1-small")
    deltacloud_mock.clear_requests()
    server.delete()
    with pytest.raises(exceptions.NotFound):
        compute.servers.get(server.id)
    counts = deltacloud_mock.request_counts()
    assert counts.get("POST /api/instances/:id/stop") == 1
    assert counts.get("DELETE /api/instances/:id") == 1


def test_delete_of_a_missing_server_is_not_found(compute):
    with pytest.raises(exceptions.NotFound):
        compute.servers.delete("inst99")


def test_actions_on_a_missing_server_are_not_found(compute):
    with pytest.raises(exceptions.NotFound):
        compute.servers.stop("inst99")


@pytest.mark.parametrize("on", ["manager", "server"])
def test_metadata_changes_are_logged_and_not_kept(compute, deltacloud_mock,
                                                  caplog, on):
    """As ``meta`` at create: AWS::EC2::Instance Tags changed on update."""
    import logging
    caplog.set_level(logging.INFO)
    server = compute.servers.get("inst0")
    deltacloud_mock.clear_requests()
    target, first = (compute.servers, (server,)) if on == "manager" \
        else (server, ())
    assert target.set_meta(*first, {"tier": "web"}) == {}
    assert target.set_meta_item(*first, "tier", "db") == {}
    target.delete_meta(*first, ["tier"])
    assert deltacloud_mock.request_log() == []
    assert "not kept for inst0: ['tier']" in caplog.text
    assert compute.servers.get("inst0").metadata == {}


def test_meta_is_accepted_but_not_kept(compute, caplog):
    import logging
    caplog.set_level(logging.INFO)
    server = compute.servers.create("web", "img1", "m1-small",
                                    meta={"metering.groupname": "g"})
    assert server.metadata == {}
    assert "cannot store server metadata" in caplog.text


def test_lost_create_answer_does_not_duplicate(compute, deltacloud_mock):
    deltacloud_mock.add_fault("POST", "/api/instances", drop=True,
                              after=True, count=1)
    server = compute.servers.create("stack-web-abc123", "img1", "m1-small")
    named = [i for i in deltacloud_mock.all_instances()
             if i["name"] == "stack-web-abc123"]
    assert [i["id"] for i in named] == [server.id]


def test_lost_create_answer_without_an_instance_still_fails(
        compute, deltacloud_mock):
    deltacloud_mock.add_fault("POST", "/api/instances", drop=True, count=1)
    with pytest.raises(exceptions.ClientException) as err:
        compute.servers.create("stack-web-xyz", "img1", "m1-small")
    assert err.value.code == 503
    assert not [i for i in deltacloud_mock.all_instances()
                if i["name"] == "stack-web-xyz"]


def test_instances_carry_the_installations_marker(dc, deltacloud_mock):
    # reconcile deletes only instances whose marker proves them this
    # Heat's; Heat reads back the name it gave.
    marker = nova.naming.installation_marker("k" * 32)
    marked = nova.Client(dc, instance_marker=marker)
    server = marked.servers.create("s-Web-ab12cd34ef56", "img1",
                                   "m1-small")
    assert deltacloud_mock.instance(server.id)["name"] == \
        f"s-Web-ab12cd34ef56.{marker}"
    assert server.name == "s-Web-ab12cd34ef56"
    assert marked.servers.get(server.id).name == "s-Web-ab12cd34ef56"
    assert [s.id for s in marked.servers.list(
        search_opts={"name": "^s-Web-ab12cd34ef56$"})] == [server.id]
    # A name Heat did not give keeps whatever follows its last dot.
    own = dc.instances.create("img1", name="box.0a1b2c3d")
    assert marked.servers.get(own.id).name == "box.0a1b2c3d"
    # A template's own name is sent as it is.
    named = marked.servers.create("web", "img1", "m1-small")
    assert deltacloud_mock.instance(named.id)["name"] == "web"
