"""Whatever a client sends, the identity endpoint answers with one of
Keystone's documents: no traceback, no 500, nothing echoed.

The app is called in process (webob), with a credential checker that
refuses everybody, so no Deltacloud is needed.
"""

import json

import pytest
import sqlalchemy as sa
import webob
from cryptography.fernet import Fernet
from oslo_config import cfg

from heat_deltacloud.heat import auth, opts, stackusers
from heat_deltacloud.heat.identity import app as identity_app
from heat_deltacloud.heat.identity import tokens

SECRET = "sekrit-" + "q" * 12


class RefuseAll:
    def authenticate(self, creds):
        raise auth.Rejected("no")


@pytest.fixture(scope="module")
def endpoint():
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], default_config_files=[], default_config_dirs=[])
    conf.set_override("token_keys", [Fernet.generate_key().decode()],
                      group="deltacloud")
    conf.set_override("url", "http://deltacloud.example/api",
                      group="deltacloud")
    engine = sa.create_engine(
        "sqlite://", poolclass=sa.pool.StaticPool,
        connect_args={"check_same_thread": False})
    store = stackusers.StackUserStore(engine, encrypt=lambda s: ("x", s),
                                      decrypt=lambda m, s: s)
    return identity_app.IdentityApp(
        {}, conf=conf, provider=tokens.TokenProvider(conf, store),
        checker=RefuseAll())


def call(app, method, path, body=None, headers=None):
    req = webob.Request.blank(path, method=method, headers=headers or {})
    if body is not None:
        req.body = body if isinstance(body, bytes) else body.encode(
            "utf-8", "surrogatepass")
        req.content_type = "application/json"
    return req.get_response(app)


def assert_keystone_error(resp, *allowed):
    assert resp.status_int in allowed, (resp.status, resp.body[:300])
    if resp.body:
        error = json.loads(resp.body)["error"]
        assert error["code"] == resp.status_int
        assert set(error) == {"code", "title", "message"}
    assert SECRET.encode() not in resp.body


def test_fuzzed_login_bodies(endpoint):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    scalar = st.one_of(st.none(), st.booleans(), st.integers(),
                       st.floats(allow_nan=False), st.text(max_size=40),
                       st.just(SECRET), st.just("password"),
                       st.just("token"))
    tree = st.recursive(scalar, lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(
            ["auth", "identity", "methods", "password", "user", "name",
             "id", "domain", "scope", "project", "token", "system", "x"]),
            children, max_size=5)), max_leaves=25)

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(doc=tree)
    def check(doc):
        resp = call(endpoint, "POST", "/v3/auth/tokens", json.dumps(doc))
        assert_keystone_error(resp, 400, 401)
    check()


@pytest.mark.parametrize("body", [
    b"\xff\xfe", b"[" * 5000, b'{"auth": ' * 3000, "\ud800",
    b"x" * (identity_app.MAX_BODY + 10),
])
def test_hostile_bodies(endpoint, body):
    resp = call(endpoint, "POST", "/v3/auth/tokens", body)
    assert_keystone_error(resp, 400, 413)


def test_wrong_password_is_not_echoed(endpoint):
    body = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": "alice", "password": SECRET}}}}}
    resp = call(endpoint, "POST", "/v3/auth/tokens", json.dumps(body))
    assert_keystone_error(resp, 401)


@pytest.mark.parametrize("token", ["", "x", SECRET, "gAAAA" * 40,
                                   "\u00e9\u00e9", "a" * 10000])
@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE"])
def test_hostile_tokens(endpoint, token, method):
    resp = call(endpoint, method, "/v3/auth/tokens", headers={
        "X-Auth-Token": token, "X-Subject-Token": token})
    assert_keystone_error(resp, 400, 401)


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE",
                                    "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/v3", "/v3/", "/v3/auth",
                                  "/v3/auth/tokens/", "/v3/users/x",
                                  "/v2.0/tokens", "/%00", "/v3/../etc"])
def test_every_route_and_method(endpoint, method, path):
    resp = call(endpoint, method, path)
    assert resp.status_int not in (500, 502, 503), (method, path,
                                                    resp.status)
    if resp.status_int >= 400:
        assert_keystone_error(resp, resp.status_int)
