"""The Deltacloud HTTP layer's exchange: one request being answered.

:class:`Exchange` carries a request's format, parameters and credentials
to the handlers of :mod:`.api` and renders what they return
(:mod:`.documents`); :func:`plain`, :func:`empty` and :class:`Halt` are the
routing layer's answers and :func:`decorate` the headers every answer
gets.  The mock's application (:mod:`heat_deltacloud.mock.wsgi`) and the
server's (:mod:`.app`) both answer through them.
"""

import email.utils
import hashlib
import json
import re
import time

import webob

from heat_deltacloud.mock import drivers, models
from heat_deltacloud.server import api, documents, protocol

SERVER = "Apache-Deltacloud/1.1.3"
#: Formats an API route can produce; HTML (the real browser UI) is 406.
PRODUCIBLE = ("xml", "json", "html")
UNKNOWN_URL = b"<h1>Not Found</h1>"
COMPILED = [(route, protocol.template_regex(route.template))
            for route in api.ROUTES]
#: Parameters never echoed back in error documents.
SECRET_PARAMS = frozenset({"password", "private_key"})
#: Characters XML 1.0 cannot carry: a parameter holding one could be
#: neither stored and shown nor echoed in an error document.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff"
                     "\ufffe\uffff]")


class Halt(Exception):
    """Answer at once with a prepared response (the real ``halt``)."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


def plain(status, text, **headers):
    """A routing-layer answer: text with Sinatra's default type."""
    response = webob.Response(status=status, body=text.encode(),
                              content_type=None, headerlist=[])
    response.headers["Content-Type"] = protocol.SINATRA_TEXT
    response.headers.update(headers)
    return response


def empty(status):
    return webob.Response(status=status, body=b"", content_type=None,
                          headerlist=[])


class Exchange:
    """One API request being answered: its format, parameters, user."""

    def __init__(self, app, request, route, args, fmt, provider,
                 driver=None):
        self.app, self.request, self.route = app, request, route
        self.args, self.fmt, self.provider = args, fmt, provider
        #: The emulated driver (:class:`.drivers.Driver`) in effect.
        self.driver = driver or drivers.DRIVERS[drivers.DEFAULT]
        self.cloud, self.controls = app.cloud, app.controls
        self.renderer = documents.Renderer(
            f"{request.host_url}/api", driver=self.driver.name,
            provider=provider, actions_for=self.driver.actions_for,
            cache=getattr(app, "fragments", None))
        if self.driver.rule_id is not None:
            self.renderer.rule_id = self.driver.rule_id
        if self.driver.present_instance is not None:
            self.renderer.present = self.driver.present_instance
        self.credentials = protocol.basic_credentials(
            request.environ.get("HTTP_AUTHORIZATION"))
        self._user = None
        self._params = None

    # -- parameters -----------------------------------------------------------

    @property
    def params(self):
        """Query, then form, then route parameters, as Sinatra merges."""
        return dict(self._merged())

    def param(self, name):
        return self._merged().get(name)

    def _merged(self):
        """:attr:`params`, merged once per exchange."""
        if self._params is None:
            merged = dict(self.request.GET)
            if self.request.method == "POST":
                merged.update(self.request.POST)
            merged.update(self.args)
            self._params = merged
        return self._params

    def filters(self, *names):
        """List filters: every named parameter sent, even empty."""
        return {name: self.param(name) for name in names
                if self.param(name) is not None}

    def validate(self):
        """The routing layer's 400s, before the driver runs."""
        params = self.params
        for name, value in params.items():
            if not isinstance(value, str):  # an uploaded file
                continue
            if NOT_XML.search(name) or NOT_XML.search(value):
                raise Halt(plain(400, protocol.not_xml_message(name)))
        for name in self.route.required:
            if name not in params:
                raise Halt(plain(400, protocol.required_message(
                    name, list(params))))
        for name, allowed in self.route.enums:
            if params.get(name) not in allowed:
                raise Halt(plain(400, protocol.enum_message(
                    name, params.get(name) or "", allowed)))

    # -- credentials (checked lazily, when a handler needs them) --------------

    @property
    def user(self):
        return self.authenticate()

    def authenticate(self):
        if self._user is None:
            if self.credentials is None:
                raise models.MockError(401, "Unauthorized")
            if not self.app.valid(*self.credentials):
                raise models.MockError(401, "Authentication Failure")
            self._user = self.credentials[0]
        return self._user

    def check_credentials_for_force_auth(self):
        """``/api?force_auth``: wrong credentials get plain text."""
        if self.credentials is None:
            raise models.MockError(401, "Unauthorized")
        if not self.app.valid(*self.credentials):
            raise Halt(plain(401, "Authentication failed"))

    # -- responses ------------------------------------------------------------

    def respond(self, status, body, content_type=None):
        response = webob.Response(status=status, body=body,
                                  content_type=None, headerlist=[])
        # Content-Length is the only header yet: append, not replace.
        response.headerlist.append(("Content-Type", content_type or
                                    protocol.CONTENT_TYPES[self.fmt]))
        return response

    def respond_json(self, status, doc):
        return self.respond(status, json.dumps(doc).encode(),
                            "application/json")

    @staticmethod
    def empty(status):
        return empty(status)

    def no_content(self):
        return empty(204)

    def one(self, kind, obj, *extra, status=200, location=None):
        response = self.respond(status, self.renderer.one_document(
            kind, obj, self.fmt, *extra))
        if location:
            response.headers["Location"] = self.renderer.href(*location)
        return response

    def many(self, kind, objs, *extra):
        return self.respond(200, self.renderer.many_document(
            kind, objs, self.fmt, *extra))

    def error(self, status, message):
        if self.fmt == "json":
            return self.respond_json(status, self.renderer.error_json(
                status, message,
                protocol.ERROR_CLASSES.get(status, "BackendError")))
        shown = [(name, json.dumps(value if isinstance(value, str)
                                   else repr(value), ensure_ascii=False))
                 for name, value in self.params.items()
                 if name not in SECRET_PARAMS]
        return self.respond(status, self.renderer.error_xml(
            status, message, self.request.path, shown), "application/xml")


