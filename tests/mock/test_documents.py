"""Documents, headers and negotiation, in-process, against the reference.

Shapes are checked element by element (names, attributes, order, hrefs,
action links) with lxml and json, not with this project's client.
"""

import hashlib

import pytest

H = "http://localhost:3001/api"
COLLECTIONS = ["instances", "realms", "hardware_profiles", "images",
               "instance_states", "keys", "addresses", "storage_volumes",
               "storage_snapshots", "drivers", "buckets", "metrics",
               "networks", "subnets", "network_interfaces"]


# -- /api and headers ---------------------------------------------------------

def test_entry_point_xml(call, helpers):
    response = call("GET", "/api", auth=None)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml"
    assert not response.body.startswith(b"<?xml")
    root = helpers.xml(response)
    assert (root.tag, dict(root.attrib)) == (
        "api", {"driver": "mock", "version": "1.1.3"})
    assert [(link.get("rel"), link.get("href")) for link in root] == [
        (name, f"{H}/{name}") for name in COLLECTIONS]
    instances = root.find("link[@rel='instances']")
    assert [(f.get("name"), f.get("rel"), [p.get("name") for p in f])
            for f in instances] == [
        ("metrics", "create", ["metrics"]),
        ("realm_filter", "index", ["realm_id"]),
        ("user_name", "create", ["name"]),
        ("authentication_key", "create", ["keyname"])]
    assert all(len(link) == 0 for link in root if link.get("rel") !=
               "instances")


def test_entry_point_json(call, helpers):
    doc = helpers.json(call("GET", "/api?format=json", auth=None,
                            accept=None))["api"]
    assert (doc["version"], doc["driver"], doc["provider"]) == (
        "1.1.3", "mock", "default")
    instances = doc["links"][0]
    assert (instances["rel"], instances["href"]) == (
        "instances", f"{H}/instances")
    assert instances["features"][2] == [{
        "name": "user_name", "rel": "create",
        "params": ["name:string:optional"], "constraints": {}}]
    assert doc["links"][1] == {"rel": "realms", "href": f"{H}/realms",
                               "features": []}


def test_common_headers(call):
    response = call("GET", "/api/realms")
    headers = response.headers
    assert headers["Server"] == "Apache-Deltacloud/1.1.3"
    assert headers["X-Deltacloud-Driver"] == "mock"
    assert "X-Deltacloud-Provider" not in headers
    assert "Date" in headers
    assert headers["ETag"] == hashlib.md5(
        response.body, usedforsecurity=False).hexdigest()
    assert headers["Cache-Control"] == "max-age=0, private, must-revalidate"
    assert float(headers["X-Backend-Runtime"]) >= 0


def test_no_etag_on_202_and_204(call):
    stopped = call("POST", "/api/instances/inst2/stop")
    assert stopped.status_code == 202 and "ETag" not in stopped.headers
    deleted = call("DELETE", "/api/instances/inst2")
    assert (deleted.status_code, deleted.body) == (204, b"")
    assert "ETag" not in deleted.headers


def test_provider_is_echoed_and_shown(call, helpers):
    response = call("GET", "/api", headers={
        "X-Deltacloud-Provider": "US-West"})
    assert response.headers["X-Deltacloud-Provider"] == "us-west"
    assert helpers.xml(response).get("provider") == "us-west"
    matrix = call("GET", "/api;provider=eu/realms")
    assert matrix.headers["X-Deltacloud-Provider"] == "eu"


def test_an_unknown_driver_is_a_500(call, helpers):
    response = call("GET", "/api/realms/us",
                    headers={"X-Deltacloud-Driver": "Nebula"})
    assert response.status_code == 500
    assert response.headers["X-Deltacloud-Driver"] == "nebula"
    assert helpers.error(response)[2] == (
        "Driver 'nebula' is not available (uninitialized constant "
        "Deltacloud::Drivers::Nebula).")
    # An index keeps only the status (the index/show split).
    assert helpers.error(call("GET", "/api;driver=nebula/realms")) == (
        500, 500, "Internal Server Error")


def test_missing_host_header(app):
    import webob
    request = webob.Request.blank("/api")
    del request.environ["HTTP_HOST"]
    response = request.get_response(app)
    assert (response.status_code, response.text) == (
        400, "Unable to find HTTP Host header")


