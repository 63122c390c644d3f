"""Fixtures for the deltacloud_auth filter and the real heat-api/-cfn.

Names are specific (``auth_*``, ``heat_api_server``, ``heat_cfn_server``)
because other test modules in this folder bring fixtures of their own.
"""

import socket
import threading

import pytest

from heat_deltacloud.mock.server import MockServer

try:
    # Choose oslo.service's threading backend before anything loads Heat's
    # client plugins (the filter does, at creation), which would settle on
    # eventlet and leave the embedded engine short of threads.
    from heat_deltacloud.heat import embedded as _embedded  # noqa: F401
except ImportError:  # no Heat: the heat-marked tests report it
    pass

#: Users of :func:`auth_users_mock`, next to the mock's mockuser.
AUTH_USERS = {"alice": "alice-pw", "bob": "bob-pw",
              "zoë": "pässwörd-€"}


@pytest.fixture
def auth_conf():
    """A fresh ConfigOpts with this package's options; no URL set."""
    from oslo_config import cfg

    from heat_deltacloud.heat import opts

    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], project="heat-deltacloud-tests", default_config_files=[],
         default_config_dirs=[])
    yield conf
    conf.reset()


@pytest.fixture(scope="module")
def _auth_users_server():
    with MockServer(users=AUTH_USERS, fix_user_data_feature=True) as server:
        yield server


@pytest.fixture
def auth_users_mock(_auth_users_server):
    """A mock Deltacloud that also knows alice, bob and zoë."""
    _auth_users_server.reset()
    yield _auth_users_server


@pytest.fixture
def closed_port_url():
    """A Deltacloud URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


class WSGIServer:
    """A WSGI app served by waitress on 127.0.0.1, any port, in a thread."""

    def __init__(self, app, name):
        from waitress.server import create_server

        self._server = create_server(app, host="127.0.0.1", port=0,
                                     threads=4, ident=name)
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name=name,
                                        daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        from waitress import wasyncore

        self._server.close()
        # Clients' keep-alive connections would keep the loop running.
        wasyncore.close_all(self._server._map)
        self._server.task_dispatcher.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def embedded_heat():
    """The process's embedded Heat engine (fake:// messaging, sqlite)."""
    from heat_deltacloud.heat import embedded
    return embedded.start()


def _load_heat_app(name):
    from heat.common import config as heat_config
    return heat_config.load_paste_app(name)


@pytest.fixture(scope="module")
def heat_api_server(embedded_heat):
    """heat-api, loaded by Heat from our api-paste.ini (flavor deltacloud)."""
    with WSGIServer(_load_heat_app("heat-api"), "heat-api") as server:
        yield server


@pytest.fixture(scope="module")
def heat_cfn_server(embedded_heat):
    """heat-api-cfn, loaded the same way."""
    with WSGIServer(_load_heat_app("heat-api-cfn"), "heat-api-cfn") as srv:
        yield srv
