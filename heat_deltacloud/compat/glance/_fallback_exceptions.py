"""Stand-ins for ``glanceclient.exc`` when python-glanceclient is absent.

Same names, ``code`` attributes and ``str()`` as glanceclient 4.
"""


class ClientException(Exception):
    """The base exception class for all exceptions this library raises."""


class HTTPException(ClientException):
    code = "N/A"

    def __init__(self, details=None):
        self.details = details or self.__class__.__name__

    def __str__(self):
        return f"HTTP {self.details}"


def _http(name, code, base=HTTPException):
    return type(name, (base,), {"code": code})


BadRequest = _http("BadRequest", 400)
HTTPBadRequest = _http("HTTPBadRequest", 400, BadRequest)
Unauthorized = _http("Unauthorized", 401)
HTTPUnauthorized = _http("HTTPUnauthorized", 401, Unauthorized)
Forbidden = _http("Forbidden", 403)
HTTPForbidden = _http("HTTPForbidden", 403, Forbidden)
NotFound = _http("NotFound", 404)
HTTPNotFound = _http("HTTPNotFound", 404, NotFound)
HTTPMethodNotAllowed = _http("HTTPMethodNotAllowed", 405)
Conflict = _http("Conflict", 409)
HTTPConflict = _http("HTTPConflict", 409, Conflict)
OverLimit = _http("OverLimit", 413)
HTTPOverLimit = _http("HTTPOverLimit", 413, OverLimit)
HTTPInternalServerError = _http("HTTPInternalServerError", 500)
HTTPNotImplemented = _http("HTTPNotImplemented", 501)
HTTPBadGateway = _http("HTTPBadGateway", 502)
ServiceUnavailable = _http("ServiceUnavailable", 503)
HTTPServiceUnavailable = _http("HTTPServiceUnavailable", 503,
                               ServiceUnavailable)