def find_route(method, path):
    """``(route, args)`` of the route for ``method`` and ``path``, or
    ``(None, {})``."""
    for route, regex in COMPILED:
        if route.method == method:
            match = regex.match(path)
            if match:
                return route, match.groupdict()
    return None, {}


def require_collection(ex, controls):
    """Halt with the real server's 412 when the route's collection is
    switched off for the exchange's driver."""
    collection = ex.route.collection
    if collection and not controls.collection_enabled(collection,
                                                      ex.driver):
        raise Halt(plain(412, protocol.MISSING_CAPABILITY,
                         Expect=ex.route.capability or collection))


def target(request, path=None):
    """``(method, path, matrix)`` as Deltacloud's server routes a request:
    a form's ``_method`` overrides POST, ``;name=value`` matrix parameters
    are split off the path (and dropped on POST), ``/api/`` is ``/api``.
    ``path``: ``request.path``, when the caller has it already."""
    method = request.method
    if method == "POST" and request.POST.get("_method"):
        method = request.POST["_method"].upper()
    path, matrix = protocol.split_matrix(
        request.path if path is None else path)
    if path == "/api/":
        path = "/api"
    if method == "POST":
        matrix = {}
    return method, path, matrix


def decorate(response, driver, provider):
    """Server, driver, provider, Date, and an ETag on a 200/201 body:
    each replaces a header of its name, in one pass over the list."""
    added = [("Server", SERVER), ("X-Deltacloud-Driver", driver)]
    if provider:
        added.append(("X-Deltacloud-Provider", provider))
    added.append(("Date", http_date()))
    headerlist, body = response.headerlist, response.body
    if response.status_code in (200, 201) and body and \
            not any(name.lower() == "etag" for name, _ in headerlist):
        added.append(("ETag", body.md5 if isinstance(
            body, documents.Document) else hashlib.md5(
            body, usedforsecurity=False).hexdigest()))
        added.append(("Cache-Control", "max-age=0, private, "
                                       "must-revalidate"))
    names = {name.lower() for name, _ in added}
    headerlist[:] = [header for header in headerlist
                     if header[0].lower() not in names] + added
    return response


_date = (None, None)


def http_date():
    """``email.utils.formatdate(usegmt=True)``, formatted once a second."""
    global _date
    now = int(time.time())
    second, text = _date
    if second != now:
        text = email.utils.formatdate(now, usegmt=True)
        _date = (now, text)
    return text
