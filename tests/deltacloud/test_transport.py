"""Timeouts, bounded retries, size caps, safe XML and secret hygiene."""

import dataclasses
import logging

import pytest
import requests
from responses import registries

from heat_deltacloud.deltacloud import Client, exceptions

URL = "http://localhost:3001/api"
PASSWORD = "Sup3r-Secret-PW"


def test_every_request_has_the_configured_timeout(make_client, reply, rsps):
    client = make_client(timeout=(1.5, 7))
    reply("GET", "/realms", "realms")
    client.realms.list()
    assert [c.request.req_kwargs["timeout"] for c in rsps.calls] == [
        (1.5, 7), (1.5, 7)]


def test_reads_are_retried_on_503_then_succeed(document):
    import responses
    with responses.RequestsMock(
            registry=registries.OrderedRegistry) as rsps:
        rsps.add("GET", URL, body=document("api.xml"),
                 content_type="application/xml")
        for _ in range(2):
            rsps.add("GET", URL + "/realms", status=503)
        rsps.add("GET", URL + "/realms", body=document("realms.xml"),
                 content_type="application/xml")
        client = Client(URL, "mockuser", PASSWORD, retries=3,
                        backoff_factor=0)
        assert len(client.realms.list()) == 2
        assert len(rsps.calls) == 4


def test_reads_give_up_after_the_retry_budget(document):
    import responses
    with responses.RequestsMock(
            registry=registries.OrderedRegistry) as rsps:
        rsps.add("GET", URL, body=document("api.xml"),
                 content_type="application/xml")
        for _ in range(3):
            rsps.add("GET", URL + "/realms", status=502)
        client = Client(URL, "mockuser", PASSWORD, retries=2,
                        backoff_factor=0)
        with pytest.raises(exceptions.BackendError):
            client.realms.list()
        assert len(rsps.calls) == 4  # /api + 1 try + 2 retries


def test_creates_are_not_retried(make_client, rsps):
    client = make_client(retries=3)
    rsps.add("POST", URL + "/instances", status=503)
    with pytest.raises(exceptions.ServiceUnavailable):
        client.instances.create("img1")
    assert [c.request.method for c in rsps.calls] == ["GET", "POST"]


