"""A stateful Deltacloud server behaving like the real server's mock driver.

``models`` holds the state machine (no HTTP), ``drivers`` the emulated
drivers, ``guest`` (with ``guestboot``, ``userdata``, ``cfnshim``) the
guest mode, ``wsgi`` the thin WebOb application
(:func:`heat_deltacloud.mock.wsgi.make_app`) over the HTTP layer of
:mod:`heat_deltacloud.server` (``api``, ``exchange``, ``documents``,
``protocol``, ``routing``), ``control`` and
``controlplane`` the test controls under ``/_mock/``, ``server`` the
threaded runner (:class:`heat_deltacloud.mock.server.MockServer`) and
``cli`` the ``heat-deltacloud-mock`` command.
"""
