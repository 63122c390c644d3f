"""The embedded Heat's own state directory (heat.conf with its encryption
key, the database with stored passwords) goes with it, however it ends;
a directory it was given is never removed."""

import gc
import os
import subprocess
import sys
import tempfile

import pytest

from heat_deltacloud.heat import embedded

pytestmark = [pytest.mark.heat]

STARTED_AND_STOPPED = """
from heat_deltacloud.heat import embedded
heat = embedded.EmbeddedHeat().start()
print(sorted(p.name for p in heat.state_dir.iterdir()))
heat.stop()
print(heat.state_dir.exists())
"""


def test_a_started_heat_removes_its_directory_on_stop(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", STARTED_AND_STOPPED], capture_output=True,
        text=True, timeout=120, env={**os.environ, "TMPDIR": str(tmp)})
    assert result.returncode == 0, result.stderr[-3000:]
    contents, exists = result.stdout.strip().splitlines()[-2:]
    assert "'heat.conf'" in contents and "'heat.sqlite'" in contents
    assert exists == "False"
    assert list(tmp.iterdir()) == []


class DiskFull(OSError):
    pass


@pytest.fixture
def failing_start(monkeypatch, tmp_path):
    """start() writes heat.conf, then fails; new temporary directories go
    under ``tmp_path``.  The directories start() saw, in a list."""
    seen = []

    def _start(self):
        self._write_config()
        seen.append(self.state_dir)
        raise DiskFull("no space left on device")

    monkeypatch.setattr(embedded.EmbeddedHeat, "_start", _start)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return seen


def test_a_start_that_fails_removes_the_directory_it_made(failing_start,
                                                          tmp_path):
    with pytest.raises(DiskFull):
        embedded.EmbeddedHeat().start()
    [made] = failing_start
    assert made.parent == tmp_path and made.name.startswith(
        "heat-deltacloud-")
    assert not made.exists()


def test_a_directory_given_is_never_removed(failing_start, tmp_path):
    given = tmp_path / "given"
    given.mkdir()
    (given / "mine").write_text("the caller's")
    with pytest.raises(DiskFull):
        embedded.EmbeddedHeat(state_dir=given).start()
    assert failing_start == [given]
    assert (given / "mine").read_text() == "the caller's"
    assert (given / "heat.conf").exists()


def test_nothing_is_made_before_start_and_cleanup_comes_with_it(
        monkeypatch, tmp_path):
    # Before: the constructor made the directory, and one never started
    # (or dropped before stop) left it in /tmp.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    heat = embedded.EmbeddedHeat()
    assert heat.state_dir is None and list(tmp_path.iterdir()) == []
    heat._make_state_dir()
    made = heat.state_dir
    assert made.is_dir()
    del heat
    gc.collect()
    assert not made.exists()


def test_discard_state_is_for_a_process_about_to_exit_at_once(
        monkeypatch, tmp_path):
    # tests/conftest.py os._exit()s when the engine does not stop in time,
    # which skips interpreter-exit cleanup: it discards the state first.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    heat = embedded.EmbeddedHeat()
    heat._make_state_dir()
    monkeypatch.setattr(embedded, "_instance", heat)
    embedded.discard_state()
    assert not heat.state_dir.exists()


def test_the_launchers_directory_goes_if_heat_was_never_imported(
        monkeypatch, tmp_path):
    # Ctrl-C or SIGTERM in a launch's first second interrupted the first
    # import of embedded, which then failed again (a half-imported asyncio:
    # NameError) in _stop_embedded before it removed the (empty) directory:
    # the leftovers found in /tmp.
    from heat_deltacloud.launch import cli

    state_dir = tmp_path / "heat-deltacloud-x"
    state_dir.mkdir()
    monkeypatch.delitem(sys.modules, "heat_deltacloud.heat.embedded")
    assert cli._stop_embedded(str(state_dir)) is True  # no engine ran
    assert not state_dir.exists()
