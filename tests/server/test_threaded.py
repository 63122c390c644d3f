"""Stopping a waitress server in a thread while requests finish."""

import os

import pytest
import requests

from heat_deltacloud.server import threaded


def test_a_pull_after_the_close_writes_nowhere():
    theirs, their_writer = os.pipe()
    pipe = threaded.WakeUpPipe({})
    number = pipe.trigger
    pipe.close()
    # The closed pipe's number now names someone else's pipe, as a file
    # or socket opened meanwhile by another thread would reuse it.
    os.dup2(their_writer, number)
    try:
        pipe.pull_trigger()  # waitress's trigger wrote b"x" into theirs
        os.set_blocking(theirs, False)
        with pytest.raises(BlockingIOError):
            os.read(theirs, 1)
    finally:
        for descriptor in (theirs, their_writer, number):
            os.close(descriptor)


def test_a_pull_after_the_close_is_no_error():
    pipe = threaded.WakeUpPipe({})
    pipe.close()
    pipe.pull_trigger(lambda: None)  # waitress's trigger: EBADF


def test_a_request_finishing_after_the_stop_is_harmless():
    server = threaded.ThreadedServer(_hello, "test-server", port=0).start()
    url = f"http://127.0.0.1:{server.port}/"
    with requests.Session() as kept_alive:
        assert kept_alive.get(url, timeout=5).text == "hello"
        assert server.open_connections == 1
        server.stop()
        assert not server.serving
        assert server.open_connections == 0
        # What a worker thread does as it ends a request: wake the loop.
        server._server.pull_trigger()
        with pytest.raises(requests.ConnectionError):
            kept_alive.get(url, timeout=5)
    server.stop()  # again: nothing left to do


def _hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", "5")])
    return [b"hello"]
