"""Requests the Nova shim spends on a delete, counted in the mock's log
(the request budget in ``benchmarks/request_budget.py`` rests on them)."""

import pytest

from heat_deltacloud.compat import nova
from heat_deltacloud.compat.nova import exceptions
from heat_deltacloud.deltacloud import Client


@pytest.fixture
def compute(deltacloud_mock):
    with Client(deltacloud_mock.url, "mockuser", "mockpassword",
                backoff_factor=0) as client:
        yield nova.Client(client, delete_timeout=5, poll_interval=0.05)


def routes(mock):
    return [f"{r['method']} {r['route']}" for r in mock.request_log()]


def test_delete_of_a_running_server_does_not_read_it_first(
        compute, deltacloud_mock):
    server = compute.servers.create("web", "img1", "m1-small")
    deltacloud_mock.clear_requests()
    compute.servers.delete(server.id)
    # The stop's answer says the instance is stopped and offers destroy.
    assert routes(deltacloud_mock) == ["POST /api/instances/:id/stop",
                                       "DELETE /api/instances/:id"]
    with pytest.raises(exceptions.NotFound):
        compute.servers.get(server.id)


def test_delete_of_a_stopped_server_reads_it_once_refused(
        compute, deltacloud_mock):
    server = compute.servers.create("web", "img1", "m1-small")
    compute.servers.stop(server.id)
    deltacloud_mock.clear_requests()
    compute.servers.delete(server.id)
    assert routes(deltacloud_mock) == ["POST /api/instances/:id/stop",
                                       "GET /api/instances/:id",
                                       "DELETE /api/instances/:id"]
    assert [r["status"] for r in deltacloud_mock.request_log()][0] == 405


def test_delete_of_a_missing_server_is_still_not_found(compute,
                                                       deltacloud_mock):
    with pytest.raises(exceptions.NotFound):
        compute.servers.delete("inst99")
