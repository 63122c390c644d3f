"""Per-request Deltacloud clients built from a Heat request context.

Credentials come from the context (``username``/``password``, which Heat's
context filter fills from X-Auth-User/X-Auth-Key and which survive RPC and
``deferred_auth_method = password`` storage).  Discovery documents are
shared between clients with the same endpoint and credentials for
``discovery_cache_ttl`` seconds, keyed by a hash, never by the secret.
"""

import hashlib
import threading
import time

from oslo_config import cfg

from heat_deltacloud.deltacloud import Client, Discovery
from heat_deltacloud.errors import HeatDeltacloudError
from heat_deltacloud.heat import opts


class MissingCredentials(HeatDeltacloudError):
    """The request context carries no Deltacloud credentials or URL."""


class DiscoveryCache:
    """Discovery objects by credential hash, each kept for a TTL."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = {}

    def get(self, key, ttl):
        if ttl <= 0:
            return Discovery()
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or now - entry[0] > ttl:
                # Drop stale entries so the cache cannot grow without end.
                self._entries = {k: v for k, v in self._entries.items()
                                 if now - v[0] <= ttl}
                entry = self._entries[key] = (now, Discovery())
            return entry[1]

    def clear(self):
        with self._lock:
            self._entries.clear()


DISCOVERY = DiscoveryCache()


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
    """A new Deltacloud client for the context's user."""
    if not context.username or context.password is None:
        raise MissingCredentials(
            "the request context carries no Deltacloud credentials: "
            "authenticate with X-Auth-User/X-Auth-Key or HTTP Basic through "
            "the deltacloud_auth filter, and use "
            "deferred_auth_method = password")
    conf = _conf()
    url, driver, provider = endpoint(context)
    key = hashlib.sha256("\0".join(
        (url, driver or "", provider or "", context.username,
         context.password)).encode()).hexdigest()
    verify = conf.ca_file or not conf.insecure
    cert = (conf.cert_file, conf.key_file) if conf.cert_file else None
    return Client(url, context.username, context.password, driver=driver,
                  provider=provider,
                  timeout=(conf.connect_timeout, conf.read_timeout),
                  format=conf.format, retries=conf.retries,
                  backoff_factor=conf.backoff_factor, verify=verify,
                  cert=cert,
                  discovery=DISCOVERY.get(key, conf.discovery_cache_ttl))
