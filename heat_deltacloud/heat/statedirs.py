"""The embedded Heat's temporary state directories, and their leftovers.

A state directory (``heat-deltacloud-*`` in the temporary directory) goes
when its process stops Heat, fails to start it or exits; a process killed
with SIGKILL (or by a crash, or the OOM killer) leaves it.  :func:`make`
writes an owner marker in each directory it makes: the process's id, its
start time (from ``/proc/<pid>/stat``, so that a reused pid is not taken
for the owner), uid, boot id and pid namespace.  :func:`sweep` removes a
leftover only when all of that proves it is ours and its owner is gone;
anything else (no marker, a marker it cannot read, a symbolic link, a
directory of another user, an owner in another pid namespace or before a
reboot) stays.  Linux only: elsewhere nothing is marked or swept.
"""

import json
import logging
import os
import pathlib
import shutil
import stat
import tempfile

LOG = logging.getLogger(__name__)

PREFIX = "heat-deltacloud-"
MARKER = ".heat-deltacloud-owner"
#: What a marker says it is: a file of another format is not ours to judge.
MADE_BY = "heat-deltacloud state directory"
#: The marker's fields and their types; a marker with others is malformed.
FIELDS = {"made_by": str, "pid": int, "start_time": int, "uid": int,
          "boot_id": str, "pid_namespace": str}
#: A marker is a few hundred bytes: a larger file is not one.
MARKER_MAX = 4096
#: Linux's largest pid (PID_MAX_LIMIT): a marker naming a larger one was
#: not written by a process.
PID_MAX = 4194304


def process_start_time(pid):
    """When process ``pid`` started (clock ticks after boot, field 22 of
    ``/proc/<pid>/stat``); None when no such process exists."""
    try:
        data = pathlib.Path(f"/proc/{pid}/stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces
    # or parentheses itself: the fields after it follow the last ")".
    return int(data[data.rindex(b")") + 2:].split()[19])


def _system():
    """This machine's boot id and this process's pid namespace: a pid
    means the same process only where both are the same.  None when
    ``/proc`` does not say."""
    try:
        boot_id = pathlib.Path(
            "/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return {"boot_id": boot_id, "pid_namespace": namespace}


def owner_marker(pid=None):
    """The marker for process ``pid`` (this one by default); None where
    ``/proc`` cannot tell who it is."""
    pid = os.getpid() if pid is None else pid
    system = _system()
    start_time = process_start_time(pid)
    if system is None or start_time is None:
        return None
    return {"made_by": MADE_BY, "pid": pid, "start_time": start_time,
            "uid": os.geteuid(), **system}


def make(parent=None):
    """A new, private ``heat-deltacloud-*`` directory in ``parent`` (the
    temporary directory by default), marked as this process's."""
    path = pathlib.Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
    try:
        write_marker(path, owner_marker())
    except OSError as exc:
        # Unmarked, it is never swept: removed by its process, or by hand.
        LOG.debug("state directory %s left unmarked: %s", path, exc)
    return path


def write_marker(path, marker):
    """Write ``marker`` in the directory ``path`` whole or not at all."""
    if marker is None:
        return
    partial = pathlib.Path(path) / (MARKER + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                         os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(marker, handle)
    os.replace(partial, pathlib.Path(path) / MARKER)


def read_marker(path):
    """The well-formed marker in the directory ``path``, or None (none
    there, a symbolic link, not a regular file, not ours, malformed)."""
    try:
        descriptor = os.open(pathlib.Path(path) / MARKER,
                             os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        data = os.read(descriptor, MARKER_MAX + 1)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    if len(data) > MARKER_MAX:
        return None
    try:
        marker = json.loads(data)
    except ValueError:
        return None
    if not isinstance(marker, dict) or set(marker) != set(FIELDS):
        return None
    for name, kind in FIELDS.items():
        # bool is an int to isinstance, never a pid.
        if type(marker[name]) is not kind:
            return None
    if marker["made_by"] != MADE_BY or not 0 < marker["pid"] <= PID_MAX \
            or marker["start_time"] < 0:
        return None
    return marker


def abandoned(path, system=None):
    """Whether ``path`` is a state directory this installation made (for
    this user) whose owner has provably ended: a real directory, not a
    symbolic link, of this uid, with a well-formed marker whose process,
    on this boot and in this pid namespace, is gone or is another
    process now (another start time under the same pid)."""
    system = system or _system()
    if system is None:
        return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    uid = os.geteuid()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
        return False
    marker = read_marker(path)
    if marker is None or marker["uid"] != uid:
        return False
    if any(marker[key] != value for key, value in system.items()):
        return False  # another boot or namespace: its pid says nothing
    try:
        now = process_start_time(marker["pid"])
    except (OSError, ValueError, IndexError):
        return False  # /proc would not say: not proven gone
    return now != marker["start_time"]


def sweep(parent=None):
    """Remove the abandoned state directories directly in ``parent`` (the
    temporary directory by default); the paths removed.  A directory that
    cannot be removed is logged and left."""
    system = _system()
    if system is None:
        return []
    parent = pathlib.Path(parent or tempfile.gettempdir())
    removed = []
    with os.scandir(parent) as entries:
        candidates = [entry.path for entry in entries
                      if entry.name.startswith(PREFIX)]
    for path in candidates:
        if not abandoned(path, system):
            continue
        try:
            # rmtree never follows a symbolic link (it checks the
            # directory it opens is the one it looked at).
            shutil.rmtree(path)
        except FileNotFoundError:
            continue  # another sweep got there first
        except OSError as exc:
            LOG.debug("cannot remove the leftover state directory %s: %s",
                      path, exc)
            continue
        LOG.info("removed %s, the state directory of a heat-deltacloud "
                 "process that ended without removing it", path)
        removed.append(pathlib.Path(path))
    return removed


def sweep_quietly(parent=None):
    """:func:`sweep`, whose failure never stops what calls it."""
    try:
        return sweep(parent)
    except Exception:  # a sweep is a courtesy, never a reason to stop
        LOG.warning("could not look for leftover state directories in %s",
                    parent or tempfile.gettempdir(), exc_info=True)
        return []
