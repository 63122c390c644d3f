"""A server on a driver without user data boots without Heat's boot
configuration when it carries nothing (issue 20 item 17); the user data
is built by Heat 27's own ``build_userdata``."""

import logging
import types

import pytest

from heat_deltacloud.compat import nova
from heat_deltacloud.compat.nova import bootconfig, exceptions

CFN_URL = "http://127.0.0.1:8000/v1/"


def heat_user_data(metadata=None, userdata="", instance_user=None,
                   user_data_format="HEAT_CFNTOOLS"):
    """What Heat's nova client plugin sends as ``userdata``."""
    plugin_module = pytest.importorskip("heat.engine.clients.os.nova",
                                        exc_type=ImportError)
    heat_plugin = types.SimpleNamespace(
        get_cfn_metadata_server_url=lambda: CFN_URL)
    plugin = types.SimpleNamespace(context=types.SimpleNamespace(
        clients=types.SimpleNamespace(client_plugin=lambda name:
                                      heat_plugin)))
    return plugin_module.NovaClientPlugin.build_userdata(
        plugin, metadata or {}, userdata, instance_user=instance_user,
        user_data_format=user_data_format)


def test_a_server_with_nothing_to_configure_boots_without_it(
        compute, deltacloud_mock, caplog):
    assert not compute.deltacloud.supports("instances", "user_data")
    with caplog.at_level(logging.INFO, "heat_deltacloud.compat.nova"):
        server = compute.servers.create("web", "img1", "m1-small",
                                        userdata=heat_user_data())
    assert server.status == "ACTIVE"
    assert deltacloud_mock.instance(server.id)["user_data"] is None
    [record] = [r for r in caplog.records
                if "without Heat's boot configuration" in r.getMessage()]
    assert record.levelno == logging.INFO
    assert "web" in record.getMessage()


@pytest.mark.parametrize("needs", [
    {"userdata": "#!/bin/sh\n/opt/aws/bin/cfn-signal -e 0 URL\n"},
    {"metadata": {"AWS::CloudFormation::Init": {"config": {}}}},
    {"metadata": {"deployments": [], "os-collect-config": {}},
     "user_data_format": "SOFTWARE_CONFIG"},
    {"instance_user": "ec2-user"},  # AWS::EC2::Instance's
], ids=["user-data", "metadata", "software-config", "instance-user"])
def test_boot_configuration_that_carries_something_is_refused(compute,
                                                              needs):
    userdata = heat_user_data(**needs)
    assert not bootconfig.carries_nothing(userdata)
    before = len(compute.servers.list())
    with pytest.raises(exceptions.BadRequest) as caught:
        compute.servers.create("web", "img1", "m1-small", userdata=userdata)
    message = str(caught.value)
    assert "does not accept user data" in message
    assert "ignore_unsupported_user_data" in message
    assert "--ignore-unsupported-user-data" in message
    assert len(compute.servers.list()) == before


def test_raw_user_data_of_the_templates_own_is_not_heats():
    assert not bootconfig.carries_nothing("#!/bin/sh\necho hi\n")
    assert not bootconfig.carries_nothing(
        heat_user_data(userdata="echo hi", user_data_format="RAW"))


def test_empty_boot_configuration_goes_where_user_data_is_supported(
        user_data_mock):
    from heat_deltacloud.deltacloud import Client

    userdata = heat_user_data()
    with Client(user_data_mock.url, "mockuser", "mockpassword") as dc:
        server = nova.Client(dc).servers.create(
            "web", "img1", "m1-small", userdata=userdata)
    assert user_data_mock.instance(server.id)["user_data"] == userdata
