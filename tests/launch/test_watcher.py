"""The watcher's polling logic against a scripted heat-api-cfn.

The end-to-end tests (test_end_to_end.py) run it on the real Heat; here a
script of answers pins down back-off, event de-duplication, the fallback
from events to resource states and the time bound without waiting.
"""

import pytest

from heat_deltacloud.launch import heatcfn
from heat_deltacloud.launch.watcher import FollowTimeout, Watcher


class ScriptedHeat:
    """Answers DescribeStacks from ``stacks`` (one per poll, the last one
    repeated) and events / resources from the matching poll's script."""

    lists_events = True

    def __init__(self, stacks, events=None, resources=None,
                 events_fail=False):
        self.stacks, self.events, self.resources = stacks, events, resources
        self.events_fail = events_fail
        self.poll = -1
        self.calls = []

    def describe_stack(self, stack):
        self.calls.append("DescribeStacks")
        self.poll += 1
        status = self.stacks[min(self.poll, len(self.stacks) - 1)]
        return {"StackId": "arn:s", "StackName": "s", "StackStatus": status}

    def _at(self, script):
        return script[max(0, min(self.poll, len(script) - 1))]

    def stack_events(self, stack):
        self.calls.append("DescribeStackEvents")
        if self.events_fail:
            raise heatcfn.HeatServerError("DescribeStackEvents", "Internal",
                                          "boom", 500)
        return self._at(self.events)

    def stack_resources(self, stack):
        self.calls.append("DescribeStackResources")
        return self._at(self.resources)


def event(event_id, name, status, when):
    return {"EventId": event_id, "LogicalResourceId": name,
            "ResourceStatus": status, "Timestamp": when,
            "ResourceType": "OS::Nova::Server", "PhysicalResourceId": "i1"}


def resource(name, status, reason="state changed"):
    return {"LogicalResourceId": name, "ResourceStatus": status,
            "ResourceStatusReason": reason,
            "ResourceType": "AWS::EC2::Instance",
            "PhysicalResourceId": f"id-{name}"}


def watch(heat, **kwargs):
    sleeps, seen = [], []
    clock = [0.0]

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds

    watcher = Watcher(heat, "arn:s", on_event=seen.append, sleep=sleep,
                      clock=lambda: clock[0], **kwargs)
    return watcher, sleeps, seen


def test_backs_off_while_nothing_changes_and_resets_on_a_change():
    first = event("e1", "Web", "CREATE_IN_PROGRESS", "2026-11-25T10:00:00")
    done = event("e2", "Web", "CREATE_COMPLETE", "2026-11-25T10:00:09")
    heat = ScriptedHeat(
        ["CREATE_IN_PROGRESS"] * 6 + ["CREATE_COMPLETE"],
        events=[[first]] * 5 + [[done, first]])  # newest first
    watcher, sleeps, seen = watch(heat, interval=1, backoff=2,
                                  max_interval=5)
    state = watcher.follow("CREATE")
    assert state.status == "CREATE_COMPLETE"
    # poll 0 sees the first event and the stack (changes): wait 1; then
    # nothing changes: 2, 4, 5 (capped), 5; poll 5 sees e2: back to 1.
    assert sleeps == [1, 2, 4, 5, 5, 1]
    assert [(e.resource, e.status) for e in seen] == [
        ("Web", "CREATE_IN_PROGRESS"), ("Web", "CREATE_COMPLETE")]
    assert heat.calls.count("DescribeStacks") == watcher.polls == 7


def test_events_come_oldest_first_without_the_stacks_own():
    def stack_event(event_id, status):
        return {"EventId": event_id, "LogicalResourceId": "s",
                "StackName": "s", "ResourceType": "OS::Heat::Stack",
                "ResourceStatus": status, "Timestamp": "2026-11-25T10:00:00"}

    same_second = "2026-11-25T10:00:00"
    heat = ScriptedHeat(["CREATE_COMPLETE"], events=[[
        stack_event("e5", "CREATE_COMPLETE"),
        event("e4", "Db", "CREATE_COMPLETE", same_second),
        event("e3", "Db", "CREATE_IN_PROGRESS", same_second),
        event("e2", "Web", "CREATE_COMPLETE", same_second),
        event("e1", "Web", "CREATE_IN_PROGRESS", same_second),
        stack_event("e0", "CREATE_IN_PROGRESS")]])
    watcher, _, seen = watch(heat)
    watcher.follow("CREATE")
    assert [(e.resource, e.status) for e in seen] == [
        ("Web", "CREATE_IN_PROGRESS"), ("Web", "CREATE_COMPLETE"),
        ("Db", "CREATE_IN_PROGRESS"), ("Db", "CREATE_COMPLETE")]
    assert watcher.resources["Db"].status == "CREATE_COMPLETE"


def test_waits_for_the_requested_action():
    heat = ScriptedHeat(["CREATE_COMPLETE", "DELETE_IN_PROGRESS",
                         "DELETE_COMPLETE"], events=[[]])
    watcher, sleeps, _ = watch(heat)
    assert watcher.follow("DELETE").status == "DELETE_COMPLETE"
    assert watcher.polls == 3


def test_gives_up_after_the_timeout():
    heat = ScriptedHeat(["CREATE_IN_PROGRESS"], events=[[]])
    watcher, sleeps, _ = watch(heat, interval=1, max_interval=10,
                               timeout=30)
    with pytest.raises(FollowTimeout,
                       match="stack s still CREATE_IN_PROGRESS after 30s"):
        watcher.follow("CREATE")
    # It polls until the deadline, not up to one interval before it.
    assert sum(sleeps) == 30


