"""A stateful Deltacloud server behaving like the real server's mock driver.

``models`` holds the state machine (no HTTP), ``documents`` renders XML and
JSON, ``wsgi`` is the thin WebOb layer with the URL table and the control
plane, ``server`` runs it on a real threaded server, ``cli`` is the
``heat-deltacloud-mock`` command.
"""
