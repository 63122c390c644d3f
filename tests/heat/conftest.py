"""Fixtures for the deltacloud_auth filter and the real heat-api/-cfn.

Names are specific (``auth_*``, ``heat_api_server``, ``heat_cfn_server``)
because other test modules in this folder bring fixtures of their own.
"""

import socket

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


@pytest.fixture(scope="module")
def heat(embedded_heat):
    """Short name for :func:`embedded_heat`."""
    return embedded_heat


@pytest.fixture(scope="module")
def embedded_heat():
    """The process's embedded Heat engine (fake:// messaging, sqlite)."""
    from heat_deltacloud.heat import embedded
    return embedded.start()


@pytest.fixture(scope="module")
def served_apis(embedded_heat):
    """heat-api and heat-api-cfn loaded by Heat from our api-paste.ini
    (flavor deltacloud), served on 127.0.0.1 next to the engine."""
    from heat_deltacloud.heat import apis

    with apis.serve(embedded_heat) as served:
        yield served


@pytest.fixture(scope="module")
def heat_api_server(served_apis):
    return served_apis.servers["heat-api"]


@pytest.fixture(scope="module")
def heat_cfn_server(served_apis):
    return served_apis.servers["heat-api-cfn"]
