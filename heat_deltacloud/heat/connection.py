"""Deltacloud clients for Heat request contexts, shared per user.

Credentials come from the context (``username``/``password``, which Heat's
context filter fills from X-Auth-User/X-Auth-Key and which survive RPC and
``deferred_auth_method = password`` storage).  Every context with the same
endpoint, credentials and client settings gets the same client: one
session with a bounded pool of keep-alive connections (``max_connections``)
and one discovery cache (``/api``, hardware profiles, images).  Clients
are keyed by a hash, never by the secret, so two users never share one;
each is kept for ``discovery_cache_ttl`` seconds, then replaced and closed
(a context still holding it reconnects on its next request).  With the
cache off (0) every context gets its own client, as Heat would build one
per context.
"""

import hashlib
import threading
import time

from oslo_config import cfg

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.errors import HeatDeltacloudError
from heat_deltacloud.heat import opts


class MissingCredentials(HeatDeltacloudError):
    """The request context carries no Deltacloud credentials or URL."""


class ClientCache:
    """Shared clients by key, each kept for a TTL from its creation."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = {}
        #: Clients built so far (shared or not): a figure for benchmarks.
        self.made = 0

    def get(self, key, ttl, make):
        """The client under ``key``, made by ``make()`` if there is none
        younger than ``ttl`` seconds; ``ttl <= 0``: always a new one."""
        if ttl <= 0:
            with self._lock:
                self.made += 1
            return make()
        now = time.monotonic()
        stale = []
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or now - entry[0] > ttl:
                # Drop every stale entry so the cache cannot grow without
                # end; their clients are closed outside the lock.
                stale = [v[1] for v in self._entries.values()
                         if now - v[0] > ttl]
                self._entries = {k: v for k, v in self._entries.items()
                                 if now - v[0] <= ttl}
                entry = self._entries[key] = (now, make())
                self.made += 1
            client = entry[1]
        for old in stale:
            old.close()
        return client

    def __len__(self):
        return len(self._entries)

    def clear(self):
        """Forget (and close) every client: the next contexts start with
        a cold discovery cache and new connections."""
        with self._lock:
            clients = [v[1] for v in self._entries.values()]
            self._entries = {}
        for client in clients:
            client.close()


#: The shared clients (and so the discovery cache): ``DISCOVERY.clear()``
#: empties both.
DISCOVERY = ClientCache()


def _conf():
    return opts.registered(cfg.CONF).deltacloud


def endpoint(context):
    """``(url, driver, provider)`` for a request context."""
    conf = _conf()
    # A client's URL (stored with its stacks too) only when allowed: see
    # heat_deltacloud.heat.auth.deltacloud_url.
    url = conf.url or (conf.allow_client_url and context.auth_url)
    if not url:
        raise MissingCredentials(
            "no Deltacloud URL: set [deltacloud] url in heat.conf (a "
            "request's X-Auth-Url is used only with [deltacloud] "
            "allow_client_url = true)")
    return url, conf.driver, context.region_name or conf.provider


def client_for(context):
    """The Deltacloud client for the context's user (shared, see above)."""
    if not context.username or context.password is None:
        raise MissingCredentials(
            "the request context carries no Deltacloud credentials: "
            "authenticate with X-Auth-User/X-Auth-Key or HTTP Basic through "
            "the deltacloud_auth filter, and use "
            "deferred_auth_method = password")
    conf = _conf()
    url, driver, provider = endpoint(context)
    verify = conf.ca_file or not conf.insecure
    cert = (conf.cert_file, conf.key_file) if conf.cert_file else None
    settings = dict(driver=driver, provider=provider,
                    timeout=(conf.connect_timeout, conf.read_timeout),
                    format=conf.format, retries=conf.retries,
                    backoff_factor=conf.backoff_factor, verify=verify,
                    cert=cert, max_connections=conf.max_connections)
    # Everything the client is built from goes into the key: a changed
    # setting (or password) gets a new client, never an old one.
    key = hashlib.sha256(repr(
        (url, context.username, context.password, sorted(settings.items()))
    ).encode()).hexdigest()
    return DISCOVERY.get(
        key, conf.discovery_cache_ttl,
        lambda: Client(url, context.username, context.password, **settings))
