"""Canaries: a local file and a local port that hostile input points at.

The file is a FIFO: whoever opens it for reading (libxml2 included, which
no Python audit hook sees) makes the watcher's non-blocking open for
writing succeed, and is recorded.  The port is a listening socket whose
accepted connections are recorded.  Neither may ever be touched.

Also ``rpc_calls``: every call and cast heat-api and heat-api-cfn make to
the engine during a test, so that a refused request can be shown to have
reached nothing.
"""

import errno
import os
import socket
import threading

import pytest

CANARY_TEXT = b"CANARY-7f3c-LOCAL-FILE-CONTENT"


class Canaries:
    def __init__(self, directory):
        self.file = str(directory / "canary.fifo")
        os.mkfifo(self.file)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.02)
        self.port = self.listener.getsockname()[1]
        self.touched = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._stop.is_set():
            try:
                fd = os.open(self.file, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:  # ENXIO: nobody is reading
                if exc.errno != errno.ENXIO:
                    raise
            else:
                self.touched.append("file opened")
                try:
                    os.write(fd, CANARY_TEXT)
                except OSError:
                    pass
                os.close(fd)
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, BlockingIOError):
                continue
            self.touched.append("port connected")
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.listener.close()


@pytest.fixture(scope="module")
def canaries(tmp_path_factory):
    watched = Canaries(tmp_path_factory.mktemp("canaries"))
    yield watched
    watched.close()


@pytest.fixture
def rpc_calls(monkeypatch):
    """Every call and cast the APIs make to the engine."""
    from heat.rpc import client as rpc_client

    calls = []
    for kind in ("call", "cast"):
        real = getattr(rpc_client.EngineClient, kind)

        def counted(self, ctxt, msg, *args, _real=real, **kwargs):
            calls.append(msg[0] if isinstance(msg, tuple) else msg)
            return _real(self, ctxt, msg, *args, **kwargs)
        monkeypatch.setattr(rpc_client.EngineClient, kind, counted)
    return calls
