"""Faults without loss: a flaky Deltacloud, a lost create, a restarted one.

The engine is driven directly (the faults are on the Deltacloud side; the
filter's own failure modes are in tests/security).  Every run is seeded.
"""

import collections
import time

import pytest
from oslo_config import cfg

pytestmark = [pytest.mark.heat, pytest.mark.slow]

USER, PASSWORD = "user0", "pw-0-\u00f8"
#: Reads time out after this; a 1.5 s latency is beyond it.
READ_TIMEOUT = 1.0
SEED = 20261125


def servers(count):
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {f"Web{n}": {"Type": "AWS::EC2::Instance",
                                      "Properties": {
                                          "ImageId": "img1",
                                          "InstanceType": "m1-small"}}
                          for n in range(count)}}


@pytest.fixture
def short_timeouts():
    """What the engine's clients are built with, for this test only."""
    overrides = {"read_timeout": READ_TIMEOUT, "backoff_factor": 0.05,
                 "delete_timeout": 20}
    for name, value in overrides.items():
        cfg.CONF.set_override(name, value, group="deltacloud")
    yield
    for name in overrides:
        cfg.CONF.clear_override(name, group="deltacloud")


class CreateWatch:
    """Records each create the mock carries out, and any create of a
    name a live instance of the same owner already has."""

    def __init__(self, cloud, monkeypatch):
        self.names = collections.Counter()
        self.duplicates = []
        real = cloud.create_instance

        def watched(user, *args, name=None, **kwargs):
            live = {i["name"] for i in cloud.all_instances()
                    if i["owner_id"] == user}
            if name in live:
                self.duplicates.append(name)
            self.names[name] += 1
            return real(user, *args, name=name, **kwargs)
        monkeypatch.setattr(cloud, "create_instance", watched)


class FaultCount:
    """How many times each injected fault fired."""

    def __init__(self, controls, monkeypatch):
        self.fired = collections.Counter()
        real = controls.fault_for

        def counted(*args):
            fault = real(*args)
            if fault is not None:
                self.fired[_kind(fault)] += 1
            return fault
        monkeypatch.setattr(controls, "fault_for", counted)


def _kind(fault):
    if fault.drop:
        return "dropped connection" + (" after the action" if fault.after
                                       else "")
    if fault.latency:
        return f"latency {fault.latency:g}s"
    return f"{fault.status}" + (" after the action" if fault.after else "")


def state(stack):
    return f"{stack['stack_action']}_{stack['stack_status']}"


def engine_context(services):
    return services.heat.context(USER, PASSWORD, services.mock.url)


def create(services, ctx, name, template):
    engine = services.heat.engine_client
    identity = engine.create_stack(ctx, name, template, {}, None, {})
    return identity, services.heat.wait_for_stack(ctx, identity,
                                                  timeout=180)


def delete_until_clean(services, ctx, identity, attempts=6):
    """Delete again while the delete fails, as an operator would."""
    for attempt in range(1, attempts + 1):
        stack = services.heat.delete_stack(ctx, identity, timeout=180)
        if state(stack) == "DELETE_COMPLETE":
            return attempt
    raise AssertionError(f"not deleted after {attempts} attempts: "
                         f"{stack['stack_status_reason']}")


def instances_named(services, prefix):
    return [i for i in services.mock.all_instances()
            if i["owner"] == USER and (i["name"] or "").startswith(prefix)]