def test_timeout_and_connection_errors(make_client, rsps):
    client = make_client(retries=0)
    rsps.add("GET", URL + "/realms", body=requests.exceptions.ReadTimeout())
    with pytest.raises(exceptions.Timeout) as err:
        client.realms.list()
    assert str(err.value) == (
        f"Timed out waiting for Deltacloud (GET {URL}/realms)")
    rsps.add("GET", URL + "/images",
             body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(exceptions.ConnectionFailed):
        client.images.list()


def test_real_unreachable_server_fails_fast():
    # Port 9 (discard) on loopback: nothing listens, so connect is refused.
    client = Client("http://127.0.0.1:9/api", "u", PASSWORD, retries=1,
                    backoff_factor=0, timeout=1)
    with pytest.raises(exceptions.ConnectionFailed) as err:
        client.api
    assert PASSWORD not in str(err.value)


def test_body_size_is_capped(make_client, rsps):
    client = make_client(max_body_size=3000)
    rsps.add("GET", URL + "/realms", body=b"<realms>" + b" " * 5000 +
             b"</realms>", content_type="application/xml")
    with pytest.raises(exceptions.MalformedResponse,
                       match="larger than 3000 bytes"):
        client.realms.list()


HOSTILE = {
    "billion laughs": b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<realms><realm id="us"><name>&lol4;</name></realm></realms>""",
    "external entity": b"""<?xml version="1.0"?>
<!DOCTYPE realms [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<realms><realm id="us"><name>&xxe;</name></realm></realms>""",
    "external DTD": b"""<?xml version="1.0"?>
<!DOCTYPE realms SYSTEM "http://127.0.0.1:9/evil.dtd">
<realms><realm id="us"><name>x</name></realm></realms>""",
    "truncated": b"<realms><realm id='us'><name>United",
    "invalid UTF-8": b"<realms><realm id='us'><name>\xff\xfe</name>"
                     b"</realm></realms>",
    "wrong root": b"<instances/>",
    "no id": b"<realms><realm><name>x</name></realm></realms>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_and_malformed_xml(make_client, rsps, name):
    client = make_client()
    rsps.add("GET", URL + "/realms", body=HOSTILE[name],
             content_type="application/xml")
    with pytest.raises(exceptions.MalformedResponse) as err:
        client.realms.list()
    assert err.value.url == URL + "/realms"
    assert len(rsps.calls) == 2  # nothing fetched besides our requests


def test_links_are_rebased_onto_the_configured_endpoint(make_client, rsps,
                                                        reply):
    client = make_client()
    reply("GET", "/instances/inst4", "instance")
    inst = client.instances.get("inst4")
    # A document naming another host must not receive our credentials.
    evil = inst.actions[0].__class__("stop", "http://evil.test/api/"
                                     "instances/inst4/stop", "post")
    inst = dataclasses.replace(inst, actions=(evil,))
    reply("POST", "/instances/inst4/stop", "instance_stopped", status=202)
    client.instances.stop(inst)
    assert rsps.calls[-1].request.url == URL + "/instances/inst4/stop"


def test_driver_and_provider_headers_on_every_request(make_client, reply,
                                                      rsps):
    client = make_client(driver="ec2", provider="us-west-1")
    reply("GET", "/realms", "realms")
    client.realms.list()
    for call in rsps.calls:
        assert call.request.headers["X-Deltacloud-Driver"] == "ec2"
        assert call.request.headers["X-Deltacloud-Provider"] == "us-west-1"


def test_validate_credentials(make_client, reply, rsps):
    client = make_client(api=False)
    reply("GET", "?force_auth=1", "api")
    assert client.validate_credentials() is True
    rsps.add("GET", URL + "?force_auth=1", status=401,
             body="Authentication failed", content_type="text/plain")
    assert client.validate_credentials() is False
    rsps.add("GET", URL + "?force_auth=1", status=502)
    with pytest.raises(exceptions.BackendError):
        client.validate_credentials()


def test_secrets_stay_out_of_logs_reprs_and_errors(make_client, reply, rsps,
                                                   caplog):
    # By name: an embedded Heat started earlier in the run sets the
    # package logger to INFO (its default_log_levels), above DEBUG.
    caplog.set_level(logging.DEBUG, logger="heat_deltacloud")
    client = make_client(retries=0)
    reply("GET", "/realms", "realms")
    client.realms.list()
    rsps.add("GET", URL + "/images", status=401, body="x")
    with pytest.raises(exceptions.Unauthorized) as err:
        client.images.list()
    seen = [repr(client), repr(client.transport), str(err.value),
            repr(err.value), caplog.text]
    assert "GET http://localhost:3001/api/realms -> 200" in caplog.text
    for text in seen:
        assert PASSWORD not in text
    assert rsps.calls[0].request.headers["Authorization"].startswith(
        "Basic ")


def test_credentials_in_the_url_are_refused_and_masked():
    with pytest.raises(exceptions.DeltacloudError) as err:
        Client(f"http://u:{PASSWORD}@localhost:3001/api", "u", PASSWORD)
    assert PASSWORD not in str(err.value)
    assert "***@localhost:3001" in str(err.value)


def test_bad_format_is_refused():
    with pytest.raises(ValueError, match="format must be one of"):
        Client(URL, "u", "p", format="yaml")


def test_clients_sharing_discovery_fetch_api_once(make_client, reply, rsps):
    from heat_deltacloud.deltacloud import Discovery
    shared = Discovery()
    first = make_client(discovery=shared)
    second = make_client(api=False, discovery=shared)
    assert first.api is second.api
    reply("GET", "/hardware_profiles/m1-large", "hardware_profile_m1-large")
    assert first.hardware_profiles.cached("m1-large") is \
        second.hardware_profiles.cached("m1-large")
    assert [c.request.url for c in rsps.calls] == [
        URL, URL + "/hardware_profiles/m1-large"]
