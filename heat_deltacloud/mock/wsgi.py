"""The mock's HTTP skin: dispatch, negotiation, auth, faults, headers.

:func:`make_app` builds an independent mock cloud as a WSGI application.
Requests under ``/_mock/`` go to the control plane (:mod:`.controlplane`);
everything else is the Deltacloud API (:mod:`heat_deltacloud.server.api`).
"""

import hmac
import re
import socket
import time

import webob

from heat_deltacloud.mock import control, controlplane, drivers, models
from heat_deltacloud.mock.guest import DEFAULT_TIMEOUT, DEFAULT_WORKERS, \
    Guest
from heat_deltacloud.server import documents, protocol, routing
from heat_deltacloud.server.exchange import PRODUCIBLE, UNKNOWN_URL, \
    Exchange, Halt, decorate, empty, find_route, plain, require_collection, \
    target

MOCK_CREDENTIALS = {"mockuser": "mockpassword"}


class ConnectionDropped(Exception):
    """Raised out of the app: close the connection without an answer.

    :class:`~.server.MockServer` does exactly that; an in-process caller
    sees the exception.
    """


class MockApp:
    """The Deltacloud API of one mock cloud, as a WSGI application."""

    def __init__(self, *, users=None, state_delay=0.0, pending_polls=0,
                 fix_user_data_feature=False, fixtures=None, guest=False,
                 guest_timeout=None, guest_workers=None, driver="mock"):
        if drivers.get(driver) is None:
            raise ValueError(f"unknown driver {driver!r}; the mock "
                             f"emulates {', '.join(drivers.DRIVERS)}")
        #: The driver requests get without a selection (``API_DRIVER``).
        self.default_driver = driver
        self._users = {**MOCK_CREDENTIALS, **(users or {})}
        self.guest = Guest(enabled=guest,
                           timeout=guest_timeout or DEFAULT_TIMEOUT,
                           workers=guest_workers or DEFAULT_WORKERS)
        self.cloud = models.Cloud(fixtures, state_delay=state_delay,
                                  pending_polls=pending_polls,
                                  observer=self.guest)
        self.controls = control.Controls(
            user_data_feature=fix_user_data_feature)
        #: Rendered instances by version (:class:`.documents.FragmentCache`).
        self.fragments = documents.FragmentCache()
        self.realm = f"mock-deltacloud@{socket.gethostname()}"

    def __repr__(self):
        return f"<MockApp users={sorted(self._users)}>"

    def valid(self, user, password):
        expected = self._users.get(user)
        return expected is not None and hmac.compare_digest(
            expected.encode(), password.encode())

    def reset(self):
        """Back to the seeded state; clears faults, switches, the log and
        guest boots."""
        self.cloud.reset()
        self.controls.reset()

    def close(self):
        """Kill guest boots and remove their files (guest mode only)."""
        self.guest.close()

    # -- WSGI -----------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        try:
            request.path_info.encode()
        except UnicodeDecodeError:
            return plain(400, protocol.NOT_UTF8)(environ, start_response)
        if request.path_info.startswith("/_mock/"):
            response = controlplane.handle(self, request)
        else:
            response = self.api(request)
        return response(environ, start_response)

    def api(self, request):
        self.controls.begin()
        credentials = protocol.basic_credentials(
            request.environ.get("HTTP_AUTHORIZATION"))
        path = request.path
        record = {"method": request.method, "template": path,
                  "path": path, "status": None,
                  "user": credentials[0] if credentials else None}
        try:
            try:
                response = self._answer(request, record)
            except UnicodeDecodeError:  # the query
                response = plain(400, protocol.NOT_UTF8)
            record["status"] = response.status_code
            return response
        finally:
            self.controls.record(**record)

    def _answer(self, request, record):
        started = time.monotonic()
        if not request.environ.get("HTTP_HOST"):
            return plain(400, "Unable to find HTTP Host header")
        method, path, matrix = target(request, record["path"])
        driver_name, provider = self._selection(request, matrix)
        record.update(method=method, template=path)
        if method == "OPTIONS":
            return decorate(self._options(path, driver_name),
                                  driver_name, provider)
        if method == "POST" and path == "/api":
            return decorate(self._switch(request), driver_name,
                                  provider)
        route, args, bare_head = self._route(method, path)
        if route is None:
            if bare_head:
                return decorate(empty(200), driver_name, provider)
            return decorate(plain(404, UNKNOWN_URL.decode()),
                                  driver_name, provider)
        record.update(template=route.template)
        fmt = next((f for f in protocol.negotiate(
            request.GET.get("format"), request.headers.get("Accept"))
            if f in PRODUCIBLE), None)
        if fmt not in protocol.CONTENT_TYPES and not route.raw:
            return decorate(empty(406), driver_name, provider)
        ex = Exchange(self, request, route, args,
                      fmt if fmt in protocol.CONTENT_TYPES else "xml",
                      provider, drivers.get(driver_name))
        ex.renderer.driver = driver_name
        try:
            response = self._run(ex, method, driver_name, record["path"])
        except models.MockError as error:
            response = self._error_response(ex, error)
        except Halt as halt:
            response = halt.response
        if route.runtime and response.status_code < 300:
            response.headers["X-Backend-Runtime"] = \
                f"{time.monotonic() - started:.6f}"
        if method == "HEAD":
            response.body = b""
        return decorate(response, driver_name, provider)

    def _selection(self, request, matrix):
        """(driver, provider) as ``Rack::DriverSelect`` sets them: the
        headers, else ``api[driver]``/``api[provider]`` (which the
        ``/api;driver=`` matrix parameters become), lower-cased."""
        def pick(name):
            value = (request.environ.get(f"HTTP_X_DELTACLOUD_{name.upper()}")
                     or matrix.get(name)
                     or request.GET.get(f"api[{name}]") or "")
            return value.lower() or None
        return pick("driver") or self.default_driver, pick("provider")

    def _options(self, path, driver_name):
        if path == "/api":
            driver = drivers.get(driver_name)
            if driver is None:
                return plain(500, _unknown_driver_message(driver_name))
            names = [name for name, _ in self.controls.entry_point(driver)]
            response = empty(200)
            response.headers["Allow"] = routing.api_allow(names)
            return response
        allow = routing.options_allow(path)
        if allow is None:
            return plain(404, UNKNOWN_URL.decode())
        response = empty(200)
        response.headers["Allow"] = allow
        response.headers["Content-Type"] = protocol.SINATRA_TEXT
        return response

    @staticmethod
    def _switch(request):
        """``POST /api`` with ``driver``/``provider``: 301 to the matrix
        URL (``server.rb``)."""
        driver, provider = (request.POST.get("driver"),
                            request.POST.get("provider"))
        root = f"{request.host_url}/api"
        if driver:
            target = f"{root};driver={driver}"
        elif provider and provider != "default":
            referrer = re.search(r";(driver)=(\w*).*$",
                                 request.referrer or "", re.IGNORECASE)
            target = (f"{root};driver={referrer.group(2)};provider="
                      f"{provider}" if referrer else
                      f"{root};provider={provider}")
        else:
            target = f"{root}/"
        response = empty(301)
        response.headers["Location"] = target
        response.headers["Content-Type"] = protocol.SINATRA_TEXT
        return response

    @staticmethod
    def _route(method, path):
        """(route, args, bare_head): ``HEAD`` takes a HEAD route, else the
        GET route's answer; an action path without either answers a bare
        200 (``bare_head``)."""
        tries = (method,)
        if method == "HEAD":
            tries = ("HEAD", "GET")
        for wanted in tries:
            route, args = find_route(wanted, path)
            if route is not None:
                return route, args, False
        return None, {}, method == "HEAD" and routing.head_only(path)

    def _run(self, ex, method, driver_name, path):
        """Faults, driver selection, capability, validation, handler
        (``path``: the request's)."""
        fault = self.controls.fault_for(method, ex.route.template, path)
        if fault is not None and not fault.after:
            self._apply(fault)
        if drivers.get(driver_name) is None and \
                not ex.route.template.startswith("/api/drivers"):
            raise models.MockError(500, _unknown_driver_message(driver_name))
        require_collection(ex, self.controls)
        ex.validate()
        response = ex.route.handler(ex)
        if fault is not None and fault.after:
            self._apply(fault)
        return response

    @staticmethod
    def _apply(fault):
        if fault.latency:
            time.sleep(fault.latency)
        if fault.drop:
            raise ConnectionDropped(f"fault on {fault.route}")
        if fault.status:
            raise models.MockError(fault.status, fault.message or
                                   protocol.DEFAULT_MESSAGES.get(
                                       fault.status, "Injected fault"))

    def _error_response(self, ex, error):
        """List operations rebuild errors from the status alone; others
        keep the driver's message (the real server's index/show split)."""
        message = error.message
        worded = ex.driver.not_found.get(error.collection)
        if worded and error.status == 404 and ex.route.method != "GET":
            message = worded.format(id=error.ident)
        if ex.route.index:
            message = protocol.DEFAULT_MESSAGES.get(error.status, message)
        response = ex.error(error.status, message)
        if error.status == 401 and ex.credentials is None:
            response.headers["WWW-Authenticate"] = \
                f'Basic realm="{self.realm}"'
        return response


def _unknown_driver_message(name):
    """The real server's answer to a driver it has no class for."""
    return (f"Driver '{name}' is not available (uninitialized constant "
            f"Deltacloud::Drivers::{drivers.class_name(name)}).")


def make_app(**options):
    """A new, independent mock cloud as a WSGI application.

    Options: ``users`` ({name: password}, added to mockuser/mockpassword),
    ``state_delay`` (seconds) and ``pending_polls`` (reads) for new
    instances to stay PENDING, ``fix_user_data_feature`` (advertise
    ``user_data``), ``fixtures`` (seed data; the shipped copy of the
    real driver's by default) and ``guest`` (guest mode, which **runs
    instances' user data on this host**: :mod:`.guest`) with
    ``guest_timeout`` (seconds per boot) and ``guest_workers`` (boots at
    once).  An app in guest mode must be closed (:meth:`MockApp.close`).
    ``driver`` is the emulated driver of requests that select none
    (``mock`` by default, like the real server's ``API_DRIVER``).
    """
    return MockApp(**options)
