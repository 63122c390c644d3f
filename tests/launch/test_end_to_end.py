"""The launcher on the real Heat 27 (engine + heat-api-cfn) and the mock."""

import collections
import pathlib

import pytest

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.launch import (Credentials, HeatCfn, Launcher,
                                    WebhookNotifier, callbacks, source)

from .conftest import PASSWORD, USER

pytestmark = [pytest.mark.heat, pytest.mark.slow]

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / \
    "wordpress"
SECRET = "hook-secret"

FIVE_SERVERS = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        f"Server{n}": {"Type": "AWS::EC2::Instance",
                       "Properties": {"ImageId": "img1",
                                      "InstanceType": "m1-small"}}
        for n in range(5)},
}


def launcher_for(services, observers=(), **follow):
    heat = HeatCfn(services.heat_cfn_url, Credentials(USER, PASSWORD),
                   services.deltacloud_url)
    client = Client(services.deltacloud_url, USER, PASSWORD)
    return Launcher(heat, deltacloud=client, observers=observers,
                    timeout=120, **follow)


def instances_of_user(mock):
    return {i["id"]: i for i in mock.all_instances() if i["owner"] == USER}


def test_example_launches_reports_addresses_and_deletes_cleanly(
        services, receiver):
    notifier = WebhookNotifier(receiver.url, secret=SECRET)
    launcher = launcher_for(services, [notifier], interval=0.2)
    name, template = source.load(EXAMPLE / "deployable.xml",
                                 EXAMPLE / "mapping.json")

    outcome = launcher.launch(name, template,
                              {"WebWordpressDbPassword": "wordpress"})

    assert outcome.stack.status == "CREATE_COMPLETE" and outcome.ok
    running = instances_of_user(services.mock)
    assert {e.resource for e in outcome.instances} == {"Web", "Db"}
    for event in outcome.instances:
        instance = running[event.physical_id]
        assert instance["state"] == "RUNNING"
        now = {"public": [a["address"] for a in instance["public_addresses"]],
               "private": [a["address"]
                           for a in instance["private_addresses"]]}
        if event.resource == "Db":
            # Read when Db completed, which is before or after (in the same
            # poll) DbAddressAssociation attached its pre-allocated address.
            own = f"{instance['image_id']}.{instance['id']}.public.com"
            assert event.addresses in (now, {**now, "public": [own]})
        else:
            assert event.addresses == now
    # The summary's addresses are read again once the stack is complete:
    # Db's then include the address DbAddressAssociation attached.
    current = launcher.current_addresses(outcome)
    for event in outcome.instances:
        instance = running[event.physical_id]
        assert current[event.resource] == {
            "public": [a["address"] for a in instance["public_addresses"]],
            "private": [a["address"] for a in instance["private_addresses"]]}
    db = running[outcome.resources["Db"].physical_id]
    [eip] = [a for a in services.mock.all_addresses()
             if a.get("instance_id") == db["id"]]
    assert eip["id"] in current["Db"]["public"]
    web = running[outcome.resources["Web"].physical_id]
    assert outcome.stack.outputs["WebPublicIp"] == \
        web["public_addresses"][0]["address"]

    deleted = launcher.delete(outcome.stack.id)
    assert deleted.stack.status == "DELETE_COMPLETE"
    assert deleted.leftovers == ()
    assert instances_of_user(services.mock) == {}

    assert notifier.close()
    docs = receiver.documents()
    for headers, body, _ in receiver.received:
        assert callbacks.verify(SECRET, body,
                                headers[callbacks.SIGNATURE_HEADER])
    assert [d["sequence"] for d in docs] == list(range(1, len(docs) + 1))
    stack_statuses = [d["status"] for d in docs if d["kind"] == "stack"]
    assert stack_statuses[0] == "CREATE_IN_PROGRESS"
    assert "CREATE_COMPLETE" in stack_statuses
    assert stack_statuses[-1] == "DELETE_COMPLETE"
    order = [(d["resource"] or {}).get("name", "stack") + " " + d["status"]
             for d in docs]
    # Every resource is reported complete before the stack is.
    for resource in ("Web", "Db", "DbAddress", "DbAddressAssociation",
                     "WebWaitCondition", "DbWaitCondition"):
        assert order.index(f"{resource} CREATE_COMPLETE") < \
            order.index("stack CREATE_COMPLETE")
    [web_doc] = [d for d in docs if d["kind"] == "resource" and
                 d["resource"]["name"] == "Web" and
                 d["status"] == "CREATE_COMPLETE"]
    assert web_doc["addresses"]["public"] == [
        web["public_addresses"][0]["address"]]
    assert web_doc["stack"]["name"] == name


def test_a_failed_create_names_the_resource_and_reason(services, receiver):
    services.mock.add_fault("POST", "/api/instances", status=500,
                            message="no capacity left in this realm")
    notifier = WebhookNotifier(receiver.url)
    launcher = launcher_for(services, [notifier], interval=0.2)

    outcome = launcher.launch("failing", FIVE_SERVERS)

    assert outcome.stack.status == "CREATE_FAILED" and not outcome.ok
    assert outcome.failure.status == "CREATE_FAILED"
    assert outcome.failure.resource.startswith("Server")
    assert "no capacity left in this realm" in outcome.failure.reason
    notifier.close()
    docs = receiver.documents()
    assert docs[-1]["kind"] == "stack" and \
        docs[-1]["status"] == "CREATE_FAILED"
    assert any(d["kind"] == "resource" and d["status"] == "CREATE_FAILED"
               and "no capacity" in d["reason"] for d in docs)
    services.mock.clear_faults()
    assert launcher.delete(outcome.stack.id).ok
    assert instances_of_user(services.mock) == {}


def test_watcher_request_budget_for_five_servers(services):
    import time

    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        time.sleep(seconds)

    launcher = launcher_for(services, sleep=sleep)
    sent = collections.Counter()
    for hooks in launcher.heat.event_hooks:
        hooks.register("before-send.cloudformation.*",
                       lambda event_name, **kw: sent.update(
                           [event_name.rpartition(".")[2]]))
    looked_up = []
    addresses = launcher.addresses
    launcher.addresses = lambda pid: looked_up.append(pid) or addresses(pid)

    outcome = launcher.launch("budget", FIVE_SERVERS)

    assert outcome.ok
    polls = sent["DescribeStacks"]
    # Each poll is one DescribeStacks and one DescribeStackEvents (the
    # deltacloud pipeline's CFN app answers it), CreateStack is sent once.
    assert sent == {"CreateStack": 1,
                    "DescribeStacks": polls,
                    "DescribeStackEvents": polls}
    # Back-off between polls: 0.5 s after a change, else 1.5 times the
    # last wait up to 5 s.  (How many polls that makes depends on how fast
    # the machine builds the stack, so their number is not pinned.)
    assert len(sleeps) == polls - 1
    assert sleeps[0] == 0.5
    for before, after in zip(sleeps, sleeps[1:]):
        assert after == 0.5 or after == pytest.approx(min(before * 1.5, 5))
    # Addresses are read once per server, when it completed: not per poll.
    assert len(looked_up) == 5
    assert launcher.heat.lists_events
    assert set(looked_up) == {e.physical_id for e in outcome.instances}
    assert launcher.delete(outcome.stack.id).ok
