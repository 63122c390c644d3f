"""The identity endpoint over HTTP, served under heat-api's /identity."""

import pytest
import requests

from .helpers import USERS, WAIT, login, password_body

pytestmark = [pytest.mark.heat]

KEYSTONE_401 = {"error": {
    "code": 401, "title": "Unauthorized",
    "message": "The request you have made requires authentication."}}


def test_version_discovery(served):
    root = served.identity.rsplit("/v3", 1)[0]
    answer = requests.get(root + "/", timeout=WAIT)
    assert answer.status_code == 300
    (version,) = answer.json()["versions"]["values"]
    assert version["id"].startswith("v3.")
    assert version["links"][0]["href"] == served.identity + "/"
    answer = requests.get(served.identity, timeout=WAIT)
    assert answer.status_code == 200
    assert answer.json()["version"]["status"] == "stable"


def test_keystoneauth_discovers_the_endpoint(served):
    from keystoneauth1 import discover, session

    for url in (served.identity, served.identity.rsplit("/v3", 1)[0]):
        disc = discover.Discover(session.Session(), url)
        assert disc.url_for((3, 0)) == served.identity + "/"


def test_password_login_gives_a_scoped_token_with_a_catalog(served, mock):
    token_id, token = login(served, "alice", project="alice")
    assert token["user"]["name"] == "alice"
    assert token["project"] == {"id": "alice", "name": "alice",
                                "domain": {"id": "default",
                                           "name": "Default"}}
    assert {r["name"] for r in token["roles"]} == {"member", "reader"}
    catalog = {s["type"]: s for s in token["catalog"]}
    assert set(catalog) == {"orchestration", "cloudformation", "identity"}
    public = {kind: [e for e in s["endpoints"]
                     if e["interface"] == "public"][0]
              for kind, s in catalog.items()}
    assert public["orchestration"]["url"] == served.heat_api + "/v1/alice"
    assert public["cloudformation"]["url"] == served.heat_api_cfn + "/v1"
    assert public["identity"]["url"] == served.identity
    assert {e["region"] for e in public.values()} == {"RegionOne"}
    assert token["expires_at"].endswith("Z")
    assert USERS["alice"] not in token_id


def test_unscoped_login_is_scoped_to_the_users_project(served, mock):
    _, token = login(served, "bob")
    assert token["project"]["id"] == "bob"


def test_non_ascii_user_and_password(served, mock):
    token_id, token = login(served, "zoë", project="zoë")
    assert token["user"]["name"] == "zoë"
    orchestration = [s for s in token["catalog"]
                     if s["type"] == "orchestration"][0]
    assert orchestration["endpoints"][0]["url"].endswith("/v1/zo%C3%AB")
    answer = requests.get(orchestration["endpoints"][0]["url"] + "/stacks",
                          headers={"X-Auth-Token": token_id}, timeout=WAIT)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("kwargs", [
    {"password": "wrong"},
    {"password": ""},
    {"project": "bob"},
    {"project_id": "bob"},
    {"domain": "other"},
], ids=["wrong-password", "empty-password", "other-project-name",
        "other-project-id", "other-domain"])
def test_refused_logins_are_keystone_401s(served, mock, kwargs):
    answer = login(served, "alice", **kwargs)
    assert answer.status_code == 401
    assert answer.json() == KEYSTONE_401
    assert answer.headers["WWW-Authenticate"].startswith("Keystone uri=")
    assert "X-Subject-Token" not in answer.headers
    assert "wrong" not in answer.text


def test_unknown_user_is_401(served, mock):
    answer = requests.post(f"{served.identity}/auth/tokens",
                           json=password_body("mallory", "x"), timeout=WAIT)
    assert answer.status_code == 401


@pytest.mark.parametrize("body", [
    b"not json", b"{}", b'{"auth": {}}', b'{"auth": {"identity": 3}}',
    b'{"auth": {"identity": {"methods": "password"}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": {}}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": '
    b'{"user": {"password": "x"}}}}}',
    b'{"auth": {"identity": {"methods": ["password"], "password": '
    b'{"user": {"name": 3, "password": "x"}}}}}',
])
def test_malformed_logins_are_400(served, body):
    answer = requests.post(f"{served.identity}/auth/tokens", data=body,
                           headers={"Content-Type": "application/json"},
                           timeout=WAIT)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 400


def test_other_methods_and_scopes_are_401(served, mock):
    body = {"auth": {"identity": {"methods": ["totp"], "totp": {}}}}
    answer = requests.post(f"{served.identity}/auth/tokens", json=body,
                           timeout=WAIT)
    assert answer.status_code == 401
    body = password_body("alice", USERS["alice"])
    body["auth"]["scope"] = {"domain": {"id": "default"}}
    answer = requests.post(f"{served.identity}/auth/tokens", json=body,
                           timeout=WAIT)
    assert answer.status_code == 401


