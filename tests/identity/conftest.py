"""Fixtures for the identity endpoint: the mock Deltacloud, the embedded
Heat with heat-api (which serves the endpoint under ``/identity``) and
heat-api-cfn, and ``[deltacloud] url`` set to the mock, as an operator
sets it (a password login carries no Deltacloud URL).
"""

import pytest

from heat_deltacloud.mock.server import MockServer

try:
    # oslo.service's threading backend before anything loads Heat.
    from heat_deltacloud.heat import embedded as _embedded  # noqa: F401
except ImportError:  # no Heat: the heat-marked tests report it
    pass

from .helpers import USERS


@pytest.fixture(scope="module")
def cloud():
    with MockServer(users=USERS, fix_user_data_feature=True) as server:
        yield server


@pytest.fixture
def mock(cloud):
    cloud.reset()
    yield cloud


@pytest.fixture(scope="module")
def heat():
    from heat_deltacloud.heat import embedded
    return embedded.start()


@pytest.fixture(scope="module")
def served(heat, cloud):
    """heat-api (with /identity) and heat-api-cfn; identity_url,
    [clients_keystone] auth_uri and [deltacloud] url point at them."""
    from oslo_config import cfg

    from heat_deltacloud.heat import apis

    cfg.CONF.set_override("url", cloud.url, group="deltacloud")
    try:
        with apis.serve(heat, identity=True) as served:
            yield served
    finally:
        cfg.CONF.clear_override("url", group="deltacloud")


@pytest.fixture
def rpc_calls(monkeypatch):
    """Every call and cast the APIs make to the engine."""
    from heat.rpc import client as rpc_client

    calls = []
    for kind in ("call", "cast"):
        real = getattr(rpc_client.EngineClient, kind)

        def counted(self, ctxt, msg, *args, _real=real, **kwargs):
            calls.append(msg[0] if isinstance(msg, tuple) else msg)
            return _real(self, ctxt, msg, *args, **kwargs)
        monkeypatch.setattr(rpc_client.EngineClient, kind, counted)
    return calls
