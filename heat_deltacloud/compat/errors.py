"""Deltacloud errors turned into each OpenStack client's exceptions.

Each shim family (nova, glance, neutron, cinder) gives one table from
Deltacloud error class to its own exception class; :func:`translating`
applies it.  Heat checks exact types, so the classes are the client
libraries' own whenever those are installed.
"""

import contextlib

from heat_deltacloud.deltacloud import exceptions as dc


def status_of(error):
    """The HTTP status an OpenStack client would have seen."""
    if isinstance(error, (dc.Timeout, dc.ConnectionFailed)):
        return 503  # transient: Heat's pollers tolerate 503 and retry
    if isinstance(error, dc.MalformedResponse):
        return 502
    return error.status or 500


def describe(error):
    """The error's message and request, without the status.

    OpenStack exceptions print their own ``(HTTP nnn)``, so the status is
    left out here to avoid saying it twice.
    """
    if error.method and error.url:
        return f"{error.message} ({error.method} {error.url})"
    return error.message


def lookup(table, error):
    """The most specific entry of ``table`` for ``error``'s class."""
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return None


@contextlib.contextmanager
def translating(convert):
    """Turn any Deltacloud error raised inside into ``convert(error)``."""
    try:
        yield
    except dc.DeltacloudError as error:
        raise convert(error) from error
