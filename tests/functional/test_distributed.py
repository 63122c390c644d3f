"""Heat as production runs it: heat-api, two heat-engines, RabbitMQ, one
PostgreSQL database, on the mock Deltacloud.

Stacks go in through heat-api with python-heatclient (X-Auth-User /
X-Auth-Key, no Keystone).  Which engine took a stack is read from Heat's
own records: the engine that answered ``create_stack`` logs "Creating
stack <name>", the legacy engine's ``stack_lock`` rows name the engine
working on a stack, and convergence's ``resource.engine_id`` names the
engine working on a resource.  Killing an engine is SIGKILL: no chance to
clean up, as in a crash.

The kill comes once every server's instance id is in Heat's database,
while the engines wait for the instances to run.  A crash in the moment
between Deltacloud's answer to a create and Heat's write of the id would
leave an instance Heat never learns of: Heat's own window, the same with
Nova, which no backend can close.
"""

import concurrent.futures
import os
import time

import pytest
from heatclient import exc as heat_exc

from heat_deltacloud.harness import Harness

from .conftest import skip_unless_available

#: The first harness of a run may install RabbitMQ and PostgreSQL with
#: apt-get, which counts towards the test that needs it first.
pytestmark = [pytest.mark.heat, pytest.mark.slow, pytest.mark.functional,
              pytest.mark.timeout(900)]

USER, PASSWORD = "mockuser", "mockpassword"
STACKS = 10
SERVERS = 2
SETTLE_TIMEOUT = 300
POLL = 1.0
#: Instances stay PENDING this long in the kill tests, so that engines are
#: still working on them when one is killed.
SLOW_INSTANCES = 8

TEMPLATE = {
    "heat_template_version": "2018-08-31",
    "resources": {
        f"server{i}": {"type": "OS::Nova::Server",
                       "properties": {"image": "img1", "flavor": "m1-small",
                                      "user_data_format": "RAW"}}
        for i in range(SERVERS)},
    "outputs": {"first": {"value": {"get_attr": ["server0", "name"]}}},
}


def create_concurrently(client, prefix, count=STACKS):
    """``{name: id}`` of ``count`` stacks created by parallel requests."""
    names = [f"{prefix}-{n}" for n in range(count)]

    def create(name):
        return client.stacks.create(stack_name=name,
                                    template=TEMPLATE)["stack"]["id"]
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return dict(zip(names, pool.map(create, names), strict=True))


def status(client, stack_id):
    """The stack's status, or ``GONE`` once heat-api no longer shows it."""
    try:
        stack = client.stacks.get(stack_id, resolve_outputs=False)
    except heat_exc.HTTPNotFound:
        return "GONE", ""
    return stack.stack_status, stack.stack_status_reason


def wait_settled(client, stack_ids, timeout=SETTLE_TIMEOUT):
    """``{id: (status, reason)}`` once none of ``stack_ids`` is in
    progress; fails naming the stragglers after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        states = {sid: status(client, sid) for sid in stack_ids}
        busy = {sid: state for sid, state in states.items()
                if state[0].endswith("_IN_PROGRESS")}
        if not busy:
            return states
        if time.monotonic() > deadline:
            pytest.fail(f"still in progress after {timeout}s: {busy}")
        time.sleep(POLL)


def wait_for(check, what, timeout=SETTLE_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(POLL)


def instance_ids_recorded(harness, stack_ids):
    """Whether every resource of these stacks has its physical id
    (column ``nova_instance``) in Heat's database."""
    rows = harness.query("SELECT stack_id, nova_instance FROM resource")
    recorded = [sid for sid, physical in rows
                if sid in stack_ids and physical]
    return len(recorded) == len(stack_ids) * SERVERS


def instance_ids(harness):
    return {instance["id"] for instance in harness.mock.all_instances()}


def delete_all(client, stack_ids):
    for stack_id in stack_ids:
        client.stacks.delete(stack_id)
    states = wait_settled(client, stack_ids)
    assert {state for state, _ in states.values()} <= {"GONE",
                                                       "DELETE_COMPLETE"}


def test_concurrent_stacks_spread_over_both_engines(harness):
    client = harness.heat_client(USER, PASSWORD)
    before = instance_ids(harness)

    stacks = create_concurrently(client, "spread")
    states = wait_settled(client, stacks.values())

    assert {name: states[sid][0] for name, sid in stacks.items()} == {
        name: "CREATE_COMPLETE" for name in stacks}
    taken = {engine: sorted(set(names) & set(stacks))
             for engine, names in harness.stacks_by_engine().items()}
    assert sorted(n for names in taken.values() for n in names) == \
        sorted(stacks), f"each stack created by exactly one engine: {taken}"
    assert all(taken.values()), f"an engine took no stack: {taken}"
    created = instance_ids(harness) - before
    assert len(created) == STACKS * SERVERS
    for stack_id in stacks.values():
        assert client.stacks.get(stack_id).outputs[0]["output_value"]

    delete_all(client, stacks.values())
    assert instance_ids(harness) - before == set()


