"""Form, query, path and JSON input the mock and the auth filter receive:
wrong types, huge values, missing fields, bytes no text can hold.

Every answer is a 4xx naming the problem, never a 500, a traceback or a
half-done change.  (Header inputs of the filter are covered field by field
in ``tests/heat/test_auth.py``; here are the sizes and the echo check.)
"""

import base64
import json

import pytest
import webob

from heat_deltacloud.mock import wsgi

AUTH = "Basic " + base64.b64encode(b"mockuser:mockpassword").decode()


@pytest.fixture
def app():
    return wsgi.make_app()


def send(app, path, body=b"", *, method="POST",
         content_type="application/x-www-form-urlencoded"):
    request = webob.Request.blank(path, method=method, body=body, headers={
        "Authorization": AUTH, "Accept": "application/xml",
        "Content-Type": content_type})
    response = request.get_response(app)
    return response.status_code, response.text


def instance_count(app):
    return len(app.cloud.all_instances())


@pytest.mark.parametrize("form, status, message", [
    (b"image_id=img1&name=a%00b", 400,
     "Parameter 'name' holds characters XML cannot carry"),
    (b"image_id=img1&name=a%01b", 400,
     "Parameter 'name' holds characters XML cannot carry"),
    (b"image_id=img1&keyname=%EF%BF%BF", 400,
     "Parameter 'keyname' holds characters XML cannot carry"),
    (b"image_id=img1&na%00me=x", 400,
     "Parameter 'na\\x00me' holds characters XML cannot carry"),
    (b"name=x", 400, "Required parameter 'image_id' not found in [name]"),
    (b"image_id[]=img1", 400,
     "Required parameter 'image_id' not found in [image_id[]]"),
    (b"%%%", 400, "Required parameter 'image_id' not found in [%%%]"),
    (b"image_id=img1&hwp_id=" + b"x" * 100_000, 400,
     "does not exists."),
], ids=["nul", "control", "non-character", "nul-in-name", "missing",
        "array-style", "garbage", "huge-hwp"])
def test_bad_create_forms_are_refused_and_create_nothing(app, form, status,
                                                         message):
    before = instance_count(app)
    got_status, text = send(app, "/api/instances", form)
    assert got_status == status
    assert message in text
    assert instance_count(app) == before


def test_oversized_body_is_413_and_creates_nothing(deltacloud_mock):
    import requests

    before = len(deltacloud_mock.all_instances())
    resp = requests.post(f"{deltacloud_mock.url}/instances",
                         data={"image_id": "img1", "name": "x" * 2_000_000},
                         auth=("mockuser", "mockpassword"), timeout=30,
                         headers={"Accept": "application/xml"})
    assert resp.status_code == 413
    assert len(deltacloud_mock.all_instances()) == before


@pytest.mark.parametrize("path", [
    "/api/instances/%ff", "/api/instances?id=%ff",
    "/api/instances?state=%c3", "/api/keys/%ED%A0%80"])
def test_paths_and_queries_that_are_not_utf8_are_400(app, path):
    assert send(app, path, method="GET") == (
        400, "Bad Request: the request is not valid UTF-8")


@pytest.mark.parametrize("path", [
    "/api/instances/" + "x" * 10_000, "/api/instances/inst0%00",
    "/api/instances?state=%00"])
def test_odd_but_valid_paths_get_ordinary_answers(app, path):
    status, _ = send(app, path, method="GET")
    assert status in (200, 400, 404)


@pytest.mark.parametrize("encoded", [b"%ff%fe", b"%ED%A0%80"])
def test_form_bytes_that_are_not_utf8_are_read_leniently(app, encoded):
    """As Rack does: the bytes are replaced, the create goes through."""
    status, _ = send(app, "/api/instances", b"image_id=img1&name=" + encoded)
    assert status == 201
    assert "\ufffd" in app.cloud.all_instances()[-1]["name"]


