"""Provider failures as Deltacloud error documents: 401 with the provider's
message, 502 when it cannot be reached or answers nonsense, 504 when it
does not answer within the timeout; never the secret."""

import http.server
import threading

import pytest
import requests
from libcloud.common.types import InvalidCredsError

from heat_deltacloud.server.cli import Server, make_app
from heat_deltacloud.server.drivers.libcloud import provider_error
from support import loopback_server

KEY, SECRET = "AKIDERRORS", "errors-secret-1a2b3c"
AUTH_FAILURE = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors>'
                b'<Error><Code>AuthFailure</Code><Message>AWS was not able '
                b'to validate the provided access credentials</Message>'
                b'</Error></Errors><RequestID>r1</RequestID></Response>')


class _Provider(http.server.BaseHTTPRequestHandler):
    """A fake EC2 endpoint: ``mode`` says how it answers."""

    mode = "auth"
    release = threading.Event()

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.mode == "hang":
            self.release.wait(10)  # bounded; the test's teardown releases
            return
        status, body = (401, AUTH_FAILURE) if self.mode == "auth" else \
            (500, b"<html>oops</html>")
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_provider():
    handler = type("Handler", (_Provider,), {"release": threading.Event()})
    with loopback_server(handler) as httpd:
        yield handler, f"http://127.0.0.1:{httpd.server_address[1]}"
        handler.release.set()


def _server(endpoint, timeout=5.0):
    return Server(make_app("libcloud:ec2", region="us-east-1",
                           endpoint=endpoint, timeout=timeout))


def _get(server, path):
    return requests.get(f"{server.url}{path}", auth=(KEY, SECRET),
                        headers={"Accept": "application/xml"}, timeout=30)


def test_refused_credentials_are_401_with_the_providers_message(
        fake_provider):
    handler, endpoint = fake_provider
    with _server(endpoint) as server:
        answer = _get(server, "/instances/i-1")
    assert answer.status_code == 401
    assert "AuthFailure: AWS was not able to validate" in answer.text
    assert SECRET not in answer.text


def test_a_provider_fault_is_502_with_its_text(fake_provider):
    handler, endpoint = fake_provider
    handler.mode = "broken"
    with _server(endpoint) as server:
        answer = _get(server, "/instances/i-1")
    assert answer.status_code == 502
    assert "Bad Gateway" in answer.text


def test_a_provider_that_does_not_answer_is_504(fake_provider):
    handler, endpoint = fake_provider
    handler.mode = "hang"
    with _server(endpoint, timeout=0.5) as server:
        answer = _get(server, "/instances/i-1")
    assert answer.status_code == 504
    assert "did not answer in time" in answer.text


def test_an_unreachable_provider_is_502(closed_port):
    with _server(f"http://127.0.0.1:{closed_port}") as server:
        answer = _get(server, "/realms")
    assert answer.status_code == 502
    assert "cannot reach the provider" in answer.text


def test_a_secret_in_a_provider_message_is_blanked():
    error = provider_error(InvalidCredsError(f"bad signature for {SECRET}"),
                           SECRET)
    assert (error.status, error.message) == (401, "bad signature for ***")


def test_sessions_and_backends_show_no_secret(fake_provider):
    _, endpoint = fake_provider
    app = make_app("libcloud:ec2", region="us-east-1", endpoint=endpoint)
    session = app.backend.session(KEY, SECRET)
    assert SECRET not in repr(session) + repr(app.backend) + repr(app)


def test_force_auth_asks_the_provider(fake_provider):
    from heat_deltacloud.deltacloud.client import Client
    _, endpoint = fake_provider
    with _server(endpoint) as server:
        answer = requests.get(f"{server.url}?force_auth=1",
                              auth=(KEY, SECRET), timeout=30,
                              headers={"Accept": "application/xml"})
        assert (answer.status_code, answer.text) == \
            (401, "Authentication failed")
        with Client(server.url, KEY, SECRET, retries=0) as client:
            assert client.validate_credentials() is False


def test_idle_drivers_are_reused_per_credential_until_the_ttl():
    from heat_deltacloud.server import drivers
    from heat_deltacloud.server.drivers.libcloud import Backend
    now = [1000.0]
    backend = Backend(drivers.provider("ec2"), region="us-east-1",
                      endpoint="http://127.0.0.1:9", cache_ttl=300,
                      clock=lambda: now[0])
    digest, first = backend.acquire(KEY, SECRET, "us-east-1")
    # In use by one request: a concurrent one gets its own driver.
    assert backend.acquire(KEY, SECRET, "us-east-1")[1] is not first
    backend.release(digest, first)
    assert backend.acquire(KEY, SECRET, "us-east-1")[1] is first
    assert backend.acquire(KEY, "another-secret", "us-east-1")[1] \
        is not first
    backend.release(digest, first)
    now[0] += 301
    assert backend.idle() == 0
    assert backend.acquire(KEY, SECRET, "us-east-1")[1] is not first