def test_hrefs_follow_the_host_header(call, helpers):
    response = call("GET", "/api/realms/us",
                    headers={"Host": "cloud.example:8080"})
    assert helpers.xml(response).get("href") == \
        "http://cloud.example:8080/api/realms/us"


# -- content negotiation ------------------------------------------------------

@pytest.mark.parametrize("accept, query, content_type", [
    (None, "", "application/xml"),
    ("", "", "application/xml"),
    ("application/xml", "", "application/xml"),
    ("text/xml", "", "application/xml"),
    ("application/json", "", "application/json"),
    ("application/json;q=0.5, application/xml", "", "application/xml"),
    ("application/xml;q=0.2, application/json;q=0.9", "",
     "application/json"),
    ("application/json, application/xml", "", "application/xml"),
    ("*/*", "?format=json", "application/json"),
    ("application/json", "?format=xml", "application/xml"),
    ("image/png, application/json;q=0.1", "", "application/json"),
    # HTML (the real browser UI) is not served: 406, documented.
    ("*/*", "", None),
    ("application/json, */*", "", None),
    ("text/html", "", None),
    ("application/unknown", "", None),
    (None, "?format=yaml", None),
    (None, "?format=png", None),
])
def test_content_negotiation(call, accept, query, content_type):
    response = call("GET", f"/api/realms{query}", accept=accept)
    if content_type is None:
        assert (response.status_code, response.body) == (406, b"")
    else:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == content_type


def test_format_in_a_post_body_does_not_count(call):
    response = call("POST", "/api/keys", name="k", format="json")
    assert response.headers["Content-Type"] == "application/xml"


# -- realms, drivers, instance states -----------------------------------------

def test_realms(call, helpers):
    response = call("GET", "/api/realms")
    assert response.body.startswith(
        b"<?xml version='1.0' encoding='utf-8' ?>\n<realms>")
    root = helpers.xml(response)
    assert [(r.get("id"), r.get("href"), [c.tag for c in r],
             r.findtext("name"), r.findtext("state")) for r in root] == [
        ("us", f"{H}/realms/us", ["name", "state"], "United States",
         "AVAILABLE"),
        ("eu", f"{H}/realms/eu", ["name", "state"], "Europe", "AVAILABLE")]
    assert [r.get("id") for r in helpers.xml(
        call("GET", "/api/realms?id=eu"))] == ["eu"]
    assert helpers.json(call("GET", "/api/realms/us",
                             accept="application/json")) == {
        "realm": {"id": "us", "href": f"{H}/realms/us",
                  "name": "United States", "state": "AVAILABLE",
                  "limit": "unlimited"}}
    assert helpers.error(call("GET", "/api/realms/mars")) == (
        404, 404, "Not Found")


@pytest.mark.parametrize("path, status, message", [
    ("/api/realms/500", 500, "DeltacloudErrorMessage"),
    ("/api/realms/501", 501, "NotImplementedMessage"),
    ("/api/realms/502", 502, "ProviderErrorMessage"),
    ("/api/realms/504", 504, "ProviderTimeoutMessage"),
    ("/api/realms?id=500", 500, "Internal Server Error"),
    ("/api/realms?id=501", 501, "Not Supported"),
    ("/api/realms?id=502", 502, "Backend Server Error"),
    ("/api/realms?id=504", 504, "Gateway Timeout"),
])
def test_realm_error_hooks_index_vs_show(call, helpers, path, status,
                                         message):
    assert helpers.error(call("GET", path)) == (status, status, message)


def test_drivers(call, helpers):
    root = helpers.xml(call("GET", "/api/drivers", auth=None))
    assert [(d.get("id"), d.get("href"), d.findtext("name"))
            for d in root] == [("mock", f"{H}/drivers/mock", "Mock"),
                               ("ec2", f"{H}/drivers/ec2", "EC2")]
    assert [p.get("id") for p in root[1].findall("provider")][:2] == [
        "us-west-1", "us-west-2"]
    assert helpers.json(call("GET", "/api/drivers/mock", auth=None,
                             accept="application/json")) == {
        "driver": {"name": "Mock", "id": "mock"}}
    ec2 = helpers.xml(call("GET", "/api/drivers/ec2", auth=None))
    east = ec2.find("provider[@id='us-east-1']")
    assert {e.get("kind"): e.text for e in east} == {
        "s3": "s3.amazonaws.com", "ec2": "ec2.us-east-1.amazonaws.com",
        "elb": "elasticloadbalancing.us-east-1.amazonaws.com",
        "mon": "monitoring.us-east-1.amazonaws.com"}
    assert call("GET", "/api/drivers/nebula", auth=None).status_code == 404


