"""The Deltacloud client: credentials, the ``/api`` entry point, managers."""

import logging
import threading

from heat_deltacloud.deltacloud import exceptions, jsondoc, managers, xmldoc
from heat_deltacloud.deltacloud.base import error_from
from heat_deltacloud.deltacloud.transport import (DEFAULT_MAX_BODY,
                                                  DEFAULT_MAX_CONNECTIONS,
                                                  DEFAULT_TIMEOUT, Transport)

LOG = logging.getLogger(__name__)

FORMATS = ("xml", "json")
#: (driver, collection, parameter) a driver honours without advertising
#: the feature: the real mock driver stores a volume's ``name``
#: (``mock_driver.rb`` ``create_storage_volume``) yet declares no
#: ``volume_name``, and names an image made from an instance after its
#: ``name`` (``create_image``) yet declares no ``image_name``.
UNADVERTISED = frozenset({("mock", "storage_volumes", "name"),
                          ("mock", "images", "name")})


class Discovery:
    """What rarely changes: ``/api``, hardware profiles and images.

    Clients with the same endpoint and credentials may share one
    ``Discovery`` (the Heat backend does, for a bounded time, so a stack
    does not fetch them once per resource).  Only the ``cached()`` look-ups
    use it; ``get()`` and ``list()`` always ask the server.  Thread-safe.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.api = None
        self.hardware_profiles = {}
        self.images = {}


class Client:
    """A client for one Deltacloud endpoint and one set of credentials.

    :param url: the API root, e.g. ``http://127.0.0.1:3001/api``.
    :param driver: ``X-Deltacloud-Driver`` to send (the server's default
        when ``None``).
    :param provider: ``X-Deltacloud-Provider`` to send (region, endpoint).
    :param timeout: ``(connect, read)`` seconds, or one number for both.
    :param format: ``'xml'`` or ``'json'``; hardware profiles are always
        read as XML because JSON loses their ranges.
    :param retries: how many times a read is retried on connection errors
        and 502/503/504.
    :param discovery: a :class:`Discovery` shared with other clients of the
        same endpoint and credentials.
    :param max_connections: keep-alive connections (and requests in
        flight) at most; a client may be shared by threads.
    """

    def __init__(self, url, username, password, *, driver=None,
                 provider=None, timeout=DEFAULT_TIMEOUT, format="xml",
                 retries=3, backoff_factor=0.5,
                 max_body_size=DEFAULT_MAX_BODY, verify=True, cert=None,
                 discovery=None, max_connections=DEFAULT_MAX_CONNECTIONS):
        if format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, "
                             f"not {format!r}")
        self.format = format
        self.username = username
        self.driver = driver
        self.provider = provider
        self.transport = Transport(
            url, username, password, driver=driver, provider=provider,
            timeout=timeout, retries=retries, backoff_factor=backoff_factor,
            max_body_size=max_body_size, verify=verify, cert=cert,
            max_connections=max_connections)
        self.url = self.transport.url
        self.discovery = discovery or Discovery()
        self.realms = managers.RealmManager(self)
        self.hardware_profiles = managers.HardwareProfileManager(self)
        self.images = managers.ImageManager(self)
        self.instances = managers.InstanceManager(self)
        self.keys = managers.KeyManager(self)
        self.addresses = managers.AddressManager(self)
        self.storage_volumes = managers.StorageVolumeManager(self)
        self.firewalls = managers.FirewallManager(self)
        self.storage_snapshots = managers.StorageSnapshotManager(self)
        self.buckets = managers.BucketManager(self)
        self.metrics = managers.MetricManager(self)
        self.networks = managers.NetworkManager(self)
        self.subnets = managers.SubnetManager(self)
        self.network_interfaces = managers.NetworkInterfaceManager(self)
        self.instance_states = managers.InstanceStateManager(self)
        self.drivers = managers.DriverManager(self)
        self.load_balancers = managers.LoadBalancerManager(self)

    def __repr__(self):
        extra = "".join(f" {name}={value}" for name, value in
                        (("driver", self.driver),
                         ("provider", self.provider)) if value)
        return f"<deltacloud.Client {self.url} user={self.username}{extra}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        self.transport.close()

    @property
    def api(self):
        """The parsed ``/api`` entry point, fetched once and cached."""
        discovery = self.discovery
        with discovery.lock:
            if discovery.api is None:
                discovery.api = self._fetch_api()
            return discovery.api

    def _fetch_api(self, params=None):
        response = self.transport.request("GET", self.url, fmt=self.format,
                                          params=params)
        if response.status != 200:
            raise error_from(response, "GET", self.url)
        try:
            if self.format == "xml":
                return xmldoc.api(xmldoc.parse(response.body, "api"))
            return jsondoc.api(jsondoc.parse(response.body, "api"))
        except exceptions.MalformedResponse as exc:
            raise exceptions.MalformedResponse(
                exc.message, excerpt=response.body, method="GET",
                url=self.url) from None

    def supports(self, collection, feature=None):
        """Whether the driver has ``collection`` (and its ``feature``)."""
        return self.api.supports(collection, feature)

    def honours_unadvertised(self, collection, param):
        """Whether the driver is known to honour ``param`` of
        ``collection``'s create without advertising its feature."""
        return (self.api.driver, collection, param) in UNADVERTISED

    def honours(self, collection, feature, param):
        """Whether sending ``param`` (of ``feature``) has an effect: the
        driver advertises the feature or is known to honour it anyway."""
        return self.supports(collection, feature) or \
            self.honours_unadvertised(collection, param)

    def require(self, collection, feature=None, *, param=None):
        """Raise :class:`NotSupported` unless the driver has the capability.

        Called before a request is made, so nothing is sent that the driver
        would ignore or refuse.
        """
        if self.supports(collection, feature):
            return
        driver = self.api.driver
        if feature is None:
            message = (f"the Deltacloud driver '{driver}' has no "
                       f"'{collection}' collection")
        else:
            via = f" (needed for '{param}')" if param else ""
            message = (f"the Deltacloud driver '{driver}' does not support "
                       f"the '{feature}' feature of '{collection}'{via}")
        raise exceptions.NotSupported(message)

    def validate_credentials(self):
        """Check the credentials with the server (``/api?force_auth=1``).

        Returns ``False`` when the server rejects them; other failures
        (unreachable server, 5xx) raise, so an outage is never mistaken for
        a wrong password.
        """
        try:
            self._fetch_api(params={"force_auth": "1"})
        except exceptions.Unauthorized:
            return False
        return True
