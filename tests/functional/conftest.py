"""The distributed harness, one per session (convergence, two engines).

Tests here start real processes: RabbitMQ and PostgreSQL from Debian
(installed with apt-get when missing, which needs root), heat-api,
heat-api-cfn and two heat-engines.  They are skipped, saying why, only
when those packages are missing and cannot be installed.
"""

import pytest

pytest.importorskip("heat", reason="needs the 'heat' extra (Heat 27)")

from heat_deltacloud.harness import Harness, packages  # noqa: E402


def unavailable_reason():
    missing = [name for name in packages.PROVIDES
               if packages.find(name) is None]
    if missing and not packages.apt_available():
        return (f"{', '.join(missing)} not installed and apt-get cannot "
                "install it here (needs root)")
    return None


def skip_unless_available():
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def harness(tmp_path_factory):
    """Heat as processes on convergence; its run folder (logs) is kept
    under pytest's temporary directory."""
    skip_unless_available()
    with Harness(tmp_path_factory.mktemp("harness")) as running:
        yield running
