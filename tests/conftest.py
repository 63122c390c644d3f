"""Fixtures shared by every test folder."""

import sys

import pytest

from heat_deltacloud.mock.server import MockServer


@pytest.fixture(scope="session")
def _mock_server():
    with MockServer() as server:
        yield server


@pytest.fixture
def deltacloud_mock(_mock_server):
    """The mock Deltacloud on 127.0.0.1, reset to its seeded state."""
    _mock_server.reset()
    yield _mock_server


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_heat():
    """Heat's engine threads are not daemons: stop them at the end."""
    yield
    embedded = sys.modules.get("heat_deltacloud.heat.embedded")
    if embedded is not None:
        embedded.shutdown()