def test_falls_back_to_resource_states_when_events_fail():
    heat = ScriptedHeat(
        ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"],
        resources=[[resource("Web", "CREATE_IN_PROGRESS"),
                    resource("Db", "INIT_COMPLETE")],
                   [resource("Web", "CREATE_COMPLETE"),
                    resource("Db", "CREATE_IN_PROGRESS")],
                   [resource("Web", "CREATE_COMPLETE"),
                    resource("Db", "CREATE_COMPLETE")]],
        events_fail=True)
    watcher, _, seen = watch(heat)
    watcher.follow("CREATE")
    assert [(e.resource, e.status) for e in seen] == [
        ("Web", "CREATE_IN_PROGRESS"), ("Web", "CREATE_COMPLETE"),
        ("Db", "CREATE_IN_PROGRESS"), ("Db", "CREATE_COMPLETE")]
    # Events are asked for once; the client remembers for later watchers.
    assert heat.calls.count("DescribeStackEvents") == 1
    assert heat.lists_events is False


def test_resources_of_a_deleted_stack_are_reported_deleted():
    heat = ScriptedHeat(["DELETE_IN_PROGRESS", "DELETE_COMPLETE"],
                        resources=[[resource("Web", "DELETE_IN_PROGRESS"),
                                    resource("Db", "CREATE_COMPLETE")]])
    heat.lists_events = False
    heat.resources.insert(0, [resource("Web", "CREATE_COMPLETE"),
                              resource("Db", "CREATE_COMPLETE")])
    watcher, _, seen = watch(heat)
    watcher.skip_history()  # before the delete: nothing reported
    assert seen == []
    heat.resources.pop(0)
    watcher.follow("DELETE")
    assert [(e.resource, e.status) for e in seen] == [
        ("Web", "DELETE_IN_PROGRESS"), ("Web", "DELETE_COMPLETE"),
        ("Db", "DELETE_COMPLETE")]
    # The deleted stack's resources are not asked for (Heat cannot find
    # them any more).
    assert heat.calls.count("DescribeStackResources") == 2


def test_addresses_are_looked_up_only_for_instances_just_completed():
    looked_up = []

    def addresses(physical_id):
        looked_up.append(physical_id)
        return {"public": ["1.2.3.4"], "private": []}

    heat = ScriptedHeat(["CREATE_IN_PROGRESS"] * 3 + ["CREATE_COMPLETE"],
                        resources=[[resource("Web", "CREATE_IN_PROGRESS")],
                                   [resource("Web", "CREATE_IN_PROGRESS")],
                                   [resource("Web", "CREATE_COMPLETE")]])
    heat.lists_events = False
    watcher, _, seen = watch(heat, addresses=addresses)
    watcher.follow("CREATE")
    # Looked up once: when Web reached CREATE_COMPLETE, not while in
    # progress, not per poll.
    assert looked_up == ["id-Web"]
    assert seen[-1].addresses == {"public": ["1.2.3.4"], "private": []}


def test_a_rollback_ends_a_create_follow():
    # Before: only CREATE_* ended a create's follow, so a rolled back
    # stack was polled until the timeout (FollowTimeout here).
    heat = ScriptedHeat(["CREATE_IN_PROGRESS", "CREATE_FAILED",
                         "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE"],
                        events=[[]])
    watcher, _, _ = watch(heat, timeout=60)
    state = watcher.follow("CREATE", rollback=True)
    assert state.status == "ROLLBACK_COMPLETE" and not state.succeeded
    assert watcher.polls == 4


@pytest.mark.parametrize("final", ["ROLLBACK_COMPLETE", "ROLLBACK_FAILED"])
def test_a_rollback_ends_a_create_follow_even_without_asking(final):
    heat = ScriptedHeat(["CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS",
                         final], events=[[]])
    watcher, _, _ = watch(heat, timeout=60)
    assert watcher.follow("CREATE").status == final


def test_create_failed_with_rollback_on_waits_a_bounded_grace():
    # A rollback that never starts: CREATE_FAILED ends the follow after
    # the grace, well before the timeout.
    heat = ScriptedHeat(["CREATE_IN_PROGRESS", "CREATE_FAILED"],
                        events=[[]])
    watcher, sleeps, _ = watch(heat, timeout=600, rollback_grace=20)
    assert watcher.follow("CREATE", rollback=True).status == "CREATE_FAILED"
    assert 20 <= sum(sleeps) < 30
    # Without rollback CREATE_FAILED is final at once.
    heat = ScriptedHeat(["CREATE_IN_PROGRESS", "CREATE_FAILED"],
                        events=[[]])
    watcher, _, _ = watch(heat, timeout=600)
    assert watcher.follow("CREATE").status == "CREATE_FAILED"
    assert watcher.polls == 2


def test_the_first_failure_survives_the_rollbacks_delete():
    heat = ScriptedHeat(
        ["CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE"],
        events=[[event("e1", "Web", "CREATE_FAILED", "2026-11-25T10:00:01")],
                [event("e2", "Web", "DELETE_COMPLETE", "2026-11-25T10:00:02"),
                 event("e1", "Web", "CREATE_FAILED", "2026-11-25T10:00:01")]])
    watcher, _, _ = watch(heat)
    watcher.follow("CREATE", rollback=True)
    assert watcher.resources["Web"].status == "DELETE_COMPLETE"
    assert [e.status for e in watcher.failures] == ["CREATE_FAILED"]
