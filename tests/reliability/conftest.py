"""The embedded engine and its APIs, in front of a mock with ten users."""

import types

import pytest

try:
    # oslo.service's threading backend must be chosen before Heat loads.
    from heat_deltacloud.heat import embedded as _embedded  # noqa: F401
except ImportError:  # no Heat: the heat-marked tests report it
    pass

from heat_deltacloud.mock.server import MockServer

USERS = {f"user{n}": f"pw-{n}-\u00f8" for n in range(10)}


@pytest.fixture(scope="module")
def stack_services():
    from heat_deltacloud.heat import apis, embedded

    heat = embedded.start()
    with MockServer(users=USERS, fix_user_data_feature=True,
                    threads=16) as mock, apis.serve(heat) as served:
        yield types.SimpleNamespace(mock=mock, heat=heat, apis=served)


@pytest.fixture
def services(stack_services):
    stack_services.mock.reset()
    yield stack_services
    stack_services.mock.clear_faults()