def test_instance_states(call, helpers):
    response = call("GET", "/api/instance_states", auth=None)
    assert not response.body.startswith(b"<?xml")
    root = helpers.xml(response)
    assert [(s.get("name"), [dict(t.attrib) for t in s]) for s in root] == [
        ("start", [{"action": "create", "to": "pending"}]),
        ("pending", [{"auto": "true", "to": "running"}]),
        ("running", [{"action": "reboot", "to": "running"},
                     {"action": "stop", "to": "stopped"}]),
        ("stopped", [{"action": "start", "to": "running"},
                     {"action": "destroy", "to": "finish"}]),
        ("finish", [])]
    doc = helpers.json(call("GET", "/api/instance_states", auth=None,
                            accept="application/json"))
    assert doc[1] == {"name": "pending",
                      "transitions": [{"to": "running", "auto": "true"}]}


# -- hardware profiles --------------------------------------------------------

def test_hardware_profile_xml_ranges_and_enums(call, helpers):
    root = helpers.xml(call("GET", "/api/hardware_profiles/m1-large",
                            auth=None))
    assert [c.tag for c in root] == ["id", "name"] + ["property"] * 4
    props = {p.get("name"): p for p in root.iter("property")}
    assert dict(props["cpu"].attrib) == {
        "kind": "range", "name": "cpu", "unit": "count", "value": "1"}
    assert dict(props["cpu"].find("param").attrib) == {
        "href": f"{H}/instances", "method": "post", "name": "hwp_cpu",
        "operation": "create"}
    assert dict(props["cpu"].find("range").attrib) == {"first": "1",
                                                       "last": "6"}
    assert props["memory"].get("value") == "10240"
    assert [e.get("value") for e in props["storage"].iter("entry")] == [
        "850", "1024"]
    assert dict(props["architecture"].attrib) == {
        "kind": "fixed", "name": "architecture", "unit": "label",
        "value": "x86_64"}
    assert len(props["architecture"]) == 0


def test_hardware_profiles_sorting_filters_and_lossy_json(call, helpers):
    listing = helpers.xml(call("GET", "/api/hardware_profiles", auth=None))
    assert [p.get("id") for p in listing] == [
        "m1-small", "m1-large", "m1-xlarge", "opaque"]
    assert [c.tag for c in listing[3]] == ["id", "name"]
    x86 = helpers.xml(call("GET", "/api/hardware_profiles?architecture="
                                  "x86_64", auth=None))
    assert [p.get("id") for p in x86] == ["m1-large", "m1-xlarge"]
    by_id = helpers.xml(call("GET", "/api/hardware_profiles?id=opaque",
                             auth=None))
    assert [p.get("id") for p in by_id] == ["opaque"]
    doc = helpers.json(call("GET", "/api/hardware_profiles",
                            accept="application/json", auth=None))
    small, _, _, opaque = doc["hardware_profiles"]
    assert small == {"id": "m1-small",
                     "href": f"{H}/hardware_profiles/m1-small",
                     "name": "m1-small",
                     "properties": {"cpu": "1", "memory": "1740.8",
                                    "storage": "160",
                                    "architecture": "i386"}}
    assert "properties" not in opaque


# -- images -------------------------------------------------------------------

def test_image_documents(call, helpers):
    root = helpers.xml(call("GET", "/api/images"))
    assert [i.get("id") for i in root] == ["img1", "img2", "img3"]
    img1 = root[0]
    assert [c.tag for c in img1] == [
        "name", "description", "owner_id", "architecture", "state",
        "creation_time", "hardware_profiles", "root_type", "actions"]
    assert [(h.get("id"), h.get("rel"), h.get("href"))
            for h in img1.find("hardware_profiles")][0] == (
        "m1-small", "hardware_profile", f"{H}/hardware_profiles/m1-small")
    assert len(img1.find("hardware_profiles")) == 4
    assert helpers.links(img1) == [
        ("create_instance", "post", f"{H}/instances;image_id=img1"),
        ("destroy_image", "delete", f"{H}/images/img1")]
    doc = helpers.json(call("GET", "/api/images/img3",
                            accept="application/json"))["image"]
    assert list(doc) == ["id", "href", "name", "description", "owner",
                         "architecture", "state", "root_type",
                         "creation_time", "hardware_profiles"]
    assert (doc["owner"], doc["root_type"]) == ("mockuser", "transient")


