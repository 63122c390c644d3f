"""The identity endpoint: the part of Keystone v3 OpenStack clients use.

::

    [app:identity]
    paste.app_factory = heat_deltacloud.heat.identity.app:app_factory

Served under ``/identity`` of heat-api by the package's api-paste.ini (or
as its own app, ``heat-identity``).  Routes, relative to where it is
mounted:

``GET /``, ``GET /v3``
    version discovery (Keystone's documents; ``/`` answers 300).
``POST /v3/auth/tokens``
    ``password`` login.  A user named by ``name`` is a Deltacloud user,
    checked with Deltacloud as heat-api's ``deltacloud_auth`` filter
    checks one (same cache, same errors); the project is the user.  A user
    named by ``id`` that is a stack user is checked against its stored
    password hash and scoped to its stack's project with the role
    ``heat_stack_user``.  ``token`` re-authentication gives a new token
    for the same user and project that expires no later.  201 with
    ``X-Subject-Token``.
``GET``/``HEAD``/``DELETE /v3/auth/tokens``
    validation and revocation of ``X-Subject-Token``, for the holder of
    ``X-Auth-Token`` (the same user).
``GET /v3/auth/catalog``, ``GET /v3/auth/projects``
    for ``X-Auth-Token``.

The catalog lists ``orchestration`` (``[clients_heat] url``, else heat-api
in front of which this app is mounted), ``cloudformation``
(``heat_metadata_server_url``) and ``identity``, in the region
``[DEFAULT] region_name_for_services`` (``RegionOne`` when unset).

Everything else is Keystone's error document: 404 outside ``/v3``, 501
for the rest of the v3 API, 405 for another method on a served route, 500
(with no detail) if something breaks.  Secrets are never logged or
echoed.

Paste options (``local_conf``): ``roles`` (of Deltacloud users, default
``member,reader``, as the filter's), ``cache_ttl``, ``cache_size``,
``validate_retries`` (of the Deltacloud credential check).
"""

import json
import logging
import urllib.parse

import webob
import webob.dec
from oslo_config import cfg

from heat_deltacloud.heat import auth, opts, stackusers
from heat_deltacloud.heat.identity import tokens

LOG = logging.getLogger(__name__)

DEFAULTS = {"roles": "member,reader", "cache_ttl": "60",
            "cache_size": "1024", "validate_retries": "1"}
MAX_BODY = 65536
DEFAULT_REGION = "RegionOne"
MEDIA_TYPE = "application/vnd.openstack.identity-v3+json"
V3_UPDATED = "2024-04-01T00:00:00Z"

UNAUTHORIZED = "The request you have made requires authentication."
#: Interfaces each catalog endpoint is listed under.
INTERFACES = ("public", "internal", "admin")


class IdentityError(Exception):
    """Answered with Keystone's error document; ``str()`` is safe."""

    def __init__(self, code, title, message=None):
        super().__init__(message or title)
        self.code = code
        self.title = title


def unauthorized(message=UNAUTHORIZED):
    return IdentityError(401, "Unauthorized", message)


def bad_request(message):
    return IdentityError(400, "Bad Request", message)


def forbidden(message="You are not authorized to perform the requested "
                      "action."):
    return IdentityError(403, "Forbidden", message)


def display(native):
    """A WSGI-native name (UTF-8 bytes as latin-1) as text."""
    return native.encode("latin-1").decode("utf-8", "replace")


def native(text):
    """Text from a JSON body in WSGI-native form, as the filter sees
    ``X-Auth-User``/``X-Auth-Key`` and Basic credentials."""
    return text.encode("utf-8").decode("latin-1")


def _quote(native_text):
    return urllib.parse.quote(native_text.encode("latin-1"), safe="")


def _option(conf, name, group=None):
    try:
        return getattr(conf[group] if group else conf, name)
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError, KeyError):
        return None


