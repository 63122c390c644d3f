"""Heat 27's own functional tests (heat_integrationtests), unmodified,
against the harness: heat-api with the Deltacloud filter, two engines,
RabbitMQ, PostgreSQL, the mock.

CI runs :data:`heat_deltacloud.harness.functional.CI_SELECT` (a subset
that keeps CI short); ``HEAT_DELTACLOUD_FUNCTIONAL=all`` runs every test
not in the exclusion list.  Counts go to ``functional.json`` in the run
folder and to the terminal.
"""

import os

import pytest

from heat_deltacloud.harness import functional

pytestmark = [pytest.mark.heat, pytest.mark.slow, pytest.mark.functional]

#: The whole applicable suite takes about half an hour on 2 cores.
TIMEOUT = 3600


@pytest.mark.timeout(TIMEOUT)
def test_heat_functional_tests_pass(harness, capsys):
    everything = os.environ.get("HEAT_DELTACLOUD_FUNCTIONAL") == "all"
    counts = functional.run(
        harness, select=None if everything else functional.CI_SELECT,
        concurrency=2)
    functional.write_counts(counts, harness.run_dir / "functional.json")
    with capsys.disabled():
        print(f"\nHeat functional tests ({'all' if everything else 'CI'}"
              f"): {counts.summary()}")
    assert counts.run > 0 and counts.passed > 0
    assert counts.failures == {}, (
        f"{counts.summary()}; logs in {harness.log_dir} and "
        f"{harness.run_dir / 'functional'}")
