"""Calls a shim does not implement, refused in one line.

Heat calls whatever the OpenStack client has (``server.resize()`` on a
flavor change, cinder's ``restores`` for a volume made from a
backup...).  A shim without the method would hand Heat an
``AttributeError``, which Heat shows as the resource's reason.  Each
family lists instead what it refuses in one table, method name -> why
(and what to do instead); :func:`refusing` adds one method per entry,
raising the family's "not implemented" (501) exception with that
message.
"""


def refusing(table, error):
    """Class decorator: a method per ``name: message`` of ``table``,
    raising ``error(message)`` whatever it is called with."""
    def decorate(cls):
        for name, message in table.items():
            setattr(cls, name, _refusal(name, message, error))
        return cls
    return decorate


def _refusal(name, message, error):
    def refuse(self, *args, **kwargs):
        raise error(message)
    refuse.__name__ = refuse.__qualname__ = name
    refuse.__doc__ = f"Refused (501): {message}."
    return refuse


class Refusing:
    """A manager the shim has none of (cinder's ``restores``...): every
    public attribute is a call refused with ``message``."""

    def __init__(self, message, error):
        self._message = message
        self._error = error

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        message, error = self._message, self._error

        def refuse(*args, **kwargs):
            raise error(message)
        return refuse
