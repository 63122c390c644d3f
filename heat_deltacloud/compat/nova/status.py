"""Deltacloud instance states as Nova sees servers: one table.

Each row is what Nova's API would show for a server in that condition:
Nova derives ``status`` from ``vm_state`` (and a few task states), so a
server still powering off is ``ACTIVE`` with task ``powering-off`` until
it is off, and only then ``SHUTOFF`` (vm_state ``stopped``).  Heat reads
the status: ``ACTIVE`` finishes a create or resume, the other statuses
in its ``deferred_server_statuses`` make it wait, ``ERROR`` and anything
else fail it.

``SHUTTING_DOWN`` is EC2's ``shutting-down``, a terminating instance on
its way to ``FINISH``: Nova's deleting server (task ``deleting``).  Its
vm_state is what the server was before, which Deltacloud does not say;
``stopped`` is taken so that Heat never counts a dying server as created
or resumed (``ACTIVE`` would), but waits until it is gone.

``FINISH`` is Nova's ``DELETED``: the servers manager answers
``NotFound`` for it, as Nova does for a deleted server.  Deltacloud's
``UNKNOWN`` is Nova's (the state cannot be read), and so is any state not
in the table (logged once per state): Heat fails on it, loud and correct,
never a ``KeyError``.
"""

import collections
import logging
import threading

LOG = logging.getLogger(__name__)

NovaState = collections.namedtuple(
    "NovaState", "status vm_state task_state power_state")

#: Nova's power states (nova/compute/power_state.py).
NOSTATE, RUNNING, SHUTDOWN = 0, 1, 4

#: Deltacloud state -> how Nova would describe the server.
STATES = {
    "START": NovaState("BUILD", "building", "scheduling", NOSTATE),
    "PENDING": NovaState("BUILD", "building", "spawning", NOSTATE),
    "RUNNING": NovaState("ACTIVE", "active", None, RUNNING),
    "REBOOTING": NovaState("REBOOT", "active", "rebooting", RUNNING),
    "STOPPING": NovaState("ACTIVE", "active", "powering-off", RUNNING),
    "STOPPED": NovaState("SHUTOFF", "stopped", None, SHUTDOWN),
    "SHUTTING_DOWN": NovaState("SHUTOFF", "stopped", "deleting", SHUTDOWN),
    "FINISH": NovaState("DELETED", "deleted", None, NOSTATE),
    "ERROR": NovaState("ERROR", "error", None, NOSTATE),
    "UNKNOWN": NovaState("UNKNOWN", None, None, NOSTATE),
}
UNKNOWN = STATES["UNKNOWN"]

#: States in which the instance no longer exists.
GONE = frozenset(state for state, nova in STATES.items()
                 if nova.status == "DELETED")

_reported = set()
_reported_lock = threading.Lock()


def nova_state(dc_state):
    """The :class:`NovaState` for a Deltacloud state string."""
    state = (dc_state or "").upper()
    found = STATES.get(state)
    if found is None:
        with _reported_lock:
            first = state not in _reported
            _reported.add(state)
        if first:
            LOG.warning("Deltacloud instance state %r has no Nova "
                        "equivalent; reporting UNKNOWN", dc_state)
        return UNKNOWN
    return found
