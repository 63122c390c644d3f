"""Heat 27's own NovaClientPlugin helpers, walking over the shim.

These are the code paths Heat's resources call; they must accept the
shim's objects and errors exactly as they accept novaclient's.
"""

import pytest

pytestmark = [pytest.mark.heat]


@pytest.fixture
def nova(heat, deltacloud_mock):
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    return ctx.clients.client_plugin("nova")


def test_plugin_classes_come_from_the_backend(heat, deltacloud_mock):
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    names = {name: type(ctx.clients.client_plugin(name)).__name__
             for name in ("nova", "glance", "neutron", "cinder",
                          "keystone", "swift")}
    assert names == {"nova": "DeltacloudNovaClientPlugin",
                     "glance": "DeltacloudGlanceClientPlugin",
                     "neutron": "DeltacloudNeutronClientPlugin",
                     "cinder": "DeltacloudCinderClientPlugin",
                     "keystone": "DeltacloudKeystoneClientPlugin",
                     "swift": "DeltacloudSwiftClientPlugin"}


def test_server_helpers(nova):
    from heat.common import exception
    server = nova.client().servers.create("web", "img1", "m1-small")
    assert nova.fetch_server(server.id).id == server.id
    assert nova.get_status(server) == "ACTIVE"
    assert nova._check_active(server.id) is True
    assert nova.server_to_ipaddress(server.id) == \
        f"img1.{server.id}.public.com"
    assert nova.get_server(server.id).name == "web"
    with pytest.raises(exception.EntityNotFound):
        nova.get_server("inst99")
    assert nova.server_to_ipaddress("inst99") is None
    nova.client().servers.stop(server.id)
    assert nova._check_active(server.id) is False  # SHUTOFF: deferred
    assert nova.check_delete_server_complete(server.id) is False
    nova.client().servers.delete(server.id)
    assert nova.check_delete_server_complete(server.id) is True


def test_error_and_unknown_states(nova, deltacloud_mock):
    from heat.common import exception
    server = nova.client().servers.create("web", "img1", "m1-small")
    deltacloud_mock.set_instance_state(server.id, "ERROR")
    with pytest.raises(exception.ResourceInError, match="state ERROR"):
        nova._check_active(server.id)
    deltacloud_mock.set_instance_state(server.id, "HIBERNATING")
    with pytest.raises(exception.ResourceUnknownStatus):
        nova._check_active(server.id)


def test_transient_backend_errors_are_tolerated_while_polling(
        nova, deltacloud_mock):
    server = nova.client().servers.create("web", "img1", "m1-small")
    deltacloud_mock.add_fault("GET", "/api/instances/:id", status=503,
                              count=10)
    # Heat's fetch_server swallows 500/503 and retries on the next poll.
    assert nova.fetch_server(server.id) is None
    assert nova._check_active(server.id) is False


def test_not_found_predicates(nova):
    from novaclient import exceptions as novaclient_exceptions
    with pytest.raises(novaclient_exceptions.NotFound) as err:
        nova.client().servers.get("inst99")
    assert nova.is_not_found(err.value)
    assert nova.is_client_exception(err.value)


def test_flavor_keypair_and_zone_helpers(nova, heat, deltacloud_mock):
    from heat.common import exception
    assert nova.get_flavor("m1-large;memory=12288").ram == 12288
    assert nova.find_flavor_by_name_or_id("m1-small") == "m1-small"
    assert nova.get_keypair("test-key").name == "test-key"
    with pytest.raises(exception.EntityNotFound):
        nova.get_keypair("nope")
    limits = nova.absolute_limits()
    assert limits["maxServerMeta"] == 0


def test_glance_plugin_finds_non_uuid_ids(heat, deltacloud_mock):
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    glance = ctx.clients.client_plugin("glance")
    assert glance.find_image_by_name_or_id("img2") == "img2"
    assert glance.get_image("img3").status == "active"
