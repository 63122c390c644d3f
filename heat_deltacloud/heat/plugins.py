"""Heat client plugins that speak Deltacloud.

Each subclasses Heat's own plugin and changes only what must change:
``_create()`` returns a shim from :mod:`heat_deltacloud.compat`, endpoint
and microversion checks answer without Keystone, and the few helpers whose
stock implementation assumes Neutron ports are replaced.  Everything else
(status checks, not-found handling, constraints) is Heat's own code running
on the shims.
"""

from heat.common import exception
from heat.engine.clients.os import (cinder, glance, heat_plugin, keystone,
                                    neutron, nova, swift)
from oslo_config import cfg

from heat_deltacloud.compat import cinder as compat_cinder
from heat_deltacloud.compat import glance as compat_glance
from heat_deltacloud.compat import neutron as compat_neutron
from heat_deltacloud.compat import nova as compat_nova
from heat_deltacloud.compat import swift as compat_swift
from heat_deltacloud.deltacloud import exceptions as dc
from heat_deltacloud.heat import connection
from heat_deltacloud.heat.keystone import DeltacloudKeystone


class ServiceUnavailable(exception.Error):
    pass


class _NoKeystoneMixin:
    """Answers Heat's "does the service exist?" from Deltacloud's ``/api``.

    There is no catalog to ask.  A service exists when the driver lists
    the collection it is built on; otherwise Heat's validation reports
    ``ResourceTypeUnavailable`` naming the resource type, with this reason.
    """

    #: The Deltacloud collection the service is built on (None: always).
    collection = None

    def does_endpoint_exist(self, service_type, service_name):
        if self.collection is None:
            return True
        try:
            supported = self.deltacloud().supports(self.collection)
        except dc.DeltacloudError as exc:
            raise ServiceUnavailable(
                f"cannot ask Deltacloud what it supports: {exc}") from None
        if not supported:
            raise ServiceUnavailable(
                f"the Deltacloud driver has no '{self.collection}' "
                "collection")
        return True

    def deltacloud(self):
        """The per-request Deltacloud client, shared by this context."""
        try:
            return self.clients.deltacloud()
        except connection.MissingCredentials as exc:
            raise exception.Error(str(exc)) from None


class DeltacloudNovaClientPlugin(_NoKeystoneMixin, nova.NovaClientPlugin):
    collection = "instances"

    def _create(self, version=None):
        conf = cfg.CONF.deltacloud
        return compat_nova.Client(
            self.deltacloud(), delete_timeout=conf.delete_timeout,
            poll_interval=conf.poll_interval,
            ignore_unsupported_user_data=conf.ignore_unsupported_user_data,
            instance_marker=compat_nova.naming.installation_marker(
                cfg.CONF.auth_encryption_key))

    def get_max_microversion(self):
        return compat_nova.Client.api_version

    def associate_floatingip(self, server_id, floatingip_id):
        # Heat's version looks up the server's Neutron port and its fixed
        # IPv4 address; Deltacloud associates an address with an instance.
        self.clients.client("neutron").update_floatingip(
            floatingip_id, {"floatingip": {"port_id": server_id}})

    def dissociate_floatingip(self, floatingip_id):
        self.clients.client("neutron").update_floatingip(
            floatingip_id, {"floatingip": {"port_id": None}})


class DeltacloudGlanceClientPlugin(_NoKeystoneMixin,
                                   glance.GlanceClientPlugin):
    collection = "images"

    def _create(self, version=None):
        return compat_glance.Client(self.deltacloud())

    def get_image(self, image_identifier):
        """Look the id up first: Deltacloud ids (``img1``) are not UUIDs,
        and Heat's version tries ids only when they look like UUIDs.  The
        look-up is shared by the stack's resources (discovery cache)."""
        try:
            return self.client().images.get_cached(image_identifier)
        except compat_glance.exceptions.HTTPNotFound:
            return super().get_image(image_identifier)


