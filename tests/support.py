"""Helpers the Heat-backed test modules share (``pythonpath = tests``).

Fixtures stay in each module (their users and mock options differ);
what every module polled, read or searched the same way lives here.
"""

import contextlib
import http.server
import re
import threading
import time

import pytest

from heat_deltacloud.mock.server import MockServer

#: A pre-signed heat-api-cfn URL as Heat hands it to templates.
SIGNED_URL = re.compile(r"http://127\.0\.0\.1:\d+/v1/(?:waitcondition|signal)"
                        r"/[^'\"\s]+")


#: A HOT template of one server (image a parameter, its id an output), as
#: the clients' tests create it.
ONE_SERVER_HOT = """\
heat_template_version: 2021-04-16
parameters:
  image: {type: string, default: img1}
resources:
  server:
    type: OS::Nova::Server
    properties: {image: {get_param: image}, flavor: m1-small}
outputs:
  server_id:
    value: {get_resource: server}
"""


def wait_for(predicate, timeout=90, interval=0.2, what="condition"):
    """``predicate()``'s first truthy value, polled for ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met in {timeout}s")
        time.sleep(interval)


def outputs(stack):
    """A shown stack's outputs as ``{key: value}``."""
    return {o["output_key"]: o["output_value"]
            for o in stack.get("outputs", [])}


def signed_urls_in_user_data(mock, owner=None):
    """Every signed URL in the user data of ``owner``'s (or all)
    instances of ``mock``."""
    found = []
    for instance in mock.all_instances():
        if owner in (None, instance["owner"]) and instance.get("user_data"):
            found += SIGNED_URL.findall(instance["user_data"])
    return found


@contextlib.contextmanager
def loopback_server(handler):
    """A ThreadingHTTPServer of ``handler`` on 127.0.0.1 (a free port),
    serving from a daemon thread; shut down and closed on exit."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def mock_fixtures(users, **options):
    """``(cloud, mock)`` fixtures: one MockServer for the module, reset
    before each test.  Assign them to module names ``cloud`` and ``mock``."""
    @pytest.fixture(scope="module")
    def cloud():
        with MockServer(users=users, **options) as server:
            yield server

    @pytest.fixture
    def mock(cloud):
        cloud.reset()
        yield cloud

    return cloud, mock
