"""Stand-ins for ``novaclient.exceptions`` when novaclient is absent.

Same names, status codes, attributes (``code``, ``message``, ``details``,
``request_id``, ``url``, ``method``), ``str()`` and ``from_response()`` as
python-novaclient 18, so code written against novaclient works unchanged.
A test compares this module with the real one.
"""


class UnsupportedVersion(Exception):
    pass


class UnsupportedConsoleType(Exception):
    def __init__(self, console_type):
        self.message = f"Unsupported console_type \"{console_type}\""
        super().__init__(self.message)


class CommandError(Exception):
    pass


class NoUniqueMatch(Exception):
    pass


class ClientException(Exception):
    message = "Unknown Error"

    def __init__(self, code, message=None, details=None, request_id=None,
                 url=None, method=None):
        self.code = code
        self.message = message or self.__class__.message
        self.details = details
        self.request_id = request_id
        self.url = url
        self.method = method

    def __str__(self):
        text = f"{self.message} (HTTP {self.code})"
        if self.request_id:
            text += f" (Request-ID: {self.request_id})"
        return text


class RetryAfterException(ClientException):
    def __init__(self, *args, **kwargs):
        try:
            self.retry_after = int(kwargs.pop("retry_after"))
        except (KeyError, ValueError):
            self.retry_after = 0
        super().__init__(*args, **kwargs)


class BadRequest(ClientException):
    http_status = 400
    message = "Bad request"


class Unauthorized(ClientException):
    http_status = 401
    message = "Unauthorized"


class Forbidden(ClientException):
    http_status = 403
    message = "Forbidden"


class NotFound(ClientException):
    http_status = 404
    message = "Not found"


class MethodNotAllowed(ClientException):
    http_status = 405
    message = "Method Not Allowed"


class NotAcceptable(ClientException):
    http_status = 406
    message = "Not Acceptable"


class Conflict(ClientException):
    http_status = 409
    message = "Conflict"


class OverLimit(RetryAfterException):
    http_status = 413
    message = "Over limit"


class RateLimit(RetryAfterException):
    http_status = 429
    message = "Rate limit"


class HTTPNotImplemented(ClientException):
    http_status = 501
    message = "Not Implemented"


_code_map = {c.http_status: c for c in (
    BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed,
    NotAcceptable, Conflict, OverLimit, RateLimit, HTTPNotImplemented)}


def from_response(response, body, url, method=None):
    """The exception for a ``requests`` response, as novaclient builds it."""
    cls = _code_map.get(response.status_code, ClientException)
    kwargs = {"code": response.status_code, "method": method, "url": url,
              "request_id": None}
    if response.headers:
        kwargs["request_id"] = response.headers.get("x-compute-request-id")
        if issubclass(cls, RetryAfterException) and \
                "retry-after" in response.headers:
            kwargs["retry_after"] = response.headers.get("retry-after")
    if body:
        message = details = "n/a"
        if hasattr(body, "keys"):
            if "message" in body:
                message, details = body.get("message"), body.get("details")
            else:
                error = body[list(body)[0]]
                message, details = error.get("message"), error.get("details")
        kwargs["message"] = message
        kwargs["details"] = details
    return cls(**kwargs)