def test_validate_head_and_revoke(served, mock):
    caller, _ = login(served, "alice")
    subject, _ = login(served, "alice")
    url = f"{served.identity}/auth/tokens"
    headers = {"X-Auth-Token": caller, "X-Subject-Token": subject}
    answer = requests.get(url, headers=headers, timeout=WAIT)
    assert answer.status_code == 200
    assert answer.headers["X-Subject-Token"] == subject
    assert answer.json()["token"]["user"]["id"] == "alice"
    answer = requests.get(url + "?nocatalog", headers=headers, timeout=WAIT)
    assert "catalog" not in answer.json()["token"]
    assert requests.head(url, headers=headers,
                         timeout=WAIT).status_code == 200
    # Revoked: the subject dies at the endpoint and at heat-api.
    assert requests.delete(url, headers=headers,
                           timeout=WAIT).status_code == 204
    answer = requests.get(url, headers=headers, timeout=WAIT)
    assert answer.status_code == 404
    assert subject not in answer.text
    answer = requests.get(served.heat_api + "/v1/alice/stacks",
                          headers={"X-Auth-Token": subject}, timeout=WAIT)
    assert answer.status_code == 401
    answer = requests.get(served.heat_api + "/v1/alice/stacks",
                          headers={"X-Auth-Token": caller}, timeout=WAIT)
    assert answer.status_code == 200


def test_validating_another_users_token_is_403(served, mock):
    alice, _ = login(served, "alice")
    bob, _ = login(served, "bob")
    url = f"{served.identity}/auth/tokens"
    for method in ("GET", "DELETE"):
        answer = requests.request(method, url, headers={
            "X-Auth-Token": alice, "X-Subject-Token": bob}, timeout=WAIT)
        assert answer.status_code == 403
    answer = requests.get(url, headers={"X-Subject-Token": bob},
                          timeout=WAIT)
    assert answer.status_code == 401


def test_token_method_rescopes_without_extending(served, mock):
    token_id, token = login(served, "alice")
    body = {"auth": {"identity": {"methods": ["token"],
                                  "token": {"id": token_id}},
                     "scope": {"project": {"id": "alice"}}}}
    answer = requests.post(f"{served.identity}/auth/tokens", json=body,
                           timeout=WAIT)
    assert answer.status_code == 201
    assert answer.json()["token"]["expires_at"] <= token["expires_at"]
    body["auth"]["scope"] = {"project": {"id": "bob"}}
    answer = requests.post(f"{served.identity}/auth/tokens", json=body,
                           timeout=WAIT)
    assert answer.status_code == 401


def test_catalog_and_projects(served, mock):
    token_id, _ = login(served, "alice")
    headers = {"X-Auth-Token": token_id}
    catalog = requests.get(f"{served.identity}/auth/catalog",
                           headers=headers, timeout=WAIT).json()["catalog"]
    assert "orchestration" in {s["type"] for s in catalog}
    projects = requests.get(f"{served.identity}/auth/projects",
                            headers=headers, timeout=WAIT).json()
    assert [p["id"] for p in projects["projects"]] == ["alice"]
    assert requests.get(f"{served.identity}/auth/catalog",
                        timeout=WAIT).status_code == 401


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/v3/users", 501),
    ("POST", "/v3/projects", 501),
    ("POST", "/v3/ec2tokens", 501),
    ("GET", "/v3/auth/tokens/x", 501),
    ("GET", "/v2.0", 404),
    ("GET", "/nothing", 404),
    ("PUT", "/v3/auth/tokens", 405),
    ("POST", "/v3", 405),
])
def test_everything_else_is_a_keystone_error(served, method, path, status):
    root = served.identity.rsplit("/v3", 1)[0]
    answer = requests.request(method, root + path, timeout=WAIT)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert error["code"] == status
    assert "Traceback" not in answer.text


def test_a_broken_store_is_503_not_a_traceback(served, mock, monkeypatch):
    from heat_deltacloud.heat.identity import tokens

    def broken(*args, **kwargs):
        raise tokens.Unavailable()
    monkeypatch.setattr(tokens.TokenProvider, "verify", broken)
    token_id, _ = login(served, "alice")
    answer = requests.get(f"{served.identity}/auth/catalog",
                          headers={"X-Auth-Token": token_id}, timeout=WAIT)
    assert answer.status_code == 503
    answer = requests.get(served.heat_api + "/v1/alice/stacks",
                          headers={"X-Auth-Token": token_id}, timeout=WAIT)
    assert answer.status_code == 503


def test_an_unexpected_error_is_a_bare_500(served, mock, monkeypatch):
    from heat_deltacloud.heat.identity import app

    def boom(*args, **kwargs):
        raise RuntimeError("secret detail")
    monkeypatch.setattr(app.IdentityApp, "token_document", boom)
    answer = login(served, "alice")
    assert answer.status_code == 500
    assert "secret detail" not in answer.text
    assert "Traceback" not in answer.text


def test_deltacloud_down_is_503(served, cloud, monkeypatch):
    from oslo_config import cfg

    from heat_deltacloud.heat import auth

    monkeypatch.setattr(auth.CredentialCache, "__contains__",
                        lambda self, creds: False)
    cfg.CONF.set_override("url", "http://127.0.0.1:9/api",
                          group="deltacloud")
    try:
        answer = login(served, "alice")
    finally:
        cfg.CONF.set_override("url", cloud.url, group="deltacloud")
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == 503
