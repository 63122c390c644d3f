"""One guest-mode boot: an instance's user data run on the host.

**This executes user data on the mock's host**, as the mock's own user,
with no sandbox; see :mod:`.guest`.  A :class:`Boot` makes the instance's
root directory (the cfn tools' files live under it, and it is the
scripts' cwd and ``HOME``), writes Heat's ``text/x-cfninitdata`` parts to
``<root>/var/lib/heat-cfntools/``, then runs the scripts of the plan
(:mod:`.userdata`) with ``/bin/sh`` semantics, each in its own process
group, under one deadline for the whole boot.  Output is kept bounded.
"""

import functools
import importlib.metadata
import os
import pathlib
import pwd
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from heat_deltacloud.mock import userdata

#: heat-cfntools' scripts the instance finds first on its PATH.
CFN_TOOLS = ("cfn-signal", "cfn-get-metadata", "cfn-init", "cfn-hup")
BIN = "opt/aws/bin"  # where cfn-create-aws-symlinks puts them on images
SHIM = pathlib.Path(__file__).with_name("cfnshim.py")
OUTPUT_LIMIT = 64 * 1024
#: How often a running boot checks for its deadline and for a kill.
TICK = 0.1
#: How long output may still arrive once a script has exited (background
#: children holding its stdout are then killed).
GRACE = 1.0
REAP_TIMEOUT = 5.0
SIGNAL_LINE = re.compile(r"^cfn-signal: PUT (\S+) -> HTTP (\d+), curl "
                         r"exit (-?\d+)$", re.MULTILINE)
#: Statuses after which nothing changes any more.
FINAL = frozenset({"finished", "timed_out", "refused", "error", "killed"})


@functools.cache
def cfn_tools():
    """{name: path} of heat-cfntools' scripts: beside the interpreter
    (a virtualenv's bin), else from the installed distribution's files."""
    found = {n: sys.executable and pathlib.Path(sys.executable).parent / n
             for n in CFN_TOOLS}
    found = {n: p for n, p in found.items() if p and p.is_file()}
    if len(found) < len(CFN_TOOLS):
        try:
            files = importlib.metadata.distribution("heat-cfntools").files
        except importlib.metadata.PackageNotFoundError:
            files = []
        for path in files or ():
            if path.name in CFN_TOOLS and path.name not in found:
                located = pathlib.Path(path.locate())
                if located.is_file():
                    found[path.name] = located
    return {name: str(path) for name, path in found.items()}


def wrapper(root, instance_id, script):
    """A ``/bin/sh`` wrapper running ``script`` through the shim."""
    words = [sys.executable, "-I", str(SHIM), root, instance_id,
             script or "/nonexistent/heat-cfntools"]
    return ("#!/bin/sh\n# heat-cfntools, files rebased into this instance "
            "(heat-deltacloud mock guest mode)\n"
            f"exec {' '.join(shlex.quote(w) for w in words)} \"$@\"\n")


