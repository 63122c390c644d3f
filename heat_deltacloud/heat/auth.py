"""Paste filter: heat-api and heat-api-cfn requests checked by Deltacloud.

::

    [filter:deltacloud_auth]
    paste.filter_factory = heat_deltacloud.heat.auth:filter_factory
    cache_ttl = 60

Clients send their Deltacloud user name and password as ``X-Auth-User`` /
``X-Auth-Key`` (what python-heatclient sends without Keystone) or as HTTP
Basic credentials.  The filter checks them with Deltacloud, then hands them
on as ``X-Auth-User`` / ``X-Auth-Key`` / ``X-Auth-Url`` together with the
identity Heat's ``context`` filter and policies need: the user, a project
(the user name) and the roles ``member`` and ``reader``.  It follows
keystonemiddleware's ``auth_token``: identity headers a client sent are
dropped first, missing or rejected credentials get 401 with
``WWW-Authenticate`` before anything downstream runs, and an unreachable
Deltacloud gets 503, never 401.  Accepted credentials are cached for
``cache_ttl`` seconds under a hash.

Requests without Deltacloud credentials may send ``X-Auth-Token``, a
token of the package's identity endpoint (what OpenStack clients send
after a Keystone v3 login there): :mod:`heat_deltacloud.heat.identity.
tokenauth` verifies it and sets the same identity, or a stack user's,
limited to its stack's signals and metadata.

Options (paste ``local_conf``):

``cache_ttl``
    Seconds an accepted password is remembered (default 60; 0 disables).
``cache_size``
    How many users are remembered at most (default 1024).
``roles``
    The roles given to every authenticated user (default
    ``member,reader``).
``realm``
    The ``WWW-Authenticate`` realm (default ``heat-deltacloud``).
``error_format``
    ``json`` (default, heat-api) or ``aws`` (heat-api-cfn: the AWS query
    API's XML ``ErrorResponse`` that boto3 reads).
``validate_retries``
    How many times a failed connection to Deltacloud is retried while
    checking credentials (default 1).
``ec2_signatures``
    ``true`` on heat-api-cfn: requests without Deltacloud credentials that
    carry an EC2 signature (pre-signed wait condition and signal URLs,
    ``cfn-get-metadata``) are checked against the stack users' keys by
    :mod:`heat_deltacloud.heat.ec2` and act as that stack user (default
    ``false``).

The Deltacloud endpoint, driver, provider, timeouts and TLS settings are
the ``[deltacloud]`` options of heat.conf, as for the engine.  A client's
``X-Auth-Url`` is used only when ``[deltacloud] url`` is unset and
``[deltacloud] allow_client_url`` is true (see :func:`deltacloud_url`):
otherwise a client could name a Deltacloud of its own that vouches for
any user name.
"""

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.parse
from xml.sax import saxutils

import requests
import webob
import webob.dec
from oslo_config import cfg

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.deltacloud import exceptions as dc
from heat_deltacloud.heat import backend, ec2, opts, stackusers
from heat_deltacloud.heat.identity import tokenauth

LOG = logging.getLogger(__name__)

#: Identity headers only an authentication filter may set (environ keys).
#: Anything a client sends under these names is dropped first, as
#: keystonemiddleware does, so that nobody can claim a project or a role.
SPOOFABLE_PREFIXES = (
    "HTTP_X_IDENTITY_STATUS", "HTTP_X_SERVICE_", "HTTP_X_USER",
    "HTTP_X_PROJECT", "HTTP_X_TENANT", "HTTP_X_DOMAIN_", "HTTP_X_ROLE",
    "HTTP_X_IS_ADMIN_PROJECT", "HTTP_OPENSTACK_SYSTEM_SCOPE",
    "HTTP_X_AUTH_TOKEN", "HTTP_X_STORAGE_TOKEN", "HTTP_X_AUTH_EC2_CREDS",
    "HTTP_X_AUTH_PROJECT",
)

