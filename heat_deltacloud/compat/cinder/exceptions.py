"""cinderclient's exception classes, or compatible stand-ins without it.

cinderclient's classes have the same shape as novaclient's (``code``,
``message``, ``http_status``), so the stand-ins are novaclient's.
"""

from heat_deltacloud.compat import errors
from heat_deltacloud.deltacloud import exceptions as dc

try:
    from cinderclient import exceptions as _source
except ImportError:  # pragma: no cover - exercised in a subprocess test
    from heat_deltacloud.compat.nova import _fallback_exceptions as _source

NATIVE = _source.__name__ == "cinderclient.exceptions"

ClientException = _source.ClientException
BadRequest = _source.BadRequest
Unauthorized = _source.Unauthorized
Forbidden = _source.Forbidden
NotFound = _source.NotFound
OverLimit = _source.OverLimit
HTTPNotImplemented = _source.HTTPNotImplemented

#: Deltacloud error -> cinderclient class; the rest keep their status on
#: ClientException (cinderclient has no Conflict class: Heat checks 409).
FROM_DELTACLOUD = {
    dc.BadRequest: BadRequest,
    dc.Unauthorized: Unauthorized,
    dc.NotFound: NotFound,
    dc.NotSupported: HTTPNotImplemented,
}


def from_deltacloud(error):
    cls = errors.lookup(FROM_DELTACLOUD, error)
    if cls is None:
        status = 409 if isinstance(error, (dc.Forbidden, dc.Conflict,
                                           dc.MethodNotAllowed)) \
            else errors.status_of(error)
        return ClientException(status, errors.describe(error))
    return cls(cls.http_status, errors.describe(error))


def translating():
    return errors.translating(from_deltacloud)
