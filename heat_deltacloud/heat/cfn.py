"""heat-api-cfn's v1 app, with two Heat 27 bugs fixed.

Heat 27's ``StackController.events_list`` (heat/api/cfn/v1/stacks.py)
reads every event's ``resource_properties``, but the engine's
``list_events`` includes them only when asked for one event by id, so
every DescribeStackEvents of a stack with events fails with a 500.  This
app is Heat's own, with the stacks controller's engine client wrapped so
that listed events carry ``resource_properties`` (null, as the engine does
not load them for lists).

Heat's CFN actions *return* the AWS error of a failed engine call;
its XML serializer cannot serialize it and lets it through as the error
response, but with ``ContentType=JSON`` (what boto2 sends, so
``cfn-get-metadata``, ``cfn-init`` and ``cfn-hup``) the JSON serializer
turns it into a string with status 200.  Actions here raise it instead,
so every format gets the error status and document.

api-paste.ini's ``deltacloud`` pipeline for heat-api-cfn ends in it;
everything else is Heat's code, unchanged.
"""

import functools

from heat.api.aws import exception as aws_exception

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


class ErrorsRaised:
    """A controller whose actions raise the AWS error they return."""

    def __init__(self, controller):
        self._controller = controller

    def __getattr__(self, name):
        attr = getattr(self._controller, name)
        if name.startswith("_") or not callable(attr):
            return attr

        @functools.wraps(attr)
        def action(*args, **kwargs):
            result = attr(*args, **kwargs)
            if isinstance(result, aws_exception.HeatAPIException):
                raise result
            return result
        return action


class API(v1.API):
    """Heat's CFN v1 router, its controllers patched as above."""

    def __init__(self, conf, **local_conf):
        super().__init__(conf, **local_conf)
        for resource in _resources(self.map):
            controller = resource.controller
            if isinstance(controller, stacks.StackController):
                controller.rpc_client = EventsWithProperties(
                    controller.rpc_client)
            resource.controller = ErrorsRaised(controller)


def _resources(mapper):
    """The wsgi Resources the router dispatches to, each once."""
    found = {}
    for route in mapper.matchlist:
        resource = route.defaults.get("controller")
        if getattr(resource, "controller", None) is not None:
            found[id(resource)] = resource
    return found.values()