MAX_FIELD = 1024
MAX_URL = 2048
DEFAULTS = {"cache_ttl": "60", "cache_size": "1024",
            "roles": "member,reader", "realm": "heat-deltacloud",
            "error_format": "json", "validate_retries": "1",
            "ec2_signatures": "false"}
HOW_TO = ("send the Deltacloud user name and password as X-Auth-User and "
          "X-Auth-Key, or as HTTP Basic credentials")


class AuthError(Exception):
    """A request the filter answers itself; ``str()`` is safe to show."""

    status = 401
    title = "Unauthorized"
    aws_code = "MissingAuthenticationToken"


class Missing(AuthError):
    pass


class Malformed(AuthError):
    status = 400
    title = "Bad Request"
    aws_code = "IncompleteSignature"


class Rejected(AuthError):
    aws_code = "InvalidClientTokenId"


class UrlRefused(AuthError):
    """No Deltacloud URL is configured and clients may not bring one."""

    status = 403
    title = "Forbidden"
    aws_code = "AccessDenied"


class Unavailable(AuthError):
    status = 503
    title = "Service Unavailable"
    aws_code = "ServiceUnavailable"


@dataclasses.dataclass(frozen=True)
class Credentials:
    """What a request authenticates with.  The key never shows in repr."""

    user: str
    key: str = dataclasses.field(repr=False)
    url: str
    url_from_client: bool
    driver: str | None = None
    provider: str | None = None

    def identity_hash(self):
        """sha256 of endpoint and user: the cache key, free of secrets."""
        fields = (self.url, self.driver or "", self.provider or "",
                  self.user)
        return hashlib.sha256("\0".join(fields).encode()).hexdigest()


class CredentialCache:
    """Recently accepted passwords, per user, for ``ttl`` seconds.

    Entries are keyed by :meth:`Credentials.identity_hash` and hold an HMAC
    of the password under a key that exists only in this process; a hit is
    checked with a constant-time comparison.  A new password for the same
    user replaces the entry, so a changed password stops working here as
    soon as the new one is used.
    """

    def __init__(self, ttl, size):
        self.ttl = ttl
        self.size = size
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._entries = {}

    def _digest(self, creds):
        message = f"{creds.identity_hash()}\0{creds.key}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def __contains__(self, creds):
        if self.ttl <= 0:
            return False
        with self._lock:
            entry = self._entries.get(creds.identity_hash())
        if entry is None or entry[0] < time.monotonic():
            return False
        return hmac.compare_digest(entry[1], self._digest(creds))

    def add(self, creds):
        if self.ttl <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries = {k: v for k, v in self._entries.items()
                                 if v[0] >= now}
            while len(self._entries) >= self.size:
                del self._entries[next(iter(self._entries))]
            key = creds.identity_hash()
            self._entries.pop(key, None)
            self._entries[key] = (now + self.ttl, self._digest(creds))

    def clear(self):
        with self._lock:
            self._entries.clear()


def _check_field(value, name, limit=MAX_FIELD):
    if len(value) > limit:
        raise Malformed(f"{name} is too long")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise Malformed(f"{name} contains control characters")
    return value


def basic_credentials(authorization):
    """``(user, password)`` from an ``Authorization: Basic`` value.

    RFC 7617 credentials are UTF-8; anything else is malformed.  They are
    returned in WSGI's native form (each byte one character, as header
    values are), so the bytes Deltacloud receives later are the bytes the
    client sent, whichever way it sent them.
    """
    token = authorization.partition(" ")[2].strip()
    try:
        raw = base64.b64decode(token, validate=True)
        raw.decode("utf-8")
    except (binascii.Error, ValueError):
        raise Malformed("the Basic credentials are not base64-encoded "
                        "UTF-8") from None
    user, sep, password = raw.partition(b":")
    if not sep:
        raise Malformed("the Basic credentials have no ':' between user "
                        "and password")
    return user.decode("latin-1"), password.decode("latin-1")