def test_flaky_deltacloud_loses_nothing(services, short_timeouts,
                                       monkeypatch):
    mock = services.mock
    watch = CreateWatch(mock.app.cloud, monkeypatch)
    count = FaultCount(mock.app.controls, monkeypatch)
    mock.add_fault("POST", "/api/instances", latency=1.5, probability=0.2,
                   seed=SEED)
    mock.add_fault("POST", "/api/instances", status=502, after=True,
                   probability=0.2, seed=SEED + 1)
    mock.add_fault("POST", "/api/instances", drop=True, after=True,
                   probability=0.15, seed=SEED + 2)
    mock.add_fault("*", "*", drop=True, probability=0.1, seed=SEED + 3)
    mock.add_fault("GET", "*", status=503, probability=0.1, seed=SEED + 4)
    ctx = engine_context(services)
    outcomes = {}
    for number in range(4):
        name = f"flaky{number}"
        identity, stack = create(services, ctx, name, servers(3))
        outcomes[name] = state(stack)
        if state(stack) != "CREATE_COMPLETE":
            assert state(stack) == "CREATE_FAILED"
            reason = stack["stack_status_reason"]
            assert reason.startswith("Resource CREATE failed: ")
            assert "Traceback" not in reason
        attempts = delete_until_clean(services, ctx, identity)
        outcomes[name] += f", deleted in {attempts}"
        assert instances_named(services, f"{name}-") == [], (
            outcomes, stack["stack_status_reason"])
    assert watch.duplicates == []
    assert watch.names and max(watch.names.values()) == 1
    fired = dict(count.fired)
    assert sum(fired.values()) >= 10, fired
    assert {k for k in fired if "after" in k}, fired  # lost answers too
    print(f"faults fired: {fired}; stacks: {outcomes}")


@pytest.mark.parametrize("name, fault", [
    ("lost502", {"status": 502, "after": True}),
    ("lost503", {"status": 503, "after": True}),
    ("dropped", {"drop": True, "after": True}),
    ("slow", {"latency": 1.5}),
])
def test_create_whose_answer_is_lost_makes_one_instance(services,
                                                        short_timeouts,
                                                        monkeypatch, name,
                                                        fault):
    """The instance exists although the create 'failed': the shim finds
    it by its Heat-given name, so the stack completes with it, and the
    stack delete removes it."""
    mock = services.mock
    watch = CreateWatch(mock.app.cloud, monkeypatch)
    mock.add_fault("POST", "/api/instances", count=1, **fault)
    ctx = engine_context(services)
    identity, stack = create(services, ctx, name, servers(1))
    assert state(stack) == "CREATE_COMPLETE", stack["stack_status_reason"]
    [made] = instances_named(services, f"{name}-")
    assert dict(watch.names) == {made["name"]: 1}
    assert delete_until_clean(services, ctx, identity) == 1
    assert instances_named(services, f"{name}-") == []


def test_create_refused_outright_fails_with_the_reason(services,
                                                      short_timeouts):
    services.mock.add_fault("POST", "/api/instances", status=502, count=1,
                            message="the cloud is out of capacity")
    ctx = engine_context(services)
    identity, stack = create(services, ctx, "refused", servers(1))
    assert state(stack) == "CREATE_FAILED"
    assert "the cloud is out of capacity" in stack["stack_status_reason"]
    assert instances_named(services, "refused-") == []
    assert delete_until_clean(services, ctx, identity) == 1


def test_restarted_deltacloud_vanished_instances_are_reported(services):
    """Deltacloud restarted with its state lost, once after a create and
    once in the middle of one: Heat says which instance vanished; the
    deletes succeed and leave nothing."""
    mock, heat = services.mock, services.heat
    ctx = engine_context(services)
    identity, stack = create(services, ctx, "before", servers(2))
    assert state(stack) == "CREATE_COMPLETE"
    mock.restart()
    heat.engine_client.stack_check(ctx, identity)
    checked = heat.wait_for_stack(ctx, identity, timeout=60)
    assert state(checked) == "CHECK_FAILED"
    reason = checked["stack_status_reason"]
    assert "could not be found" in reason, reason
    assert delete_until_clean(services, ctx, identity) == 1

    slow = mock.app.cloud.state_delay
    mock.app.cloud.state_delay = 3.0  # instances stay PENDING a while
    try:
        engine = heat.engine_client
        identity = engine.create_stack(ctx, "during", servers(2), {}, None,
                                       {})
        deadline = time.monotonic() + 60
        while len(instances_named(services, "during-")) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        mock.restart()
    finally:
        mock.app.cloud.state_delay = slow
    stack = heat.wait_for_stack(ctx, identity, timeout=120)
    assert state(stack) == "CREATE_FAILED"
    assert "could not be found" in stack["stack_status_reason"], stack
    assert delete_until_clean(services, ctx, identity) == 1
    assert [i for i in mock.all_instances() if i["owner"] == USER] == []
