"""Heat resource plugins for the Deltacloud backend.

Add this directory to heat.conf's ``plugin_dirs`` (Heat loads every module
in it after its own resources, so these classes replace the stock ones
under the same type names)::

    [DEFAULT]
    plugin_dirs = /path/to/site-packages/heat_deltacloud/heat/resources

``heat-deltacloud doctor`` prints the path and checks it is set.
"""

import pathlib

#: The directory to name in ``plugin_dirs``.
PLUGIN_DIR = str(pathlib.Path(__file__).resolve().parent)


class RunsInEngine:
    """Mixin: a resource type served by the engine itself is available.

    Heat's software configuration types name the ``heat`` (orchestration)
    service as their client, so at validation Heat asks the Keystone
    catalog whether it exists.  Without Keystone that answer is an error
    (and keystoneauth tries the Deltacloud URL as an identity endpoint on
    the way), although these types never call heat-api: the engine stores
    their configs and deployments itself.
    """

    @classmethod
    def is_service_available(cls, context):
        return True, None


def deltacloud(context, clients_=None):
    """The Deltacloud client of a request context (a resource passes its
    stack's clients); missing credentials are Heat's one-line error."""
    from heat.common import exception
    from heat.engine import clients

    from heat_deltacloud.heat import connection

    try:
        return (clients_ or clients.Clients(context)).deltacloud()
    except connection.MissingCredentials as exc:
        raise exception.Error(str(exc)) from None
