"""Signal and metadata transports checked at validation, not at create.

Heat's stock resources accept every transport and fail only when they
create it.  On the Deltacloud backend the CFN transports work (signed
URLs checked at heat-api-cfn, see :mod:`heat_deltacloud.heat.ec2`), and
so does NO_SIGNAL; HEAT_SIGNAL, TOKEN_SIGNAL and POLL_SERVER_HEAT work
once ``[deltacloud] identity_url`` names the package's identity endpoint
(:mod:`heat_deltacloud.heat.identity`); the others need a service
Deltacloud does not have.  These subclasses refuse what cannot work at
validation, naming what is missing and what to use instead.

``OS::Heat::WaitConditionHandle`` defaults to ``TOKEN_SIGNAL`` in Heat,
which needs Keystone tokens; here it defaults to ``CFN_SIGNAL``, and its
``curl_cli`` attribute serves CFN_SIGNAL too (a ``curl -X PUT`` of the
signed URL), so templates that append ``--data-binary '{"status":
"SUCCESS"}'`` to it keep working unchanged.
"""

import copy

from heat.common import exception
from heat.engine import rsrc_defn
from heat.engine.resources.openstack.heat import deployed_server
from heat.engine.resources.openstack.heat import software_deployment
from heat.engine.resources.openstack.heat import structured_config
from heat.engine.resources.openstack.heat import wait_condition_handle
from heat.engine.resources.openstack.nova import server

from heat_deltacloud.heat.resources import RunsInEngine
from heat_deltacloud.heat.resources.signal_keys import KeyBeforeId
from heat_deltacloud.heat.resources.snapshot_policy import SnapshotsIntoImages
from heat_deltacloud.heat.resources.suspend import SuspendsByStopping

_IDENTITY = ("Keystone credentials or tokens handed to the instance, which "
             "need heat-deltacloud's identity endpoint ([deltacloud] "
             "identity_url is unset)")
_SWIFT = ("Swift temporary URLs, which Deltacloud buckets do not have "
          "(a bucket's blobs are read with the owner's credentials)")
_ZAQAR = "Zaqar (messaging), which Deltacloud does not provide"

#: Transport -> what it needs that this backend lacks.
UNSUPPORTED = {
    "TOKEN_SIGNAL": _IDENTITY,
    "HEAT_SIGNAL": _IDENTITY,
    "POLL_SERVER_HEAT": _IDENTITY,
    "TEMP_URL_SIGNAL": _SWIFT,
    "POLL_TEMP_URL": _SWIFT,
    "ZAQAR_SIGNAL": _ZAQAR,
    "ZAQAR_MESSAGE": _ZAQAR,
}

SIGNAL_INSTEAD = "use CFN_SIGNAL (a signed URL) or NO_SIGNAL"
POLL_INSTEAD = "use POLL_SERVER_CFN"

#: Transports served by the identity endpoint once it is configured.
IDENTITY_TRANSPORTS = frozenset({"TOKEN_SIGNAL", "HEAT_SIGNAL",
                                 "POLL_SERVER_HEAT"})


def identity_configured():
    """Whether heat.conf names the identity endpoint (identity_url)."""
    from oslo_config import cfg

    from heat_deltacloud.heat import opts

    return bool(opts.registered(cfg.CONF).deltacloud.identity_url)


def check_transport(resource, prop, instead):
    """StackValidationFailed if ``resource``'s ``prop`` is unsupported."""
    value = resource.properties[prop]
    needs = UNSUPPORTED.get(value)
    if value in IDENTITY_TRANSPORTS and identity_configured():
        needs = None
    if needs is not None:
        raise exception.StackValidationFailed(
            path=[resource.stack.t.RESOURCES, resource.name,
                  resource.stack.t.get_section_name(rsrc_defn.PROPERTIES),
                  prop],
            message=f"{value} needs {needs}; {instead}")


def _with_default(schema, default):
    """A copy of a property schema with another default."""
    changed = copy.copy(schema)
    changed.default = default
    changed.description = (
        f"{schema.description} On the Deltacloud backend the default is "
        f"{default}; transports needing Keystone, Swift or Zaqar are "
        "refused at validation.")
    return changed