def make_root(parent, instance_id):
    """The instance's root: the cfn tools' directories and wrappers."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", instance_id)[:64]
    root = tempfile.mkdtemp(prefix=f"{safe}-", dir=parent)
    for path in ("var/log", "etc/cfn", "tmp", BIN,
                 "var/lib/cloud/instance/scripts"):
        os.makedirs(os.path.join(root, path), mode=0o755, exist_ok=True)
    os.makedirs(os.path.join(root, "var/lib/heat-cfntools"), mode=0o700)
    tools = cfn_tools()
    for name in CFN_TOOLS:
        path = os.path.join(root, BIN, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(wrapper(root, instance_id, tools.get(name)))
        os.chmod(path, 0o700)
    return root


def environment(root):
    """A minimal environment: the wrappers first on PATH, HOME the root."""
    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        user = str(os.getuid())
    return {"PATH": f"{root}/{BIN}:/usr/local/sbin:/usr/local/bin:"
                    "/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": root, "PWD": root, "TMPDIR": os.path.join(root, "tmp"),
            "LANG": "C.UTF-8", "SHELL": "/bin/sh", "USER": user,
            "LOGNAME": user, "HEAT_DELTACLOUD_GUEST_ROOT": root}


def command(path, body):
    """What ``execve`` would run: the ``#!`` line's interpreter and its
    one argument, else ``/bin/sh`` (as a shell does on ENOEXEC)."""
    if not body.startswith(b"#!"):
        return ["/bin/sh", path]
    line = body[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    interpreter, *argument = re.split(r"[ \t]+", line, maxsplit=1)
    return [interpreter or "/nonexistent/interpreter", *argument, path]


class Boot:
    """The boot of one instance and its record (``record()``).

    The worker thread calls :meth:`run`; any thread may :meth:`cancel`,
    which kills the running script's process group at once.
    """

    def __init__(self, instance_id, user_data, *, timeout,
                 output_limit=OUTPUT_LIMIT):
        self.instance_id = instance_id
        self.user_data = user_data
        self.timeout = float(timeout)
        self.output_limit = int(output_limit)
        self.lock = threading.Lock()
        self.ended = threading.Event()
        self.status, self.exit_status, self.message = "not_started", None, None
        self.scripts, self.skipped = [], []
        self.output, self.dropped = bytearray(), 0
        self.started = self.finished = None
        self.root = None
        self.cancelled = False
        self._process = None

    # -- record ---------------------------------------------------------------

    def record(self):
        with self.lock:
            text = bytes(self.output).decode("utf-8", "replace")
            return {
                "instance_id": self.instance_id, "status": self.status,
                "exit_status": self.exit_status, "message": self.message,
                "scripts": [dict(s) for s in self.scripts],
                "skipped": list(self.skipped),
                "signals": [{"url": url, "http_status": int(code),
                             "curl_exit": int(curl)}
                            for url, code, curl in SIGNAL_LINE.findall(text)],
                "output": text, "output_dropped": self.dropped,
                "started": self.started, "finished": self.finished,
                "timeout": self.timeout, "root": self.root}

    def _append(self, data):
        with self.lock:
            self.output += data
            extra = len(self.output) - self.output_limit
            if extra > 0:
                del self.output[:extra]
                self.dropped += extra

    def say(self, message):
        self._append(f"[guest] {message}\n".encode())

    def _end(self, status, exit_status=None, message=None):
        with self.lock:
            if self.status not in FINAL:
                self.status, self.exit_status = status, exit_status
                self.message, self.finished = message, time.time()

    # -- control --------------------------------------------------------------

    def cancel(self):
        """Stop the boot; returns its root if nobody will remove it (the
        worker removes it while it still runs)."""
        with self.lock:
            self.cancelled = True
            if self._process is not None:
                _kill_group(self._process)
            done = self.ended.is_set()
        return self.root if done else None

    # -- the boot -------------------------------------------------------------

    def run(self, parent):
        deadline = time.monotonic() + self.timeout
        try:
            with self.lock:
                if self.cancelled:
                    return
                self.status, self.started = "running", time.time()
            self._boot(parent, deadline)
        except Exception as exc:  # a record, not a dead worker thread
            self.say(f"boot failed: {type(exc).__name__}: {exc}")
            self._end("error", message=f"{type(exc).__name__}: {exc}")
        finally:
            with self.lock:
                if self.cancelled:
                    self.status = "killed"
                remove = self.root if self.cancelled else None
                self.ended.set()
            if remove:
                shutil.rmtree(remove, ignore_errors=True)

    def _boot(self, parent, deadline):
        if self.user_data is None:
            self.say("no user data: nothing to run")
            return self._end("finished")
        plan = userdata.plan(self.user_data)
        self.skipped = plan.skipped
        for note in plan.skipped:
            self.say(note)
        reason = userdata.refusal(plan)
        if reason:
            self.say(f"refused: {reason}; nothing run")
            return self._end("refused", message=reason)
        root = make_root(parent, self.instance_id)
        with self.lock:
            self.root = root
        for name, content in plan.files.items():
            path = os.path.join(root, "var/lib/heat-cfntools", name)
            with open(path, "wb") as handle:
                handle.write(content)
        env = environment(root)
        codes = []
        for script in plan.scripts:
            outcome = self._run_script(root, env, script, deadline)
            if outcome in ("timed_out", "killed"):
                return self._end(outcome, message=(
                    f"killed after {self.timeout:g} s"
                    if outcome == "timed_out" else "killed"))
            codes.append(outcome)
        failed = [c for c in codes if c != 0]
        self._end("finished", (failed or codes or [None])[0])

    def _run_script(self, root, env, script, deadline):
        """The script's exit status, or "timed_out" / "killed"."""
        path = os.path.join(root, script.path)
        name = os.path.basename(path)
        entry = {"name": name, "exit_status": None}
        with self.lock:
            self.scripts.append(entry)
        if script.heat and not os.path.exists(path):
            self.say("loguserdata.py: no cfn-userdata part to run")
            return self._exit(entry, 1)
        if not script.heat:
            with open(path, "wb") as handle:
                handle.write(script.body)
        os.chmod(path, 0o700)
        self.say(f"{name}: started")
        argv = command(path, script.body)
        try:
            process = subprocess.Popen(  # noqa: S603 - guest mode's purpose
                argv, cwd=root, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=True)
        except OSError as exc:
            self.say(f"{name}: cannot run {argv[0]}: {exc.strerror}")
            return self._exit(entry, 127)
        with self.lock:
            self._process = process
            if self.cancelled:
                _kill_group(process)
        outcome = self._follow(process, deadline)
        with self.lock:
            _kill_group(process)  # what it left behind; not yet reaped
            self._process = None
        process.wait(timeout=REAP_TIMEOUT)
        process.stdout.close()
        if outcome != "exited":
            self.say(f"{name}: {outcome.replace('_', ' ')}")
            return outcome
        self.say(f"{name}: exit status {process.returncode}")
        if script.heat and process.returncode == 0:
            pathlib.Path(path).with_name("provision-finished").touch()
        return self._exit(entry, process.returncode)

    def _exit(self, entry, code):
        with self.lock:
            entry["exit_status"] = code
        return code

    def _follow(self, process, deadline):
        """Collect output until the script has exited and its output is
        closed (or a grace period has passed), the deadline or a kill."""
        exited_at, eof = None, False
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while True:
                now = time.monotonic()
                if self.cancelled:
                    return "killed"
                if now >= deadline:
                    return "timed_out"
                if exited_at is None and _exited(process):
                    exited_at = now
                if exited_at is not None and (eof or now - exited_at >
                                              GRACE):
                    return "exited"
                wait = min(TICK, deadline - now)
                if eof:
                    time.sleep(wait)
                elif selector.select(wait):
                    chunk = os.read(process.stdout.fileno(), 65536)
                    if chunk:
                        self._append(chunk)
                    else:
                        eof = True


def _exited(process):
    """Whether the process has exited, without reaping it (so its pid,
    which is the group's id, cannot be reused before the group is
    killed)."""
    flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
    return os.waitid(os.P_PID, process.pid, flags) is not None


def _kill_group(process):
    if process.returncode is not None:
        return  # reaped: the id may belong to someone else now
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