@pytest.mark.parametrize("query, ids", [
    ("?architecture=i386", ["img2", "img3"]),
    ("?owner_id=self", ["img3"]),
    ("?owner_id=fedoraproject", ["img1", "img2"]),
    ("?id=img2", ["img2"]),
    ("?id=", []),
])
def test_image_filters(call, helpers, query, ids):
    root = helpers.xml(call("GET", f"/api/images{query}"))
    assert [i.get("id") for i in root] == ids


def test_create_and_destroy_image(call, helpers):
    created = call("POST", "/api/images", instance_id="inst0", name="snap",
                   description="from inst0")
    assert created.status_code == 201
    assert created.headers["Location"] == f"{H}/images/snap"
    root = helpers.xml(created)
    assert (root.findtext("owner_id"), root.findtext("architecture"),
            root.findtext("description")) == ("root", "i386", "from inst0")
    assert call("GET", "/api/images/snap").status_code == 200
    assert call("DELETE", "/api/images/snap").status_code == 204
    assert call("GET", "/api/images/snap").status_code == 404
    assert call("DELETE", "/api/images/never").status_code == 204


def test_create_image_errors(call, helpers):
    assert helpers.error(call("POST", "/api/images", instance_id="inst3",
                              name="x")) == (500, 500,
                                             "CreateImageNotSupported")
    assert helpers.error(call("POST", "/api/images", instance_id="nope",
                              name="x"))[0] == 404
    assert call("POST", "/api/images", instance_id="inst0") \
        .status_code == 500
    missing = call("POST", "/api/images", name="x")
    assert (missing.status_code, missing.text) == (
        400, "Required parameter 'instance_id' not found in [name]")


# -- instances ----------------------------------------------------------------

def test_instance_xml_in_reference_order(call, helpers):
    response = call("POST", "/api/instances", image_id="img1",
                    hwp_id="m1-large", hwp_memory="8192", realm_id="eu",
                    name="web1", keyname="test-key")
    assert response.status_code == 201
    assert response.headers["Location"] == f"{H}/instances/inst4"
    root = helpers.xml(response)
    assert (root.get("id"), root.get("href")) == ("inst4",
                                                  f"{H}/instances/inst4")
    assert [c.tag for c in root] == [
        "name", "owner_id", "image", "realm", "state", "hardware_profile",
        "actions", "public_addresses", "private_addresses",
        "storage_volumes", "authentication"]
    assert dict(root.find("image").attrib) == {
        "href": f"{H}/images/img1", "id": "img1"}
    assert dict(root.find("realm").attrib) == {
        "href": f"{H}/realms/eu", "id": "eu"}
    assert dict(root.find("hardware_profile").attrib) == {
        "href": f"{H}/hardware_profiles/m1-large", "id": "m1-large"}
    assert [dict(p.attrib) for p in root.find("hardware_profile")] == [
        {"kind": "fixed", "name": "memory", "unit": "MB", "value": "8192"}]
    assert helpers.links(root) == [
        ("reboot", "post", f"{H}/instances/inst4/reboot"),
        ("stop", "post", f"{H}/instances/inst4/stop"),
        ("run", "post", f"{H}/instances/inst4/run;id=inst4"),
        ("create_image", "post", f"{H}/images;instance_id=inst4")]
    assert [(a.text, dict(a.attrib)) for a in root.find(
        "public_addresses")] == [("img1.inst4.public.com",
                                  {"type": "hostname"})]
    assert root.findtext("private_addresses/address") == \
        "img1.inst4.private.com"
    assert root.find("authentication").get("type") == "key"
    assert root.findtext("authentication/login/keyname") == "test-key"


