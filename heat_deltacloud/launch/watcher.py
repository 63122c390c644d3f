"""Follow a stack through heat-api-cfn until it settles.

Each poll asks for the stack (DescribeStacks) and for what happened since
the last poll: new events from DescribeStackEvents, or, where Heat cannot
list events (Heat 27's own heat-api-cfn answers DescribeStackEvents with a
500, see :class:`ResourceChangeFeed`), the changes seen in
DescribeStackResources.  Addresses are looked up only for instances that
have just reached a ``*_COMPLETE`` status.  While nothing changes the wait
between polls grows (``interval`` × ``backoff`` up to ``max_interval``);
the first change puts it back to ``interval``.  The whole follow is
bounded by ``timeout``.
"""

import dataclasses
import logging
import time

from heat_deltacloud.errors import HeatDeltacloudError
from heat_deltacloud.launch.heatcfn import HeatServerError

LOG = logging.getLogger(__name__)

#: Resource types whose physical id is a Deltacloud instance id.
INSTANCE_TYPES = frozenset({"AWS::EC2::Instance", "OS::Nova::Server"})
#: Actions Heat rolls back on failure when the stack allows it.
ROLLED_BACK = ("CREATE", "UPDATE")


class FollowTimeout(HeatDeltacloudError):
    """The stack did not settle in time."""


#: Seconds a ``CREATE_FAILED`` (or ``UPDATE_FAILED``) stack with rollback
#: on may stay so before the watcher takes it as final: Heat starts the
#: rollback right after setting it, so it normally lasts one poll.
ROLLBACK_GRACE = 30.0


@dataclasses.dataclass(frozen=True)
class ResourceEvent:
    """A resource reached a status (one Heat event)."""

    stack_id: str
    stack_name: str
    resource: str
    resource_type: str | None
    physical_id: str | None
    status: str
    reason: str | None
    timestamp: str | None
    #: ``{"public": [...], "private": [...]}`` for an instance that reached
    #: a ``*_COMPLETE`` status, when a Deltacloud look-up is configured.
    addresses: dict | None = None

    @property
    def is_instance(self):
        return self.resource_type in INSTANCE_TYPES


@dataclasses.dataclass(frozen=True)
class StackState:
    id: str
    name: str
    status: str
    reason: str | None
    outputs: dict
    timestamp: str | None = None

    @property
    def settled(self):
        return not self.status.endswith("_IN_PROGRESS")

    @property
    def succeeded(self):
        return self.status.endswith("_COMPLETE") and \
            not self.status.startswith("ROLLBACK")

    @classmethod
    def from_cfn(cls, stack):
        return cls(
            id=stack["StackId"], name=stack["StackName"],
            status=stack["StackStatus"],
            reason=stack.get("StackStatusReason"),
            outputs={o["OutputKey"]: o.get("OutputValue")
                     for o in stack.get("Outputs") or ()},
            # Heat gives no time for a status change; a callback document
            # then carries the time it was seen.
            timestamp=_isotime(stack.get("LastUpdatedTime")))


