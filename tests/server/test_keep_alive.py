"""Connections stay open after a 204 (waitress closes them by default).

Both servers on real HTTP: the mock and ``heat-deltacloud-server``'s
own, each asked over one raw HTTP/1.1 connection."""

import base64
import http.client

import pytest

from heat_deltacloud.mock.server import MockServer
from heat_deltacloud.server import cli

AUTH = "Basic " + base64.b64encode(b"mockuser:mockpassword").decode()


@pytest.fixture(params=["mock", "server"])
def served(request):
    if request.param == "mock":
        server = MockServer()
    else:
        server = cli.Server(cli.make_app("mock"))
    with server:
        yield server


def _ask(conn, method, path, body=None, **headers):
    headers = {"Authorization": AUTH, "Accept": "application/xml",
               **headers}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    answer = conn.getresponse()
    answer.read()
    return answer


def test_a_delete_keeps_the_connection_for_the_next_request(served):
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    made = _ask(conn, "POST", "/api/instances",
                "image_id=img1&initial_state=STOPPED")
    assert made.status == 201
    ident = made.getheader("Location").rsplit("/", 1)[1]
    sock = conn.sock
    gone = _ask(conn, "DELETE", f"/api/instances/{ident}")
    assert gone.status == 204
    assert gone.getheader("Connection") is None
    assert gone.getheader("Content-Length") is None
    assert not gone.will_close
    again = _ask(conn, "GET", f"/api/instances/{ident}")
    assert again.status == 404
    assert conn.sock is sock  # the same connection answered
    conn.close()


def test_a_client_asking_to_close_still_gets_it_closed(served):
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    made = _ask(conn, "POST", "/api/instances",
                "image_id=img1&initial_state=STOPPED")
    ident = made.getheader("Location").rsplit("/", 1)[1]
    gone = _ask(conn, "DELETE", f"/api/instances/{ident}",
                Connection="close")
    assert gone.status == 204
    assert gone.will_close
    conn.close()