def test_fixture_instances(call, helpers):
    root = helpers.xml(call("GET", "/api/instances"))
    assert [i.get("id") for i in root] == ["inst0", "inst1", "inst2",
                                          "inst3"]
    inst1 = root[1]
    assert [(n.get("id"), n.get("href")) for n in inst1.find(
        "network_interfaces")] == [("nic1", f"{H}/network_interfaces/nic1")]
    inst3 = root[3]
    assert inst3.findtext("name") == ""
    assert inst3.find("authentication/login/keyname").text is None
    assert "create_image" not in [rel for rel, _, _ in
                                  helpers.links(inst3)]
    assert inst3.find("authentication") is not None


def test_instance_json(call, helpers):
    doc = helpers.json(call("GET", "/api/instances/inst0",
                            accept="application/json"))["instance"]
    assert list(doc) == [
        "id", "href", "name", "state", "owner", "image", "realm", "actions",
        "hardware_profile", "public_addresses", "private_addresses",
        "create_image", "storage_volumes", "authentication_type"]
    assert doc["owner"] == "mockuser"
    assert doc["image"] == {"href": f"{H}/images/img1", "id": "img1",
                            "rel": "image"}
    assert doc["hardware_profile"] == {
        "id": "m1-large", "href": f"{H}/hardware_profiles/m1-large",
        "rel": "hardware_profile", "properties": {"memory": "12288"}}
    assert doc["actions"][1] == {"href": f"{H}/instances/inst0/stop",
                                 "rel": "stop", "method": "post"}
    assert doc["public_addresses"] == [{"address": "img1.inst0.public.com",
                                        "type": "hostname"}]
    keyed = helpers.json(call("POST", "/api/instances", image_id="img2",
                              keyname="k", accept="application/json"))
    assert keyed["instance"]["authentication"] == {"keyname": "k"}


def test_run_on_instance(call, helpers):
    root = helpers.xml(call("POST", "/api/instances/inst0/run", cmd="ls"))
    assert [(c.tag, c.text) for c in root] == [
        ("public_address", "img1.inst0.public.com"), ("command", "ls"),
        ("output", "This is where the output from 'ls' would appear if "
                   "this were not a mock provider")]
    missing = call("POST", "/api/instances/inst0/run")
    assert (missing.status_code, missing.text) == (
        400, "Required parameter 'cmd' not found in [id]")


# -- keys, addresses, volumes, snapshots --------------------------------------

def test_keys(call, helpers):
    root = helpers.xml(call("GET", "/api/keys"))
    key = root[0]
    assert (key.get("id"), key.get("type"), key.get("href")) == (
        "test-key", "key", f"{H}/keys/test-key")
    assert [c.tag for c in key] == ["name", "actions", "fingerprint", "pem",
                                    "state"]
    assert helpers.links(key) == [("destroy", "delete",
                                   f"{H}/keys/test-key")]
    created = call("POST", "/api/keys", name="k1")
    assert created.status_code == 201
    assert created.headers["Location"] == f"{H}/keys/k1"
    assert b"<![CDATA[-----BEGIN RSA PRIVATE KEY-----" in created.body
    pem = helpers.xml(created).findtext("pem")
    lines = pem.split("\n")
    assert [len(line) for line in lines[1:-1]] == [75] * 21
    assert lines[-1].endswith("-----END RSA PRIVATE KEY-----")
    assert len(helpers.xml(created).findtext("fingerprint").split(":")) \
        == 20
    assert helpers.error(call("POST", "/api/keys", name="k1")) == (
        403, 403, "Key with same name already exists")
    doc = helpers.json(call("GET", "/api/keys/k1",
                            accept="application/json"))["key"]
    assert set(doc) == {"id", "href", "credential_type", "username",
                        "password", "state", "pem_rsa_key", "fingerprint"}
    assert "name" not in doc
    assert call("DELETE", "/api/keys/k1").status_code == 204
    assert call("DELETE", "/api/keys/k1").status_code == 404