def _isotime(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _event(row, status_key="ResourceStatus"):
    return ResourceEvent(
        stack_id=row.get("StackId"), stack_name=row.get("StackName"),
        resource=row["LogicalResourceId"],
        resource_type=row.get("ResourceType"),
        physical_id=row.get("PhysicalResourceId") or None,
        status=row[status_key], reason=row.get("ResourceStatusReason"),
        timestamp=_isotime(row.get("Timestamp")))


class EventFeed:
    """New events from DescribeStackEvents, oldest first, each once.

    Heat lists a stack's events newest first, as AWS does (timestamps have
    whole seconds, so only that order tells events of one second apart).
    The stack's own events (type OS::Heat::Stack, named after the stack)
    are left out: the watcher reports the stack from DescribeStacks.
    """

    def __init__(self, heat, stack_id):
        self.heat, self.stack_id = heat, stack_id
        self._seen = set()

    def skip_history(self):
        self._seen.update(r["EventId"]
                          for r in self.heat.stack_events(self.stack_id))

    def poll(self, state):
        rows = self.heat.stack_events(self.stack_id)[::-1]
        new = [r for r in rows if r["EventId"] not in self._seen]
        self._seen.update(r["EventId"] for r in new)
        return [_event(r) for r in new if not _is_stack_event(r)]


def _is_stack_event(row):
    return row.get("ResourceType") == "OS::Heat::Stack" and \
        row["LogicalResourceId"] == row.get("StackName")


class ResourceChangeFeed:
    """Events derived from DescribeStackResources: each resource's change.

    Heat 27's own CFN app fails every DescribeStackEvents with a 500 (its
    events_list reads ``ResourceProperties``, which the engine's
    list_events leaves out; the ``deltacloud`` pipeline's app,
    :mod:`heat_deltacloud.heat.cfn`, fixes that), so this feed stands in:
    one request per poll gives every resource's status and reason, and a
    resource whose status or reason differs from the last poll's makes an
    event.  A status that came and went between two polls is not seen, nor
    is INIT_COMPLETE (the state of a resource not yet acted on, for which
    Heat writes no event).
    Once the stack is DELETE_COMPLETE its resources can no longer be read;
    Heat deletes a stack only after all of them, so each one still known
    is reported DELETE_COMPLETE then.
    """

    def __init__(self, heat, stack_id):
        self.heat, self.stack_id = heat, stack_id
        #: logical name -> (latest row, (status, reason)).
        self._last = {}

    def skip_history(self):
        for row in self.heat.stack_resources(self.stack_id):
            self._last[row["LogicalResourceId"]] = (row, _key(row))

    def poll(self, state):
        if state.status == "DELETE_COMPLETE":
            rows = [{**row, "ResourceStatus": "DELETE_COMPLETE",
                     "ResourceStatusReason": "deleted with the stack",
                     "Timestamp": state.timestamp}
                    for row, _ in self._last.values()
                    if row["ResourceStatus"] != "DELETE_COMPLETE"]
        else:
            rows = self.heat.stack_resources(self.stack_id)
        events = []
        for row in rows:
            name = row["LogicalResourceId"]
            key = _key(row)
            if row["ResourceStatus"] == "INIT_COMPLETE" or \
                    (name in self._last and self._last[name][1] == key):
                continue
            self._last[name] = (row, key)
            events.append(_event(row))
        return events


def _key(row):
    return row["ResourceStatus"], row.get("ResourceStatusReason")


class Watcher:
    """Polls one stack; calls ``on_event`` and ``on_stack`` on changes.

    :param heat: a :class:`~heat_deltacloud.launch.heatcfn.HeatCfn`.
    :param stack_id: the stack's id (its ARN), which still finds a deleted
        stack; a name does not.
    :param addresses: ``physical_id -> {"public": [...], ...}`` looked up
        for an instance resource each time it reaches a ``*_COMPLETE``
        status; optional.
    :param on_event: called with each new :class:`ResourceEvent`.
    :param on_stack: called with the :class:`StackState` whenever the
        stack's status or reason changes.
    """

    def __init__(self, heat, stack_id, *, addresses=None, on_event=None,
                 on_stack=None, interval=0.5,
                 max_interval=5.0, backoff=1.5, timeout=1800.0,
                 rollback_grace=ROLLBACK_GRACE,
                 sleep=time.sleep, clock=time.monotonic):
        self.heat, self.stack_id = heat, stack_id
        self._addresses = addresses
        self._on_event = on_event or (lambda event: None)
        self._on_stack = on_stack or (lambda state: None)
        self.interval, self.max_interval = interval, max_interval
        self.backoff, self.timeout = backoff, timeout
        self.rollback_grace = rollback_grace
        self._sleep, self._clock = sleep, clock
        self._feed = (EventFeed if heat.lists_events else
                      ResourceChangeFeed)(heat, stack_id)
        self._last_stack = None
        #: Every resource's latest event, by logical name.
        self.resources = {}
        #: Polls made so far (each one DescribeStacks + one feed request).
        self.polls = 0
        #: Every ``*_FAILED`` resource event, in the order seen (a rollback
        #: replaces a failed resource's latest event by its delete's).
        self.failures = []

    def follow(self, action=None, *, rollback=False):
        """Poll until the stack settles (in ``action``, if given).

        ``action`` ("CREATE", "DELETE", ...) guards against reading the
        status left by the previous operation right after submitting a new
        one.  A settled ``ROLLBACK_*`` status ends a ``CREATE`` or
        ``UPDATE`` follow too (Heat rolled it back).  With ``rollback``
        (the stack was submitted with rollback on), ``<action>_FAILED`` is
        only a step towards the rollback: it ends the follow once it has
        lasted :data:`ROLLBACK_GRACE` seconds.  Returns the final
        :class:`StackState`.
        """
        deadline = self._clock() + self.timeout
        wait = None
        failed_since = None
        while True:
            state, changed = self.poll()
            done = self._final(state, action)
            if done and rollback and action in ROLLED_BACK and \
                    state.status == f"{action}_FAILED":
                now = self._clock()
                failed_since = now if failed_since is None else failed_since
                done = now - failed_since >= self.rollback_grace
            if done:
                return state
            wait = self.interval if changed or wait is None else \
                min(wait * self.backoff, self.max_interval)
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise FollowTimeout(
                    f"stack {state.name} still {state.status} after "
                    f"{self.timeout:g}s")
            # The last wait is cut short: the final poll is at the
            # deadline, not up to max_interval before it.
            self._sleep(min(wait, remaining))

    @staticmethod
    def _final(state, action):
        if not state.settled:
            return False
        if action is None or state.status.startswith(action + "_"):
            return True
        return action in ROLLED_BACK and state.status.startswith("ROLLBACK_")

    def poll(self):
        """One poll: ``(StackState, whether anything changed)``."""
        self.polls += 1
        state = StackState.from_cfn(self.heat.describe_stack(self.stack_id))
        events = self._new_events(state)
        for event in events:
            if event.is_instance and event.physical_id and \
                    event.status.endswith("_COMPLETE") and self._addresses:
                event = dataclasses.replace(
                    event, addresses=self._addresses(event.physical_id))
            self.resources[event.resource] = event
            if event.status.endswith("_FAILED"):
                self.failures.append(event)
            self._on_event(event)
        stack_changed = self._last_stack is None or \
            (state.status, state.reason) != (self._last_stack.status,
                                             self._last_stack.reason)
        self._last_stack = state
        if stack_changed:
            self._on_stack(state)
        return state, bool(events) or stack_changed

    def skip_history(self):
        """Take everything that happened so far as reported.

        Called before starting a new operation on an existing stack, so
        that only that operation's events are news.
        """
        self._with_feed(lambda feed: feed.skip_history())

    def _new_events(self, state):
        return self._with_feed(lambda feed: feed.poll(state))

    def _with_feed(self, use):
        try:
            return use(self._feed)
        except HeatServerError as exc:
            if not isinstance(self._feed, EventFeed):
                raise
            LOG.info("heat-api-cfn cannot list events (%s); following "
                     "resource states instead", exc)
            self.heat.lists_events = False
            self._feed = ResourceChangeFeed(self.heat, self.stack_id)
            return use(self._feed)
