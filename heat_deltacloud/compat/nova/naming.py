"""Instance names that say which Heat installation made them.

Deltacloud keeps no tags, so the Nova shim appends a per-installation
marker to the name Heat gives a server (``<stack>-<resource>-<short id>``
becomes ``<stack>-<resource>-<short id>.<marker>``) and strips it again
from what Heat reads.  The marker is derived from the installation's
``auth_encryption_key`` (one-way: it reveals nothing of the key), so
``heat-deltacloud reconcile`` can tell this Heat's instances from those of
another Heat sharing the Deltacloud account, and deletes only the former.
Names a template gives (``OS::Nova::Server``'s ``name``) are sent as they
are: ``reconcile`` only considers names Heat made up.  Drivers that do not
keep names (no ``user_name`` feature, such as ec2,
where an instance is named after its image) carry no marker: their
instances can never be proven anyone's.
"""

import hashlib
import re

#: A name Heat gave (ending in its 12-character short id), then a marker.
MARKED = re.compile(r"^(?P<name>.+-[a-z0-9]{12})\.(?P<marker>[0-9a-f]{8})$")
#: A name Heat gave, with or without a marker.
HEAT_MADE = re.compile(r"-[a-z0-9]{12}(\.[0-9a-f]{8})?$")
#: A name Heat gave, without a marker.
UNMARKED = re.compile(r"-[a-z0-9]{12}$")


def installation_marker(secret):
    """The marker of the installation whose ``auth_encryption_key`` is
    ``secret``: 8 hex digits, None without a key."""
    if not secret:
        return None
    digest = hashlib.sha256(b"heat-deltacloud instance marker\0" +
                            secret.encode("utf-8"))
    return digest.hexdigest()[:8]


def mark(name, marker):
    """The Deltacloud name for Heat's server ``name``: marked when Heat
    made it up (a template's own ``name`` property is sent as it is)."""
    if name and marker and UNMARKED.search(name):
        return f"{name}.{marker}"
    return name


def split(name):
    """``(Heat's name, marker or None)`` of a Deltacloud instance name."""
    found = MARKED.match(name or "")
    if found:
        return found["name"], found["marker"]
    return name, None


def heat_made(name):
    """Whether ``name`` is one Heat gives servers (marked or not)."""
    return bool(name) and HEAT_MADE.search(name) is not None