def test_address_lifecycle(call, helpers):
    created = call("POST", "/api/addresses")
    assert created.status_code == 201
    assert created.headers["Location"] == f"{H}/addresses/192.168.0.5"
    root = helpers.xml(created)
    assert [c.tag for c in root] == ["ip", "actions"]
    assert helpers.links(root) == [
        ("destroy", "delete", f"{H}/addresses/192.168.0.5"),
        ("associate", "post", f"{H}/addresses/192.168.0.5/associate")]
    associated = call("POST", "/api/addresses/192.168.0.5/associate",
                      instance_id="inst1")
    assert (associated.status_code, associated.body) == (202, b"")
    shown = helpers.xml(call("GET", "/api/addresses/192.168.0.5"))
    assert [c.tag for c in shown] == ["ip", "actions", "instance"]
    assert [rel for rel, _, _ in helpers.links(shown)] == [
        "destroy", "disassociate"]
    assert dict(shown.find("instance").attrib) == {
        "href": f"{H}/instances/inst1", "id": "inst1"}
    assert helpers.json(call("GET", "/api/addresses/192.168.0.5",
                             accept="application/json")) == {
        "address": {"id": "192.168.0.5",
                    "href": f"{H}/addresses/192.168.0.5",
                    "associated": True, "instance_id": "inst1"}}
    inst = helpers.xml(call("GET", "/api/instances/inst1"))
    assert [(a.text, a.get("type")) for a in inst.find(
        "public_addresses")] == [("192.168.0.5", "ipv4")]
    for attempt in (call("POST", "/api/addresses/192.168.0.5/associate",
                         instance_id="inst2"),
                    call("DELETE", "/api/addresses/192.168.0.5")):
        assert helpers.error(attempt) == (403, 403, "AddressInUse")
    disassociated = call("POST", "/api/addresses/192.168.0.5/disassociate")
    assert (disassociated.status_code, disassociated.body) == (202, b"")
    inst = helpers.xml(call("GET", "/api/instances/inst1"))
    assert inst.findtext("public_addresses/address") == \
        "img3.inst1.public.com"
    assert helpers.error(call(
        "POST", "/api/addresses/192.168.0.5/disassociate")) == (
        403, 403, "AddressNotInUse")
    assert call("DELETE", "/api/addresses/192.168.0.5").status_code == 204
    assert helpers.xml(call("POST", "/api/addresses")).get("id") == \
        "192.168.0.5"


def test_address_sub_resources_that_crash_the_real_mock(call, helpers):
    # The real mock answers these with generic 500s (documented fix).
    assert helpers.error(call("POST", "/api/addresses/10.9.9.9/associate",
                              instance_id="inst1"))[0] == 404
    assert helpers.error(call("POST", "/api/addresses/192.168.0.1/"
                                      "associate", instance_id="nope"))[0] \
        == 404
    assert helpers.error(call("DELETE", "/api/addresses/10.9.9.9"))[0] \
        == 404


def test_storage_volume_documents(call, helpers):
    vol3 = helpers.xml(call("GET", "/api/storage_volumes/vol3"))
    assert [c.tag for c in vol3] == [
        "created", "capacity", "name", "device", "realm", "realm_id",
        "state", "mount"]
    assert vol3.find("capacity").get("unit") == "GB"
    assert dict(vol3.find("mount/instance").attrib) == {
        "href": f"{H}/instances/inst1", "id": "inst1"}
    assert vol3.find("mount/device").get("name") == "/dev/sda1"
    doc = helpers.json(call("GET", "/api/storage_volumes/vol1",
                            accept="application/json"))["storage_volume"]
    assert doc["realm"] == {"id": "us", "href": f"{H}/realms/us",
                            "rel": "realm"}
    assert (doc["instance"], doc["capacity"], doc["state"]) == (
        {}, "1", "AVAILABLE")


def test_storage_volume_lifecycle(call, helpers):
    created = call("POST", "/api/storage_volumes", capacity="2",
                   realm_id="eu", snapshot_id="snap1")
    assert created.status_code == 201
    root = helpers.xml(created)
    ident = root.get("id")
    assert ident.startswith("volume_")
    assert created.headers["Location"] == f"{H}/storage_volumes/{ident}"
    assert [c.tag for c in root] == ["created", "capacity", "name", "state"]
    assert (root.findtext("capacity"), root.findtext("name"),
            root.findtext("state")) == ("2", f"Volume{ident}", "AVAILABLE")
    attached = call("POST", f"/api/storage_volumes/{ident}/attach",
                    instance_id="inst1", device="/dev/sdb")
    assert attached.status_code == 202
    assert (helpers.xml(attached).findtext("state"),
            helpers.xml(attached).findtext("device")) == ("IN-USE",
                                                          "/dev/sdb")
    inst = helpers.xml(call("GET", "/api/instances/inst1"))
    assert [dict(v.attrib) for v in inst.find("storage_volumes")] == [
        {"device": "/dev/sdb", "href": f"{H}/storage_volumes/{ident}",
         "id": ident}]
    detached = helpers.xml(call("POST",
                                f"/api/storage_volumes/{ident}/detach"))
    assert detached.findtext("state") == "AVAILABLE"
    assert detached.find("mount") is None
    assert len(helpers.xml(call("GET", "/api/instances/inst1")).find(
        "storage_volumes")) == 0
    assert call("DELETE", f"/api/storage_volumes/{ident}").status_code \
        == 204
    assert call("DELETE", "/api/storage_volumes/never").status_code == 204
    missing = call("POST", f"/api/storage_volumes/{ident}/attach",
                   device="/dev/sdc")
    assert missing.text.startswith("Required parameter 'instance_id'")


