"""The deltacloud_auth paste filter, with webob, against the mock Deltacloud.

A recording app stands in for the rest of the pipeline; credentials are
checked by the real mock server over HTTP.  Most tests send the mock's URL
as X-Auth-Url, so their ``auth_conf`` opts in to client URLs
(``allow_client_url``); the default, refusing them, has its own section.
"""

import base64
import configparser
import importlib.metadata
import json
import logging
import pathlib
import sys

import pytest
import webob

pytestmark = [pytest.mark.heat]

SECRET = "mockpassword"


class Downstream:
    """Records the environ of each request it gets."""

    def __init__(self):
        self.calls = []

    def __call__(self, environ, start_response):
        self.calls.append(dict(environ))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"downstream"]


@pytest.fixture
def auth_conf(auth_conf):
    """The shared fixture's conf, with clients' X-Auth-Url allowed."""
    auth_conf.set_override("allow_client_url", True, group="deltacloud")
    return auth_conf


@pytest.fixture
def default_conf(auth_conf):
    """The conf as installed: no URL, and clients' URLs refused."""
    auth_conf.clear_override("allow_client_url", group="deltacloud")
    assert auth_conf.deltacloud.allow_client_url is False
    return auth_conf


@pytest.fixture
def downstream():
    return Downstream()


@pytest.fixture
def make_filter(auth_conf, downstream):
    from heat_deltacloud.heat import auth

    def make(conf=auth_conf, **local_conf):
        return auth.DeltacloudAuth(downstream, local_conf, conf=conf)
    return make


def basic(user, password):
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def wsgi_str(text):
    """A header value as a WSGI server puts UTF-8 bytes into the environ."""
    return text.encode().decode("latin-1")


def call(app, path="/v1/mockuser/stacks", **headers):
    request = webob.Request.blank(path, headers=headers)
    return request.get_response(app)


def dc_headers(url, user="mockuser", password=SECRET):
    return {"X-Auth-User": user, "X-Auth-Key": password, "X-Auth-Url": url}


def validations(mock):
    return [r for r in mock.request_log() if r["route"] == "/api"]


# -- accepted credentials ----------------------------------------------------

def test_headers_pass_identity_and_credentials(make_filter, downstream,
                                               deltacloud_mock):
    resp = call(make_filter(), **dc_headers(deltacloud_mock.url))
    assert resp.status_code == 200
    assert resp.body == b"downstream"
    [env] = downstream.calls
    assert env["HTTP_X_AUTH_USER"] == "mockuser"
    assert env["HTTP_X_AUTH_KEY"] == SECRET
    assert env["HTTP_X_AUTH_URL"] == deltacloud_mock.url
    assert env["HTTP_X_USER_ID"] == env["HTTP_X_USER_NAME"] == "mockuser"
    assert env["HTTP_X_PROJECT_ID"] == env["HTTP_X_PROJECT_NAME"] == \
        "mockuser"
    assert env["HTTP_X_IDENTITY_STATUS"] == "Confirmed"
    assert env["HTTP_X_IS_ADMIN_PROJECT"] == "False"
    assert set(env["HTTP_X_ROLES"].split(",")) == {"member", "reader"}
    assert [r["user"] for r in validations(deltacloud_mock)] == ["mockuser"]


def test_basic_credentials(make_filter, downstream, deltacloud_mock):
    resp = call(make_filter(), Authorization=basic("mockuser", SECRET),
                **{"X-Auth-Url": deltacloud_mock.url})
    assert resp.status_code == 200
    [env] = downstream.calls
    assert (env["HTTP_X_AUTH_USER"], env["HTTP_X_AUTH_KEY"]) == (
        "mockuser", SECRET)
    assert env["HTTP_X_AUTH_URL"] == deltacloud_mock.url
    # Consumed: the raw secret does not travel further down as Basic.
    assert "HTTP_AUTHORIZATION" not in env


