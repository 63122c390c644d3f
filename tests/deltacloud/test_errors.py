"""HTTP statuses and error documents become typed errors."""

import pickle

import pytest

from heat_deltacloud.deltacloud import exceptions

URL = "http://localhost:3001/api"


@pytest.mark.parametrize("status, cls, message", [
    (400, exceptions.BadRequest, "Hardware profile 'foo' does not exists."),
    (401, exceptions.Unauthorized, "Authentication Failure"),
    (403, exceptions.Forbidden, "Forbidden"),
    (404, exceptions.NotFound, "Not Found"),
    (405, exceptions.MethodNotAllowed, "Method Not Allowed"),
    (409, exceptions.Conflict, "Resource Conflict"),
    (500, exceptions.InternalServerError, "DeltacloudErrorMessage"),
    (501, exceptions.NotSupported, "NotImplementedMessage"),
    (502, exceptions.BackendError, "ProviderErrorMessage"),
    (503, exceptions.ServiceUnavailable, "Service Unavailable"),
    (504, exceptions.BackendTimeout, "ProviderTimeoutMessage"),
])
def test_error_documents(make_client, rsps, fmt, status, cls, message):
    client = make_client(fmt, retries=0)
    if fmt == "xml":
        body = (f"<?xml version='1.0' encoding='utf-8' ?>\n"
                f"<error status='{status}' url='/api/realms/x'>"
                f"<backend driver='mock' provider='default'></backend>"
                f"<code>{status}</code>"
                f"<message><![CDATA[{message}]]></message>"
                f"<backtrace><![CDATA[]]></backtrace></error>")
    else:
        body = (f'{{"code": {status}, "message": "{message}", "error": '
                f'"Deltacloud::Exceptions::X"}}')
    rsps.add("GET", URL + "/realms/x", body=body, status=status,
             content_type=f"application/{fmt}")
    with pytest.raises(cls) as err:
        client.realms.get("x")
    assert type(err.value) is cls
    assert err.value.status == status
    assert err.value.message == message
    assert str(err.value) == (
        f"{message} (HTTP {status}, GET {URL}/realms/x)")


def test_plain_text_400_keeps_the_server_text(make_client, rsps):
    client = make_client()
    text = "Required parameter 'image_id' not found in [\"hwp_id\"]"
    rsps.add("POST", URL + "/instances", body=text, status=400,
             content_type="text/html;charset=utf-8")
    with pytest.raises(exceptions.BadRequest) as err:
        client.instances.create("")
    assert err.value.message == text


def test_412_names_the_missing_capability(make_client, rsps):
    client = make_client()
    rsps.add("GET", URL + "/instances", status=412,
             body="The required capability to execute this operation is "
                  "missing", headers={"Expect": "realm_filter"},
             content_type="text/plain")
    with pytest.raises(exceptions.NotSupported) as err:
        client.instances.list()
    assert err.value.message.endswith("is missing: realm_filter")


def test_html_404_page_is_not_the_message(make_client, rsps):
    client = make_client()
    rsps.add("GET", URL + "/realms/nope", status=404,
             body="<!DOCTYPE html><html><body><h2>Sinatra doesn't know "
                  "this ditty.</h2></body></html>", content_type="text/html")
    with pytest.raises(exceptions.NotFound) as err:
        client.realms.get("nope")
    assert err.value.message == "Not Found"


def test_unknown_status_is_the_base_class(make_client, rsps):
    client = make_client()
    rsps.add("GET", URL + "/realms/x", status=418, body=b"")
    with pytest.raises(exceptions.DeltacloudError) as err:
        client.realms.get("x")
    assert type(err.value) is exceptions.DeltacloudError
    assert err.value.status == 418


def test_success_with_html_is_malformed(make_client, rsps):
    client = make_client()
    rsps.add("GET", URL + "/realms", body="<html><body>UI</body></html>",
             content_type="text/html")
    with pytest.raises(exceptions.MalformedResponse,
                       match="expected a <realms> document, got <html>"):
        client.realms.list()


@pytest.mark.parametrize("body", [
    b'{"realms": 3}', b'{"realms": [1]}', b'{"nope": []}', b"[]",
    b'{"realms": [{"name": "no id"}]}', b"{", b"[" * 100000,
])
def test_wrong_json_shapes_are_malformed(make_client, rsps, body):
    client = make_client("json")
    rsps.add("GET", URL + "/realms", body=body,
             content_type="application/json")
    with pytest.raises(exceptions.MalformedResponse) as err:
        client.realms.list()
    assert err.value.url == URL + "/realms"


def test_errors_survive_pickling():
    err = exceptions.NotFound("gone", status=404, method="GET", url="u")
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again)) == (exceptions.NotFound, str(err))
