"""``launch --ignore-unsupported-user-data``: the embedded launcher's way
to set heat.conf's ``[deltacloud] ignore_unsupported_user_data``, which
the shim's refusal names (issue 20 item 17)."""

import pathlib

import pytest

from heat_deltacloud import cli
from heat_deltacloud.launch.credentials import Credentials

from .conftest import PASSWORD, USER

pytestmark = [pytest.mark.heat]

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / \
    "wordpress" / "deployable.xml"


def test_a_remote_heat_reads_it_from_its_own_heat_conf(capsys):
    status = cli.main(["launch", str(EXAMPLE),
                       "--heat-cfn-url", "http://127.0.0.1:8000",
                       "--ignore-unsupported-user-data"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("heat-deltacloud launch: error: "
                          "--ignore-unsupported-user-data is for an "
                          "embedded launch")
    assert "its own heat.conf" in err


def test_the_embedded_heat_boots_without_user_data_while_it_runs(
        deltacloud_mock):
    from oslo_config import cfg

    from heat_deltacloud.compat import nova
    from heat_deltacloud.heat import plugins
    from heat_deltacloud.launch.local import LocalServices

    # A Deltacloud without the user_data feature, as the real mock driver.
    with LocalServices(deltacloud_mock.url, Credentials(USER, PASSWORD),
                       deltacloud_options={
                           "ignore_unsupported_user_data": True}):
        assert cfg.CONF.deltacloud.ignore_unsupported_user_data is True
        client = plugins.DeltacloudNovaClientPlugin._create(
            _PluginWithClient(deltacloud_mock))
        assert isinstance(client, nova.Client)
        server = client.servers.create("web", "img1", "m1-small",
                                       userdata="#!/bin/sh\necho hi\n")
        assert deltacloud_mock.instance(server.id)["user_data"] is None
    # Not left set for whatever the process's Heat runs next.
    assert cfg.CONF.deltacloud.ignore_unsupported_user_data is False


class _PluginWithClient:
    """What ``DeltacloudNovaClientPlugin._create`` reads of itself."""

    def __init__(self, mock):
        from heat_deltacloud.deltacloud import Client

        self._client = Client(mock.url, "mockuser", "mockpassword")

    def deltacloud(self):
        return self._client