def test_lowercase_basic_scheme(make_filter, downstream, deltacloud_mock):
    value = basic("mockuser", SECRET).replace("Basic", "basic")
    resp = call(make_filter(), Authorization=value,
                **{"X-Auth-Url": deltacloud_mock.url})
    assert resp.status_code == 200


def test_utf8_credentials_reach_deltacloud_as_sent(make_filter, downstream,
                                                   auth_users_mock):
    """Basic (UTF-8 by RFC 7617) and raw headers give the same environ, and
    Deltacloud receives the client's bytes either way."""
    url = {"X-Auth-Url": auth_users_mock.url}
    app = make_filter(cache_ttl="0")
    by_basic = call(app, Authorization=basic("zoë", "pässwörd-€"), **url)
    by_headers = call(app, **{"X-Auth-User": wsgi_str("zoë"),
                              "X-Auth-Key": wsgi_str("pässwörd-€")}, **url)
    assert (by_basic.status_code, by_headers.status_code) == (200, 200)
    first, second = downstream.calls
    for key in ("HTTP_X_AUTH_USER", "HTTP_X_AUTH_KEY", "HTTP_X_PROJECT_ID"):
        assert first[key] == second[key]
    assert first["HTTP_X_AUTH_USER"].encode("latin-1").decode() == "zoë"
    assert [r["user"] for r in validations(auth_users_mock)] == ["zoë"] * 2


def test_project_is_the_user_whatever_tenant_the_url_names(
        make_filter, downstream, deltacloud_mock):
    """The URL's tenant is only the client's claim.  Heat itself answers 403
    when it is not the authenticated user's project (see test_api)."""
    call(make_filter(), path="/v1/somebody-else/stacks",
         **dc_headers(deltacloud_mock.url))
    assert downstream.calls[0]["HTTP_X_PROJECT_ID"] == "mockuser"


def test_configured_url_wins_over_the_clients(make_filter, downstream,
                                              auth_conf, deltacloud_mock,
                                              closed_port_url):
    auth_conf.set_override("url", deltacloud_mock.url, group="deltacloud")
    resp = call(make_filter(), **dc_headers(closed_port_url))
    assert resp.status_code == 200
    assert downstream.calls[0]["HTTP_X_AUTH_URL"] == deltacloud_mock.url


def test_configured_url_needs_no_x_auth_url(make_filter, auth_conf,
                                            deltacloud_mock):
    auth_conf.set_override("url", deltacloud_mock.url, group="deltacloud")
    resp = call(make_filter(), Authorization=basic("mockuser", SECRET))
    assert resp.status_code == 200


def test_region_name_is_the_provider_asked_for(make_filter, downstream,
                                               deltacloud_mock):
    resp = call(make_filter(), **dc_headers(deltacloud_mock.url),
                **{"X-Region-Name": "eu-west"})
    assert resp.status_code == 200
    assert downstream.calls[0]["HTTP_X_REGION_NAME"] == "eu-west"


# -- refused requests: nothing downstream runs -------------------------------

def assert_refused(resp, downstream, status):
    assert resp.status_code == status, resp.body
    assert downstream.calls == []
    if status == 401:
        assert resp.headers["WWW-Authenticate"] == \
            'Basic realm="heat-deltacloud"'
    assert resp.content_type == "application/json"
    error = json.loads(resp.body)["error"]
    assert error["code"] == status
    return error["message"]


