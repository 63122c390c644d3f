"""The root of every error this package raises on purpose.

The command line turns any :class:`HeatDeltacloudError` into a one-line
message and a non-zero exit status; anything else is a bug and keeps its
traceback.
"""


class HeatDeltacloudError(Exception):
    """Base class for the package's documented errors."""
