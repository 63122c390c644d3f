"""Deltacloud instance states as Nova sees servers: one table.

Unknown states map to ``UNKNOWN`` (logged once per state), which makes Heat
raise ``ResourceUnknownStatus``: loud and correct, never a ``KeyError``.
``FINISH`` is not a status: a finished instance is gone, and the servers
manager answers ``NotFound`` for it.
"""

import collections
import logging
import threading

LOG = logging.getLogger(__name__)

NovaState = collections.namedtuple(
    "NovaState", "status vm_state task_state power_state")

#: Deltacloud state -> how Nova would describe the server.  Power states
#: use Nova's numbers: 0 NOSTATE, 1 RUNNING, 4 SHUTDOWN.
STATES = {
    "START": NovaState("BUILD", "building", "scheduling", 0),
    "PENDING": NovaState("BUILD", "building", "spawning", 0),
    "RUNNING": NovaState("ACTIVE", "active", None, 1),
    "STOPPING": NovaState("SHUTOFF", "active", "powering-off", 1),
    "SHUTTING_DOWN": NovaState("SHUTOFF", "active", "powering-off", 1),
    "STOPPED": NovaState("SHUTOFF", "stopped", None, 4),
    "ERROR": NovaState("ERROR", "error", None, 0),
}
UNKNOWN = NovaState("UNKNOWN", None, None, 0)

#: States in which the instance no longer exists.
GONE = frozenset({"FINISH"})

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
