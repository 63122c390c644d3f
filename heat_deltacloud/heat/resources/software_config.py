"""Heat's software configuration types, available without Keystone.

``OS::Heat::SoftwareConfig`` and the types built on it (and the deployment
groups) live inside the engine, but Heat checks the ``heat`` service in
the Keystone catalog before accepting them; there is no catalog here, so
every template using them was refused with ``ResourceTypeUnavailable``.
These subclasses only answer that check (see
:class:`~heat_deltacloud.heat.resources.RunsInEngine`).  The single
deployments and ``OS::Heat::DeployedServer`` get the same answer in
:mod:`.transports`.  ``OS::Heat::RemoteStack`` stays refused: it does
need another Heat's catalog.
"""

from heat.engine.resources.openstack.heat import cloud_config
from heat.engine.resources.openstack.heat import multi_part
from heat.engine.resources.openstack.heat import software_component
from heat.engine.resources.openstack.heat import software_config
from heat.engine.resources.openstack.heat import software_deployment
from heat.engine.resources.openstack.heat import structured_config

from heat_deltacloud.heat.resources import RunsInEngine

STOCK = {
    "OS::Heat::SoftwareConfig": software_config.SoftwareConfig,
    "OS::Heat::StructuredConfig": structured_config.StructuredConfig,
    "OS::Heat::SoftwareComponent": software_component.SoftwareComponent,
    "OS::Heat::CloudConfig": cloud_config.CloudConfig,
    "OS::Heat::MultipartMime": multi_part.MultipartMime,
    "OS::Heat::SoftwareDeploymentGroup":
        software_deployment.SoftwareDeploymentGroup,
    "OS::Heat::SoftwareDeployments": software_deployment.SoftwareDeployments,
    "OS::Heat::StructuredDeploymentGroup":
        structured_config.StructuredDeploymentGroup,
    "OS::Heat::StructuredDeployments":
        structured_config.StructuredDeployments,
}


def _available(stock):
    return type(stock.__name__, (RunsInEngine, stock), {
        "__module__": __name__,
        "__doc__": f"``{stock.__name__}``, served by the engine itself."})


def resource_mapping():
    return {name: _available(stock) for name, stock in STOCK.items()}
