"""The README's main job, run exactly as the README runs it."""

import pathlib
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.heat]

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_dev_demo_arguments():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import dev
        return dev.DEMO
    finally:
        sys.path.pop(0)


def test_main_job_launches_the_example_and_cleans_up():
    result = subprocess.run(
        [sys.executable, "-m", "heat_deltacloud.cli", "demo",
         *run_dev_demo_arguments()],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "stack WordPress-two-tiers: CREATE_COMPLETE" in out
    assert "Web        CREATE_COMPLETE" in out
    assert "output WebPublicIp = img1." in out
    assert "instances left in the mock: 0" in out
    assert "Traceback" not in result.stderr


def test_bad_parameter_is_a_one_line_error():
    result = subprocess.run(
        [sys.executable, "-m", "heat_deltacloud.cli", "demo",
         "--param", "nonsense"],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "heat-deltacloud: --param 'nonsense': expected KEY=VALUE")