@pytest.mark.parametrize("headers", [
    {},
    {"X-Auth-User": "mockuser"},
    {"X-Auth-Key": SECRET},
    {"X-Auth-User": "", "X-Auth-Key": SECRET},
    {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/x/y"},
    {"Authorization": "Bearer abc"},
    {"X-Auth-Token": "a-keystone-token"},
], ids=["none", "no-key", "no-user", "empty-user", "aws-signature",
        "bearer", "token"])
def test_missing_credentials_are_401(make_filter, downstream,
                                     deltacloud_mock, headers):
    resp = call(make_filter(), **headers,
                **{"X-Auth-Url": deltacloud_mock.url})
    message = assert_refused(resp, downstream, 401)
    assert "X-Auth-User" in message
    assert validations(deltacloud_mock) == []


def test_missing_url_is_401(make_filter, downstream):
    resp = call(make_filter(), Authorization=basic("mockuser", SECRET))
    assert "X-Auth-Url" in assert_refused(resp, downstream, 401)


@pytest.mark.parametrize("user,password", [
    ("mockuser", "wrong"), ("nobody", SECRET), ("mockuser", ""),
])
def test_rejected_credentials_are_401(make_filter, downstream,
                                      deltacloud_mock, user, password):
    resp = call(make_filter(), **dc_headers(deltacloud_mock.url, user,
                                            password))
    message = assert_refused(resp, downstream, 401)
    assert message == "Deltacloud rejected the credentials."


@pytest.mark.parametrize("authorization", [
    "Basic",
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"no-colon-here").decode(),
    "Basic " + base64.b64encode(b"\xff\xfeuser:pw").decode(),
    "Basic " + base64.b64encode(b"user:\xc3").decode(),
    "Basic " + base64.b64encode(b"us\x00er:pw").decode(),
    "Basic " + base64.b64encode(b"user\n:pw").decode(),
], ids=["empty", "bad-base64", "no-colon", "non-utf8-user",
        "truncated-utf8", "nul", "newline"])
def test_malformed_basic_is_400_never_500(make_filter, downstream,
                                          deltacloud_mock, authorization):
    resp = call(make_filter(), Authorization=authorization,
                **{"X-Auth-Url": deltacloud_mock.url})
    assert_refused(resp, downstream, 400)
    assert validations(deltacloud_mock) == []


@pytest.mark.parametrize("environ", [
    {"HTTP_X_AUTH_USER": "mock\x01user"},
    {"HTTP_X_AUTH_KEY": "pass\x7f"},
    {"HTTP_X_AUTH_USER": "a" * 5000},
    {"HTTP_X_AUTH_USER": "with:colon"},
    {"HTTP_X_AUTH_URL": "ftp://127.0.0.1/api"},
    {"HTTP_X_AUTH_URL": "not a url"},
    {"HTTP_X_AUTH_URL": "http://user:pw@127.0.0.1/api"},
    {"HTTP_X_AUTH_URL": "http://127.0.0.1:99999/api"},
    {"HTTP_X_AUTH_URL": "http://[::1/api"},
    {"HTTP_X_AUTH_URL": "http:///api"},
    {"HTTP_X_AUTH_URL": "http://exa mple.test/api"},
    {"HTTP_X_REGION_NAME": "eu\x00"},
], ids=["ctl-user", "del-key", "long-user", "colon-user", "ftp-url",
        "no-url", "url-userinfo", "bad-port", "bad-ipv6", "no-host",
        "space-in-url", "ctl-region"])
def test_malformed_fields_are_400(make_filter, downstream, deltacloud_mock,
                                  environ):
    request = webob.Request.blank("/v1/mockuser/stacks")
    request.environ.update({"HTTP_X_AUTH_USER": "mockuser",
                            "HTTP_X_AUTH_KEY": SECRET,
                            "HTTP_X_AUTH_URL": deltacloud_mock.url,
                            **environ})
    assert_refused(request.get_response(make_filter()), downstream, 400)


# -- anti-spoofing -----------------------------------------------------------

SPOOFED = {"X-Roles": "admin", "X-Role": "admin", "X-User-Id": "root",
           "X-User": "root", "X-User-Name": "root",
           "X-User-Domain-Id": "default", "X-Project-Id": "victim",
           "X-Project-Name": "victim", "X-Tenant-Id": "victim",
           "X-Tenant": "victim", "X-Tenant-Name": "victim",
           "X-Project-Domain-Id": "default", "X-Domain-Id": "d",
           "X-Identity-Status": "Confirmed", "X-Is-Admin-Project": "True",
           "X-Service-Roles": "service", "X-Service-Token": "t",
           "X-Auth-Token": "t", "X-Storage-Token": "t",
           "X-Auth-EC2-Creds": "{}", "X-Auth-Project": "victim",
           "OpenStack-System-Scope": "all"}


