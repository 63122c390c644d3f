"""Apache Deltacloud's own black-box API suite against the mock and the
server.

``../shared/conformance`` holds the suite (``tests/deltacloud`` of
apache/deltacloud, unchanged), its Ruby 3.1 compatibility patch and
``run.sh``.  For each emulated driver, one ``run.sh`` runs every suite
file (each in its own Ruby process, the mock reset before each) against
a fresh :class:`~heat_deltacloud.mock.server.MockServer` serving that
driver by default; ``libcloud-ec2`` is ``heat-deltacloud-server --driver
libcloud:ec2,mock`` on moto's EC2 (:mod:`.moto_cloud`, which also serves
the reset).  Each file is then one test here: it fails with the
suite's own lines for every failing or erroring test, and is skipped
only when every test of the file was skipped (a collection the driver
does not have).  The counts and wall time appear in the session
summary.

Needs ``ruby`` with rest-client, nokogiri and minitest (Debian:
``ruby ruby-rest-client ruby-nokogiri ruby-minitest``); without them the
tests skip, saying so.  CI installs them (``.ci/run``).
"""

import contextlib
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

from heat_deltacloud.mock.server import MockServer

ROOT = pathlib.Path(__file__).resolve().parents[2]
SUITE = pathlib.Path(os.environ.get(
    "DC_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))
RUN = SUITE / "run.sh"
#: run.sh's files, in the suite's Rakefile order.
FILES = ("addresses", "base_api", "buckets", "drivers", "firewalls",
         "images", "instances", "instance_states", "keys",
         "load_balancers", "metrics", "realms", "storage_volumes",
         "storage_snapshots", "hardware_profiles")
DRIVERS = ("mock", "ec2", "libcloud-ec2")
#: (driver, file) -> (test name, why it cannot pass): the suite's runner
#: seeds the generator with the same seed at load time (its recorder)
#: and again before the tests (minitest), so the first random name a
#: test draws repeats the first one drawn at load.  In buckets_test.rb on
#: a driver with ``bucket_location`` that is the bucket the file created
#: and filled at load, which no faithful server can create again and then
#: delete (the real mock would 403 BucketNotEmpty, S3 409).
#: On libcloud-ec2, base_api_test.rb asserts that the ec2 driver lacks
#: ``user_name``, true of Deltacloud's 2013 ec2 driver; libcloud's names
#: an instance (its ``Name`` tag), so the server advertises it, which is
#: what lets Heat's servers keep their names.
KNOWN = {("ec2", "buckets"): (
    "test_0001_should be possible to specify location for POST "
    "/api/buckets if bucket_location feature",
    "run.sh seeds load-time and test-time picks alike, so this test "
    "re-creates the bucket the file filled at load"),
    ("libcloud-ec2", "base_api"): (
    "test_0014_must change the features when driver is swapped using "
    "HTTP headers",
    "the suite says ec2 has no user_name; libcloud's ec2 driver names "
    "instances (a Name tag) and the server says so")}
#: run.sh's defaults: the mock's user; moto takes any credentials.
USER, PASSWORD = "mockuser", "mockpassword"
RUBY_LIBS = ('require "rest_client"; require "nokogiri"; '
             'require "minitest"; require "json"; require "yaml"')


def _missing():
    """Why the suite cannot run here, or None."""
    if not RUN.is_file():
        return f"the conformance suite is not at {SUITE}"
    if shutil.which("ruby") is None:
        return ("ruby is not installed (Debian: apt-get install ruby "
                "ruby-rest-client ruby-nokogiri ruby-minitest)")
    found = subprocess.run(["ruby", "-e", RUBY_LIBS], capture_output=True,
                           check=False)
    if found.returncode != 0:
        return ("ruby lacks rest-client, nokogiri or minitest (Debian: "
                "apt-get install ruby-rest-client ruby-nokogiri "
                "ruby-minitest)")
    return None


MISSING = _missing()
pytestmark = pytest.mark.skipif(MISSING is not None,
                                reason=MISSING or "")


@pytest.fixture(scope="module", params=DRIVERS)
def suite_run(request, tmp_path_factory, suite_counts):
    """(driver, {file: [result rows]}) of one run of the whole suite."""
    driver = request.param
    out = tmp_path_factory.mktemp(f"conformance-{driver}")
    with _serving(driver, out) as (url, reset_url):
        started = time.monotonic()
        done = subprocess.run(
            [str(RUN), url, "--reset-url", reset_url, "-o", str(out),
             "--timeout", "300", "--user", USER, "--password", PASSWORD],
            capture_output=True, text=True, timeout=1200, check=False)
        suite_counts[driver]["seconds"] += time.monotonic() - started
    results = out / "results.jsonl"
    if done.returncode == 2 or not results.is_file():
        pytest.fail(f"run.sh could not run ({done.returncode}):\n"
                    f"{done.stderr}{done.stdout}")
    by_file = {}
    for row in _rows(results):
        by_file.setdefault(row.get("file", "").removesuffix("_test.rb"),
                           []).append(row)
    return driver, by_file


@contextlib.contextmanager
def _serving(driver, tmp_path):
    """``(api URL, reset URL)`` of a fresh server for ``driver``."""
    if driver == "libcloud-ec2":
        pytest.importorskip("libcloud", reason="the server extra is not "
                                               "installed")
        pytest.importorskip("moto.server", reason="moto[server] is not "
                                                  "installed")
        from conformance import moto_cloud
        with moto_cloud.server(tmp_path, USER, PASSWORD) as urls:
            yield urls
        return
    with MockServer(driver=driver) as mock:
        yield mock.url, mock.url.replace("/api", "/_mock/reset")


def _rows(results):
    rows = []
    for line in results.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return rows


def _problems(rows):
    """The suite's own lines for what failed or errored."""
    lines = []
    for row in rows:
        kind, status = row.get("type"), row.get("status")
        if kind == "test" and status in ("fail", "error"):
            label = f"{status.upper()} {row['class']} :: {row['name']}"
        elif kind == "load_error":
            label = "ERROR (file load: no test in this file ran)"
        elif kind == "after" and status == "error":
            label = "ERROR (after_tests cleanup)"
        elif kind == "timeout":
            label = f"ERROR (timed out after {row.get('seconds')} s)"
        else:
            continue
        lines.append(label)
        if row.get("message"):
            lines.append(f"    {' '.join(str(row['message']).split())}")
        last = (row.get("exchanges") or [None])[-1]
        if last:
            lines.append(f"    last HTTP: {last.get('method')} "
                         f"{last.get('url')} -> "
                         f"{last.get('status') or last.get('error')}")
    return lines


@pytest.mark.parametrize("name", FILES)
def test_suite_file(suite_run, name, suite_counts):
    driver, by_file = suite_run
    rows = by_file.get(name)
    if not rows:
        pytest.fail(f"{name}_test.rb left no results on {driver}")
    counts = suite_counts[driver]
    tests = [r for r in rows if r.get("type") == "test"]
    known_name, known_reason = KNOWN.get((driver, name), (None, None))
    known = [r for r in tests if r.get("name") == known_name and
             r["status"] in ("fail", "error")]
    for row in tests:
        counts["known" if row in known else row["status"]] += 1
    counts["error"] += sum(
        1 for r in rows if r.get("type") in ("load_error", "timeout") or
        (r.get("type") == "after" and r.get("status") == "error"))
    problems = _problems([r for r in rows if r not in known])
    if problems:
        pytest.fail(f"{name}_test.rb on the {driver} driver:\n" +
                    "\n".join(problems), pytrace=False)
    if known:
        pytest.xfail(f"{name}_test.rb on {driver}: {known_name}: "
                     f"{known_reason}")
    if tests and all(r["status"] == "skip" for r in tests):
        reasons = sorted({r.get("message") or "" for r in tests})
        pytest.skip(f"{name}_test.rb on {driver}: every test skipped "
                    f"({'; '.join(reasons)[:200]})")
