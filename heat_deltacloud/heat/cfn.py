"""heat-api-cfn's v1 app, with Heat 27's DescribeStackEvents working.

Heat 27's ``StackController.events_list`` (heat/api/cfn/v1/stacks.py)
reads every event's ``resource_properties``, but the engine's
``list_events`` includes them only when asked for one event by id, so
every DescribeStackEvents of a stack with events fails with a 500.  This
app is Heat's own, with the stacks controller's engine client wrapped so
that listed events carry ``resource_properties`` (null, as the engine does
not load them for lists).  api-paste.ini's ``deltacloud`` pipeline for
heat-api-cfn ends in it; everything else is Heat's code, unchanged.
"""

from heat.api.cfn import v1
from heat.api.cfn.v1 import stacks
from heat.rpc import api as rpc_api


class EventsWithProperties:
    """An engine client whose ``list_events`` always sets the properties."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def list_events(self, *args, **kwargs):
        return [{rpc_api.EVENT_RES_PROPERTIES: None, **event}
                for event in self._client.list_events(*args, **kwargs)]


class API(v1.API):
    """Heat's CFN v1 router, its stacks controller patched as above."""

    def __init__(self, conf, **local_conf):
        super().__init__(conf, **local_conf)
        for controller in _stack_controllers(self.map):
            if not isinstance(controller.rpc_client, EventsWithProperties):
                controller.rpc_client = EventsWithProperties(
                    controller.rpc_client)


def _stack_controllers(mapper):
    """The StackController instances the router dispatches to."""
    found = {}
    for route in mapper.matchlist:
        resource = route.defaults.get("controller")
        controller = getattr(resource, "controller", None)
        if isinstance(controller, stacks.StackController):
            found[id(controller)] = controller
    return found.values()
