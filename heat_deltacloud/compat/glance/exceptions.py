"""glanceclient's exception classes, or compatible stand-ins without it."""

from heat_deltacloud.compat import errors
from heat_deltacloud.deltacloud import exceptions as dc

try:
    from glanceclient import exc as _source
except ImportError:  # pragma: no cover - exercised in a subprocess test
    from heat_deltacloud.compat.glance import _fallback_exceptions as _source

NATIVE = _source.__name__ == "glanceclient.exc"

HTTPException = _source.HTTPException
HTTPBadRequest = _source.HTTPBadRequest
HTTPUnauthorized = _source.HTTPUnauthorized
HTTPForbidden = _source.HTTPForbidden
HTTPNotFound = _source.HTTPNotFound
HTTPMethodNotAllowed = _source.HTTPMethodNotAllowed
HTTPConflict = _source.HTTPConflict
HTTPOverLimit = _source.HTTPOverLimit
HTTPInternalServerError = _source.HTTPInternalServerError
HTTPNotImplemented = _source.HTTPNotImplemented
HTTPBadGateway = _source.HTTPBadGateway
HTTPServiceUnavailable = _source.HTTPServiceUnavailable

#: Deltacloud error -> glanceclient class; by status for the rest.
FROM_DELTACLOUD = {
    dc.BadRequest: HTTPBadRequest,
    dc.Unauthorized: HTTPUnauthorized,
    dc.Forbidden: HTTPForbidden,
    dc.NotFound: HTTPNotFound,
    dc.MethodNotAllowed: HTTPConflict,
    dc.Conflict: HTTPConflict,
    dc.NotSupported: HTTPNotImplemented,
}
BY_STATUS = {500: HTTPInternalServerError, 502: HTTPBadGateway,
             503: HTTPServiceUnavailable, 504: HTTPBadGateway}


def from_deltacloud(error):
    cls = errors.lookup(FROM_DELTACLOUD, error) or BY_STATUS.get(
        errors.status_of(error), HTTPException)
    return cls(errors.describe(error))


def translating():
    return errors.translating(from_deltacloud)