class IdentityApp:
    """The WSGI app (see the module's documentation)."""

    def __init__(self, settings=None, conf=None, provider=None,
                 checker=None):
        self.conf = opts.registered(conf or cfg.CONF)
        settings = {**DEFAULTS, **{k: v for k, v in (settings or {}).items()
                                   if k in DEFAULTS}}
        self.roles = tuple(r.strip() for r in settings["roles"].split(",")
                           if r.strip())
        self.tokens = provider or tokens.TokenProvider(self.conf)
        # The filter's credential check, cache and errors, reused.
        self.checker = checker or auth.DeltacloudAuth(None, {
            "cache_ttl": settings["cache_ttl"],
            "cache_size": settings["cache_size"],
            "validate_retries": settings["validate_retries"]},
            conf=self.conf)
        tokens.configured_keys(self.conf)  # fail at start, not at login
        if self.tokens.uses_heat_default_key():
            LOG.warning("Identity tokens are keyed from Heat's default "
                        "auth_encryption_key, which is public: anybody can "
                        "forge them.  Set [deltacloud] token_keys or "
                        "auth_encryption_key.")

    def __repr__(self):
        return "<IdentityApp>"

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            return self.dispatch(req)
        except IdentityError as exc:
            return self.error(req, exc)
        except tokens.Unavailable:
            return self.error(req, IdentityError(
                503, "Service Unavailable",
                "The stack user store cannot be read; try again later."))
        except Exception as exc:  # never a traceback to the client
            LOG.error("The identity endpoint failed on %s %s: %s",
                      req.method, req.path_info, type(exc).__name__)
            return self.error(req, IdentityError(
                500, "Internal Server Error",
                "An unexpected error prevented the server from fulfilling "
                "your request."))

    # Routing -------------------------------------------------------------

    def dispatch(self, req):
        path = req.path_info
        trimmed = path.rstrip("/")
        if trimmed == "":
            self._methods(req, "GET", "HEAD")
            return self._json(req, {"versions": {"values": [
                self._version(req)]}}, status=300)
        if trimmed == "/v3":
            self._methods(req, "GET", "HEAD")
            return self._json(req, {"version": self._version(req)})
        if trimmed == "/v3/auth/tokens":
            if req.method == "POST":
                return self.login(req)
            self._methods(req, "GET", "HEAD", "DELETE", "POST")
            return self.subject(req)
        if trimmed == "/v3/auth/catalog":
            self._methods(req, "GET", "HEAD")
            token = self._caller(req)
            return self._json(req, {"catalog": self.catalog(req, token),
                                    "links": self._links(req)})
        if trimmed == "/v3/auth/projects":
            self._methods(req, "GET", "HEAD")
            token = self._caller(req)
            return self._json(req, {"projects": [self._project(token)],
                                    "links": self._links(req)})
        if path == "/v3" or path.startswith("/v3/"):
            raise IdentityError(
                501, "Not Implemented",
                "heat-deltacloud's identity endpoint serves version "
                "discovery and /v3/auth/tokens only.")
        raise IdentityError(404, "Not Found",
                            "The resource could not be found.")

    @staticmethod
    def _methods(req, *allowed):
        if req.method not in allowed:
            raise IdentityError(405, "Method Not Allowed",
                                f"{req.method} is not allowed here.")

    # Documents -----------------------------------------------------------

    def _version(self, req):
        return {
            "id": "v3.14", "status": "stable", "updated": V3_UPDATED,
            "links": [{"rel": "self", "href": f"{req.application_url}/v3/"}],
            "media-types": [{"base": "application/json",
                             "type": MEDIA_TYPE}]}

    @staticmethod
    def _links(req):
        return {"self": req.url, "previous": None, "next": None}

    def _json(self, req, doc, status=200, headers=None):
        response = webob.Response(status=status, charset="UTF-8",
                                  content_type="application/json")
        if req.method != "HEAD":
            response.body = json.dumps(doc).encode()
        else:
            response.content_length = len(json.dumps(doc).encode())
        response.headers.update(headers or {})
        response.headers["Vary"] = "X-Auth-Token"
        return response

    def error(self, req, exc):
        response = webob.Response(
            status=exc.code, charset="UTF-8",
            content_type="application/json",
            body=json.dumps({"error": {"code": exc.code, "title": exc.title,
                                       "message": str(exc)}}).encode())
        if exc.code == 401:
            response.headers["WWW-Authenticate"] = (
                f'Keystone uri="{req.application_url}"')
        if exc.code == 503:
            response.headers["Retry-After"] = "5"
        if req.method == "HEAD":
            response.body = b""
        return response

    # Login ---------------------------------------------------------------

    def _body(self, req):
        if req.content_length and req.content_length > MAX_BODY:
            raise IdentityError(413, "Request Entity Too Large",
                                "The request body is too large.")
        try:
            doc = json.loads(req.body_file.read(MAX_BODY + 1))
            auth_doc = doc["auth"]
            identity = auth_doc["identity"]
            methods = identity["methods"]
        except (ValueError, KeyError, TypeError, RecursionError):
            raise bad_request("Expecting to find auth.identity.methods in "
                              "the request body.") from None
        if not isinstance(methods, list) or not methods:
            raise bad_request("auth.identity.methods must be a list.")
        return auth_doc, identity, methods

    def login(self, req):
        auth_doc, identity, methods = self._body(req)
        scope = auth_doc.get("scope")
        if "password" in methods:
            token_id, token = self._password_login(req, identity, scope)
            methods = ["password"]
        elif "token" in methods:
            token_id, token = self._token_login(identity, scope)
            methods = ["token"]
        else:
            raise unauthorized("Only the password and token methods are "
                               "supported.")
        LOG.info("Issued a %s token to %s (project %s)", token.kind,
                 display(token.user_id), display(token.project_id))
        body = self.token_document(req, token, methods)
        return self._json(req, body, status=201,
                          headers={"X-Subject-Token": token_id})

    def _password_login(self, req, identity, scope):
        try:
            user = identity["password"]["user"]
            password = user["password"]
        except (KeyError, TypeError):
            raise bad_request("Expecting to find password.user.password in "
                              "the request body.") from None
        user_id, name = user.get("id"), user.get("name")
        if not isinstance(password, str) or not all(
                v is None or isinstance(v, str) for v in (user_id, name)):
            raise bad_request("User ids, names and passwords are strings.")
        if name is None and user_id is None:
            raise bad_request("Expecting to find password.user.id or "
                              "password.user.name.")
        if user_id is not None and name is None:
            found = self._stack_user(user_id)
            if found is not None:
                return self._stack_user_login(found, password, scope)
        self._check_domain(user.get("domain"))
        return self._deltacloud_login(req, name if name is not None
                                      else user_id, password, scope)

    def _stack_user(self, user_id):
        if len(user_id) > 64:
            return None
        try:
            return tokens.stack_user(self.tokens.store, user_id)
        except stackusers.STORE_ERRORS as exc:
            LOG.error("Cannot read the stack users: %s",
                      type(exc).__name__)
            raise tokens.Unavailable() from None

    def _stack_user_login(self, user, password, scope):
        if not user.enabled or not stackusers.check_password(
                password, user.password_hash):
            LOG.info("Refused a login of stack user %s", user.id)
            raise unauthorized()
        project = self._scope_project(scope)
        if project is not None and project != ("id", user.project_id):
            LOG.info("Refused stack user %s a scope outside its project",
                     user.id)
            raise unauthorized()
        return self.tokens.issue_stack_user(user.id, user.name,
                                            user.project_id)

    @staticmethod
    def _check_domain(domain):
        if domain is None:
            return
        if not isinstance(domain, dict):
            raise bad_request("user.domain must be an object.")
        if (domain.get("id") not in (None, tokens.DOMAIN["id"])
                or (domain.get("name") or "default").lower() != "default"):
            raise unauthorized()

    @staticmethod
    def _scope_project(scope):
        """``None`` (no scope) or ``("id"|"name", native value)``."""
        if scope is None:
            return None
        if not isinstance(scope, dict) or set(scope) - {"project"}:
            # Domain, system and trust scopes need Keystone.
            raise unauthorized("Only project scopes are supported.")
        project = scope["project"]
        if not isinstance(project, dict):
            raise bad_request("scope.project must be an object.")
        IdentityApp._check_domain(project.get("domain"))
        for key in ("id", "name"):
            if isinstance(project.get(key), str):
                return key, native(project[key])
        raise bad_request("scope.project needs an id or a name.")

    def _deltacloud_login(self, req, name, password, scope):
        checker = self.checker
        user, key = native(name), native(password)
        try:
            auth._check_field(user, "the user name")
            auth._check_field(key, "the password")
        except auth.AuthError as exc:
            raise bad_request(str(exc)) from None
        if not user or ":" in user:
            raise unauthorized()
        project = self._scope_project(scope)
        if project is not None and project[1] != user:
            LOG.info("Refused %s a scope on another project", user)
            raise unauthorized()
        options = self.conf.deltacloud
        try:
            url, from_client = auth.deltacloud_url(
                options, req.headers.get("X-Auth-Url"))
        except auth.Missing:
            raise unauthorized("No Deltacloud URL is configured "
                               "([deltacloud] url).") from None
        except auth.UrlRefused as exc:
            raise IdentityError(403, "Forbidden", str(exc)) from None
        except auth.AuthError as exc:
            raise bad_request(str(exc)) from None
        creds = auth.Credentials(
            user=user, key=key, url=url, url_from_client=from_client,
            driver=options.driver, provider=options.provider)
        try:
            checker.authenticate(creds)
        except auth.Rejected:
            raise unauthorized() from None
        except auth.Unavailable as exc:
            raise IdentityError(503, "Service Unavailable", str(exc)
                                ) from None
        except auth.AuthError as exc:
            raise bad_request(str(exc)) from None
        return self.tokens.issue_user(
            user, key, url, roles=self.roles, driver=options.driver,
            provider=options.provider)

    def _token_login(self, identity, scope):
        try:
            token_id = identity["token"]["id"]
        except (KeyError, TypeError):
            raise bad_request("Expecting to find token.id in the request "
                              "body.") from None
        token = self._verified(token_id)
        project = self._scope_project(scope)
        if project is not None and project[1] != token.project_id:
            raise unauthorized()
        if token.is_stack_user:
            return self.tokens.issue_stack_user(
                token.user_id, token.user_name, token.project_id,
                expires_at=token.expires_at)
        return self.tokens.issue_user(
            token.user_name, token.password, token.deltacloud_url,
            roles=token.roles, driver=token.driver,
            provider=token.provider, expires_at=token.expires_at)

    # Validation ----------------------------------------------------------

    def _verified(self, token_id):
        try:
            return self.tokens.verify(token_id)
        except tokens.InvalidToken as exc:
            LOG.info("Refused a token: %s", exc)
            raise unauthorized() from None

    def _caller(self, req):
        token_id = req.headers.get("X-Auth-Token")
        if not token_id:
            raise unauthorized()
        return self._verified(token_id)

    def subject(self, req):
        caller = self._caller(req)
        subject_id = req.headers.get("X-Subject-Token")
        if not subject_id:
            raise bad_request("X-Subject-Token is required.")
        try:
            subject = self.tokens.verify(subject_id)
        except tokens.InvalidToken as exc:
            LOG.info("Subject token refused: %s", exc)
            raise IdentityError(404, "Not Found",
                                "Could not find the token.") from None
        if (subject.kind, subject.user_id) != (caller.kind, caller.user_id):
            raise forbidden()
        if req.method == "DELETE":
            self.tokens.revoke(subject)
            LOG.info("Revoked a token of %s", display(subject.user_id))
            return webob.Response(status=204)
        methods = ["password"]
        doc = self.token_document(req, subject, methods,
                                  catalog="nocatalog" not in req.params)
        return self._json(req, doc, headers={"X-Subject-Token": subject_id})

    # Token documents -----------------------------------------------------

    def _project(self, token):
        return {"id": display(token.project_id),
                "name": display(token.project_id),
                "domain_id": tokens.DOMAIN["id"], "enabled": True,
                "is_domain": False, "parent_id": tokens.DOMAIN["id"],
                "description": "", "links": {}}

    def token_document(self, req, token, methods, catalog=True):
        doc = {
            "methods": methods,
            "user": {"id": display(token.user_id),
                     "name": display(token.user_name),
                     "domain": dict(tokens.DOMAIN),
                     "password_expires_at": None},
            "project": {"id": display(token.project_id),
                        "name": display(token.project_id),
                        "domain": dict(tokens.DOMAIN)},
            "roles": [{"id": role, "name": role} for role in token.roles],
            "is_domain": False,
            "issued_at": tokens.isotime(token.issued_at),
            "expires_at": tokens.isotime(token.expires_at),
            "audit_ids": [token.audit_id],
        }
        if catalog:
            doc["catalog"] = self.catalog(req, token)
        return {"token": doc}

    @property
    def region(self):
        return (_option(self.conf, "region_name_for_services")
                or DEFAULT_REGION)

    def service_urls(self, req, project_id):
        """Service type -> URL for a token of ``project_id``."""
        urls = {}
        project = _quote(project_id)
        heat_url = _option(self.conf, "url", "clients_heat")
        if heat_url:
            urls["orchestration"] = heat_url % {"tenant_id": project}
        elif req.script_name.endswith("/identity"):
            # Mounted in heat-api's url map: heat-api is the parent.
            base = req.host_url + req.script_name[:-len("/identity")]
            urls["orchestration"] = f"{base}/v1/{project}"
        cfn = _option(self.conf, "heat_metadata_server_url")
        if not cfn:
            wait = _option(self.conf, "heat_waitcondition_server_url")
            if wait and "/waitcondition" in wait:
                cfn = wait.split("/waitcondition")[0]
        if cfn:
            urls["cloudformation"] = cfn.rstrip("/")
        urls["identity"] = (self.conf.deltacloud.identity_url
                            or f"{req.application_url}/v3")
        return urls

    def catalog(self, req, token):
        region = self.region
        return [{
            "type": kind, "id": kind, "name": NAMES[kind],
            "endpoints": [{
                "id": f"{kind}-{interface}", "interface": interface,
                "region": region, "region_id": region, "url": url}
                for interface in INTERFACES]}
            for kind, url in self.service_urls(
                req, token.project_id).items()]


NAMES = {"orchestration": "heat", "cloudformation": "heat-cfn",
         "identity": "keystone"}


def app_factory(global_conf, **local_conf):
    """Paste entry point of the identity app."""
    return IdentityApp({**global_conf, **local_conf})
