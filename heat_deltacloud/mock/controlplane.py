"""``/_mock/``: the control plane, outside the Deltacloud API.

JSON in and out, no authentication.  Each endpoint has a twin method on
:class:`~.server.MockServer`.
"""

import base64
import json
import re

import webob

from heat_deltacloud.mock import control, drivers, guest, models


def admin_view(instance):
    """An instance for the admin view: its owner and decoded user data,
    no private internals."""
    shown = {k: v for k, v in instance.items()
             if k not in ("user_data", "pending", "owner_id", "version")}
    shown["owner"] = instance["owner_id"]
    shown.update(user_data_view(instance.get("user_data")))
    return shown


def user_data_view(raw):
    """``has_user_data`` and ``user_data`` (text); bytes that are not
    UTF-8 come as ``user_data_base64`` with a ``user_data_error``."""
    if raw is None:
        return {"has_user_data": False, "user_data": None}
    try:
        return {"has_user_data": True, "user_data": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"has_user_data": True, "user_data": None,
                "user_data_error": f"not UTF-8 text ({len(raw)} bytes)",
                "user_data_base64": base64.b64encode(raw).decode()}


def _reset(app, body, args):
    app.reset()
    return {}


def _requests(app, body, args):
    return app.controls.requests()


def _clear_requests(app, body, args):
    app.controls.clear_requests()
    return {}


def _add_fault(app, body, args):
    return {"id": app.controls.add_fault(control.Fault(**body))}


def _faults(app, body, args):
    return {"faults": app.controls.describe_faults()}


def _clear_faults(app, body, args):
    app.controls.clear_faults()
    return {}


def _capabilities(app, body, args):
    """The default driver's entry point after the switches."""
    return {"api": app.controls.entry_point(
        drivers.DRIVERS[app.default_driver])}


def _typed(body, name, kinds, default=None):
    """``body[name]`` if it is one of ``kinds`` (KeyError if missing and
    no default), else TypeError naming it."""
    value = body[name] if default is None else body.get(name, default)
    if not isinstance(value, kinds):
        raise TypeError(f"'{name}' must be {kinds[0].__name__}, not "
                        f"{type(value).__name__}")
    return value


def _set_capability(app, body, args):
    app.controls.set_capability(
        _typed(body, "collection", (str,)),
        body.get("feature") and _typed(body, "feature", (str,)),
        _typed(body, "enabled", (bool,), default=True))
    return _capabilities(app, body, args)


def _instances(app, body, args):
    return {"instances": [admin_view(i) for i in app.cloud.all_instances()]}


def _instance(app, body, args):
    return admin_view(app.cloud.any_instance(args["id"]))


def console(app, ident):
    """The guest boot record of any user's instance (404 if unknown);
    ``not_started`` before its boot is queued, or with guest mode off."""
    app.cloud.any_instance(ident)
    return app.guest.console(ident) or {"instance_id": ident,
                                        "status": "not_started"}


def _console(app, body, args):
    return console(app, args["id"])


def _guest(app, body, args):
    return app.guest.describe()


def _set_guest(app, body, args):
    enabled = body.get("enabled")
    timeout = body.get("timeout")
    if enabled is not None:
        _typed(body, "enabled", (bool,))
    if timeout is not None:
        _typed(body, "timeout", (int, float))
    try:
        app.guest.configure(enabled, timeout)
    except guest.GuestModeOff as exc:
        raise models.MockError(403, str(exc)) from None
    return app.guest.describe()


def _addresses(app, body, args):
    return {"addresses": app.cloud.all_addresses()}


def _set_state(app, body, args):
    return admin_view(app.cloud.set_instance_state(
        args["id"], _typed(body, "state", (str,))))


#: (method, path pattern) -> handler(app, JSON body, path arguments).
ROUTES = [
    ("POST", r"/_mock/reset", _reset),
    ("GET", r"/_mock/requests", _requests),
    ("DELETE", r"/_mock/requests", _clear_requests),
    ("POST", r"/_mock/faults", _add_fault),
    ("GET", r"/_mock/faults", _faults),
    ("DELETE", r"/_mock/faults", _clear_faults),
    ("POST", r"/_mock/capabilities", _set_capability),
    ("GET", r"/_mock/capabilities", _capabilities),
    ("GET", r"/_mock/instances", _instances),
    ("GET", r"/_mock/instances/(?P<id>[^/]+)", _instance),
    ("GET", r"/_mock/instances/(?P<id>[^/]+)/console", _console),
    ("GET", r"/_mock/guest", _guest),
    ("POST", r"/_mock/guest", _set_guest),
    ("POST", r"/_mock/instances/(?P<id>[^/]+)/state", _set_state),
    ("GET", r"/_mock/addresses", _addresses),
]


def handle(app, request):
    for method, pattern, handler in ROUTES:
        match = re.fullmatch(pattern, request.path_info)
        if match and method == request.method:
            break
    else:
        return _json(404, {"error": f"no control {request.method} "
                                    f"{request.path_info}"})
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return _json(200, handler(app, body, match.groupdict()))
    except RecursionError:
        return _json(400, {"error": "the body is nested too deeply"})
    except (ValueError, KeyError, TypeError) as exc:
        return _json(400, {"error": str(exc)})
    except models.MockError as exc:
        return _json(exc.status, {"error": exc.message})


def _json(status, doc):
    return webob.Response(status=status, body=json.dumps(doc).encode(),
                          content_type="application/json", charset=None)