@pytest.fixture
def slow_harness(request, tmp_path):
    """A harness of its own (engines get killed), with slow instances;
    ``request.param`` is the convergence setting."""
    skip_unless_available()
    with Harness(tmp_path, convergence=request.param,
                 mock_options={"state_delay": SLOW_INSTANCES}) as running:
        yield running
        groups = running.process_groups()
    # stop() must leave no process behind, killed engine included.
    assert {"rabbitmq", "epmd", "postgresql", "heat-api", "heat-api-cfn",
            "engine-1", "engine-2"} <= set(groups)
    assert {name: pid for name, pid in groups.items() if alive(pid)} == {}


def alive(group):
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def engine_id_of(harness, name):
    return next(eid for eid, host in harness.engine_hosts().items()
                if host == name)


@pytest.mark.parametrize("slow_harness", [False], indirect=True,
                         ids=["legacy"])
def test_killed_engine_stacks_fail_when_an_engine_restarts(slow_harness):
    """Legacy engine: one engine holds a stack's lock for the whole
    create.  A killed engine's stacks stay CREATE_IN_PROGRESS until an
    engine starts and resets them to FAILED; then they delete cleanly."""
    harness = slow_harness
    client = harness.heat_client(USER, PASSWORD)
    before = instance_ids(harness)
    stacks = create_concurrently(client, "legacy")

    def locks():
        hosts = harness.engine_hosts()
        return {stack_id: hosts[engine_id] for stack_id, engine_id in
                harness.query("SELECT stack_id, engine_id FROM stack_lock")}
    wait_for(lambda: set(locks()) == set(stacks.values())
             and instance_ids_recorded(harness, set(stacks.values())),
             "every stack locked by an engine, every instance recorded")
    holders = locks()
    assert set(holders.values()) == {"engine-1", "engine-2"}, holders
    victims = {sid for sid, host in holders.items() if host == "engine-1"}
    harness.kill_engine("engine-1")

    survivors = set(stacks.values()) - victims
    states = wait_settled(client, survivors)
    assert {s for s, _ in states.values()} == {"CREATE_COMPLETE"}
    assert {status(client, sid)[0] for sid in victims} == {
        "CREATE_IN_PROGRESS"}

    harness.start_engine("engine-1")
    harness.wait_for_engine("engine-1")
    states = wait_settled(client, victims)
    assert set(states.values()) == {
        ("CREATE_FAILED", "Engine went down during stack CREATE")}

    delete_all(client, stacks.values())
    assert instance_ids(harness) - before == set()


@pytest.mark.parametrize("slow_harness", [True], indirect=True,
                         ids=["convergence"])
def test_killed_engine_stacks_delete_cleanly(slow_harness):
    """Convergence: resources of one stack run on both engines.  Those the
    killed engine was working on stay IN_PROGRESS (Heat 27 has no
    watchdog for them); deleting the stack steals their locks from the
    dead engine, marks them FAILED and deletes everything."""
    harness = slow_harness
    client = harness.heat_client(USER, PASSWORD)
    before = instance_ids(harness)
    stacks = create_concurrently(client, "convergence")
    ids = set(stacks.values())

    def working():
        return harness.query(
            "SELECT DISTINCT stack_id, engine_id FROM resource "
            "WHERE engine_id IS NOT NULL AND status = 'IN_PROGRESS'")
    wait_for(lambda: {sid for sid, _ in working()} == ids
             and instance_ids_recorded(harness, ids),
             "every stack with a resource in progress, every instance "
             "recorded")
    doomed = engine_id_of(harness, "engine-1")
    victims = {sid for sid, eid in working() if eid == doomed}
    assert victims, "engine-1 was working on no stack"
    harness.kill_engine("engine-1")

    # On a loaded machine engine-1 may have been working on every stack:
    # then no stack is left to complete.
    states = wait_settled(client, ids - victims)
    assert {s for s, _ in states.values()} <= {"CREATE_COMPLETE"}, states
    assert {status(client, sid)[0] for sid in victims} == {
        "CREATE_IN_PROGRESS"}

    delete_all(client, ids)
    assert instance_ids(harness) - before == set()