def test_spoofed_identity_headers_are_dropped(make_filter, downstream,
                                              deltacloud_mock):
    resp = call(make_filter(), **dc_headers(deltacloud_mock.url), **SPOOFED)
    assert resp.status_code == 200
    [env] = downstream.calls
    assert env["HTTP_X_ROLES"] == "member,reader"
    assert env["HTTP_X_USER_ID"] == "mockuser"
    assert env["HTTP_X_PROJECT_ID"] == "mockuser"
    assert env["HTTP_X_IS_ADMIN_PROJECT"] == "False"
    for name in ("HTTP_X_ROLE", "HTTP_X_USER", "HTTP_X_USER_DOMAIN_ID",
                 "HTTP_X_TENANT_ID", "HTTP_X_TENANT", "HTTP_X_TENANT_NAME",
                 "HTTP_X_PROJECT_DOMAIN_ID", "HTTP_X_DOMAIN_ID",
                 "HTTP_X_SERVICE_ROLES", "HTTP_X_SERVICE_TOKEN",
                 "HTTP_X_AUTH_TOKEN", "HTTP_X_STORAGE_TOKEN",
                 "HTTP_X_AUTH_EC2_CREDS", "HTTP_X_AUTH_PROJECT",
                 "HTTP_OPENSTACK_SYSTEM_SCOPE"):
        assert name not in env, name


def test_spoofed_identity_without_credentials_is_401(
        make_filter, downstream, deltacloud_mock):
    resp = call(make_filter(), **SPOOFED)
    assert_refused(resp, downstream, 401)


# -- Deltacloud unavailable: 503, never "bad credentials" --------------------

def test_unreachable_deltacloud_is_503(make_filter, downstream,
                                       closed_port_url):
    resp = call(make_filter(), **dc_headers(closed_port_url))
    message = assert_refused(resp, downstream, 503)
    assert "unavailable" in message
    assert resp.headers["Retry-After"]
    assert "WWW-Authenticate" not in resp.headers


def test_unreachable_configured_deltacloud_is_503(make_filter, downstream,
                                                  auth_conf,
                                                  closed_port_url):
    auth_conf.set_override("url", closed_port_url, group="deltacloud")
    resp = call(make_filter(), Authorization=basic("mockuser", SECRET))
    assert_refused(resp, downstream, 503)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_failing_deltacloud_is_503(make_filter, downstream, deltacloud_mock,
                                   status):
    deltacloud_mock.add_fault("GET", "/api", status=status)
    resp = call(make_filter(), **dc_headers(deltacloud_mock.url))
    assert_refused(resp, downstream, 503)


def test_outage_is_not_cached(make_filter, downstream, deltacloud_mock):
    app = make_filter()
    deltacloud_mock.add_fault("GET", "/api", status=500, count=1)
    assert call(app, **dc_headers(deltacloud_mock.url)).status_code == 503
    assert call(app, **dc_headers(deltacloud_mock.url)).status_code == 200


# -- the cache ---------------------------------------------------------------

def test_cache_hit_makes_no_deltacloud_request(make_filter, downstream,
                                               deltacloud_mock):
    app = make_filter()
    for _ in range(3):
        assert call(app, **dc_headers(deltacloud_mock.url)).status_code == \
            200
    assert len(validations(deltacloud_mock)) == 1
    assert len(downstream.calls) == 3


def test_basic_and_headers_share_the_cache(make_filter, deltacloud_mock):
    app = make_filter()
    call(app, **dc_headers(deltacloud_mock.url))
    resp = call(app, Authorization=basic("mockuser", SECRET),
                **{"X-Auth-Url": deltacloud_mock.url})
    assert resp.status_code == 200
    assert len(validations(deltacloud_mock)) == 1


