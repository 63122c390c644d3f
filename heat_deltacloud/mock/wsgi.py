"""The mock's HTTP skin: a URL table, content negotiation, auth, errors.

Handlers are a few lines each: read parameters, call :class:`.models.Cloud`,
render.  The control plane lives under ``/_mock/`` (JSON, no auth).
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import socket
import time

import webob
from lxml import etree

from heat_deltacloud.mock import control, documents, models

MOCK_CREDENTIALS = {"mockuser": "mockpassword"}
DEFAULT_MESSAGES = {400: "Bad Request", 401: "Unauthorized",
                    403: "Forbidden", 404: "Not Found",
                    405: "Method Not Allowed", 406: "Not Acceptable",
                    409: "Resource Conflict", 412: "Precondition Failed",
                    500: "Internal Server Error", 501: "Not Supported",
                    502: "Backend Server Error", 503: "Service Unavailable",
                    504: "Gateway Timeout"}
ERROR_CLASSES = {400: "ValidationFailure", 401: "AuthenticationFailure",
                 403: "ForbiddenError", 404: "ObjectNotFound",
                 405: "MethodNotAllowed", 406: "UnknownMediaTypeError",
                 409: "Conflict", 500: "BackendError",
                 501: "NotImplemented", 502: "ProviderError",
                 503: "ProviderError", 504: "ProviderTimeout"}
CONTENT_TYPES = {"xml": "application/xml", "json": "application/json"}
MEDIA_FORMATS = {"application/xml": "xml", "text/xml": "xml",
                 "application/json": "json", "application/xhtml+xml":
                 "html", "text/html": "html", "*/*": "html"}
MISSING_CAPABILITY = ("The required capability to execute this operation "
                      "is missing")

#: (method, path template, handler name, needs credentials, is an index)
ROUTES = [
    ("GET", "/api", "entry_point", False, False),
    ("GET", "/api/drivers", "drivers", False, True),
    ("GET", "/api/drivers/:id", "driver", False, False),
    ("GET", "/api/instance_states", "instance_states", False, False),
    ("GET", "/api/realms", "realms", True, True),
    ("GET", "/api/realms/:id", "realm", True, False),
    ("GET", "/api/hardware_profiles", "hardware_profiles", False, True),
    ("GET", "/api/hardware_profiles/:id", "hardware_profile", False, False),
    ("GET", "/api/images", "images", True, True),
    ("POST", "/api/images", "create_image", True, False),
    ("GET", "/api/images/:id", "image", True, False),
    ("DELETE", "/api/images/:id", "destroy_image", True, False),
    ("GET", "/api/instances", "instances", True, True),
    ("POST", "/api/instances", "create_instance", True, False),
    ("GET", "/api/instances/:id", "instance", True, False),
    ("DELETE", "/api/instances/:id", "destroy_instance", True, False),
    ("POST", "/api/instances/:id/start", "start_instance", True, False),
    ("POST", "/api/instances/:id/stop", "stop_instance", True, False),
    ("POST", "/api/instances/:id/reboot", "reboot_instance", True, False),
    ("POST", "/api/instances/:id/run", "run_on_instance", True, False),
    ("GET", "/api/keys", "keys", True, True),
    ("POST", "/api/keys", "create_key", True, False),
    ("GET", "/api/keys/:id", "key", True, False),
    ("DELETE", "/api/keys/:id", "destroy_key", True, False),
    ("GET", "/api/addresses", "addresses", True, True),
    ("POST", "/api/addresses", "create_address", True, False),
    ("GET", "/api/addresses/:id", "address", True, False),
    ("DELETE", "/api/addresses/:id", "destroy_address", True, False),
    ("POST", "/api/addresses/:id/associate", "associate_address", True,
     False),
    ("POST", "/api/addresses/:id/disassociate", "disassociate_address",
     True, False),
    ("GET", "/api/storage_volumes", "volumes", True, True),
    ("POST", "/api/storage_volumes", "create_volume", True, False),
    ("GET", "/api/storage_volumes/:id", "volume", True, False),
    ("DELETE", "/api/storage_volumes/:id", "destroy_volume", True, False),
    ("POST", "/api/storage_volumes/:id/attach", "attach_volume", True,
     False),
    ("POST", "/api/storage_volumes/:id/detach", "detach_volume", True,
     False),
    ("GET", "/api/firewalls", "firewalls", True, True),
    ("POST", "/api/firewalls", "create_firewall", True, False),
    ("GET", "/api/firewalls/:id", "firewall", True, False),
    ("DELETE", "/api/firewalls/:id", "destroy_firewall", True, False),
    ("POST", "/api/firewalls/:id/rules", "add_firewall_rule", True, False),
    ("DELETE", "/api/firewalls/:id/rules/:rule_id", "delete_firewall_rule",
     True, False),
]


def _compile(template):
    pattern = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", template)
    return re.compile(f"^{pattern}$")


COMPILED = [(method, _compile(template), template, handler, auth, index)
            for method, template, handler, auth, index in ROUTES]


class Abort(Exception):
    """Answer at once with a prepared response."""

    def __init__(self, response):
        super().__init__("abort")
        self.response = response


def _plain(status, text, content_type="text/html;charset=utf-8", **hdrs):
    response = webob.Response(status=status, body=text.encode(),
                              content_type=None, headerlist=[])
    response.headers["Content-Type"] = content_type
    response.headers.update(hdrs)
    return response


def negotiate(request):
    """The response format: ``xml``, ``json``, ``html`` or ``None``."""
    wanted = request.GET.get("format")
    if wanted in ("xml", "json", "html"):
        return wanted
    header = request.headers.get("Accept")
    if not header:
        return "xml"
    ranked = []
    for position, part in enumerate(header.split(",")):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q=([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        fmt = MEDIA_FORMATS.get(media.strip().lower())
        if fmt and quality > 0:
            ranked.append((-quality, position, fmt))
    return min(ranked)[2] if ranked else None


def basic_credentials(request):
    """``(user, password)`` from a Basic header; None when absent/bad."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class MockApp:
    """The Deltacloud API of one mock cloud, as a WSGI application."""

    def __init__(self, *, users=None, state_delay=0.0, pending_polls=0,
                 fix_user_data_feature=False, fixtures=None):
        self.users = {**MOCK_CREDENTIALS, **(users or {})}
        self.cloud = models.Cloud(fixtures, state_delay=state_delay,
                                  pending_polls=pending_polls)
        self.controls = control.Controls(
            user_data_feature=fix_user_data_feature)
        self.hostname = socket.gethostname()

    # -- WSGI entry ----------------------------------------------------------

    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        if request.path.startswith("/_mock/"):
            return self.control_plane(request)(environ, start_response)
        self.controls.begin()
        template, user, status = request.path, None, 500
        try:
            response, template, user = self.dispatch(request)
            status = response.status_code
        finally:
            self.controls.record(request.method, template, request.path,
                                 status, user)
        return response(environ, start_response)

    def dispatch(self, request):
        started = time.monotonic()
        if not request.host:
            return _plain(400, "Unable to find HTTP Host header"), \
                request.path, None
        method, path = request.method, self._strip_matrix(request.path)
        if method == "POST" and request.POST.get("_method"):
            method = request.POST["_method"].upper()
        fmt = negotiate(request)
        credentials = basic_credentials(request)
        user = credentials[0] if credentials else None
        for route_method, regex, template, handler, auth, index in COMPILED:
            match = regex.match(path)
            if match and route_method == method:
                break
        else:
            return _plain(404, "<h2>Sinatra doesn't know this ditty.</h2>"
                          ), path, user
        exchange = Exchange(self, request, fmt, match.groupdict(), template)
        fault = None
        try:
            exchange.check_driver()
            fault = self.controls.fault_for(method, template, path)
            if fault is not None and not fault.after:
                self._apply_fault(fault)
            if fmt not in ("xml", "json"):
                # HTML is the real server's browser UI; the mock has none.
                return webob.Response(status=406, body=b"",
                                      content_type=None), template, user
            self._check_capability(template)
            if auth:
                user = self._authenticate(credentials, exchange)
            response = getattr(self, f"do_{handler}")(exchange, user)
            if fault is not None and fault.after:
                self._apply_fault(fault)
        except models.MockError as error:
            message = DEFAULT_MESSAGES.get(error.status, error.message) \
                if index else error.message
            response = exchange.error(error.status, message)
            if error.status == 401 and credentials is None:
                response.headers["WWW-Authenticate"] = (
                    f'Basic realm="mock-deltacloud@{self.hostname}"')
        except Abort as abort:
            response = abort.response
        response.headers["Server"] = "Apache-Deltacloud/1.1.3"
        response.headers["X-Deltacloud-Driver"] = "mock"
        if exchange.provider:
            response.headers["X-Deltacloud-Provider"] = exchange.provider
        if response.status_code in (200, 201, 202) and response.body:
            response.headers["ETag"] = hashlib.md5(
                response.body, usedforsecurity=False).hexdigest()
            response.headers["Cache-Control"] = \
                "max-age=0, private, must-revalidate"
        if method == "GET" or "/api/instances/" in template:
            response.headers["X-Backend-Runtime"] = \
                f"{time.monotonic() - started:.6f}"
        return response, template, user

    @staticmethod
    def _strip_matrix(path):
        return "/".join(segment.split(";", 1)[0]
                        for segment in path.split("/"))

    @staticmethod
    def _apply_fault(fault):
        if fault.latency:
            time.sleep(fault.latency)
        if fault.drop:
            raise Abort(_dropped())
        if fault.status:
            raise models.MockError(fault.status, fault.message or
                                   DEFAULT_MESSAGES.get(fault.status,
                                                        "Injected fault"))

    def _check_capability(self, template):
        collection = template.split("/")[2] if template.count("/") >= 2 \
            else None
        if collection and not self.controls.collection_enabled(collection):
            raise Abort(_plain(412, MISSING_CAPABILITY,
                               content_type="text/plain",
                               Expect=collection))

    def _authenticate(self, credentials, exchange):
        if credentials is None:
            raise models.MockError(401, "Unauthorized")
        user, password = credentials
        expected = self.users.get(user)
        if expected is None or not _same(expected, password):
            raise models.MockError(401, "Authentication Failure")
        return user

    # -- entry point, drivers, states ----------------------------------------

    def do_entry_point(self, ex, user):
        if ex.request.GET.get("force_auth"):
            credentials = basic_credentials(ex.request)
            if credentials is None:
                raise models.MockError(401, "Unauthorized")
            if not _same(self.users.get(credentials[0]) or "",
                         credentials[1]) or credentials[0] not in self.users:
                raise Abort(_plain(401, "Authentication failed",
                                   content_type="text/plain"))
        collections = self.controls.entry_point()
        if ex.fmt == "xml":
            return ex.respond(200, ex.renderer.entry_point_xml(collections))
        return ex.respond_json(200,
                               ex.renderer.entry_point_json(collections))

    def do_drivers(self, ex, user):
        if ex.fmt == "json":
            return ex.respond_json(200, {"drivers": [
                {"id": "mock", "name": "Mock",
                 "href": ex.renderer.href("drivers", "mock")}]})
        root = etree.Element("drivers")
        driver = etree.SubElement(root, "driver", href=ex.renderer.href(
            "drivers", "mock"), id="mock")
        etree.SubElement(driver, "name").text = "Mock"
        return ex.respond(200, documents.to_xml(root))

    def do_driver(self, ex, user):
        if ex.args["id"] != "mock":
            raise models.MockError(404, "Not Found")
        if ex.fmt == "json":
            return ex.respond_json(200, {"driver": {"name": "Mock",
                                                    "id": "mock"}})
        root = etree.Element("driver", href=ex.renderer.href(
            "drivers", "mock"), id="mock")
        etree.SubElement(root, "name").text = "Mock"
        return ex.respond(200, documents.to_xml(root))

    def do_instance_states(self, ex, user):
        machine = self.cloud.fixtures["instance_state_machine"]
        states = []
        for state in machine["states"]:
            transitions = [
                {k: ("true" if v is True else v) for k, v in t.items()
                 if k != "from"}
                for t in machine["transitions"] if t["from"] == state]
            states.append({"name": state, "transitions": transitions})
        if ex.fmt == "json":
            return ex.respond_json(200, states)
        root = etree.Element("states")
        for state in states:
            el = etree.SubElement(root, "state", name=state["name"])
            for t in state["transitions"]:
                etree.SubElement(el, "transition", {
                    k: str(v) for k, v in sorted(t.items())})
        return ex.respond(200, etree.tostring(root))

    # -- realms, hardware profiles, images ---------------------------------

    def do_realms(self, ex, user):
        return ex.many("realm", self.cloud.list_realms(ex.param("id")))

    def do_realm(self, ex, user):
        return ex.one("realm", self.cloud.realm(ex.args["id"]))

    def do_hardware_profiles(self, ex, user):
        profiles = self.cloud.list_hardware_profiles(
            ex.param("architecture"))
        if ex.param("id"):
            profiles = [p for p in profiles if p["id"] == ex.param("id")]
        return ex.many("hardware_profile", profiles)

    def do_hardware_profile(self, ex, user):
        return ex.one("hardware_profile",
                      self.cloud.hardware_profile(ex.args["id"]))

    def _profiles(self):
        return list(self.cloud.hardware_profiles)

    def do_images(self, ex, user):
        filters = {k: ex.param(k) for k in ("id", "architecture",
                                            "owner_id") if ex.param(k)}
        return ex.many("image", self.cloud.list_images(user, **filters),
                       self._profiles())

    def do_image(self, ex, user):
        return ex.one("image", self.cloud.image(ex.args["id"]),
                      self._profiles())

    def do_create_image(self, ex, user):
        image = self.cloud.create_image(
            user, ex.required("instance_id"), ex.param("name"),
            ex.param("description"))
        return ex.one("image", image, self._profiles(), status=201,
                      location=("images", image["id"]))

    def do_destroy_image(self, ex, user):
        self.cloud.destroy_image(user, ex.args["id"])
        return ex.no_content()

    # -- instances -----------------------------------------------------------

    def do_instances(self, ex, user):
        filters = {k: ex.param(k) for k in ("id", "state", "realm_id")
                   if ex.param(k)}
        return ex.many("instance",
                       self.cloud.list_instances(user, **filters))

    def do_instance(self, ex, user):
        return ex.one("instance", self.cloud.instance(user, ex.args["id"]))

    def do_create_instance(self, ex, user):
        params = ex.params
        overrides = {name: params[f"hwp_{name}"]
                     for name in models.OVERRIDABLE
                     if params.get(f"hwp_{name}")}
        firewalls = [value for key, value in sorted(params.items())
                     if re.fullmatch(r"firewalls\d+", key)]
        if firewalls and not self.controls.feature_enabled("instances",
                                                           "firewalls"):
            firewalls = []  # a driver without the feature ignores them
        instance = self.cloud.create_instance(
            user, ex.required("image_id"), hwp_id=params.get("hwp_id"),
            realm_id=params.get("realm_id"), name=params.get("name"),
            keyname=params.get("keyname"),
            user_data=params.get("user_data"),
            initial_state=params.get("initial_state"),
            overrides=overrides, firewalls=firewalls)
        return ex.one("instance", instance, status=201,
                      location=("instances", instance["id"]))

    def _instance_action(self, ex, user, action):
        instance = self.cloud.instance_action(user, ex.args["id"], action)
        if instance is None:
            return ex.no_content()
        # JSON answers an action with the bare instance (no wrapper).
        if ex.fmt == "json":
            return ex.respond_json(202, ex.renderer.instance_json(instance))
        return ex.one("instance", instance, status=202)

    def do_start_instance(self, ex, user):
        return self._instance_action(ex, user, "start")

    def do_stop_instance(self, ex, user):
        return self._instance_action(ex, user, "stop")

    def do_reboot_instance(self, ex, user):
        return self._instance_action(ex, user, "reboot")

    def do_destroy_instance(self, ex, user):
        return self._instance_action(ex, user, "destroy")

    def do_run_on_instance(self, ex, user):
        command = ex.required("cmd")
        instance = self.cloud.instance(user, ex.args["id"])
        output = (f"This is where the output from '{command}' would appear "
                  "if this were not a mock provider")
        if ex.fmt == "json":
            return ex.respond_json(200, {"instance": {
                "id": instance["id"], "command": command,
                "output": output}})
        root = etree.Element("instance", href=ex.renderer.href(
            "instances", instance["id"]), id=instance["id"])
        etree.SubElement(root, "command").text = command
        etree.SubElement(root, "output").text = output
        return ex.respond(200, documents.to_xml(root))

    # -- keys, addresses, volumes, firewalls ---------------------------------

    def do_keys(self, ex, user):
        filters = {"id": ex.param("id")} if ex.param("id") else {}
        return ex.many("key", self.cloud.list_keys(user, **filters))

    def do_key(self, ex, user):
        return ex.one("key", self.cloud.key(user, ex.args["id"]))

    def do_create_key(self, ex, user):
        key = self.cloud.create_key(user, ex.required("name"))
        return ex.one("key", key, status=201, location=("keys", key["id"]))

    def do_destroy_key(self, ex, user):
        self.cloud.destroy_key(user, ex.args["id"])
        return ex.no_content()

    def do_addresses(self, ex, user):
        filters = {"id": ex.param("id")} if ex.param("id") else {}
        return ex.many("address", self.cloud.list_addresses(user,
                                                            **filters))

    def do_address(self, ex, user):
        return ex.one("address", self.cloud.address(user, ex.args["id"]))

    def do_create_address(self, ex, user):
        address = self.cloud.create_address(user)
        return ex.one("address", address, status=201,
                      location=("addresses", address["id"]))

    def do_associate_address(self, ex, user):
        self.cloud.associate_address(user, ex.args["id"],
                                     ex.required("instance_id"))
        return ex.accepted_empty()

    def do_disassociate_address(self, ex, user):
        self.cloud.disassociate_address(user, ex.args["id"])
        return ex.accepted_empty()

    def do_destroy_address(self, ex, user):
        self.cloud.destroy_address(user, ex.args["id"])
        return ex.no_content()

    def do_volumes(self, ex, user):
        filters = {"id": ex.param("id")} if ex.param("id") else {}
        return ex.many("storage_volume", self.cloud.list_volumes(
            user, **filters))

    def do_volume(self, ex, user):
        return ex.one("storage_volume", self.cloud.volume(user,
                                                          ex.args["id"]))

    def do_create_volume(self, ex, user):
        volume = self.cloud.create_volume(
            user, ex.param("capacity"), ex.param("name"),
            ex.param("description"))
        return ex.one("storage_volume", volume, status=201,
                      location=("storage_volumes", volume["id"]))

    def do_attach_volume(self, ex, user):
        volume = self.cloud.attach_volume(
            user, ex.args["id"], ex.required("instance_id"),
            ex.required("device"))
        return ex.one("storage_volume", volume, status=202)

    def do_detach_volume(self, ex, user):
        return ex.one("storage_volume",
                      self.cloud.detach_volume(user, ex.args["id"]),
                      status=202)

    def do_destroy_volume(self, ex, user):
        self.cloud.destroy_volume(user, ex.args["id"])
        return ex.no_content()

    def do_firewalls(self, ex, user):
        filters = {"id": ex.param("id")} if ex.param("id") else {}
        return ex.many("firewall", self.cloud.list_firewalls(user,
                                                             **filters))

    def do_firewall(self, ex, user):
        return ex.one("firewall", self.cloud.firewall(user, ex.args["id"]))

    def do_create_firewall(self, ex, user):
        firewall = self.cloud.create_firewall(
            user, ex.required("name"), ex.required("description"))
        return ex.one("firewall", firewall, status=201,
                      location=("firewalls", firewall["id"]))

    def do_add_firewall_rule(self, ex, user):
        params = ex.params
        sources = [{"type": "address", "family": "ipv4",
                    "address": value.split("/")[0],
                    "prefix": value.partition("/")[2] or "32"}
                   for key, value in sorted(params.items())
                   if re.fullmatch(r"ip_address\d+", key)]
        sources += [{"type": "group", "name": value,
                     "owner": params.get(f"{key}owner", user)}
                    for key, value in sorted(params.items())
                    if re.fullmatch(r"group\d+", key)]
        firewall = self.cloud.add_firewall_rule(
            user, ex.args["id"], ex.required("protocol"),
            ex.required("port_from"), ex.required("port_to"), sources)
        return ex.one("firewall", firewall, status=201)

    def do_delete_firewall_rule(self, ex, user):
        self.cloud.delete_firewall_rule(user, ex.args["id"],
                                        ex.args["rule_id"])
        return ex.no_content()

    def do_destroy_firewall(self, ex, user):
        self.cloud.destroy_firewall(user, ex.args["id"])
        return ex.no_content()

    # -- control plane -------------------------------------------------------

    def reset(self):
        self.cloud.reset()
        self.controls.reset()

    def control_plane(self, request):
        """``/_mock/...``: JSON endpoints for tests and benchmarks."""
        path, method = request.path, request.method
        try:
            body = json.loads(request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            result = self._control(method, path, body)
        except (ValueError, KeyError, TypeError) as exc:
            return _json_response(400, {"error": str(exc)})
        except models.MockError as exc:
            return _json_response(exc.status, {"error": exc.message})
        if result is None:
            return _json_response(404, {"error": f"no control {method} "
                                                 f"{path}"})
        return _json_response(200, result)

    def _control(self, method, path, body):
        state = re.fullmatch(r"/_mock/instances/([^/]+)/state", path)
        if method == "POST" and state:
            return self.cloud.set_instance_state(state.group(1),
                                                 body["state"])
        table = {
            ("POST", "/_mock/reset"): lambda: self.reset() or {},
            ("GET", "/_mock/requests"): self.controls.requests,
            ("DELETE", "/_mock/requests"):
                lambda: self.controls.clear_requests() or {},
            ("POST", "/_mock/faults"): lambda: {
                "id": self.controls.add_fault(control.Fault(**body))},
            ("GET", "/_mock/faults"): lambda: {
                "faults": [f.describe() for f in self.controls.faults]},
            ("DELETE", "/_mock/faults"):
                lambda: self.controls.clear_faults() or {},
            ("POST", "/_mock/capabilities"): lambda: self.controls
            .set_capability(body["collection"], body.get("feature"),
                            body.get("enabled", True)) or {
                "api": self.controls.entry_point()},
            ("GET", "/_mock/capabilities"):
                lambda: {"api": self.controls.entry_point()},
            ("GET", "/_mock/instances"):
                lambda: {"instances": [admin_view(i) for i in
                                       self.cloud.all_instances()]},
            ("GET", "/_mock/addresses"):
                lambda: {"addresses": self.cloud.all_addresses()},
        }
        handler = table.get((method, path))
        return handler() if handler else None


def admin_view(instance):
    """An instance for the admin view: everything but private internals."""
    shown = {k: v for k, v in instance.items()
             if k not in ("user_data", "pending_until", "polls_left")}
    shown["owner"] = shown.pop("owner_id")
    shown["has_user_data"] = instance.get("user_data") is not None
    return shown


def _same(expected, given):
    return hmac.compare_digest(expected.encode(), given.encode())


def _json_response(status, doc):
    return webob.Response(status=status, body=json.dumps(doc).encode(),
                          content_type="application/json", charset=None)


def _dropped():
    """Headers promising a body that never comes: the server then closes
    the connection, which the client sees as a broken connection."""
    response = webob.Response(status=200, app_iter=[b"<"],
                              content_type="application/xml", charset=None)
    response.content_length = 4096
    return response


class Exchange:
    """One request being answered: its format, parameters and renderer."""

    ITEMS = {"realm": "realms", "hardware_profile": "hardware_profiles",
             "image": "images", "instance": "instances", "key": "keys",
             "address": "addresses", "storage_volume": "storage_volumes",
             "firewall": "firewalls"}
    RENDER = {"realm": "realm", "hardware_profile": "hardware_profile",
              "image": "image", "instance": "instance", "key": "key",
              "address": "address", "storage_volume": "volume",
              "firewall": "firewall"}

    def __init__(self, app, request, fmt, args, template):
        self.app, self.request, self.fmt = app, request, fmt or "xml"
        self.args, self.template = args, template
        self.provider = (request.headers.get("X-Deltacloud-Provider") or
                         "").lower() or None
        driver = (request.headers.get("X-Deltacloud-Driver") or
                  "mock").lower()
        self.driver = driver
        self.renderer = documents.Renderer(f"{request.host_url}/api",
                                           provider=self.provider)

    def check_driver(self):
        if self.driver != "mock":
            raise Abort(self.error(500, f"Driver '{self.driver}' is not "
                                        "available (this is the mock)"))

    @property
    def params(self):
        merged = dict(self.request.GET)
        if self.request.method in ("POST", "PUT", "DELETE"):
            merged.update(self.request.POST)
        return merged

    def param(self, name):
        return self.params.get(name) or None

    def required(self, name):
        value = self.params.get(name)
        if value in (None, ""):
            raise Abort(_plain(
                400, f"Required parameter '{name}' not found in "
                     f"{json.dumps(sorted(self.params))}"))
        return value

    def respond(self, status, body, content_type=None):
        response = webob.Response(status=status, body=body,
                                  content_type=None, headerlist=[])
        response.headers["Content-Type"] = content_type or \
            CONTENT_TYPES[self.fmt]
        return response

    def respond_json(self, status, doc):
        return self.respond(status, json.dumps(doc).encode(),
                            "application/json")

    def no_content(self):
        return webob.Response(status=204, body=b"", content_type=None,
                              headerlist=[])

    def accepted_empty(self):
        return webob.Response(status=202, body=b"", content_type=None,
                              headerlist=[])

    def one(self, item, obj, *extra, status=200, location=None):
        render = self.RENDER[item]
        if self.fmt == "json":
            response = self.respond_json(status, {item: getattr(
                self.renderer, f"{render}_json")(obj, *extra)})
        else:
            root = etree.Element("root")
            getattr(self.renderer, f"{render}_xml")(root, obj, *extra)
            response = self.respond(status, documents.to_xml(root[0]))
        if location:
            response.headers["Location"] = self.renderer.href(*location)
        return response

    def many(self, item, objs, *extra):
        render, collection = self.RENDER[item], self.ITEMS[item]
        if self.fmt == "json":
            return self.respond_json(200, {collection: [
                getattr(self.renderer, f"{render}_json")(obj, *extra)
                for obj in objs]})
        root = etree.Element(collection)
        for obj in objs:
            getattr(self.renderer, f"{render}_xml")(root, obj, *extra)
        return self.respond(200, documents.to_xml(root))

    def error(self, status, message):
        params = sorted((k, v) for k, v in {**self.params,
                                            **self.args}.items()
                        if k not in ("password",))
        if self.fmt == "json":
            return self.respond_json(status, self.renderer.error_json(
                status, message, ERROR_CLASSES.get(status, "BackendError")))
        return self.respond(status, self.renderer.error_xml(
            status, message, self.request.path, params), "application/xml")


def make_app(**options):
    """A new, independent mock cloud as a WSGI application."""
    return MockApp(**options)
