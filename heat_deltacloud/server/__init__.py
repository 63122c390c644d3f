"""A Deltacloud API server in front of real clouds.

``heat-deltacloud-server`` (:mod:`.cli`) serves it.

Layout: the HTTP layer is :mod:`.api` (the URL table and its handlers),
:mod:`.documents` (XML and JSON), :mod:`.protocol` (negotiation, the
routing layer's answers), :mod:`.routing` (``OPTIONS``/``HEAD``) and
:mod:`.exchange` (one request being answered); :mod:`.interface` is the
driver interface the handlers call; the drivers are
the mock's in-memory cloud (``--driver mock``) and
:mod:`.drivers.libcloud` (``--driver libcloud:<provider>``); :mod:`.app`
dispatches requests to a libcloud driver, :mod:`.cli` serves it.

:mod:`.keepalive` (connections kept open after bodiless answers) and
:mod:`.threaded` (waitress in a thread, stopped cleanly) are waitress
plumbing the mock shares; embedded Heat's APIs use :mod:`.threaded` too.
"""
