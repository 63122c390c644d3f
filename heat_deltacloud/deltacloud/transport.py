"""HTTP for the Deltacloud client: one ``requests.Session`` per client.

The session keeps its connections alive in a pool of at most
``max_connections``, and no more requests than that are in flight at once:
a client shared by many threads (the Heat side shares one per endpoint and
credentials) holds a bounded number of connections to Deltacloud, and a
request that finds them all busy waits for one, up to the read timeout.

Every request has a timeout.  Reads (GET/HEAD) are retried a bounded number
of times with exponential back-off on connection errors and 502/503/504 by
urllib3's ``Retry``; writes are retried only when the connection could not be
opened at all, so a create is never sent twice.  Bodies are read up to a size
cap.  Credentials travel only in the ``Authorization`` header and never reach
a log line, a ``repr()`` or an exception.
"""

import dataclasses
import logging
import threading
import time
import urllib.parse

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from heat_deltacloud.deltacloud import exceptions

LOG = logging.getLogger(__name__)

ACCEPT = {"xml": "application/xml", "json": "application/json"}
RETRY_STATUSES = (502, 503, 504)
DEFAULT_TIMEOUT = (5.0, 60.0)
#: Connections one client keeps open to its endpoint (and requests in
#: flight at once): requests' own pool size.
DEFAULT_MAX_CONNECTIONS = 10
#: Bodies are read up to this size: about 13,000 instances in one listing,
#: parsed within a few hundred MB (a 50 MB document would take ~1.3 GB).
DEFAULT_MAX_BODY = 16 * 1024 * 1024
#: An error document larger than this is dropped unread: the status alone
#: makes the error (its message would be a few hundred bytes).
MAX_ERROR_BODY = 1024 * 1024


def mask_url(url):
    """``url`` with any ``user:password@`` part replaced by ``***@``."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=f"***@{host}"))


def _timed_out(exc):
    """Whether a requests error is a read timeout in disguise.

    Once urllib3 retries are exhausted, a read timeout reaches requests as
    ``MaxRetryError`` and leaves it as a plain ``ConnectionError``.
    """
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ReadTimeoutError)


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    headers: dict
    body: bytes
    content_type: str


class Transport:
    """Sends requests to one Deltacloud endpoint with one set of credentials.

    Links found in documents are rebased onto the configured endpoint
    (:meth:`resolve`), so credentials are never sent to another host even if
    a document names one, and a server behind a proxy still works.
    """

    def __init__(self, url, username, password, *, driver=None,
                 provider=None, timeout=DEFAULT_TIMEOUT, retries=3,
                 backoff_factor=0.5, max_body_size=DEFAULT_MAX_BODY,
                 verify=True, cert=None,
                 max_connections=DEFAULT_MAX_CONNECTIONS):
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise exceptions.DeltacloudError(
                f"not an http(s) URL: {mask_url(url)}")
        if parts.username or parts.password:
            raise exceptions.DeltacloudError(
                "put credentials in username/password, not in the URL: "
                f"{mask_url(url)}")
        self.url = url.rstrip("/")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        self.max_body_size = max_body_size
        self.session = requests.Session()
        self.session.auth = (username, password)
        self.session.verify = verify
        self.session.cert = cert
        self.session.trust_env = False
        if driver:
            self.session.headers["X-Deltacloud-Driver"] = driver
        if provider:
            self.session.headers["X-Deltacloud-Provider"] = provider
        retry = Retry(total=retries, connect=retries, read=retries,
                      status=retries, other=0,
                      allowed_methods=frozenset({"GET", "HEAD"}),
                      status_forcelist=RETRY_STATUSES,
                      backoff_factor=backoff_factor,
                      raise_on_status=False, raise_on_redirect=False,
                      respect_retry_after_header=True)
        adapter = HTTPAdapter(max_retries=retry, pool_connections=1,
                              pool_maxsize=max_connections)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self):
        return f"<Transport {self.url}>"

    def close(self):
        self.session.close()

    def resolve(self, href):
        """An absolute URL on this endpoint for a document's ``href``."""
        parts = urllib.parse.urlsplit(href)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.origin + path

    def request(self, method, url, *, fmt="xml", params=None, data=None,
                headers=None):
        """Send one request; return a :class:`Response` or raise.

        ``data`` is form fields (a dict) or a raw body (bytes);
        ``headers`` are added to the request's (blob metadata, the
        Content-Type of a raw body).
        """
        shown = mask_url(url)
        if not self._slots.acquire(timeout=self._read_timeout()):
            raise exceptions.Timeout(
                f"all {self.max_connections} connections to Deltacloud "
                "stayed busy", method=method, url=shown)
        try:
            return self._send(method, url, shown, fmt, params, data,
                              headers)
        finally:
            self._slots.release()

    def _read_timeout(self):
        """How long a request may wait for a free connection."""
        timeout = self.timeout
        if isinstance(timeout, (tuple, list)):
            timeout = timeout[1]
        return DEFAULT_TIMEOUT[1] if timeout is None else timeout

    def _send(self, method, url, shown, fmt, params, data, headers):
        started = time.monotonic()
        try:
            resp = self.session.request(
                method, url, params=params, data=data, timeout=self.timeout,
                headers={"Accept": ACCEPT[fmt], **(headers or {})},
                stream=True, allow_redirects=True)
        except requests.exceptions.Timeout:
            raise exceptions.Timeout(method=method, url=shown) from None
        except (requests.exceptions.ConnectionError,
                requests.exceptions.RetryError) as exc:
            if _timed_out(exc):
                raise exceptions.Timeout(method=method, url=shown) from None
            raise exceptions.ConnectionFailed(
                f"Could not connect to Deltacloud: {type(exc).__name__}",
                method=method, url=shown) from None
        try:
            body = self._read(resp, method, shown)
        finally:
            resp.close()
        LOG.debug("%s %s -> %s (%.3fs)", method, shown, resp.status_code,
                  time.monotonic() - started)
        content_type = resp.headers.get("Content-Type", "").split(";")[0]
        return Response(status=resp.status_code, headers=dict(resp.headers),
                        body=body, content_type=content_type.strip())

    def _read(self, resp, method, shown):
        """The body, up to the size cap: beyond it a success is
        MalformedResponse and an error answer's body is dropped."""
        is_error = resp.status_code >= 400
        limit = MAX_ERROR_BODY if is_error else self.max_body_size
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            if is_error:
                return b""
            raise self._too_large(method, shown)
        chunks, size = [], 0
        try:
            for chunk in resp.iter_content(chunk_size=1024 * 1024):
                size += len(chunk)
                if size > limit:
                    if is_error:
                        return b""
                    raise self._too_large(method, shown)
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise exceptions.ConnectionFailed(
                f"Connection broken while reading the response: "
                f"{type(exc).__name__}", method=method, url=shown) from None
        return b"".join(chunks)

    def _too_large(self, method, shown):
        return exceptions.MalformedResponse(
            f"response larger than {self.max_body_size} bytes",
            method=method, url=shown)
