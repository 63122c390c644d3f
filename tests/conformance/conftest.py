"""Collects the Deltacloud API suite's counts for the session summary."""

import collections

import pytest

COUNTS = pytest.StashKey()


@pytest.fixture(scope="session")
def suite_counts(request):
    """``{driver: Counter}`` of the suite's statuses (pass, fail, error,
    skip, known: a fail or error of :data:`test_suite.KNOWN`) and
    ``seconds``, shown at the end of the session."""
    return request.config.stash.setdefault(
        COUNTS, collections.defaultdict(collections.Counter))


def pytest_terminal_summary(terminalreporter, config):
    counts = config.stash.get(COUNTS, None)
    if not counts:
        return
    terminalreporter.section("Deltacloud API conformance suite")
    for driver, count in counts.items():
        known = f", {count['known']} known (xfail)" if count["known"] \
            else ""
        terminalreporter.write_line(
            f"{driver}: {count['pass']} passed, {count['fail']} failed, "
            f"{count['error']} errors{known}, {count['skip']} skipped "
            f"({count['seconds']:.1f} s)")
