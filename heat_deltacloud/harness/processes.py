"""Child processes with a log file each, stopped by process group.

Every child starts in a session of its own, so stopping it reaches what it
spawned (Erlang's helpers, PostgreSQL's back ends) and a Ctrl-C on the
harness's terminal does not hit the children before the harness tears
them down in order.  On Linux a child also gets SIGTERM if the harness
dies without tearing down (``PR_SET_PDEATHSIG``), so a killed harness
leaves nothing running.
"""

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import time

from heat_deltacloud.harness.errors import HarnessError

LOG = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def free_port(host="127.0.0.1"):
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(check, *, timeout, what, interval=0.2, process=None):
    """Call ``check()`` until it is true, for at most ``timeout`` seconds.

    ``process`` (a :class:`Process`) ends the wait early, with its log's
    tail in the error, if it exits meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if process is not None and process.exited():
            raise HarnessError(
                f"{process.name} exited with status "
                f"{process.popen.returncode} before {what}; "
                f"last lines of {process.log_path}:\n{process.tail()}")
        if time.monotonic() > deadline:
            tail = f"; last lines of {process.log_path}:\n{process.tail()}" \
                if process is not None else ""
            raise HarnessError(f"timed out after {timeout:.0f}s waiting "
                               f"for {what}{tail}")
        time.sleep(interval)


def _die_with_parent():
    """Runs in the child before exec: SIGTERM when the harness dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Process:
    """A started child; ``stop()`` ends its whole process group."""

    def __init__(self, name, argv, *, log_path, env=None, cwd=None):
        self.name = name
        self.argv = [str(arg) for arg in argv]
        self.log_path = log_path
        log = open(log_path, "ab")  # the child writes to its own copy
        try:
            self.popen = subprocess.Popen(  # noqa: S603 - harness argv
                self.argv, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env, cwd=cwd,
                start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            log.close()
        self.pid = self.popen.pid
        LOG.info("started %s (pid %s), log %s", name, self.pid, log_path)

    def exited(self):
        return self.popen.poll() is not None

    def kill(self):
        """SIGKILL the group at once: a crash, as far as others can tell."""
        self._signal_group(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout=15.0, signum=signal.SIGTERM):
        """``signum`` to the group, then SIGKILL what is left after
        ``timeout`` seconds."""
        stop_all([self], timeout=timeout, signum=signum)

    def _signal_group(self, signum):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def tail(self, lines=20):
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - 8192))
                text = handle.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __repr__(self):
        return f"<Process {self.name} pid={self.pid}>"


def stop_all(stopping, timeout=15.0, signum=signal.SIGTERM):
    """Stop several processes at once: ``signum`` to every group, then
    SIGKILL what is left of each after the same ``timeout`` seconds (a
    heat-engine takes its whole graceful shutdown timeout: one after the
    other, two took twice as long)."""
    running = [process for process in stopping if not process.exited()]
    for process in running:
        process._signal_group(signum)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            LOG.warning("%s still running %ss after signal %s; killing "
                        "it", process.name, timeout, signum)
    for process in stopping:
        process._signal_group(signal.SIGKILL)  # leftovers of the group
    for process in running:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(timeout=5)
