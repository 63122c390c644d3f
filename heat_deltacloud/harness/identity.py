"""A minimal Keystone v3 endpoint: what Heat's functional tests ask of one.

heat_integrationtests always build a keystoneauth password plugin from
``[heat_plugin] auth_url``; with ``OS_NO_CLIENT_AUTH`` their Heat client
does not use it, but the tests that look for a service in the catalog
(``is_service_available``) or use the compute client do.  This app answers
those calls for real:

``GET /v3``
    version discovery;
``POST /v3/auth/tokens``
    a password login, checked against Deltacloud (the same credentials
    heat-api's filter checks), answered with a token whose catalog lists
    only the services this setup runs: orchestration (heat-api, project =
    user name, as the filter sets it) and cloudformation (heat-api-cfn);
``GET``/``HEAD /v3/auth/tokens``
    validation of a token it issued.

Anything else is 404 or 501, so a test needing more of Keystone fails
saying so.  Tokens live in memory and are random; passwords are never
stored or logged.
"""

import datetime
import json
import logging
import secrets
import threading

import requests
import webob
import webob.dec

LOG = logging.getLogger(__name__)

DOMAIN = {"id": "default", "name": "Default"}
ROLES = [{"id": "member", "name": "member"},
         {"id": "reader", "name": "reader"}]
TOKEN_HOURS = 12
CHECK_TIMEOUT = (5, 30)


class IdentityApp:
    """``catalog`` maps service type → endpoint URL; ``{project_id}`` in a
    URL is replaced by the token's project."""

    def __init__(self, deltacloud_url, catalog, *, region="RegionOne"):
        self.deltacloud_url = deltacloud_url.rstrip("/")
        self.catalog = dict(catalog)
        self.region = region
        self._tokens = {}
        self._lock = threading.Lock()

    @webob.dec.wsgify
    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path in ("", "/v3"):
            return _json(self._version(request))
        if path == "/v3/auth/tokens":
            if request.method == "POST":
                return self._login(request)
            if request.method in ("GET", "HEAD"):
                return self._validate(request)
        if path.startswith("/v3"):
            return _error(501, "Not Implemented",
                          f"{request.method} {path} is not implemented by "
                          "the harness's minimal identity endpoint")
        return _error(404, "Not Found", f"no resource at {path}")

    def _version(self, request):
        return {"version": {
            "id": "v3.14", "status": "stable",
            "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self",
                       "href": f"{request.host_url}/v3/"}],
            "media-types": [{
                "base": "application/json",
                "type": "application/vnd.openstack.identity-v3+json"}]}}

    def _login(self, request):
        try:
            auth = json.loads(request.body)["auth"]
            user = auth["identity"]["password"]["user"]
            name, password = user["name"], user["password"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "Bad Request",
                          "expected a password login: auth.identity."
                          "password.user.name and .password")
        if not isinstance(name, str) or not isinstance(password, str):
            return _error(400, "Bad Request", "name and password must be "
                                              "strings")
        try:
            answer = requests.get(f"{self.deltacloud_url}/instances",
                                  auth=(name, password),
                                  headers={"Accept": "application/xml"},
                                  timeout=CHECK_TIMEOUT)
        except requests.RequestException:
            return _error(503, "Service Unavailable",
                          "Deltacloud did not answer the credential check")
        if answer.status_code in (401, 403):
            return _error(401, "Unauthorized", "The request you have made "
                          "requires authentication.")
        if answer.status_code >= 400:
            return _error(503, "Service Unavailable",
                          f"Deltacloud answered {answer.status_code} to the "
                          "credential check")
        token_id = secrets.token_hex(16)
        token = self._token(name)
        with self._lock:
            self._tokens[token_id] = token
        return _json({"token": token}, status=201,
                     headers={"X-Subject-Token": token_id})

    def _validate(self, request):
        with self._lock:
            token = self._tokens.get(request.headers.get("X-Subject-Token"))
        if token is None:
            return _error(404, "Not Found", "no such token")
        return _json({"token": token})

    def _token(self, user):
        now = datetime.datetime.now(datetime.UTC)
        expires = now + datetime.timedelta(hours=TOKEN_HOURS)
        project = {"id": user, "name": user, "domain": DOMAIN}
        return {
            "methods": ["password"],
            "user": {"id": user, "name": user, "domain": DOMAIN,
                     "password_expires_at": None},
            "project": project,
            "roles": ROLES,
            "is_domain": False,
            "issued_at": _timestamp(now),
            "expires_at": _timestamp(expires),
            "catalog": [self._service(kind, url.format(project_id=user))
                        for kind, url in self.catalog.items()],
        }

    def _service(self, kind, url):
        return {"type": kind, "id": kind, "name": kind, "endpoints": [
            {"id": f"{kind}-{interface}", "interface": interface,
             "region": self.region, "region_id": self.region, "url": url}
            for interface in ("public", "internal", "admin")]}


def _timestamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _json(document, status=200, headers=None):
    response = webob.Response(json_body=document, status=status)
    response.headers.update(headers or {})
    return response


def _error(code, title, message):
    return _json({"error": {"code": code, "title": title,
                            "message": message}}, status=code)