def checked_url(url):
    """``url`` if it can be a Deltacloud endpoint, else :class:`Malformed`."""
    _check_field(url, "X-Auth-Url", MAX_URL)
    if " " in url:
        raise Malformed("X-Auth-Url contains spaces")
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise Malformed("X-Auth-Url is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Malformed("X-Auth-Url must be an http(s) URL")
    if "@" in parts.netloc:
        raise Malformed("X-Auth-Url must not carry credentials")
    return url


URL_FIX = ("the operator sets [deltacloud] url in heat.conf (or, for a "
           "private single-user Heat only, [deltacloud] allow_client_url "
           "= true)")


def deltacloud_url(options, client_url):
    """``(url, from_client)``: the Deltacloud a request authenticates at.

    ``[deltacloud] url`` when set (``client_url`` is then ignored), else
    ``client_url`` if ``[deltacloud] allow_client_url`` is true, else
    :class:`UrlRefused`: a URL chosen by the client would let a Deltacloud
    server of its own vouch for any user name.
    """
    if options.url:
        return options.url, False
    if not options.allow_client_url:
        if client_url:
            raise UrlRefused("X-Auth-Url is refused: this Heat takes no "
                             f"Deltacloud URL from clients; {URL_FIX}.")
        raise UrlRefused(f"no Deltacloud URL is configured: {URL_FIX}.")
    if not client_url:
        raise Missing("Authentication required: no Deltacloud URL is "
                      "configured, send it as X-Auth-Url.")
    return checked_url(client_url), True


def log_url_setting(options):
    """Say at start what an unset ``[deltacloud] url`` means."""
    if options.url:
        return
    if options.allow_client_url:
        LOG.warning("[deltacloud] url is unset and allow_client_url is "
                    "true: every request's X-Auth-Url is trusted, so "
                    "credentials go wherever a client points and a "
                    "Deltacloud server a client runs can vouch for any "
                    "user name.  Set [deltacloud] url in production.")
    else:
        LOG.error("[deltacloud] url is unset: every request is refused "
                  "until it is set (or allow_client_url = true, for a "
                  "private single-user Heat only).")


class DeltacloudAuth:
    """WSGI middleware authenticating requests against Deltacloud."""

    def __init__(self, app, settings, conf=None):
        self.app = app
        self.conf = conf or cfg.CONF
        settings = {**DEFAULTS, **{k: v for k, v in settings.items()
                                   if k in DEFAULTS}}
        try:
            ttl = int(settings["cache_ttl"])
            size = int(settings["cache_size"])
            self.retries = int(settings["validate_retries"])
        except ValueError as exc:
            raise ValueError(f"deltacloud_auth: {exc}") from None
        if settings["error_format"] not in ("json", "aws"):
            raise ValueError("deltacloud_auth: error_format must be 'json' "
                             "or 'aws'")
        self.error_format = settings["error_format"]
        self.realm = settings["realm"]
        self.roles = ",".join(r.strip() for r in settings["roles"].split(",")
                              if r.strip())
        self.cache = CredentialCache(ttl, max(size, 1))
        flag = settings["ec2_signatures"].strip().lower()
        if flag not in ("true", "false"):
            raise ValueError("deltacloud_auth: ec2_signatures must be "
                             "'true' or 'false'")
        self.ec2_signatures = flag == "true"
        self._verifier = None
        # Fail at heat-api start, not at the first stack, when
        # compute_backend names no installed backend.
        backend.configured_backend(self.conf)
        log_url_setting(self._options)

    def __repr__(self):
        return f"<DeltacloudAuth realm={self.realm!r}>"

    @property
    def _options(self):
        return opts.registered(self.conf).deltacloud

    @webob.dec.wsgify
    def __call__(self, req):
        token = req.environ.get("HTTP_X_AUTH_TOKEN")
        strip_identity_headers(req.environ)
        if token is not None and not self._has_credentials(req):
            return tokenauth.handle(self, req, token)
        if self._stack_user_request(req):
            return self.stack_user(req)
        try:
            creds = self.credentials(req)
            self.authenticate(creds)
        except AuthError as exc:
            return self.error_response(exc)
        self.pass_identity(req, creds)
        return req.get_response(self.app)

    @staticmethod
    def _has_credentials(req):
        """Deltacloud credentials (X-Auth-User or Basic), which win over
        a token or a signature."""
        environ = req.environ
        return (environ.get("HTTP_X_AUTH_USER") is not None
                or environ.get("HTTP_AUTHORIZATION", "").lower().startswith(
                    "basic "))

    def _stack_user_request(self, req):
        """Signed, and without Deltacloud credentials (which win: the
        launcher's boto3 client signs with a placeholder key and sends
        X-Auth-User besides)."""
        if not self.ec2_signatures:
            return False
        environ = req.environ
        if environ.get("HTTP_X_AUTH_USER") is not None:
            return False
        if environ.get("HTTP_AUTHORIZATION", "").lower().startswith(
                "basic "):
            return False
        return ec2.is_signed(req)

    @property
    def verifier(self):
        if self._verifier is None:
            self._verifier = ec2.Verifier(
                stackusers.store(), window=self._options.signature_ttl)
        return self._verifier

    def stack_user(self, req):
        """Act as the stack user whose key signed ``req``, or refuse."""
        try:
            principal = self.verifier.verify(req)
        except ec2.SignatureError as exc:
            LOG.info("Refused a signed %s %s: %s", req.method,
                     req.path, exc)
            return self.error_response(exc)
        except stackusers.STORE_ERRORS as exc:
            LOG.error("Cannot read the stack users' keys: %s",
                      type(exc).__name__)
            return self.error_response(Unavailable(
                "the stack users' keys cannot be read; try again later."))
        LOG.debug("Signed request of stack user %s (project %s)",
                  principal.user_id, principal.project_id)
        req.environ.update(ec2.identity_environ(principal,
                                                ec2.signature_of(req)))
        return req.get_response(self.app)

    def credentials(self, req):
        """The request's :class:`Credentials`, or an :class:`AuthError`."""
        environ = req.environ
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if environ.get("HTTP_X_AUTH_USER") is not None:
            user = environ["HTTP_X_AUTH_USER"]
            key = environ.get("HTTP_X_AUTH_KEY")
        elif authorization.partition(" ")[0].lower() == "basic":
            user, key = basic_credentials(authorization)
            # Consumed: nothing downstream needs the raw header.
            del environ["HTTP_AUTHORIZATION"]
        else:
            raise Missing(f"Authentication required: {HOW_TO}.")
        if not user or key is None:
            raise Missing(f"Authentication required: {HOW_TO}.")
        _check_field(user, "the user name")
        _check_field(key, "the password")
        if ":" in user:
            raise Malformed("the user name must not contain ':'")
        options = self._options
        url, from_client = deltacloud_url(options,
                                          environ.get("HTTP_X_AUTH_URL"))
        region = environ.get("HTTP_X_REGION_NAME")
        if region is not None:
            _check_field(region, "X-Region-Name")
        return Credentials(user=user, key=key, url=url,
                           url_from_client=from_client,
                           driver=options.driver,
                           provider=region or options.provider)

    def authenticate(self, creds):
        """Return if Deltacloud accepts ``creds`` (or accepted them lately)."""
        if creds in self.cache:
            LOG.debug("Deltacloud credentials of %s accepted (cached)",
                      creds.user)
            return
        if not self.validate(creds):
            LOG.info("Deltacloud at %s rejected the credentials of %s",
                     creds.url, creds.user)
            raise Rejected("Deltacloud rejected the credentials.")
        self.cache.add(creds)
        LOG.debug("Deltacloud credentials of %s accepted", creds.user)

    def validate(self, creds):
        """Ask Deltacloud; True/False, or :class:`AuthError` if it can't."""
        options = self._options
        try:
            client = Client(
                creds.url, creds.user, creds.key, driver=creds.driver,
                provider=creds.provider,
                timeout=(options.connect_timeout, options.read_timeout),
                format=options.format, retries=self.retries,
                backoff_factor=0,
                verify=options.ca_file or not options.insecure,
                cert=((options.cert_file, options.key_file)
                      if options.cert_file else None))
        except dc.DeltacloudError as exc:
            raise self._unusable_url(creds, exc) from None
        try:
            return client.validate_credentials()
        except dc.Forbidden:
            return False
        except UnicodeError:
            raise Malformed("the credentials are not ISO-8859-1 text"
                            ) from None
        except dc.DeltacloudError as exc:
            LOG.warning("Cannot check credentials with Deltacloud: %s",
                        _scrub(str(exc), creds.key))
            raise Unavailable("Deltacloud is unavailable, so the credentials "
                              "cannot be checked; try again later."
                              ) from None
        except (requests.RequestException, ValueError) as exc:
            raise self._unusable_url(creds, exc) from None
        finally:
            client.close()

    @staticmethod
    def _unusable_url(creds, exc):
        if creds.url_from_client:
            return Malformed("X-Auth-Url cannot be used as a Deltacloud URL")
        LOG.error("[deltacloud] url cannot be used: %s",
                  type(exc).__name__)
        return Unavailable("Deltacloud is unavailable.")

    def pass_identity(self, req, creds):
        """Set what Heat's context filter and its policies read."""
        environ = req.environ
        environ.update({
            "HTTP_X_IDENTITY_STATUS": "Confirmed",
            "HTTP_X_USER_ID": creds.user,
            "HTTP_X_USER_NAME": creds.user,
            # Deltacloud has accounts, not projects: each user is one.
            # A tenant in the URL must name it (Heat answers 403 if not).
            "HTTP_X_PROJECT_ID": creds.user,
            "HTTP_X_PROJECT_NAME": creds.user,
            "HTTP_X_ROLES": self.roles,
            "HTTP_X_IS_ADMIN_PROJECT": "False",
            "HTTP_X_AUTH_USER": creds.user,
            "HTTP_X_AUTH_KEY": creds.key,
            "HTTP_X_AUTH_URL": creds.url,
        })

    def error_response(self, exc):
        headers = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = f'Basic realm="{self.realm}"'
        elif exc.status == 503:
            headers["Retry-After"] = "5"
        message = str(exc)
        if self.error_format == "aws":
            kind = "Server" if exc.status >= 500 else "Sender"
            body = ("<ErrorResponse><Error>"
                    f"<Type>{kind}</Type><Code>{exc.aws_code}</Code>"
                    f"<Message>{saxutils.escape(message)}</Message>"
                    "</Error></ErrorResponse>").encode()
            content_type = "application/xml"
        else:
            body = json.dumps({"error": {"code": exc.status,
                                         "title": exc.title,
                                         "message": message}}).encode()
            content_type = "application/json"
        response = webob.Response(status=exc.status, body=body,
                                  content_type=content_type,
                                  charset="UTF-8")
        response.headers.update(headers)
        return response


def strip_identity_headers(environ):
    """Drop identity headers a client sent (see SPOOFABLE_PREFIXES)."""
    for key in [k for k in environ if k.startswith(SPOOFABLE_PREFIXES)]:
        del environ[key]


def _scrub(text, secret):
    return text.replace(secret, "***") if secret else text


def filter_factory(global_conf, **local_conf):
    """Paste entry point ``deltacloud_auth``."""
    settings = {**global_conf, **local_conf}

    def auth_filter(app):
        return DeltacloudAuth(app, settings)
    return auth_filter