class WaitConditionHandle(KeyBeforeId,
                          wait_condition_handle.HeatWaitConditionHandle):
    """``OS::Heat::WaitConditionHandle``, CFN_SIGNAL by default."""

    properties_schema = dict(
        wait_condition_handle.HeatWaitConditionHandle.properties_schema)
    properties_schema[
        wait_condition_handle.HeatWaitConditionHandle.SIGNAL_TRANSPORT] = (
        _with_default(properties_schema[
            wait_condition_handle.HeatWaitConditionHandle.SIGNAL_TRANSPORT],
            "CFN_SIGNAL"))

    def validate(self):
        super().validate()
        check_transport(self, self.SIGNAL_TRANSPORT, SIGNAL_INSTEAD)

    def _needs_ec2_key(self):
        return self.properties[self.SIGNAL_TRANSPORT] == "CFN_SIGNAL"

    def _resolve_attribute(self, key):
        if (key == self.CURL_CLI and self.resource_id
                and self.properties[self.SIGNAL_TRANSPORT] == "CFN_SIGNAL"):
            url = self._get_ec2_signed_url(
                signal_type="/waitcondition")
            if url is None:
                return None
            insecure = self.stack.clients.client_plugin(
                "heat").get_insecure_option()
            flag = "--insecure " if insecure else ""
            return (f"curl {flag}-i -X PUT -H 'Content-Type: "
                    "application/json' -H 'Accept: application/json' "
                    f"'{url}'")
        return super()._resolve_attribute(key)


class _DeploymentTransports(RunsInEngine):
    def validate(self):
        super().validate()
        check_transport(self, self.SIGNAL_TRANSPORT, SIGNAL_INSTEAD)


class SoftwareDeployment(_DeploymentTransports,
                         software_deployment.SoftwareDeployment):
    """``OS::Heat::SoftwareDeployment``: CFN_SIGNAL or NO_SIGNAL."""


class StructuredDeployment(_DeploymentTransports,
                           structured_config.StructuredDeployment):
    """``OS::Heat::StructuredDeployment``: CFN_SIGNAL or NO_SIGNAL."""


class _ServerTransports:
    def validate(self):
        result = super().validate()
        if self.user_data_software_config():
            check_transport(self, self.SOFTWARE_CONFIG_TRANSPORT,
                            POLL_INSTEAD)
        return result


class Server(SuspendsByStopping, SnapshotsIntoImages, _ServerTransports,
             server.Server):
    """``OS::Nova::Server``: metadata polled through heat-api-cfn; suspend
    stops the instance and resume starts it (:mod:`.suspend`);
    deletion_policy Snapshot is checked at validation
    (:mod:`.snapshot_policy`); its ``addresses`` are the instance's."""

    def store_external_ports(self):
        """Deltacloud has no ports, so there are none to record: Heat's
        version reads the server once more after every create and update
        only to list its (always empty) interfaces."""

    def _get_server_addresses(self, server, extend_networks=True):
        """The server's own addresses, as the Nova shim gives them
        (``{"public": [...], "private": [...]}``, each entry with
        ``addr``, ``version`` and ``OS-EXT-IPS:type``).  Heat builds them
        from Neutron ports, which Deltacloud has none of, so its
        ``addresses`` attribute was always ``{}``.  There are no ``port``,
        ``subnets`` or ``network`` keys; the shim's networks' ids are their
        names, so ``extend_networks`` has nothing to add."""
        return copy.deepcopy(getattr(server, "addresses", None) or {})


class DeployedServer(RunsInEngine, _ServerTransports,
                     deployed_server.DeployedServer):
    """``OS::Heat::DeployedServer``: metadata polled through heat-api-cfn."""


def resource_mapping():
    return {
        "OS::Heat::WaitConditionHandle": WaitConditionHandle,
        "OS::Heat::SoftwareDeployment": SoftwareDeployment,
        "OS::Heat::StructuredDeployment": StructuredDeployment,
        "OS::Nova::Server": Server,
        "OS::Heat::DeployedServer": DeployedServer,
    }
