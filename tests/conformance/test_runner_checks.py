"""The suite module's own logic: why it would skip, how it reports."""

import importlib.util
import pathlib

import pytest

HERE = pathlib.Path(__file__).parent


@pytest.fixture
def suite_module():
    spec = importlib.util.spec_from_file_location(
        "conformance_suite_copy", HERE / "test_suite.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_ruby_is_a_clear_reason(suite_module, monkeypatch):
    monkeypatch.setattr(suite_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(suite_module, "RUN", HERE / "test_suite.py")
    assert suite_module._missing().startswith("ruby is not installed")
    monkeypatch.setattr(suite_module, "RUN", HERE / "nowhere.sh")
    assert "conformance suite is not at" in suite_module._missing()


def test_problems_quote_the_suite(suite_module):
    rows = [
        {"type": "test", "status": "pass", "class": "c", "name": "ok"},
        {"type": "test", "status": "fail", "class": "C", "name": "t1",
         "message": "Expected  200\n got 404",
         "exchanges": [{"method": "GET", "url": "http://x/api/",
                        "status": 404}]},
        {"type": "load_error", "message": "boom"},
        {"type": "after", "status": "error", "message": "cleanup"},
        {"type": "timeout", "seconds": 9}]
    assert suite_module._problems(rows) == [
        "FAIL C :: t1", "    Expected 200 got 404",
        "    last HTTP: GET http://x/api/ -> 404",
        "ERROR (file load: no test in this file ran)", "    boom",
        "ERROR (after_tests cleanup)", "    cleanup",
        "ERROR (timed out after 9 s)"]
