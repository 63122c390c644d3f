"""State directories that processes killed with SIGKILL left behind.

A killed launch never removes its ``heat-deltacloud-*`` directory; the next
embedded start removes it, and only it: a directory is swept when its
owner marker proves this installation made it and its process is gone.
Real processes, real SIGKILL; no Heat is started.
"""

import json
import logging
import os
import pathlib
import select
import signal
import subprocess
import sys
import tempfile

import pytest

from heat_deltacloud.heat import statedirs

#: A process that makes a state directory in argv[1] and waits.
MAKER = """\
import sys
from heat_deltacloud.heat import statedirs
print(statedirs.make(sys.argv[1]), flush=True)
sys.stdin.read()
"""


def start_maker(parent):
    """A live process owning a new state directory in ``parent``; both."""
    process = subprocess.Popen(
        [sys.executable, "-c", MAKER, str(parent)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline().strip() if ready else ""
    if not line:
        process.kill()
        pytest.fail("the child made no state directory")
    return process, pathlib.Path(line)


def kill(process):
    """SIGKILL, and reaped: no zombie holds the pid."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(60)
    process.stdin.close()
    process.stdout.close()


@pytest.fixture(scope="module")
def dead_pid():
    """The pid of a process that has ended."""
    process = subprocess.Popen(["true"])
    process.wait(60)
    return process.pid


def marked(parent, name, marker):
    """A directory ``name`` in ``parent`` with a file in it and ``marker``
    (a dict, written as the marker is, or bytes, as they are)."""
    path = parent / name
    path.mkdir()
    (path / "heat.conf").write_text("[DEFAULT]\n")
    if isinstance(marker, dict):
        statedirs.write_marker(path, marker)
    else:
        (path / statedirs.MARKER).write_bytes(marker)
    return path


def dead_marker(dead_pid, **changes):
    return {**statedirs.owner_marker(), "pid": dead_pid, "start_time": 1,
            **changes}


def test_a_killed_owners_directory_goes_and_a_live_ones_stays(tmp_path):
    killed, killed_dir = start_maker(tmp_path)
    alive, alive_dir = start_maker(tmp_path)
    try:
        marker = statedirs.read_marker(killed_dir)
        assert marker["pid"] == killed.pid
        assert marker["start_time"] == \
            statedirs.process_start_time(killed.pid)
        assert marker["uid"] == os.geteuid()
        assert statedirs.sweep(tmp_path) == []  # both owners live
        kill(killed)
        assert statedirs.sweep(tmp_path) == [killed_dir]
        assert not killed_dir.exists()
        assert alive_dir.is_dir()
    finally:
        kill(killed)
        kill(alive)
    # Its owner ended too: the next sweep takes it.
    assert statedirs.sweep(tmp_path) == [alive_dir]


def test_a_pid_now_held_by_another_process_is_not_the_owner(tmp_path):
    # The pid lives (this process), but started at another time than the
    # marker says: the marker's process is gone.
    mine = statedirs.owner_marker()
    reused = marked(tmp_path, "heat-deltacloud-reused",
                    {**mine, "start_time": mine["start_time"] + 1})
    owned = marked(tmp_path, "heat-deltacloud-owned", mine)
    assert statedirs.sweep(tmp_path) == [reused]
    assert owned.is_dir()


def test_a_directory_without_a_marker_stays(tmp_path):
    # The directories made before markers existed, or by anything else.
    old = tmp_path / "heat-deltacloud-old"
    old.mkdir()
    (old / "heat.sqlite").write_bytes(b"data")
    assert statedirs.sweep(tmp_path) == []
    assert (old / "heat.sqlite").read_bytes() == b"data"


MALFORMED = {
    "not json": b"pid=1",
    "a list": b"[1, 2]",
    "a field missing": lambda m: {k: v for k, v in m.items() if k != "uid"},
    "a field more": lambda m: {**m, "host": "x"},
    "a pid in words": lambda m: {**m, "pid": str(m["pid"])},
    "a pid that is a bool": lambda m: {**m, "pid": True},
    "pid 0": lambda m: {**m, "pid": 0},
    "a pid no process has": lambda m: {**m, "pid": statedirs.PID_MAX + 1},
    "a start before boot": lambda m: {**m, "start_time": -1},
    "another maker": lambda m: {**m, "made_by": "something else"},
    "another uid": lambda m: {**m, "uid": os.geteuid() + 1},
    "too long": lambda m: {**m, "boot_id": m["boot_id"] * 200},
}


@pytest.mark.parametrize("kind", MALFORMED)
def test_a_malformed_marker_keeps_its_directory(tmp_path, dead_pid, kind):
    marker = MALFORMED[kind]
    if callable(marker):
        marker = json.dumps(marker(dead_marker(dead_pid))).encode()
    path = marked(tmp_path, "heat-deltacloud-x", marker)
    assert statedirs.sweep(tmp_path) == []
    assert (path / "heat.conf").exists()


@pytest.mark.parametrize("make", [os.mkdir, os.mkfifo],
                         ids=["directory", "fifo"])
def test_a_marker_that_is_no_file_keeps_its_directory(tmp_path, make):
    path = tmp_path / "heat-deltacloud-x"
    path.mkdir()
    make(path / statedirs.MARKER)
    assert statedirs.sweep(tmp_path) == []  # and no wait on the fifo
    assert path.is_dir()


def test_another_boot_or_pid_namespace_proves_nothing(tmp_path, dead_pid):
    marked(tmp_path, "heat-deltacloud-boot",
           dead_marker(dead_pid, boot_id="another-boot"))
    marked(tmp_path, "heat-deltacloud-ns",
           dead_marker(dead_pid, pid_namespace="pid:[1]"))
    assert statedirs.sweep(tmp_path) == []
    assert len(list(tmp_path.iterdir())) == 2


def test_symbolic_links_are_never_followed(tmp_path, dead_pid):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # A link named as a state directory, to a directory a dead owner's
    # marker would condemn.
    target = marked(elsewhere, "data", dead_marker(dead_pid))
    link = tmp_path / "heat-deltacloud-link"
    link.symlink_to(target)
    # A marker that is a link to a dead owner's marker.
    linked = tmp_path / "heat-deltacloud-linked-marker"
    linked.mkdir()
    (linked / statedirs.MARKER).symlink_to(target / statedirs.MARKER)
    assert statedirs.sweep(tmp_path) == []
    assert link.is_symlink() and (target / "heat.conf").exists()
    assert linked.is_dir()


def test_only_direct_children_named_as_state_directories(tmp_path,
                                                         dead_pid):
    nested = tmp_path / "heat-deltacloud-parent"
    nested.mkdir()
    inner = marked(nested, "heat-deltacloud-inner", dead_marker(dead_pid))
    other = marked(tmp_path, "not-ours", dead_marker(dead_pid))
    assert statedirs.sweep(nested.parent) == []
    assert inner.is_dir() and other.is_dir()
    assert statedirs.sweep(nested) == [inner]


def test_a_failing_sweep_is_logged_not_raised(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger=statedirs.__name__):
        assert statedirs.sweep_quietly(tmp_path / "missing") == []
    assert "could not look for leftover state directories" in caplog.text


def test_an_embedded_start_sweeps_before_making_its_own(tmp_path,
                                                        monkeypatch):
    from heat_deltacloud.heat import embedded

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    killed, left = start_maker(tmp_path)
    kill(killed)
    given = tmp_path / "given"
    given.mkdir()
    heat = embedded.EmbeddedHeat()
    try:
        heat._make_state_dir()
        assert not left.exists()
        assert statedirs.read_marker(heat.state_dir)["pid"] == os.getpid()
        assert heat.state_dir.parent == tmp_path
    finally:
        heat.discard_state()
    # A directory given is never marked (nor, so, ever swept).
    heat = embedded.EmbeddedHeat(state_dir=given)
    heat._make_state_dir()
    assert heat.state_dir == given and list(given.iterdir()) == []
