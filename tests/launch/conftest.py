"""Fixtures for the launcher: embedded services and a callback receiver."""

import http.server
import json
import threading

import pytest

try:
    # oslo.service's threading backend must be chosen before Heat loads.
    from heat_deltacloud.heat import embedded as _embedded  # noqa: F401
except ImportError:  # no Heat: the heat-marked tests report it
    pass

USER, PASSWORD = "launcher", "launcher-Pa55-\u00e9t\u00e9"


@pytest.fixture(scope="module")
def local_services():
    """heat-api-cfn on the embedded engine, and its own mock Deltacloud."""
    from heat_deltacloud.launch.credentials import Credentials
    from heat_deltacloud.launch.local import LocalServices

    with LocalServices(credentials=Credentials(USER, PASSWORD)) as local:
        yield local


@pytest.fixture
def services(local_services):
    """:func:`local_services` with the mock reset and no faults."""
    local_services.mock.reset()
    yield local_services
    local_services.mock.clear_faults()


class Receiver:
    """Callbacks POSTed to a local HTTP server, in arrival order.

    ``answers`` is a list of statuses to give to the next POSTs (then 200);
    ``hold`` (an Event), when set up, keeps each request waiting until set.
    """

    def __init__(self):
        self.received = []  # (headers dict, body bytes)
        self.answers = []
        self.hold = None
        self.arrived = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                status = receiver.answers.pop(0) if receiver.answers \
                    else 200
                with receiver.arrived:
                    receiver.received.append((dict(self.headers), body,
                                              status))
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        daemon=True)
        self._thread.start()

    def documents(self):
        """Bodies answered 2xx, decoded, in arrival order."""
        return [json.loads(body) for _, body, status in self.received
                if status < 300]

    def wait_for(self, count, timeout=10):
        with self.arrived:
            return self.arrived.wait_for(
                lambda: len(self.received) >= count, timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    if receiver.hold is not None:
        receiver.hold.set()
    receiver.close()
