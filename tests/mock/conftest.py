"""In-process access to a fresh mock app (no sockets) and small helpers."""

import base64
import json

import pytest
import webob
from lxml import etree

from heat_deltacloud.mock.wsgi import make_app

MOCK = ("mockuser", "mockpassword")
ALICE = ("alice", "alice-pw")
HOST = "localhost:3001"
H = f"http://{HOST}/api"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def basic(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"Basic {token}"


@pytest.fixture
def helpers():
    """Parsing helpers (test modules cannot import each other)."""
    class Helpers:
        H = H
        MOCK = MOCK
        ALICE = ALICE
        basic = staticmethod(basic)

        @staticmethod
        def xml(response):
            return etree.fromstring(response.body, PARSER)

        @staticmethod
        def json(response):
            return json.loads(response.body)

        @staticmethod
        def error(response):
            """(status attr, code, message) of an XML error document."""
            root = etree.fromstring(response.body, PARSER)
            assert root.tag == "error"
            return (int(root.get("status")), int(root.findtext("code")),
                    root.findtext("message"))

        @staticmethod
        def links(root):
            return [(a.get("rel"), a.get("method"), a.get("href"))
                    for a in root.find("actions")]
    return Helpers


@pytest.fixture
def app():
    return make_app(users={"alice": "alice-pw", "bob": "bob-pw"})


@pytest.fixture
def call(app):
    """``call(method, path, auth=MOCK, accept=xml, headers=, **form)``."""
    def request(method, path, auth=MOCK, accept="application/xml",
                headers=None, **form):
        hdrs = {"Host": HOST, **(headers or {})}
        if accept:
            hdrs["Accept"] = accept
        if auth:
            hdrs["Authorization"] = basic(*auth)
        req = webob.Request.blank(path, headers=hdrs,
                                  POST=form if method == "POST" else None)
        req.method = method
        return req.get_response(app)
    return request
