"""neutronclient's exception classes, or compatible stand-ins without it."""

from heat_deltacloud.compat import errors
from heat_deltacloud.deltacloud import exceptions as dc

try:
    from neutronclient.common import exceptions as _source
except ImportError:  # pragma: no cover - exercised in a subprocess test
    from heat_deltacloud.compat.neutron import _fallback_exceptions as _source

NATIVE = _source.__name__ == "neutronclient.common.exceptions"

NeutronClientException = _source.NeutronClientException
BadRequest = _source.BadRequest
Unauthorized = _source.Unauthorized
Forbidden = _source.Forbidden
NotFound = _source.NotFound
Conflict = _source.Conflict
InternalServerError = _source.InternalServerError
ServiceUnavailable = _source.ServiceUnavailable
NeutronClientNoUniqueMatch = _source.NeutronClientNoUniqueMatch

#: Deltacloud error -> neutronclient class.  Deltacloud's 403 for an
#: address in use (or not in use) is Neutron's 409.
FROM_DELTACLOUD = {
    dc.BadRequest: BadRequest,
    dc.Unauthorized: Unauthorized,
    dc.Forbidden: Conflict,
    dc.NotFound: NotFound,
    dc.MethodNotAllowed: Conflict,
    dc.Conflict: Conflict,
    dc.InternalServerError: InternalServerError,
    dc.ServiceUnavailable: ServiceUnavailable,
}


def from_deltacloud(error):
    cls = errors.lookup(FROM_DELTACLOUD, error) or NeutronClientException
    return cls(errors.describe(error), status_code=errors.status_of(error))


def translating():
    return errors.translating(from_deltacloud)
