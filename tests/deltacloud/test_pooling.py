"""One client shared by threads holds a bounded pool of keep-alive
connections (a real HTTP server on 127.0.0.1 counts them)."""

import concurrent.futures
import http.server
import threading

import pytest

from heat_deltacloud.deltacloud import exceptions
from heat_deltacloud.deltacloud.transport import Transport
from support import loopback_server

THREADS = 8
REQUESTS_EACH = 4


class _Counting(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def do_GET(self):
        server = self.server
        with server.lock:
            server.ports.add(self.client_address[1])
            server.in_flight += 1
            server.peak = max(server.peak, server.in_flight)
        try:
            # Requests come in pairs: a bound of 2 lets them meet here, a
            # broken bound shows up as more than 2 at once.
            server.pairs.wait()
        finally:
            with server.lock:
                server.in_flight -= 1
        body = b"<api/>"
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    with loopback_server(_Counting) as httpd:
        httpd.lock = threading.Lock()
        httpd.ports, httpd.in_flight, httpd.peak = set(), 0, 0
        httpd.pairs = threading.Barrier(2, timeout=10)
        yield httpd


def test_threads_share_a_bounded_pool_of_connections(server):
    url = f"http://127.0.0.1:{server.server_address[1]}/api"
    transport = Transport(url, "mockuser", "pw", max_connections=2,
                          timeout=(5, 15))
    start = threading.Barrier(THREADS, timeout=10)

    def work(_):
        start.wait()
        return [transport.request("GET", url).status
                for _ in range(REQUESTS_EACH)]

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        statuses = [s for r in pool.map(work, range(THREADS)) for s in r]
    transport.close()
    assert statuses == [200] * THREADS * REQUESTS_EACH
    assert server.peak == 2
    # Two connections, opened once and kept alive for all 32 requests.
    assert len(server.ports) == 2


def test_a_request_waits_for_a_busy_pool_only_up_to_its_timeout():
    transport = Transport("http://127.0.0.1:9/api", "u", "p",
                          max_connections=1, timeout=(0.1, 0.1))
    transport._slots.acquire()  # the one connection is in use
    with pytest.raises(exceptions.Timeout) as err:
        transport.request("GET", transport.url)
    assert str(err.value) == ("all 1 connections to Deltacloud stayed busy "
                              "(GET http://127.0.0.1:9/api)")


def test_max_connections_must_be_positive():
    with pytest.raises(ValueError, match="max_connections"):
        Transport("http://127.0.0.1:9/api", "u", "p", max_connections=0)