def test_other_password_is_validated_again(make_filter, deltacloud_mock):
    app = make_filter()
    assert call(app, **dc_headers(deltacloud_mock.url)).status_code == 200
    resp = call(app, **dc_headers(deltacloud_mock.url, password="guess"))
    assert resp.status_code == 401
    assert len(validations(deltacloud_mock)) == 2
    # The good password is still remembered after a failed guess.
    assert call(app, **dc_headers(deltacloud_mock.url)).status_code == 200
    assert len(validations(deltacloud_mock)) == 2


def test_rejections_are_not_cached(make_filter, deltacloud_mock):
    app = make_filter()
    for _ in range(2):
        call(app, **dc_headers(deltacloud_mock.url, password="guess"))
    assert len(validations(deltacloud_mock)) == 2


def test_other_endpoint_is_validated_again(make_filter, deltacloud_mock,
                                           auth_users_mock):
    app = make_filter()
    call(app, **dc_headers(deltacloud_mock.url))
    call(app, **dc_headers(auth_users_mock.url))
    assert len(validations(deltacloud_mock)) == 1
    assert len(validations(auth_users_mock)) == 1


def test_cache_entries_expire(make_filter, deltacloud_mock, monkeypatch):
    from heat_deltacloud.heat import auth

    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    app = make_filter(cache_ttl="30")
    call(app, **dc_headers(deltacloud_mock.url))
    now[0] += 29
    call(app, **dc_headers(deltacloud_mock.url))
    assert len(validations(deltacloud_mock)) == 1
    now[0] += 2
    call(app, **dc_headers(deltacloud_mock.url))
    assert len(validations(deltacloud_mock)) == 2


def test_cache_ttl_0_validates_every_request(make_filter, deltacloud_mock):
    app = make_filter(cache_ttl="0")
    for _ in range(2):
        call(app, **dc_headers(deltacloud_mock.url))
    assert len(validations(deltacloud_mock)) == 2


def test_cache_is_bounded(auth_users_mock):
    from heat_deltacloud.heat import auth

    cache = auth.CredentialCache(ttl=60, size=2)
    creds = [auth.Credentials(user=u, key="k", url=auth_users_mock.url,
                              url_from_client=True) for u in "abc"]
    for c in creds:
        cache.add(c)
    assert [c in cache for c in creds] == [False, True, True]


def test_cache_holds_no_secret():
    from heat_deltacloud.heat import auth

    cache = auth.CredentialCache(ttl=60, size=10)
    creds = auth.Credentials(user="mockuser", key=SECRET,
                             url="http://127.0.0.1:1/api",
                             url_from_client=True)
    cache.add(creds)
    [(key, (_, digest))] = cache._entries.items()
    assert SECRET not in key and SECRET.encode() not in digest
    assert creds in cache


# -- secrets stay secret -----------------------------------------------------

def test_password_never_logged_shown_or_echoed(make_filter, deltacloud_mock,
                                               closed_port_url, caplog):
    secret = "S3cr3t-Zq9-never-shown"
    app = make_filter()
    caplog.set_level(logging.DEBUG)
    responses = [
        call(app, **dc_headers(deltacloud_mock.url, password=secret)),
        call(app, **dc_headers(closed_port_url, password=secret)),
        call(app, Authorization=basic("mockuser", secret),
             **{"X-Auth-Url": "ftp://x"}),
        call(app, Authorization="Basic " + base64.b64encode(
            secret.encode()).decode()),
        call(app, **dc_headers(deltacloud_mock.url, user="a:b",
                               password=secret)),
    ]
    deltacloud_mock.add_fault("GET", "/api", status=500,
                              message=f"echo {secret}")
    responses.append(call(app, **dc_headers(deltacloud_mock.url,
                                            password=secret)))
    assert [r.status_code for r in responses] == [401, 503, 400, 400, 400,
                                                  503]
    for resp in responses:
        assert secret not in resp.text
        assert secret not in str(resp.headers)
    assert caplog.records, "the filter logs nothing at DEBUG?"
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()


