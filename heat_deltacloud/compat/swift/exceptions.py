"""swiftclient's exception class, or a compatible stand-in without it.

Swift has one class, ``ClientException``, with the HTTP status in
``http_status``; Heat's swift plugin tells not-found (404) and conflict
(409) apart by that status alone.
"""

from heat_deltacloud.compat import errors
from heat_deltacloud.deltacloud import exceptions as dc

try:
    from swiftclient import exceptions as _source
except ImportError:  # pragma: no cover - exercised in a subprocess test
    from heat_deltacloud.compat.swift import _fallback_exceptions as _source

NATIVE = _source.__name__ == "swiftclient.exceptions"

ClientException = _source.ClientException

#: Deltacloud error -> the status Swift would answer.  A non-empty bucket
#: is 403 on the mock driver and 409 (BucketNotEmpty) on S3; Swift says
#: 409, which Heat reads as "not empty".
STATUS = {dc.Forbidden: 409, dc.Conflict: 409, dc.MethodNotAllowed: 409,
          dc.NotSupported: 501}
REASONS = {404: "Not Found", 409: "Conflict", 501: "Not Implemented"}


def error(message, status):
    return ClientException(message, http_status=status,
                           http_reason=REASONS.get(status, ""))


def from_deltacloud(exc):
    status = errors.lookup(STATUS, exc) or errors.status_of(exc)
    return error(errors.describe(exc), status)


def translating():
    return errors.translating(from_deltacloud)
