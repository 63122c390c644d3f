"""In-process access to a fresh mock app (no sockets)."""

import base64

import pytest
import webob

from heat_deltacloud.mock.wsgi import make_app

MOCK = ("mockuser", "mockpassword")


def basic(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"Basic {token}"


@pytest.fixture
def app():
    return make_app(users={"alice": "alice-pw"})


@pytest.fixture
def call(app):
    """``call(method, path, auth=MOCK, accept=xml, **form)`` -> response."""
    def request(method, path, auth=MOCK, accept="application/xml",
                headers=None, **form):
        hdrs = {"Host": "localhost:3001", **(headers or {})}
        if accept:
            hdrs["Accept"] = accept
        if auth:
            hdrs["Authorization"] = basic(*auth)
        req = webob.Request.blank(path, method=method, headers=hdrs,
                                  POST=form or None)
        if method != "POST":
            req.method = method
        return req.get_response(app)
    return request
