"""The harness's minimal Keystone v3 endpoint, without the processes.

It must satisfy a real keystoneauth client (what heat_integrationtests
build), check passwords with Deltacloud, and refuse what it does not
implement in words.
"""

import json

import pytest
import webob

from heat_deltacloud.harness.identity import IdentityApp
from heat_deltacloud.mock.server import MockServer

CATALOG = {"orchestration": "http://127.0.0.1:1/v1/{project_id}",
           "cloudformation": "http://127.0.0.1:2/v1"}


@pytest.fixture(scope="module")
def mock():
    with MockServer() as server:
        yield server


@pytest.fixture
def app(mock):
    return IdentityApp(mock.url, CATALOG)


def login(app, user, password):
    body = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": user, "password": password,
                 "domain": {"id": "default"}}}},
        "scope": {"project": {"name": user,
                              "domain": {"id": "default"}}}}}
    request = webob.Request.blank("/v3/auth/tokens", method="POST",
                                  body=json.dumps(body).encode(),
                                  content_type="application/json")
    return request.get_response(app)


def test_login_gives_a_token_with_the_catalog(app):
    response = login(app, "mockuser", "mockpassword")
    assert response.status_code == 201
    token = response.json["token"]
    assert token["project"]["id"] == token["user"]["name"] == "mockuser"
    urls = {s["type"]: s["endpoints"][0]["url"] for s in token["catalog"]}
    assert urls == {"orchestration": "http://127.0.0.1:1/v1/mockuser",
                    "cloudformation": "http://127.0.0.1:2/v1"}

    check = webob.Request.blank("/v3/auth/tokens", headers={
        "X-Subject-Token": response.headers["X-Subject-Token"]})
    assert check.get_response(app).json["token"] == token


def test_wrong_password_is_401_and_not_echoed(app):
    response = login(app, "mockuser", "not-the-password")
    assert response.status_code == 401
    assert b"not-the-password" not in response.body


@pytest.mark.parametrize("body", [b"", b"{}", b'{"auth": {"identity": 1}}',
                                  b'{"auth": {"identity": {"password": '
                                  b'{"user": {"name": 1, "password": 2}}}}}'])
def test_malformed_login_is_400(app, body):
    request = webob.Request.blank("/v3/auth/tokens", method="POST",
                                  body=body)
    response = request.get_response(app)
    assert response.status_code == 400
    assert "password login" in response.json["error"]["message"] or \
        "strings" in response.json["error"]["message"]


def test_unknown_token_and_unimplemented_calls(app):
    unknown = webob.Request.blank("/v3/auth/tokens",
                                  headers={"X-Subject-Token": "nope"})
    assert unknown.get_response(app).status_code == 404
    users = webob.Request.blank("/v3/users").get_response(app)
    assert users.status_code == 501
    assert "not implemented" in users.json["error"]["message"]


def test_deltacloud_down_is_503_not_401():
    app = IdentityApp("http://127.0.0.1:9/api", CATALOG)
    assert login(app, "mockuser", "mockpassword").status_code == 503


def test_keystoneauth_finds_heat_in_the_catalog(mock):
    """The client heat_integrationtests use: discovery, login, catalog."""
    from keystoneauth1 import session
    from keystoneauth1.identity.generic import password

    from heat_deltacloud.heat.apis import APIServer

    server = APIServer(IdentityApp(mock.url, CATALOG), "identity")
    try:
        auth = password.Password(
            auth_url=f"{server.url}/v3", username="mockuser",
            password="mockpassword", project_name="mockuser",
            user_domain_name="Default", project_domain_name="Default")
        sess = session.Session(auth=auth, timeout=10)
        assert sess.get_endpoint(service_type="orchestration",
                                 interface="public") == \
            "http://127.0.0.1:1/v1/mockuser"
        assert auth.get_project_id(sess) == "mockuser"
    finally:
        server.stop()