class DeltacloudNeutronClientPlugin(_NoKeystoneMixin,
                                    neutron.NeutronClientPlugin):
    """Floating IPs over Deltacloud addresses, and nothing else.

    Floating-IP resources (AWS::EC2::EIP, EIPAssociation) are validated
    through the nova plugin; resource types that default to Neutron (nets,
    ports, routers, VPCs, ...) are refused at validation.
    """

    def does_endpoint_exist(self, service_type, service_name):
        raise ServiceUnavailable(
            "Deltacloud has no networks, ports or routers; only floating "
            "IPs (AWS::EC2::EIP, AWS::EC2::EIPAssociation) are supported")

    def _create(self, version=None):
        return compat_neutron.Client(self.deltacloud())

    def has_extension(self, alias):
        return False

    def find_resourceid_by_name_or_id(self, resource, name_or_id,
                                      cmd_resource=None):
        if resource == self.RES_TYPE_NETWORK:
            for net in compat_neutron.NETWORKS:
                if name_or_id in (net["id"], net["name"]):
                    return net["id"]
        raise compat_neutron.exceptions.NotFound(
            f"Unable to find {resource} with name or id '{name_or_id}'")


class DeltacloudCinderClientPlugin(_NoKeystoneMixin,
                                   cinder.CinderClientPlugin):
    collection = "storage_volumes"

    def _create(self, version=None):
        return compat_cinder.Client(self.deltacloud())

    def get_volume_api_version(self):
        """No catalog to ask; the shim speaks volume API 3."""

    def get_max_microversion(self):
        return compat_cinder.Client.api_version

    def has_extension(self, alias):
        return False


NO_TEMP_URLS = ("Deltacloud buckets have no temporary URLs, which "
                "OS::Heat::SwiftSignalHandle, TEMP_URL_SIGNAL and "
                "POLL_TEMP_URL need: use a wait condition with CFN_SIGNAL")


class DeltacloudSwiftClientPlugin(_NoKeystoneMixin,
                                  swift.SwiftClientPlugin):
    """Containers over Deltacloud buckets (``AWS::S3::Bucket``,
    ``OS::Swift::Container``); what buckets cannot keep is judged by
    :data:`heat_deltacloud.compat.swift.HEADER_RULES`."""
    collection = "buckets"

    def _create(self, version=None):
        # The access lists AWS::S3::Bucket sends for Private and
        # AuthenticatedRead: the caller's own account on Deltacloud.
        ctx = self.context
        return compat_swift.Connection(
            self.deltacloud(),
            account=(f"{ctx.project_name}:{ctx.username}", ctx.project_name))

    def get_temp_url(self, *args, **kwargs):
        """Refused before anything is made (Heat's version first writes
        an account key, its signal URL a container and an object)."""
        raise exception.Error(NO_TEMP_URLS)

    get_signal_url = get_temp_url


class DeltacloudKeystoneClientPlugin(_NoKeystoneMixin,
                                     keystone.KeystoneClientPlugin):

    def _create(self, version=None):
        return DeltacloudKeystone(self.context)

    def does_endpoint_exist(self, service_type, service_name):
        raise ServiceUnavailable(
            "Deltacloud has no identity service: users, access keys and "
            "stack users are not supported")


class DeltacloudHeatClientPlugin(heat_plugin.HeatClientPlugin):
    """Heat's own plugin, its URLs from heat.conf: there is no catalog.

    Stock Heat looks heat-api and heat-api-cfn up in Keystone's catalog
    when ``[clients_heat] url`` or ``heat_waitcondition_server_url`` /
    ``heat_metadata_server_url`` are unset, which here would send
    keystoneauth's discovery to the Deltacloud URL.  The error names the
    option to set instead.
    """

    def url_for(self, **kwargs):
        service = kwargs.get("service_type")
        option = URL_OPTIONS.get(service, "the service's URL option")
        raise exception.Error(
            f"no {service} URL: the Deltacloud backend has no service "
            f"catalog; set {option} in heat.conf")


#: Catalog service type -> the heat.conf options that replace it.
URL_OPTIONS = {
    "cloudformation": "heat_waitcondition_server_url (http://CFN-HOST:8000"
                      "/v1/waitcondition) and heat_metadata_server_url "
                      "(http://CFN-HOST:8000/v1)",
    "orchestration": "[clients_heat] url (http://HEAT-API-HOST:8004/v1/"
                     "%(tenant_id)s)",
}


#: The ``deltacloud`` compute backend: Heat client name -> plugin class.
DELTACLOUD = {
    "nova": DeltacloudNovaClientPlugin,
    "glance": DeltacloudGlanceClientPlugin,
    "neutron": DeltacloudNeutronClientPlugin,
    "cinder": DeltacloudCinderClientPlugin,
    "swift": DeltacloudSwiftClientPlugin,
    "keystone": DeltacloudKeystoneClientPlugin,
    "heat": DeltacloudHeatClientPlugin,
}