def test_reprs_hide_the_password(make_filter):
    from heat_deltacloud.heat import auth

    creds = auth.Credentials(user="mockuser", key=SECRET,
                             url="http://127.0.0.1:1/api",
                             url_from_client=True)
    assert SECRET not in repr(creds)
    assert SECRET not in repr(make_filter())


# -- heat-api-cfn's error format ---------------------------------------------

@pytest.mark.parametrize("headers,status,code", [
    ({}, 401, "MissingAuthenticationToken"),
    ({"Authorization": "Basic !!"}, 400, "IncompleteSignature"),
    ({"X-Auth-User": "mockuser", "X-Auth-Key": "no"}, 401,
     "InvalidClientTokenId"),
])
def test_aws_error_format(make_filter, downstream, deltacloud_mock, headers,
                          status, code):
    from lxml import etree

    resp = call(make_filter(error_format="aws"), path="/v1/",
                **headers, **{"X-Auth-Url": deltacloud_mock.url})
    assert resp.status_code == status
    assert resp.content_type == "application/xml"
    doc = etree.fromstring(resp.body)
    assert doc.findtext("Error/Code") == code
    assert doc.findtext("Error/Type") == "Sender"
    assert doc.findtext("Error/Message")
    assert downstream.calls == []


def test_aws_error_for_outage(make_filter, closed_port_url):
    from lxml import etree

    resp = call(make_filter(error_format="aws"), path="/v1/",
                **dc_headers(closed_port_url))
    assert resp.status_code == 503
    doc = etree.fromstring(resp.body)
    assert doc.findtext("Error/Type") == "Server"
    assert doc.findtext("Error/Code") == "ServiceUnavailable"


# -- configuration and start-up ----------------------------------------------

@pytest.mark.parametrize("local_conf", [
    {"cache_ttl": "soon"}, {"error_format": "html"},
    {"validate_retries": "x"},
])
def test_bad_filter_options_fail_at_start(make_filter, local_conf):
    with pytest.raises(ValueError, match="deltacloud_auth"):
        make_filter(**local_conf)


def test_roles_option(make_filter, downstream, deltacloud_mock):
    call(make_filter(roles=" member , heat_stack_owner "),
         **dc_headers(deltacloud_mock.url))
    assert downstream.calls[0]["HTTP_X_ROLES"] == "member,heat_stack_owner"


def test_unknown_compute_backend_fails_at_start(make_filter, auth_conf):
    from heat.common import exception

    auth_conf.set_override("compute_backend", "no-such-cloud")
    with pytest.raises(exception.Invalid) as err:
        make_filter()
    assert "no-such-cloud" in str(err.value)
    assert "deltacloud" in str(err.value)  # the installed backends


def test_allowed_client_urls_are_warned_about(make_filter, caplog):
    caplog.set_level(logging.WARNING, logger="heat_deltacloud.heat.auth")
    make_filter()
    [record] = caplog.records
    assert record.levelname == "WARNING"
    assert "allow_client_url is true" in record.getMessage()


def test_unset_url_is_an_error_at_start(make_filter, default_conf, caplog):
    caplog.set_level(logging.WARNING, logger="heat_deltacloud.heat.auth")
    make_filter()
    [record] = caplog.records
    assert record.levelname == "ERROR"
    assert "every request is refused" in record.getMessage()


def test_a_configured_url_is_not_warned_about(make_filter, default_conf,
                                              deltacloud_mock, caplog):
    default_conf.set_override("url", deltacloud_mock.url, group="deltacloud")
    caplog.set_level(logging.WARNING, logger="heat_deltacloud.heat.auth")
    make_filter()
    assert caplog.records == []


# -- clients' URLs are refused unless the operator allows them ---------------

