"""Suspend and resume of servers on Deltacloud, which has neither.

The Nova shim suspends a server by stopping its instance and resumes it
by starting it (``ServerManager.suspend``/``resume`` in
:mod:`heat_deltacloud.compat.nova.servers`), refusing (501) where the
driver could not start it again.  Heat then waits for Nova's
``SUSPENDED``, which a Deltacloud instance never shows: the shim reports
a stopped instance as what it is, ``SHUTOFF``, so that a server stopped
by someone else is not passed off as suspended in ``show``, listings or
status filters.  Only here, while Heat waits for a suspend it asked for,
does a server Nova would call stopped (``SHUTOFF`` with no task) count
as suspended.  One still powering off is ``ACTIVE`` (as in Nova), and
one being deleted has task ``deleting``: Heat waits on both.  Resume
waits for ``ACTIVE``, which the started instance shows; but Heat skips
resuming a server already ``ACTIVE``, and one still powering off (a
suspend that timed out, a stop from outside) would be passed off as
resumed while it goes on to stop, so that resume fails saying why.
"""

from heat.common import exception

#: Nova's task state while a server stops (Deltacloud's STOPPING).
POWERING_OFF = "powering-off"


class SuspendsByStopping:
    """Mixin for Heat's Server and Instance: a stopped server is suspended,
    one still stopping is not resumed.

    The rest is Heat's ``check_suspend_complete`` and
    ``check_resume_complete`` (a server read once per poll): done on
    ``SUSPENDED`` (``ACTIVE``), waiting on the other known statuses,
    failing on ``ERROR`` or an unknown status.
    """

    #: The word Heat's failure message uses ("Suspend of server x failed").
    suspended_noun = "server"

    def check_resume_complete(self, server_id):
        plugin = self.client_plugin()
        server = plugin.fetch_server(server_id)
        if server is None:
            return False
        if getattr(server, "OS-EXT-STS:task_state", None) == POWERING_OFF:
            raise exception.Error(
                f"Resume of {self.suspended_noun} {server.name} failed: it "
                "is still stopping (ACTIVE, task powering-off); resume "
                "again once it has stopped")
        if plugin.get_status(server) in plugin.deferred_server_statuses:
            return False  # as _check_active, without its second read
        return plugin._check_active(server,
                                    self.suspended_noun.capitalize())

    def check_suspend_complete(self, server_id):
        plugin = self.client_plugin()
        server = plugin.fetch_server(server_id)
        if server is None:
            return False
        status = plugin.get_status(server)
        if status in plugin.deferred_server_statuses | {"ACTIVE"}:
            return status == "SUSPENDED" or (
                status == "SHUTOFF"
                and getattr(server, "OS-EXT-STS:task_state", None) is None)
        raise exception.ResourceUnknownStatus(
            result=f"Suspend of {self.suspended_noun} {server.name} failed",
            resource_status=status)
