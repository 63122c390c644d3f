"""Launch a stack through heat-api-cfn and follow it: the library API.

::

    from heat_deltacloud.launch import HeatCfn, Launcher, WebhookNotifier

    heat = HeatCfn("http://heat:8000", credentials, deltacloud_url)
    launcher = Launcher(heat, deltacloud=client,
                        observers=[WebhookNotifier(url, secret=secret)])
    outcome = launcher.launch("wordpress", template, {"Password": "..."})
    if not outcome.ok:
        print(outcome.failure.reason)

Observers are any objects with some of ``started(action, stack_name,
total)``, ``resource_changed(event)`` and ``stack_changed(state)``; the
watcher calls them from the caller's thread as changes are seen.
"""

import dataclasses
import logging

from heat_deltacloud.launch.watcher import INSTANCE_TYPES, Watcher

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Leftover:
    """Something a delete left behind."""

    resource: str
    physical_id: str | None
    detail: str


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How an operation on a stack ended."""

    stack: object  # StackState
    #: Each resource's latest event, by logical name.
    resources: dict
    leftovers: tuple = ()
    #: Every failed resource event, in the order seen.
    failures: tuple = ()

    @property
    def ok(self):
        return self.stack.succeeded and not self.leftovers

    @property
    def failure(self):
        """The first resource event that failed, if any (also when a
        rollback has since deleted the resource)."""
        if self.failures:
            return self.failures[0]
        return next((e for e in self.resources.values()
                     if e.status.endswith("_FAILED")), None)

    @property
    def instances(self):
        return [e for e in self.resources.values() if e.is_instance]


def _to_delete(rows):
    """How many of a stack's resources a delete removes: not those never
    created (Heat's ``INIT_COMPLETE``, which it skips) nor those already
    deleted."""
    return sum(not row.get("ResourceStatus", "").startswith("INIT_") and
               row.get("ResourceStatus") != "DELETE_COMPLETE"
               for row in rows)


def _notify(observers, method, *args):
    for observer in observers:
        callback = getattr(observer, method, None)
        if callback is not None:
            callback(*args)


class Launcher:
    """Creates, follows and deletes stacks; tells observers on the way.

    :param heat: a :class:`~heat_deltacloud.launch.heatcfn.HeatCfn`.
    :param deltacloud: a :class:`heat_deltacloud.deltacloud.Client` for
        the same user, to read instances' addresses and to check that a
        delete left no instance behind; optional.
    :param follow: keyword arguments for
        :class:`~heat_deltacloud.launch.watcher.Watcher` (``timeout``,
        ``interval``, ``max_interval``...).
    """

    def __init__(self, heat, *, deltacloud=None, observers=(), **follow):
        self.heat = heat
        self.deltacloud = deltacloud
        self.observers = list(observers)
        self.follow_options = follow

    def launch(self, name, template, parameters=None, *,
               rollback=False, timeout_minutes=None):
        """CreateStack, then follow it until it settles."""
        resources = template.get("Resources") or \
            template.get("resources") or {}
        stack_id = self.heat.create_stack(
            name, template, parameters, disable_rollback=not rollback,
            timeout_minutes=timeout_minutes)
        LOG.info("stack %s submitted: %s", name, stack_id)
        return self.follow(stack_id, "CREATE", total=len(resources),
                           name=name, rollback=rollback)

    def watcher(self, stack):
        """A :class:`~heat_deltacloud.launch.watcher.Watcher` of ``stack``
        telling this launcher's observers."""
        return Watcher(
            self.heat, stack, addresses=self.addresses,
            on_event=lambda e: _notify(self.observers, "resource_changed",
                                       e),
            on_stack=lambda s: _notify(self.observers, "stack_changed", s),
            **self.follow_options)

    def follow(self, stack, action=None, *, total=None, name=None,
               watcher=None, rollback=False):
        """Follow ``stack`` (id or name) until it settles in ``action``
        (or, for a create or update, in a rollback); ``rollback``: the
        stack was submitted with rollback on, see
        :meth:`~heat_deltacloud.launch.watcher.Watcher.follow`."""
        if total is None:
            total = len(self.heat.stack_resources(stack))
        _notify(self.observers, "started", action, name or stack, total)
        watcher = watcher or self.watcher(stack)
        state = watcher.follow(action, rollback=rollback)
        return Outcome(state, dict(watcher.resources),
                       failures=tuple(watcher.failures))

    def delete(self, stack):
        """DeleteStack, follow it, and report what was left behind."""
        described = self.heat.describe_stack(stack)
        stack_id = described["StackId"]
        before = self.heat.stack_resources(stack_id)
        watcher = self.watcher(stack_id)
        watcher.skip_history()  # only the delete's own events are news
        self.heat.delete_stack(stack_id)
        outcome = self.follow(stack_id, "DELETE", total=_to_delete(before),
                              name=described["StackName"], watcher=watcher)
        leftovers = [
            Leftover(e.resource, e.physical_id, e.status)
            for e in outcome.resources.values()
            if e.status != "DELETE_COMPLETE"]
        leftovers += self._instances_still_there(before)
        return dataclasses.replace(outcome, leftovers=tuple(leftovers))

    def _instances_still_there(self, resources):
        if self.deltacloud is None:
            return []
        from heat_deltacloud.deltacloud import exceptions

        left = []
        for row in resources:
            physical_id = row.get("PhysicalResourceId")
            if row.get("ResourceType") not in INSTANCE_TYPES or \
                    not physical_id:
                continue
            try:
                instance = self.deltacloud.instances.get(physical_id)
            except exceptions.NotFound:
                continue
            left.append(Leftover(row["LogicalResourceId"], physical_id,
                                 f"instance still {instance.state} in "
                                 "Deltacloud"))
        return left

    def current_addresses(self, outcome):
        """Each instance's addresses read now, by logical name (those read
        when it completed where Deltacloud cannot tell): an address
        associated after the instance completed (an EIPAssociation, which
        waits for it) shows only here."""
        from heat_deltacloud.errors import HeatDeltacloudError

        found = {}
        for event in outcome.instances:
            addresses = event.addresses
            if event.physical_id and not event.status.startswith("DELETE_"):
                try:
                    addresses = self.addresses(event.physical_id) or \
                        addresses
                except HeatDeltacloudError:
                    pass  # what was read when it completed stands
            found[event.resource] = addresses
        return found

    def addresses(self, physical_id):
        """An instance's ``{"public": [...], "private": [...]}``, or None
        without a Deltacloud client or once the instance is gone."""
        if self.deltacloud is None:
            return None
        from heat_deltacloud.deltacloud import exceptions

        try:
            instance = self.deltacloud.instances.get(physical_id)
        except exceptions.NotFound:
            return None
        return {"public": [a.address for a in instance.public_addresses],
                "private": [a.address for a in instance.private_addresses]}
