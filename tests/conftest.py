"""Fixtures shared by every test folder."""

import os
import sys
import threading

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


#: Seconds the embedded engine gets to stop at the end of the session.
ENGINE_STOP_WAIT = 60
_engine_stuck = {"status": None}


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_heat():
    """Heat's engine threads are not daemons: stop them at the end.

    Heat's stop waits for every resource still in progress (a stack a
    failed test left waiting for a signal waits out its timeout), which
    would hold the run past its results: the wait is bounded, and past it
    the process exits once pytest has reported (see pytest_unconfigure).
    """
    yield
    embedded = sys.modules.get("heat_deltacloud.heat.embedded")
    if embedded is not None:
        stopper = threading.Thread(target=embedded.shutdown, daemon=True,
                                   name="embedded-heat-shutdown")
        stopper.start()
        stopper.join(ENGINE_STOP_WAIT)
        if stopper.is_alive():
            _engine_stuck["status"] = 0
            print(f"\nembedded Heat did not stop within {ENGINE_STOP_WAIT}"
                  " s (a resource still in progress); exiting without it",
                  file=sys.stderr)


def pytest_sessionfinish(session, exitstatus):
    if _engine_stuck["status"] is not None:
        _engine_stuck["status"] = int(exitstatus)


def pytest_unconfigure(config):
    if _engine_stuck["status"] is not None:
        # os._exit skips interpreter-exit cleanup: the engine's state
        # directory (made by it, in TMPDIR) goes first.
        sys.modules["heat_deltacloud.heat.embedded"].discard_state()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_engine_stuck["status"])
