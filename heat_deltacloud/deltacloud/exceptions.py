"""Errors raised by the Deltacloud client.

One class per condition the server signals, chosen from the HTTP status by
one table (:data:`ERRORS_BY_STATUS`) and one factory (:func:`from_status`),
the way novaclient builds its errors.  Every error says which request it was
for (method and URL, credentials masked) and carries the server's message.
"""

from heat_deltacloud.errors import HeatDeltacloudError


class DeltacloudError(HeatDeltacloudError):
    """Any failure talking to Deltacloud.

    :ivar status: the HTTP status, or ``None`` when no response came back or
        the client refused the request itself.
    :ivar message: the server's message (or the client's explanation).
    :ivar method: the HTTP method of the request, if one was made.
    :ivar url: the request URL with any credentials masked.
    """

    default_message = "Deltacloud request failed"

    def __init__(self, message=None, *, status=None, method=None, url=None):
        self.message = message or self.default_message
        self.status = status
        self.method = method
        self.url = url
        super().__init__(str(self))

    def __str__(self):
        detail = []
        if self.status is not None:
            detail.append(f"HTTP {self.status}")
        if self.method and self.url:
            detail.append(f"{self.method} {self.url}")
        return f"{self.message} ({', '.join(detail)})" if detail else \
            self.message

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.status,
                           self.method, self.url))


def _rebuild(cls, message, status, method, url):
    return cls(message, status=status, method=method, url=url)


class BadRequest(DeltacloudError):
    """400: a parameter is missing or rejected (also raised client-side)."""
    default_message = "Bad Request"


class Unauthorized(DeltacloudError):
    """401: missing or wrong credentials."""
    default_message = "Unauthorized"


class Forbidden(DeltacloudError):
    """403: refused; for instance actions, the instance does not exist."""
    default_message = "Forbidden"


class NotFound(DeltacloudError):
    """404: no such object (or no such URL)."""
    default_message = "Not Found"


class MethodNotAllowed(DeltacloudError):
    """405: the instance action is illegal in the instance's state."""
    default_message = "Method Not Allowed"


class NotAcceptable(DeltacloudError):
    """406: the server cannot produce the requested format."""
    default_message = "Not Acceptable"


class Conflict(DeltacloudError):
    """409: the driver reports a conflict."""
    default_message = "Resource Conflict"


class NotSupported(DeltacloudError):
    """The driver lacks the collection, feature or operation.

    Raised client-side, before any request, when ``/api`` does not list the
    capability, and for the server's 412 (missing capability) and 501.
    """
    default_message = "Not Supported"


class InternalServerError(DeltacloudError):
    """500: the Deltacloud server failed."""
    default_message = "Internal Server Error"


class BackendError(DeltacloudError):
    """502: the cloud behind Deltacloud failed."""
    default_message = "Backend Server Error"


class ServiceUnavailable(DeltacloudError):
    """503: the server is temporarily unable to answer."""
    default_message = "Service Unavailable"


class BackendTimeout(BackendError):
    """504: the cloud behind Deltacloud did not answer in time."""
    default_message = "Gateway Timeout"


class Timeout(DeltacloudError):
    """No response within the client's timeout."""
    default_message = "Timed out waiting for Deltacloud"


class ConnectionFailed(DeltacloudError):
    """The server could not be reached or dropped the connection."""
    default_message = "Could not connect to Deltacloud"


class MalformedResponse(DeltacloudError):
    """The response is not a document the client can read.

    :ivar excerpt: the first bytes of the offending body, for debugging.
    """
    default_message = "Malformed response from Deltacloud"

    def __init__(self, message=None, *, excerpt=b"", **kwargs):
        self.excerpt = excerpt[:200]
        super().__init__(message, **kwargs)


ERRORS_BY_STATUS = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    406: NotAcceptable,
    409: Conflict,
    412: NotSupported,
    500: InternalServerError,
    501: NotSupported,
    502: BackendError,
    503: ServiceUnavailable,
    504: BackendTimeout,
}


def from_status(status, message=None, **kwargs):
    """Build the error for an HTTP status; unknown ones get the base class."""
    cls = ERRORS_BY_STATUS.get(status, DeltacloudError)
    return cls(message, status=status, **kwargs)