def test_a_clients_url_is_refused_by_default(make_filter, default_conf,
                                             downstream, deltacloud_mock):
    """A Deltacloud the client names could vouch for any user: 403 before
    anything is asked of it, and the message names the option."""
    resp = call(make_filter(), **dc_headers(deltacloud_mock.url))
    message = assert_refused(resp, downstream, 403)
    assert message.startswith("X-Auth-Url is refused")
    assert "[deltacloud] url" in message
    assert "[deltacloud] allow_client_url = true" in message
    assert "WWW-Authenticate" not in resp.headers
    assert deltacloud_mock.request_log() == []


def test_no_url_anywhere_is_refused_naming_the_option(
        make_filter, default_conf, downstream):
    resp = call(make_filter(), Authorization=basic("mockuser", SECRET))
    message = assert_refused(resp, downstream, 403)
    assert message.startswith("no Deltacloud URL is configured")
    assert "allow_client_url" in message


def test_a_refused_url_in_heat_api_cfns_format(make_filter, default_conf,
                                               downstream, deltacloud_mock):
    from lxml import etree

    resp = call(make_filter(error_format="aws"), path="/v1/",
                **dc_headers(deltacloud_mock.url))
    assert resp.status_code == 403
    doc = etree.fromstring(resp.body)
    assert doc.findtext("Error/Code") == "AccessDenied"
    assert doc.findtext("Error/Type") == "Sender"
    assert "allow_client_url" in doc.findtext("Error/Message")
    assert downstream.calls == []


def test_the_configured_url_works_without_the_option(
        make_filter, default_conf, downstream, deltacloud_mock,
        closed_port_url):
    """Set url: a client's X-Auth-Url is ignored, whatever it names."""
    default_conf.set_override("url", deltacloud_mock.url, group="deltacloud")
    resp = call(make_filter(), **dc_headers(closed_port_url))
    assert resp.status_code == 200
    assert downstream.calls[0]["HTTP_X_AUTH_URL"] == deltacloud_mock.url


def test_the_option_is_read_from_heat_conf(tmp_path):
    from oslo_config import cfg

    from heat_deltacloud.heat import opts

    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    path = tmp_path / "heat.conf"
    path.write_text("[deltacloud]\nallow_client_url = true\n")
    conf(["--config-file", str(path)], project="heat-deltacloud-tests",
         default_config_files=[], default_config_dirs=[])
    assert conf.deltacloud.allow_client_url is True
    assert ("deltacloud", "allow_client_url") in {
        (group, opt.name) for group, group_opts in opts.list_opts()
        for opt in group_opts}


def test_entry_point_builds_the_filter(downstream, deltacloud_mock):
    [entry] = importlib.metadata.entry_points(
        group="paste.filter_factory", name="deltacloud_auth")
    factory = entry.load()
    from heat_deltacloud.heat import auth
    assert factory is auth.filter_factory
    middleware = factory({"__file__": "api-paste.ini"},
                         cache_ttl="5")(downstream)
    assert isinstance(middleware, auth.DeltacloudAuth)
    assert middleware.cache.ttl == 5


# -- the shipped paste files -------------------------------------------------

PACKAGE_PASTE = pathlib.Path(__file__).resolve().parents[2] / \
    "heat_deltacloud" / "heat" / "api-paste.ini"
SNIPPET = PACKAGE_PASTE.parents[2] / "etc" / "heat-deltacloud" / \
    "api-paste.ini.snippet"


