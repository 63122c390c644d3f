"""The ``cloud_backend`` class operators name in heat.conf.

::

    [DEFAULT]
    cloud_backend = heat_deltacloud.heat.backend.DeltacloudClients
    compute_backend = deltacloud

Heat builds one instance per request context.  It hands out the compute
backend's client plugins (resolved by name through the
``heat_deltacloud.compute_backends`` entry point namespace) and Heat's stock
plugins for every other service.
"""

import functools
import logging

from heat.common import exception
from heat.engine import clients
from heat.engine.clients import client_plugin
from oslo_config import cfg
from stevedore import driver as stevedore_driver
from stevedore import exception as stevedore_exception
from stevedore import extension

from heat_deltacloud.deltacloud import exceptions as dc
from heat_deltacloud.heat import connection, opts

LOG = logging.getLogger(__name__)

NAMESPACE = "heat_deltacloud.compute_backends"

#: Heat's own plugins used when a compute backend does not bring its own:
#: 'heat' is the engine itself (the deltacloud backend answers its URLs
#: from heat.conf, see plugins.DeltacloudHeatClientPlugin).
STOCK_PLUGINS = frozenset({"heat"})


class ServiceNotProvided(exception.Error):
    pass


class UnavailableClientPlugin(client_plugin.ClientPlugin):
    """Stands in for a service the compute backend does not provide.

    Heat's validation asks it whether the service's endpoint exists; the
    answer is an error naming the service, which Heat reports as
    ``ResourceTypeUnavailable`` naming the resource type.  Nothing here
    asks Keystone, so no credentials go to the Deltacloud URL as identity
    discovery.
    """

    service_types = ["unavailable"]

    def __init__(self, context, name, provided):
        super().__init__(context)
        self.name = name
        self.reason = (f"the Deltacloud backend provides no '{name}' "
                       f"service (it provides: {', '.join(provided)})")

    def _create(self, version=None):
        raise ServiceNotProvided(self.reason)

    def does_endpoint_exist(self, service_type, service_name):
        raise ServiceNotProvided(self.reason)

    def __getattr__(self, name):
        # Service-specific helpers (get_volume, ...) fail the same way.
        if name.startswith("_"):
            raise AttributeError(name)

        def unavailable(*args, **kwargs):
            raise ServiceNotProvided(self.reason)
        return unavailable


def installed_backends():
    return sorted(extension.ExtensionManager(NAMESPACE).names())


@functools.lru_cache(maxsize=8)
def load_backend(name):
    """The plugin table of compute backend ``name``."""
    try:
        manager = stevedore_driver.DriverManager(NAMESPACE, name,
                                                 invoke_on_load=False)
    except stevedore_exception.NoMatches:
        raise exception.Invalid(
            reason=f"compute_backend '{name}' is not installed; installed "
                   f"backends: {', '.join(installed_backends()) or 'none'}"
        ) from None
    return manager.driver


def configured_backend(conf=None):
    return load_backend(opts.registered(conf or cfg.CONF).compute_backend)


class DeltacloudClients(clients.OpenStackClients):
    """Heat's client backend for clouds behind Deltacloud."""

    def __init__(self, context):
        super().__init__(context)
        self._plugins = configured_backend()
        self._deltacloud = None

    def client_plugin(self, name):
        if name in self._client_plugins:
            return self._client_plugins[name]
        plugin_class = self._plugins.get(name)
        if plugin_class is not None:
            plugin = plugin_class(self.context)
        elif name in STOCK_PLUGINS:
            return super().client_plugin(name)
        else:
            plugin = UnavailableClientPlugin(self.context, name,
                                             sorted(self._plugins))
        self._client_plugins[name] = plugin
        return plugin

    def deltacloud(self):
        """The Deltacloud client for this context's credentials."""
        if self._deltacloud is None:
            self._deltacloud = connection.client_for(self.context)
        return self._deltacloud

    def authenticated(self):
        """Whether Deltacloud accepts the context's credentials.

        Used by Heat's ``custombackendauth`` filter.  An unreachable or
        failing Deltacloud raises rather than answering False, so an outage
        is not reported as a wrong password.
        """
        try:
            return self.deltacloud().validate_credentials()
        except connection.MissingCredentials:
            return False
        except dc.DeltacloudError as exc:
            LOG.warning("Cannot check credentials with Deltacloud: %s", exc)
            raise exception.Error(f"Deltacloud is unavailable: {exc}"
                                  ) from None