@pytest.mark.parametrize("path, body, message", [
    ("/_mock/faults", b"[]", "the body must be a JSON object"),
    ("/_mock/faults", b"{", "Expecting property name"),
    ("/_mock/faults", b"\xff\xfe", "Expecting value"),
    ("/_mock/faults", b"\xc3(", "can't decode"),
    ("/_mock/faults", b"[" * 100_000, "nested too deeply"),
    ("/_mock/faults", b'{"status": "abc"}', "invalid literal for int()"),
    ("/_mock/faults", b'{"status": [503]}', "not 'list'"),
    ("/_mock/faults", b'{"status": 1e308}', "status must be 400-599"),
    ("/_mock/faults", b'{"latency": 1e308}', "latency must be 0-60"),
    ("/_mock/faults", b'{"latency": NaN}', "latency must be 0-60"),
    ("/_mock/faults", b'{"status": 503, "probability": NaN}',
     "probability must be between 0 and 1"),
    ("/_mock/faults", b'{"status": 503, "count": 0}',
     "count must be at least 1"),
    ("/_mock/faults", b'{"status": 503, "bogus": 1}',
     "unexpected keyword argument 'bogus'"),
    ("/_mock/faults", b'{"status": 503, "seed": {"a": 1}}',
     "supported seed types"),
    ("/_mock/capabilities", b"{}", "'collection'"),
    ("/_mock/capabilities", b'{"collection": 5}',
     "'collection' must be str, not int"),
    ("/_mock/capabilities", b'{"collection": "instances", "feature": [1]}',
     "'feature' must be str, not list"),
    ("/_mock/capabilities", b'{"collection": "instances", "enabled": "no"}',
     "'enabled' must be bool, not str"),
    ("/_mock/instances/inst0/state", b"{}", "'state'"),
    ("/_mock/instances/inst0/state", b'{"state": 5}',
     "'state' must be str, not int"),
    ("/_mock/instances/inst0/state", b'{"state": ["RUNNING"]}',
     "'state' must be str, not list"),
])
def test_bad_control_plane_json_is_400(app, path, body, message):
    faults, switches = app.controls.describe_faults(), \
        dict(app.controls.switches)
    response = webob.Request.blank(path, method="POST", body=body).\
        get_response(app)
    assert response.status_code == 400
    assert message in json.loads(response.body)["error"]
    assert app.controls.describe_faults() == faults
    assert app.controls.switches == switches


# -- the auth filter: sizes, and nothing echoed -------------------------------

SECRET = "Zq7-input-secret-\u00e9"


@pytest.fixture
def auth_filter():
    from oslo_config import cfg

    from heat_deltacloud.heat import auth, opts

    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], project="heat-deltacloud-tests", default_config_files=[],
         default_config_dirs=[])
    # The requests name their Deltacloud (X-Auth-Url) and its size is
    # checked: a filter that takes client URLs.
    conf.set_override("allow_client_url", True, "deltacloud")
    calls = []

    def downstream(environ, start_response):
        calls.append(environ)
        start_response("200 OK", [])
        return [b""]
    yield auth.DeltacloudAuth(downstream, {}, conf=conf), calls
    conf.reset()


@pytest.mark.heat
@pytest.mark.parametrize("environ, status", [
    ({"HTTP_X_AUTH_KEY": SECRET * 500}, 400),
    ({"HTTP_X_AUTH_USER": "u" * 1025}, 400),
    ({"HTTP_X_AUTH_URL": "http://127.0.0.1/" + "a" * 3000}, 400),
    ({"HTTP_X_REGION_NAME": "r" * 2000}, 400),
    ({"HTTP_X_AUTH_USER": None}, 401),
    ({"HTTP_X_AUTH_KEY": None}, 401),
    ({"HTTP_X_AUTH_URL": None}, 401),
    ({"HTTP_X_AUTH_USER": None, "HTTP_AUTHORIZATION": "Basic " +
      base64.b64encode(b"u:" + SECRET.encode() * 500).decode()}, 400),
], ids=["huge-key", "long-user", "long-url", "long-region", "no-user",
        "no-key", "no-url", "huge-basic"])
def test_filter_refuses_sizes_and_gaps_without_echo(auth_filter, environ,
                                                    status):
    app, calls = auth_filter
    request = webob.Request.blank("/v1/u/stacks")
    request.environ.update({"HTTP_X_AUTH_USER": "u",
                            "HTTP_X_AUTH_KEY": SECRET,
                            "HTTP_X_AUTH_URL": "http://127.0.0.1:9/api"})
    for key, value in environ.items():
        if value is None:
            del request.environ[key]
        else:
            request.environ[key] = value
    response = request.get_response(app)
    assert response.status_code == status
    assert calls == []
    assert json.loads(response.body)["error"]["message"]
    assert "Zq7-input-secret" not in response.text
