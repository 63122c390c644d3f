"""Stand-ins for ``neutronclient.common.exceptions`` without neutronclient.

Same names, ``status_code`` attributes and message handling as
python-neutronclient 11.
"""


class NeutronException(Exception):
    message = "An unknown exception occurred."

    def __init__(self, message=None, **kwargs):
        if message:
            self.message = message
        try:
            self._error_string = self.message % kwargs
        except (KeyError, TypeError, ValueError):
            self._error_string = self.message

    def __str__(self):
        return self._error_string


class NeutronClientException(NeutronException):
    status_code = 0
    request_ids = []

    def __init__(self, message=None, **kwargs):
        self.request_ids = kwargs.get("request_ids")
        if "status_code" in kwargs:
            self.status_code = kwargs["status_code"]
        super().__init__(message, **kwargs)


class BadRequest(NeutronClientException):
    status_code = 400


class Unauthorized(NeutronClientException):
    status_code = 401
    message = "Unauthorized: bad credentials."


class Forbidden(NeutronClientException):
    status_code = 403
    message = ("Forbidden: your credentials don't give you access to this "
               "resource.")


class NotFound(NeutronClientException):
    status_code = 404


class Conflict(NeutronClientException):
    status_code = 409


class InternalServerError(NeutronClientException):
    status_code = 500


class ServiceUnavailable(NeutronClientException):
    status_code = 503


class NeutronClientNoUniqueMatch(NeutronClientException):
    message = "Multiple %(resource)s matches found for name '%(name)s'."
