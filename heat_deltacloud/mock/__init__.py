"""A stateful Deltacloud server behaving like the real server's mock driver.

``models`` holds the state machine (no HTTP), ``api`` the URL table and its
handlers, ``documents`` the XML and JSON rendering, ``protocol`` content
negotiation and the routing layer's answers, ``wsgi`` the thin WebOb
application (:func:`heat_deltacloud.mock.wsgi.make_app`), ``control`` and
``controlplane`` the test controls under ``/_mock/``, ``server`` the
threaded runner (:class:`heat_deltacloud.mock.server.MockServer`) and
``cli`` the ``heat-deltacloud-mock`` command.
"""
