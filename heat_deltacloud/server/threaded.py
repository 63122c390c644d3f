"""A WSGI app on waitress in a daemon thread, and a stop that is safe.

The mock, ``heat-deltacloud-server`` and embedded Heat's APIs all serve
this way.  waitress wakes its loop by writing to a pipe (its *trigger*)
without checking that the pipe is still open, and a stop closes it:

* a worker thread finishing a request after the stop pulled the trigger
  and logged ``OSError: [Errno 9] Bad file descriptor``;
* ``pull_trigger(thunk)`` queues the thunk, then writes: a wake-up already
  pending runs the thunk in between, and when the thunk is the stop's
  close, the write comes after it and fails the stop itself.

Had the descriptor's number been reused meanwhile, either write would
have gone into someone else's file or socket.  :class:`WakeUpPipe` makes
a pull after the close a no-op.
"""

import os
import threading

from waitress import trigger, wasyncore
from waitress.server import create_server


class WakeUpPipe(trigger.trigger):
    """waitress's trigger, which may be pulled while and after it closes:
    writing and closing hold one lock, and a closed pipe is not written."""

    def __init__(self, socket_map):
        self._pipe_lock = threading.Lock()
        super().__init__(socket_map)
        # Never block holding the lock: a full pipe wakes the loop anyway.
        os.set_blocking(self.trigger, False)

    def _physical_pull(self):
        with self._pipe_lock:
            if self._closed:
                return
            try:
                os.write(self.trigger, b"x")
            except BlockingIOError:
                pass

    def _close(self):
        with self._pipe_lock:
            super()._close()


class ThreadedServer:
    """``app`` on waitress (``settings`` are waitress's: host, port,
    threads, ...), served by a daemon thread named ``name`` once started.
    ``port=0`` picks a free port: see :attr:`port`."""

    def __init__(self, app, name, *, channel_class=None, **settings):
        self.name = name
        self._server = create_server(app, **settings)
        self._server.trigger.close()
        self._server.trigger = WakeUpPipe(self._server._map)
        if channel_class is not None:
            self._server.channel_class = channel_class
        self.port = self._server.effective_port
        self._thread = None

    @property
    def serving(self):
        """Whether the loop's thread runs (started and not yet stopped)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def open_connections(self):
        """How many client connections are open now."""
        return len(self._server.active_channels)

    def start(self):
        """Serve in a new thread; once only (a stopped server stays
        stopped)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.run,
                                            name=self.name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout=1.0):
        """Close the listening socket and every connection from the loop's
        own thread (which ends the loop: open keep-alive connections would
        keep it running), then wait up to ``timeout`` seconds for the
        worker threads still answering."""
        server, dispatchers, thread = self._server, self._server._map, \
            self._thread
        if thread is not None:
            server.trigger.pull_trigger(
                lambda: wasyncore.close_all(dispatchers))
            thread.join(timeout=5)
        if thread is None or not thread.is_alive():
            wasyncore.close_all(dispatchers)  # no loop to do it; idempotent
        server.task_dispatcher.shutdown(timeout=timeout)
