"""Compat shims over a real Deltacloud client talking to the mock."""

import pytest

from heat_deltacloud.compat import glance, neutron, nova
from heat_deltacloud.deltacloud import Client
from heat_deltacloud.mock.server import MockServer


@pytest.fixture
def dc(deltacloud_mock):
    with Client(deltacloud_mock.url, "mockuser", "mockpassword",
                backoff_factor=0) as client:
        yield client


@pytest.fixture
def compute(dc):
    return nova.Client(dc, delete_timeout=5, poll_interval=0.05)


@pytest.fixture
def images(dc):
    return glance.Client(dc)


@pytest.fixture
def network(dc):
    return neutron.Client(dc)


@pytest.fixture(scope="module")
def user_data_mock():
    """A mock that advertises the user_data feature (its typo fixed)."""
    with MockServer(fix_user_data_feature=True) as server:
        yield server
