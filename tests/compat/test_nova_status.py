"""The state table: every Deltacloud state as Nova's API would show the
server, and as the shim serves it."""

import logging

import pytest

from heat_deltacloud.compat.nova import exceptions, status

#: Deltacloud state -> (status, vm_state, task_state, power_state), as
#: Nova derives them (nova/api/openstack/common.py, compute/vm_states.py,
#: task_states.py, power_state.py): a server powering off is still ACTIVE,
#: one being deleted keeps its status with task ``deleting``.
NOVA = {
    "START": ("BUILD", "building", "scheduling", 0),
    "PENDING": ("BUILD", "building", "spawning", 0),
    "RUNNING": ("ACTIVE", "active", None, 1),
    "REBOOTING": ("REBOOT", "active", "rebooting", 1),
    "STOPPING": ("ACTIVE", "active", "powering-off", 1),
    "STOPPED": ("SHUTOFF", "stopped", None, 4),
    "SHUTTING_DOWN": ("SHUTOFF", "stopped", "deleting", 4),
    "FINISH": ("DELETED", "deleted", None, 0),
    "ERROR": ("ERROR", "error", None, 0),
    "UNKNOWN": ("UNKNOWN", None, None, 0),
}


def test_every_state_is_what_nova_would_show():
    assert {state: tuple(nova) for state, nova in status.STATES.items()} \
        == NOVA
    assert status.nova_state("stopping") == status.STATES["STOPPING"]
    assert status.GONE == {"FINISH"}


@pytest.mark.parametrize("dc_state", sorted(set(NOVA) - status.GONE))
def test_the_server_shows_its_row(compute, deltacloud_mock, dc_state):
    server = compute.servers.create("web", "img1", "m1-small")
    deltacloud_mock.set_instance_state(server.id, dc_state)
    shown = compute.servers.get(server.id)
    assert (shown.status, getattr(shown, "OS-EXT-STS:vm_state"),
            getattr(shown, "OS-EXT-STS:task_state"),
            getattr(shown, "OS-EXT-STS:power_state")) == NOVA[dc_state]
    listed = {s.id: s.status for s in compute.servers.list(
        search_opts={"status": NOVA[dc_state][0]})}
    assert listed[server.id] == NOVA[dc_state][0]
    assert set(listed.values()) == {NOVA[dc_state][0]}


def test_a_finished_instance_is_not_found(compute, deltacloud_mock):
    server = compute.servers.create("web", "img1", "m1-small")
    deltacloud_mock.set_instance_state(server.id, "FINISH")
    with pytest.raises(exceptions.NotFound):
        compute.servers.get(server.id)
    assert server.id not in {s.id for s in compute.servers.list()}


def test_unknown_state_is_unknown_and_logged_once(caplog):
    caplog.set_level(logging.WARNING)
    assert status.nova_state("HIBERNATING_IN_TEST_STATUS") == status.UNKNOWN
    assert status.nova_state("HIBERNATING_IN_TEST_STATUS") == status.UNKNOWN
    assert caplog.text.count("'HIBERNATING_IN_TEST_STATUS'") == 1
    caplog.clear()
    assert status.nova_state("UNKNOWN") == status.UNKNOWN
    assert caplog.text == ""  # Deltacloud's own UNKNOWN is Nova's
