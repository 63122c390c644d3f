"""The Deltacloud API over a libcloud provider, as a WSGI application.

The same routes, handlers, documents, negotiation and error documents as
the mock (:mod:`.api`, :mod:`.exchange`, :mod:`.documents`);
what differs is who answers: each request gets a
:class:`~.drivers.libcloud.Session` built from its own Basic credentials
(the provider's key and secret) and region (``X-Deltacloud-Provider``, else
the configured one).  Nothing here checks or keeps credentials: the
provider does, and its refusal is the 401.  There is no ``/_mock/``
control plane, no fault injection and no switches.

A server may also serve the mock (``--driver libcloud:ec2,mock``): a
request that selects ``mock`` (``X-Deltacloud-Driver`` or ``/api;driver=``)
goes to the mock's own application, as Deltacloud's server switched
drivers per request; ``/api/drivers`` lists the drivers served.
"""

import logging
import time

import webob

from heat_deltacloud.mock import control, models
from heat_deltacloud.mock.drivers import DRIVERS
from heat_deltacloud.server import protocol
from heat_deltacloud.server.exchange import PRODUCIBLE, UNKNOWN_URL, \
    Exchange, Halt, decorate, empty, find_route, plain, require_collection, \
    target

LOG = logging.getLogger("heat_deltacloud.server")


class ServerExchange(Exchange):
    """An exchange whose cloud is the request's provider session."""

    def __init__(self, app, request, route, args, fmt, provider):
        super().__init__(app, request, route, args, fmt, provider,
                         app.backend.descriptor)
        self.controls = app.controls
        self._session = None
        self.renderer.can_run = app.backend.can_run
        self.renderer.can_destroy_image = app.backend.can_destroy_image

    @property
    def cloud(self):
        if self._session is None:
            key, secret = self.credentials_or_401()
            self._session = self.app.backend.session(key, secret,
                                                     self.provider)
        return self._session

    @cloud.setter
    def cloud(self, value):  # Exchange.__init__ assigns the app's
        pass

    def close(self):
        if self._session is not None:
            self._session.close()

    def credentials_or_401(self):
        if self.credentials is None:
            raise models.MockError(401, "Unauthorized")
        return self.credentials

    def authenticate(self):
        """The access key: the provider judges the secret on first use."""
        return self.credentials_or_401()[0]

    def check_credentials_for_force_auth(self):
        """``/api?force_auth``: one cheap provider call judges them (the
        Heat side's credential check); refused is plain-text 401."""
        self.credentials_or_401()
        try:
            self.cloud.verify()
        except models.MockError as error:
            if error.status == 401:
                raise Halt(plain(401, "Authentication failed")) from None
            raise


class ServerApp:
    """WSGI: the Deltacloud API of one libcloud :class:`Backend`."""

    #: Exchanges take the app's cloud; here each builds its own session.
    cloud = None

    def __init__(self, backend, *, mock=None, realm="deltacloud"):
        self.backend = backend
        #: The mock's WSGI app, for requests that select ``mock``; or None.
        self.mock = mock
        self.controls = control.Controls()
        self.realm = realm
        self.descriptors = {backend.descriptor.name: backend.descriptor}
        if mock is not None:
            self.descriptors["mock"] = DRIVERS["mock"]

    def __repr__(self):
        return f"<ServerApp {self.backend!r}>"

    def __call__(self, environ, start_response):
        if self.mock is not None and _selected(environ) == "mock":
            return self.mock(environ, start_response)
        request = webob.Request(environ)
        started = time.monotonic()
        try:
            response = self._answer(request)
        except UnicodeDecodeError:
            response = plain(400, protocol.NOT_UTF8)
        self._decorate(response)
        credentials = protocol.basic_credentials(
            request.headers.get("Authorization"))
        # The access key only: never the secret, never the query.
        LOG.info("%s %s %s %.3fs key=%s", request.method, request.path,
                 response.status_code, time.monotonic() - started,
                 credentials[0] if credentials else "-")
        return response(environ, start_response)

    def _answer(self, request):
        request.path_info.encode()
        if not request.environ.get("HTTP_HOST"):
            return plain(400, "Unable to find HTTP Host header")
        method, path, matrix = target(request)
        driver = (request.headers.get("X-Deltacloud-Driver")
                  or matrix.get("driver") or "").lower()
        if driver and driver != self.backend.descriptor.name:
            return plain(400, f"Driver '{driver}' is not available: this "
                              f"server serves "
                              f"{', '.join(map(repr, self.descriptors))}")
        provider = (request.headers.get("X-Deltacloud-Provider")
                    or matrix.get("provider") or None)
        route, args = find_route("GET" if method == "HEAD" else method,
                                 path)
        if route is None:
            return plain(404, UNKNOWN_URL.decode())
        fmt = next((f for f in protocol.negotiate(
            request.GET.get("format"), request.headers.get("Accept"))
            if f in PRODUCIBLE), None)
        if fmt not in protocol.CONTENT_TYPES:  # HTML (a browser): 406
            return empty(406)
        ex = ServerExchange(self, request, route, args, fmt, provider)
        try:
            response = self._run(ex)
        except models.MockError as error:
            response = self._error(ex, error)
        except Halt as halt:
            response = halt.response
        finally:
            ex.close()
        if method == "HEAD":
            response.body = b""
        return response

    def _run(self, ex):
        if ex.route.template.startswith("/api/drivers"):
            return self._drivers(ex)
        require_collection(ex, self.controls)
        ex.validate()
        return ex.route.handler(ex)

    def _error(self, ex, error):
        message = error.message
        if ex.route.index and error.status in (401, 403, 404):
            message = protocol.DEFAULT_MESSAGES.get(error.status, message)
        response = ex.error(error.status, message)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = \
                f'Basic realm="{self.realm}"'
        return response

    def _drivers(self, ex):
        """``/api/drivers[/:id]``: the drivers this server serves."""
        render = ex.renderer
        ident = ex.args.get("id")
        if ident is None:
            found = list(self.descriptors.values())
            if ex.fmt == "json":
                return ex.respond_json(200, render.drivers_json(found))
            return ex.respond(200, render.drivers_xml(found))
        if ident not in self.descriptors:
            raise models.not_found()
        found = self.descriptors[ident]
        if ex.fmt == "json":
            return ex.respond_json(200, render.driver_json(found))
        return ex.respond(200, render.driver_xml(found))

    def _decorate(self, response):
        """The mock's headers: Server, driver, Date, ETag."""
        decorate(response, self.backend.descriptor.name, None)


def _selected(environ):
    """The driver a request selects (header, else ``/api;driver=``)."""
    header = environ.get("HTTP_X_DELTACLOUD_DRIVER")
    if header:
        return header.lower()
    path = environ.get("PATH_INFO", "")
    return protocol.split_matrix(path)[1].get("driver", "").lower()