def paste_sections(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser


@pytest.mark.parametrize("name", ["deltacloud_auth", "deltacloud_auth_cfn"])
def test_shipped_paste_filters_load(name, downstream):
    from paste.deploy import loadfilter

    from heat_deltacloud.heat import auth

    factory = loadfilter(f"config:{PACKAGE_PASTE}", name=name)
    middleware = factory(downstream)
    assert isinstance(middleware, auth.DeltacloudAuth)
    assert middleware.error_format == (
        "aws" if name.endswith("cfn") else "json")


def test_egg_form_of_the_entry_point(tmp_path, downstream):
    from paste.deploy import loadfilter

    from heat_deltacloud.heat import auth

    ini = tmp_path / "paste.ini"
    ini.write_text("[filter:auth]\nuse = egg:heat-deltacloud#deltacloud_auth"
                   "\ncache_ttl = 7\n")
    middleware = loadfilter(f"config:{ini}", name="auth")(downstream)
    assert isinstance(middleware, auth.DeltacloudAuth)
    assert middleware.cache.ttl == 7


def test_snippet_matches_the_shipped_file():
    shipped, snippet = paste_sections(PACKAGE_PASTE), \
        paste_sections(SNIPPET)
    for section in ("composite:api", "composite:api-cfn"):
        assert snippet[section]["deltacloud"] == \
            shipped[section]["deltacloud"]
    for section in ("filter:deltacloud_auth", "filter:deltacloud_auth_cfn"):
        assert dict(snippet[section]) == dict(shipped[section])


def test_shipped_file_keeps_heats_own_flavors():
    heat_ini = pathlib.Path(sys.prefix) / "etc" / "heat" / "api-paste.ini"
    if not heat_ini.exists():
        pytest.skip("Heat's api-paste.ini is not installed in this prefix")
    ours, heats = paste_sections(PACKAGE_PASTE), paste_sections(heat_ini)
    added = {"composite:heat-api": {"/identity": "identity"}}
    for section in heats.sections():
        assert dict(ours[section]) == dict(heats[section]) | (
            {"deltacloud": ours[section]["deltacloud"]}
            if section.startswith("composite:api") else {}) | added.get(
            section, {}), section


def test_policy_snippet_matches_the_served_rules():
    import yaml

    from heat_deltacloud.heat import apis

    snippet = SNIPPET.with_name("policy.yaml.snippet")
    assert yaml.safe_load(snippet.read_text()) == apis.CFN_POLICY


def test_heat_conf_snippet_selects_the_deltacloud_flavor():
    snippet = paste_sections(SNIPPET.with_name("heat.conf.snippet"))
    assert snippet["paste_deploy"]["flavor"] == "deltacloud"
    assert snippet["DEFAULT"]["cloud_backend"] == \
        "heat_deltacloud.heat.backend.DeltacloudClients"
    assert snippet["deltacloud"]["url"]


# -- whatever a client sends -------------------------------------------------

_LATIN1 = {"min_codepoint": 0, "max_codepoint": 255}


def test_any_header_bytes_get_200_400_401_or_503_never_500(
        make_filter, downstream, deltacloud_mock):
    """Header values are whatever bytes a client sent (latin-1 in WSGI)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    app = make_filter()
    header = st.text(alphabet=st.characters(**_LATIN1), max_size=40)
    scheme = st.sampled_from(["Basic ", "basic ", "Bearer ", "AWS4 ", ""])
    basic_token = st.one_of(
        header, st.binary(max_size=30).map(
            lambda raw: base64.b64encode(raw).decode()))

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(user=st.one_of(st.none(), header, st.just("mockuser")),
           key=st.one_of(st.none(), header),
           authorization=st.one_of(st.none(), st.tuples(
               scheme, basic_token).map("".join)),
           # No random http(s) URL: nothing may leave 127.0.0.1.
           url=st.one_of(st.none(), st.just(deltacloud_mock.url),
                         header.filter(lambda u: "http" not in u.lower())))
    def check(user, key, authorization, url):
        environ = {}
        for name, value in (("HTTP_X_AUTH_USER", user),
                            ("HTTP_X_AUTH_KEY", key),
                            ("HTTP_AUTHORIZATION", authorization),
                            ("HTTP_X_AUTH_URL", url)):
            if value is not None:
                environ[name] = value
        before = len(downstream.calls)
        response = webob.Request.blank(
            "/v1/mockuser/stacks", environ=environ).get_response(app)
        assert response.status_code in (200, 400, 401, 503), response.text
        assert (len(downstream.calls) > before) == (
            response.status_code == 200)
        if response.status_code == 401:
            assert "WWW-Authenticate" in response.headers
        if key and len(key) >= 6:
            assert key not in response.text

    check()
