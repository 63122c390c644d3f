"""OpenStack-client-shaped shims over the Deltacloud client.

Heat's resource code talks to ``novaclient``, ``glanceclient``,
``neutronclient`` and ``cinderclient`` objects.  The shims here look and
fail like those clients (same attributes, same exception classes) while
doing the work through :class:`heat_deltacloud.deltacloud.Client`.
"""