def test_storage_snapshots(call, helpers):
    root = helpers.xml(call("GET", "/api/storage_snapshots"))
    assert [s.get("id") for s in root] == ["snap1", "snap2", "snap3"]
    assert [c.tag for c in root[0]] == ["name", "created",
                                        "storage_volume"]
    assert dict(root[0].find("storage_volume").attrib) == {
        "href": f"{H}/storage_volumes/vol1", "id": "vol1"}
    created = call("POST", "/api/storage_snapshots", volume_id="vol2",
                   name="nightly")
    assert created.status_code == 201
    ident = helpers.xml(created).get("id")
    assert ident.startswith("store_snapshot_")
    doc = helpers.json(call("GET", f"/api/storage_snapshots/{ident}",
                            accept="application/json"))["storage_snapshot"]
    assert (doc["state"], doc["storage_volume"]["id"]) == ("COMPLETED",
                                                           "vol2")
    assert call("DELETE", f"/api/storage_snapshots/{ident}").status_code \
        == 204
    assert call("GET", f"/api/storage_snapshots/{ident}").status_code == 404


# -- errors -------------------------------------------------------------------

def test_error_document_xml(call, helpers):
    response = call("GET", "/api/instances/inst9?verbose=1")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/xml"
    assert response.body.startswith(
        b"<?xml version='1.0' encoding='utf-8' ?>\n<error ")
    root = helpers.xml(response)
    assert dict(root.attrib) == {"status": "404",
                                 "url": "/api/instances/inst9"}
    assert [c.tag for c in root] == ["backend", "code", "message",
                                     "backtrace", "request"]
    assert dict(root.find("backend").attrib) == {"driver": "mock",
                                                 "provider": "default"}
    assert b"<message><![CDATA[Not Found]]></message>" in response.body
    assert [(p.get("name"), p.text) for p in root.find("request")] == [
        ("verbose", '"1"'), ("id", '"inst9"')]


def test_error_document_json(call, helpers):
    response = call("POST", "/api/instances/inst0/start",
                    accept="application/json")
    assert response.headers["Content-Type"] == "application/json"
    assert helpers.json(response) == {
        "code": 405, "message": "Method Not Allowed",
        "error": "Deltacloud::Exceptions::MethodNotAllowed"}


def test_passwords_are_not_echoed_in_errors(call):
    response = call("POST", "/api/instances/nope/run", cmd="ls",
                    password="s3cret")
    assert response.status_code == 404
    assert b"s3cret" not in response.body


def test_required_and_enum_parameters(call):
    missing = call("POST", "/api/instances", hwp_id="m1-small", name="x")
    assert missing.status_code == 400
    assert missing.headers["Content-Type"] == "text/html;charset=utf-8"
    assert missing.text == ("Required parameter 'image_id' not found in "
                            "[hwp_id,name]")
    assert call("POST", "/api/keys").text == \
        "Required parameter 'name' not found in []"


def test_unknown_hardware_profile_is_a_400_document(call, helpers):
    assert helpers.error(call("POST", "/api/instances", image_id="img1",
                              hwp_id="foo")) == (
        400, 400, "Hardware profile 'foo' does not exists.")


def test_unknown_urls_and_methods_are_plain_404(call):
    for method, path in [("GET", "/api/nothing"), ("PUT", "/api/realms"),
                         ("DELETE", "/api/realms/us"),
                         ("POST", "/api/instances/inst0/pause")]:
        response = call(method, path)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "text/html;charset=utf-8"


def test_method_override(call):
    call("POST", "/api/instances/inst2/stop")
    assert call("POST", "/api/instances/inst2",
                _method="DELETE").status_code == 204
