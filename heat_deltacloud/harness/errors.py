"""The harness's one error class."""

from heat_deltacloud.errors import HeatDeltacloudError


class HarnessError(HeatDeltacloudError):
    """The distributed setup could not be started or used; ``str()`` says
    what and where to look (a log file in the run folder)."""
