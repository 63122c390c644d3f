"""Guest mode: instances "boot" their user data on the mock's host.

.. warning::

   Guest mode **executes the user data of every new instance on the host
   running the mock**, as the mock's own user (root, if the mock runs as
   root), without a sandbox.  It is off by default and meant for tests and
   demos on a machine you are willing to run that code on.  Only a
   loopback server may switch it on, and user data pointing at any host
   other than loopback is refused unrun.

When an instance first turns RUNNING, a bounded pool of daemon threads
boots it the way cloud-init would (:mod:`.guestboot`, :mod:`.userdata`):
once per instance, like cloud-init's per-instance scripts, so a reboot or a
start does not run it again.  Each instance gets a directory under one
guest root that this object creates and removes; destroying the instance,
a reset or :meth:`Guest.close` kills its running scripts and removes it.
"""

import atexit
import queue
import shutil
import tempfile
import threading
import time
import weakref

from heat_deltacloud.mock import guestboot

DEFAULT_TIMEOUT = 300.0
DEFAULT_WORKERS = 4
#: How long :meth:`Guest.close` waits for its threads.
CLOSE_TIMEOUT = 10.0
MAX_WAIT = 3600.0


class GuestModeOff(Exception):
    """Guest mode cannot be switched on for this mock."""


class Guest:
    """Guest mode of one mock app; ``available`` says it was opted in to
    at start (only then may it be switched on and off later)."""

    def __init__(self, *, enabled=False, timeout=DEFAULT_TIMEOUT,
                 workers=DEFAULT_WORKERS,
                 output_limit=guestboot.OUTPUT_LIMIT):
        self.available = bool(enabled)
        self.enabled = self.available
        self.timeout = _timeout(timeout)
        self.initial_timeout = self.timeout
        self.workers = max(1, int(workers))
        self.output_limit = int(output_limit)
        self.root = None
        self._lock = threading.Lock()
        self._boots = {}
        self._queue = queue.SimpleQueue()
        self._threads = []
        self._closed = False
        self._trash = None
        ref = weakref.ref(self)
        self._at_exit = lambda: (guest := ref()) and guest.close()
        if self.available:
            atexit.register(self._at_exit)

    def __repr__(self):
        return f"<Guest enabled={self.enabled} boots={len(self._boots)}>"

    # -- switches -------------------------------------------------------------

    def configure(self, enabled=None, timeout=None):
        if enabled and not self.available:
            raise GuestModeOff("guest mode was not enabled at start "
                               "(MockServer(guest=True) or --guest)")
        with self._lock:
            if enabled is not None and not self._closed:
                self.enabled = bool(enabled)
            if timeout is not None:
                self.timeout = _timeout(timeout)

    def describe(self):
        with self._lock:
            return {"available": self.available, "enabled": self.enabled,
                    "timeout": self.timeout, "root": self.root,
                    "boots": {ident: boot.status
                              for ident, boot in self._boots.items()}}

    # -- the cloud's events (called under its lock: never blocks) -------------

    def instance_running(self, ident, user_data):
        with self._lock:
            if not self.enabled or self._closed or ident in self._boots:
                return
            boot = guestboot.Boot(ident, user_data, timeout=self.timeout,
                                  output_limit=self.output_limit)
            self._boots[ident] = boot
            self._queue.put(boot)
            if not self._threads:
                for number in range(self.workers):
                    self._start_thread(self._work,
                                       f"deltacloud-guest-{number}")

    def instance_gone(self, ident):
        with self._lock:
            boot = self._boots.pop(ident, None)
        if boot is not None:
            self._discard(boot)

    def reset(self):
        """Every boot killed and removed; switches back to the start's."""
        with self._lock:
            boots = list(self._boots.values())
            self._boots.clear()
            if not self._closed:
                self.enabled = self.available
            self.timeout = self.initial_timeout
        for boot in boots:
            self._discard(boot)

    # -- reading --------------------------------------------------------------

    def console(self, ident):
        """The boot's record, or None when the instance has none yet."""
        with self._lock:
            boot = self._boots.get(ident)
        return None if boot is None else boot.record()

    def wait(self, ident, timeout):
        """The record once the boot has ended; TimeoutError after
        ``timeout`` seconds (at most an hour)."""
        deadline = time.monotonic() + min(float(timeout), MAX_WAIT)
        while True:
            with self._lock:
                boot = self._boots.get(ident)
            remaining = deadline - time.monotonic()
            if boot is not None and boot.ended.wait(max(0.0, min(
                    remaining, 0.1))):
                return boot.record()
            if remaining <= 0:
                status = boot.status if boot else "not_started"
                raise TimeoutError(f"guest boot of {ident} still "
                                   f"{status} after {timeout:g} s")
            if boot is None:
                time.sleep(min(remaining, 0.05))

    # -- shutting down --------------------------------------------------------

    def close(self):
        """Kill every boot, end the threads, remove the guest root."""
        with self._lock:
            if self._closed:
                return
            self._closed, self.enabled = True, False
            boots = list(self._boots.values())
            self._boots.clear()
            threads = list(self._threads)
        for boot in boots:
            boot.cancel()
        for _ in threads:
            self._queue.put(None)
        if self._trash is not None:
            self._trash.put(None)
        deadline = time.monotonic() + CLOSE_TIMEOUT
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
        atexit.unregister(self._at_exit)

    # -- threads --------------------------------------------------------------

    def _start_thread(self, target, name):
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _work(self):
        while True:
            boot = self._queue.get()
            if boot is None:
                return
            boot.run(self._guest_root())

    def _guest_root(self):
        with self._lock:
            if self.root is None:
                self.root = tempfile.mkdtemp(prefix="heat-deltacloud-guest-")
            return self.root

    def _discard(self, boot):
        root = boot.cancel()
        if root:
            with self._lock:
                if self._closed:
                    return  # close() removes the whole guest root
                if self._trash is None:
                    self._trash = queue.SimpleQueue()
                    self._start_thread(self._empty_trash,
                                       "deltacloud-guest-cleanup")
                self._trash.put(root)

    def _empty_trash(self):
        while (root := self._trash.get()) is not None:
            shutil.rmtree(root, ignore_errors=True)


def _timeout(value):
    value = float(value)
    if not 0 < value <= MAX_WAIT:
        raise ValueError(f"the guest timeout must be 0-{MAX_WAIT:g} seconds")
    return value
