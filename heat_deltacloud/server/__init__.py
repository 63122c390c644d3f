"""A Deltacloud API server in front of real clouds.

``heat-deltacloud-server`` (:mod:`.cli`) serves it.

Layout: :mod:`.interface` is the driver interface the HTTP layer
(:mod:`heat_deltacloud.mock.api` handlers, :mod:`heat_deltacloud.mock.wsgi`
exchanges and :mod:`heat_deltacloud.mock.documents`) calls; the drivers are
the mock's in-memory cloud (``--driver mock``) and
:mod:`.drivers.libcloud` (``--driver libcloud:<provider>``); :mod:`.app`
dispatches requests to a libcloud driver, :mod:`.cli` serves it.
"""
