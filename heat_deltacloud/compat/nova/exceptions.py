"""novaclient's exception classes, or compatible stand-ins without it.

Heat compares exception types exactly (``ClientPlugin.is_client_exception``)
and catches ``novaclient.exceptions.NotFound`` by class, so the shim raises
novaclient's own classes whenever python-novaclient is importable.
"""

from heat_deltacloud.compat import errors
from heat_deltacloud.deltacloud import exceptions as dc

try:
    from novaclient import exceptions as _source
except ImportError:  # pragma: no cover - exercised in a subprocess test
    from heat_deltacloud.compat.nova import _fallback_exceptions as _source

#: True when these are python-novaclient's own classes.
NATIVE = _source.__name__ == "novaclient.exceptions"

ClientException = _source.ClientException
RetryAfterException = _source.RetryAfterException
BadRequest = _source.BadRequest
Unauthorized = _source.Unauthorized
Forbidden = _source.Forbidden
NotFound = _source.NotFound
MethodNotAllowed = _source.MethodNotAllowed
NotAcceptable = _source.NotAcceptable
Conflict = _source.Conflict
OverLimit = _source.OverLimit
RateLimit = _source.RateLimit
HTTPNotImplemented = _source.HTTPNotImplemented
NoUniqueMatch = _source.NoUniqueMatch
UnsupportedConsoleType = _source.UnsupportedConsoleType
UnsupportedVersion = _source.UnsupportedVersion
CommandError = _source.CommandError
from_response = _source.from_response

#: Deltacloud error -> the class novaclient would raise for it.  An action
#: illegal in the instance's state is Nova's 409 Conflict; a capability the
#: driver lacks is 501.  Anything else keeps its status on ClientException.
FROM_DELTACLOUD = {
    dc.BadRequest: BadRequest,
    dc.Unauthorized: Unauthorized,
    dc.Forbidden: Forbidden,
    dc.NotFound: NotFound,
    dc.MethodNotAllowed: Conflict,
    dc.NotAcceptable: NotAcceptable,
    dc.Conflict: Conflict,
    dc.NotSupported: HTTPNotImplemented,
}


def from_deltacloud(error):
    """The novaclient exception for a Deltacloud error."""
    cls = errors.lookup(FROM_DELTACLOUD, error)
    if cls is None:
        return ClientException(errors.status_of(error),
                               errors.describe(error), url=error.url,
                               method=error.method)
    return cls(cls.http_status, errors.describe(error), url=error.url,
               method=error.method)


def translating():
    """``with translating():`` raises novaclient errors for Deltacloud's."""
    return errors.translating(from_deltacloud)


def bad_request(message):
    return BadRequest(400, message)


def not_found(message):
    return NotFound(404, message)
