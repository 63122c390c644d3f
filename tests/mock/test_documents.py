"""The mock's documents, statuses and headers, against the reference.

Shapes are checked element by element (names, attributes, hrefs, action
links), not by parsing them back with this project's client.
"""

import json

import pytest
from lxml import etree

H = "http://localhost:3001/api"


def xml(response):
    return etree.fromstring(response.body)


def test_entry_point_lists_the_mocks_collections_and_features(call):
    response = call("GET", "/api", auth=None)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml"
    assert response.headers["Server"] == "Apache-Deltacloud/1.1.3"
    assert response.headers["X-Deltacloud-Driver"] == "mock"
    root = xml(response)
    assert (root.tag, root.get("driver"), root.get("version")) == (
        "api", "mock", "1.1.3")
    links = {link.get("rel"): link for link in root.iter("link")}
    assert "firewalls" not in links
    assert links["instances"].get("href") == f"{H}/instances"
    features = {(f.get("name"), f.get("rel")): [p.get("name") for p in f]
                for f in links["instances"]}
    assert features == {("metrics", "create"): ["metrics"],
                        ("realm_filter", "index"): ["realm_id"],
                        ("user_name", "create"): ["name"],
                        ("authentication_key", "create"): ["keyname"]}


def test_entry_point_json(call):
    doc = json.loads(call("GET", "/api?format=json", auth=None,
                          accept=None).body)["api"]
    assert (doc["driver"], doc["provider"], doc["version"]) == (
        "mock", "default", "1.1.3")
    instances = next(link for link in doc["links"]
                     if link["rel"] == "instances")
    assert [{"name": "user_name", "rel": "create",
             "params": ["name:string:optional"], "constraints": {}}] in \
        instances["features"]


@pytest.mark.parametrize("accept, status, content_type", [
    (None, 200, "application/xml"),
    ("application/json", 200, "application/json"),
    ("text/xml", 200, "application/xml"),
    ("application/json;q=0.5, application/xml", 200, "application/xml"),
    ("application/unknown", 406, None),
    ("*/*", 406, None),  # the real server answers its HTML UI
])
def test_content_negotiation(call, accept, status, content_type):
    response = call("GET", "/api/realms", accept=accept)
    assert response.status_code == status
    if content_type:
        assert response.headers["Content-Type"] == content_type


def test_realm_documents(call):
    root = xml(call("GET", "/api/realms"))
    assert [(r.get("id"), r.get("href"), r.findtext("name"),
             r.findtext("state")) for r in root] == [
        ("us", f"{H}/realms/us", "United States", "AVAILABLE"),
        ("eu", f"{H}/realms/eu", "Europe", "AVAILABLE")]
    doc = json.loads(call("GET", "/api/realms/us",
                          accept="application/json").body)
    assert doc == {"realm": {"id": "us", "href": f"{H}/realms/us",
                             "name": "United States", "state": "AVAILABLE",
                             "limit": "unlimited"}}


def test_hardware_profile_ranges_enums_and_lossy_json(call):
    root = xml(call("GET", "/api/hardware_profiles/m1-large", auth=None))
    props = {p.get("name"): p for p in root.iter("property")}
    assert (props["cpu"].get("kind"), props["cpu"].get("value")) == (
        "range", "1")
    assert props["cpu"].find("range").attrib == {"first": "1", "last": "6"}
    assert props["cpu"].find("param").get("name") == "hwp_cpu"
    assert [e.get("value") for e in props["storage"].iter("entry")] == [
        "850", "1024"]
    small = json.loads(call("GET", "/api/hardware_profiles/m1-small",
                            accept="application/json").body)
    assert small["hardware_profile"]["properties"] == {
        "cpu": "1", "memory": "1740.8", "storage": "160",
        "architecture": "i386"}
    listing = xml(call("GET", "/api/hardware_profiles"))
    assert [p.get("id") for p in listing] == [
        "m1-small", "m1-large", "m1-xlarge", "opaque"]
    x86 = xml(call("GET", "/api/hardware_profiles?architecture=x86_64"))
    assert [p.get("id") for p in x86] == ["m1-large", "m1-xlarge"]


def test_instance_document_shape(call):
    response = call("POST", "/api/instances", image_id="img1",
                    hwp_id="m1-large", hwp_memory="8192", realm_id="eu",
                    name="web1", keyname="test-key")
    assert response.status_code == 201
    assert response.headers["Location"] == f"{H}/instances/inst4"
    root = xml(response)
    assert [child.tag for child in root] == [
        "name", "owner_id", "image", "realm", "state", "hardware_profile",
        "actions", "public_addresses", "private_addresses",
        "storage_volumes", "authentication"]
    assert root.findtext("state") == "RUNNING"
    assert root.find("hardware_profile/property").attrib == {
        "kind": "fixed", "name": "memory", "unit": "MB", "value": "8192"}
    assert [(a.get("rel"), a.get("method"), a.get("href"))
            for a in root.find("actions")] == [
        ("reboot", "post", f"{H}/instances/inst4/reboot"),
        ("stop", "post", f"{H}/instances/inst4/stop"),
        ("run", "post", f"{H}/instances/inst4/run;id=inst4"),
        ("create_image", "post", f"{H}/images;instance_id=inst4")]
    assert root.find("public_addresses/address").attrib == {
        "type": "hostname"}
    assert root.findtext("public_addresses/address") == \
        "img1.inst4.public.com"
    assert root.findtext("authentication/login/keyname") == "test-key"


def test_instance_json_uses_json_names(call):
    doc = json.loads(call("GET", "/api/instances/inst0",
                          accept="application/json").body)["instance"]
    assert doc["owner"] == "mockuser" and "owner_id" not in doc
    assert doc["image"] == {"href": f"{H}/images/img1", "id": "img1",
                            "rel": "image"}
    assert doc["hardware_profile"]["properties"] == {"memory": "12288"}
    assert doc["create_image"] is True


@pytest.mark.parametrize("state, action, status, after", [
    ("RUNNING", "reboot", 202, "RUNNING"),
    ("RUNNING", "stop", 202, "STOPPED"),
    ("RUNNING", "start", 405, "RUNNING"),
    ("RUNNING", "destroy", 405, "RUNNING"),
    ("STOPPED", "start", 202, "RUNNING"),
    ("STOPPED", "stop", 405, "STOPPED"),
    ("STOPPED", "reboot", 405, "STOPPED"),
    ("STOPPED", "destroy", 204, None),
    ("PENDING", "stop", 405, "PENDING"),
    ("PENDING", "destroy", 405, "PENDING"),
])
def test_every_action_from_every_state(call, state, action, status, after):
    call("POST", "/api/instances", image_id="img1", initial_state=state)
    if action == "destroy":
        response = call("DELETE", "/api/instances/inst4")
    else:
        response = call("POST", f"/api/instances/inst4/{action}")
    assert response.status_code == status
    if status == 405:
        root = xml(response)
        assert (root.get("status"), root.findtext("code"),
                root.findtext("message")) == ("405", "405",
                                               "Method Not Allowed")
    shown = call("GET", "/api/instances/inst4")
    if after is None:
        assert shown.status_code == 404
    else:
        assert xml(shown).findtext("state") == after


def test_stopped_instances_offer_start_and_destroy(call):
    call("POST", "/api/instances", image_id="img1")
    root = xml(call("POST", "/api/instances/inst4/stop"))
    assert [(a.get("rel"), a.get("method")) for a in root.find("actions")
            if a.get("rel") in ("start", "destroy")] == [
        ("start", "post"), ("destroy", "delete")]


def test_ids_are_reused_after_destroy(call):
    call("POST", "/api/instances", image_id="img1", initial_state="STOPPED")
    call("DELETE", "/api/instances/inst4")
    again = xml(call("POST", "/api/instances", image_id="img2"))
    assert again.get("id") == "inst4"


def test_missing_instance_is_404_on_show_and_403_on_actions(call):
    assert call("GET", "/api/instances/nope").status_code == 404
    response = call("POST", "/api/instances/nope/stop")
    assert response.status_code == 403
    assert xml(response).findtext("message") == "Forbidden"
    assert call("DELETE", "/api/instances/nope").status_code == 403


def test_errors(call):
    bad_hwp = call("POST", "/api/instances", image_id="img1", hwp_id="foo")
    assert bad_hwp.status_code == 400
    assert xml(bad_hwp).findtext("message") == \
        "Hardware profile 'foo' does not exists."
    missing = call("POST", "/api/instances", hwp_id="m1-small")
    assert missing.status_code == 400
    assert missing.headers["Content-Type"].startswith("text/html")
    assert missing.text.startswith("Required parameter 'image_id' not "
                                   "found in")
    json_error = json.loads(call("GET", "/api/instances/nope",
                                 accept="application/json").body)
    assert json_error == {"code": 404, "message": "Not Found",
                          "error": "Deltacloud::Exceptions::ObjectNotFound"}
    unknown = call("GET", "/api/nothing")
    assert unknown.status_code == 404


@pytest.mark.parametrize("path, status, message", [
    ("/api/realms/500", 500, "DeltacloudErrorMessage"),
    ("/api/realms/501", 501, "NotImplementedMessage"),
    ("/api/realms/502", 502, "ProviderErrorMessage"),
    ("/api/realms/504", 504, "ProviderTimeoutMessage"),
    ("/api/realms?id=502", 502, "Backend Server Error"),
])
def test_realm_error_hooks_and_index_messages(call, path, status, message):
    response = call("GET", path)
    assert response.status_code == status
    assert xml(response).findtext("message") == message


def test_authentication(call):
    missing = call("GET", "/api/realms", auth=None)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith(
        'Basic realm="mock-deltacloud@')
    wrong_index = call("GET", "/api/realms", auth=("mockuser", "nope"))
    assert wrong_index.status_code == 401
    assert "WWW-Authenticate" not in wrong_index.headers
    assert xml(wrong_index).findtext("message") == "Unauthorized"
    wrong_show = call("GET", "/api/realms/us", auth=("mockuser", "nope"))
    assert xml(wrong_show).findtext("message") == "Authentication Failure"
    assert call("GET", "/api/hardware_profiles", auth=None).status_code \
        == 200
    assert call("GET", "/api/instances", auth=("alice", "alice-pw")) \
        .status_code == 200


def test_force_auth(call):
    assert call("GET", "/api?force_auth=1").status_code == 200
    wrong = call("GET", "/api?force_auth=1", auth=("mockuser", "x"))
    assert (wrong.status_code, wrong.text) == (401, "Authentication failed")
    missing = call("GET", "/api?force_auth=1", auth=None)
    assert missing.status_code == 401
    assert "WWW-Authenticate" in missing.headers


def test_users_see_only_their_own_objects(call):
    alice = ("alice", "alice-pw")
    assert len(xml(call("GET", "/api/instances"))) == 4
    assert len(xml(call("GET", "/api/instances", auth=alice))) == 0
    # Another user's instance looks missing: 404 on show, 403 on action.
    assert call("GET", "/api/instances/inst0", auth=alice).status_code \
        == 404
    assert call("POST", "/api/instances/inst0/stop", auth=alice) \
        .status_code == 403
    key = call("POST", "/api/keys", auth=alice, name="alices")
    assert key.status_code == 201
    assert call("GET", "/api/keys/alices").status_code == 404
    assert call("DELETE", "/api/keys/alices").status_code == 404
    assert [k.get("id") for k in xml(call("GET", "/api/keys",
                                          auth=alice))] == ["alices"]


def test_keys(call):
    created = xml(call("POST", "/api/keys", name="k1"))
    assert (created.get("id"), created.get("type")) == ("k1", "key")
    assert created.findtext("pem").startswith(
        "-----BEGIN RSA PRIVATE KEY-----")
    duplicate = call("POST", "/api/keys", name="k1")
    assert duplicate.status_code == 403
    assert xml(duplicate).findtext("message") == \
        "Key with same name already exists"
    assert call("DELETE", "/api/keys/k1").status_code == 204


def test_addresses(call):
    created = call("POST", "/api/addresses")
    assert created.status_code == 201
    assert xml(created).get("id") == "192.168.0.5"
    associate = call("POST", "/api/addresses/192.168.0.5/associate",
                     instance_id="inst1")
    assert (associate.status_code, associate.body) == (202, b"")
    inst = xml(call("GET", "/api/instances/inst1"))
    assert [(a.text, a.get("type")) for a in
            inst.find("public_addresses")] == [("192.168.0.5", "ipv4")]
    shown = xml(call("GET", "/api/addresses/192.168.0.5"))
    assert shown.find("instance").get("id") == "inst1"
    assert [a.get("rel") for a in shown.find("actions")] == [
        "destroy", "disassociate"]
    in_use = call("DELETE", "/api/addresses/192.168.0.5")
    assert (in_use.status_code, xml(in_use).findtext("message")) == (
        403, "AddressInUse")
    assert call("POST", "/api/addresses/192.168.0.5/disassociate") \
        .status_code == 202
    inst = xml(call("GET", "/api/instances/inst1"))
    assert inst.findtext("public_addresses/address") == \
        "img3.inst1.public.com"
    not_in_use = call("POST", "/api/addresses/192.168.0.5/disassociate")
    assert xml(not_in_use).findtext("message") == "AddressNotInUse"
    assert call("DELETE", "/api/addresses/192.168.0.5").status_code == 204


def test_storage_volumes(call):
    vol3 = xml(call("GET", "/api/storage_volumes/vol3"))
    assert vol3.find("mount/instance").get("id") == "inst1"
    created = xml(call("POST", "/api/storage_volumes", capacity="2"))
    ident = created.get("id")
    assert (created.findtext("capacity"), created.findtext("state")) == (
        "2", "AVAILABLE")
    attached = xml(call("POST", f"/api/storage_volumes/{ident}/attach",
                        instance_id="inst1", device="/dev/sdb"))
    assert (attached.findtext("state"), attached.findtext("device")) == (
        "IN-USE", "/dev/sdb")
    inst = xml(call("GET", "/api/instances/inst1"))
    assert inst.find("storage_volumes/storage_volume").get("device") == \
        "/dev/sdb"
    detached = xml(call("POST", f"/api/storage_volumes/{ident}/detach"))
    assert detached.findtext("state") == "AVAILABLE"
    assert call("DELETE", f"/api/storage_volumes/{ident}").status_code \
        == 204


def test_firewalls_are_a_missing_capability_until_switched_on(app, call):
    response = call("GET", "/api/firewalls")
    assert response.status_code == 412
    assert response.headers["Expect"] == "firewalls"
    assert response.text == ("The required capability to execute this "
                             "operation is missing")
    app.controls.set_capability("firewalls")
    created = call("POST", "/api/firewalls", name="web",
                   description="Web")
    assert created.status_code == 201
    rules = call("POST", "/api/firewalls/web/rules", protocol="tcp",
                 port_from="80", port_to="80", ip_address1="10.0.0.0/8")
    rule = xml(rules).find("rules/rule")
    assert rule.find("sources/source").attrib == {
        "address": "10.0.0.0", "family": "ipv4", "prefix": "8",
        "type": "address"}
    links = {link.get("rel") for link in xml(call("GET", "/api")).iter(
        "link")}
    assert "firewalls" in links


def test_hidden_feature_disappears_from_api(app, call):
    app.controls.set_capability("instances", "user_name", enabled=False)
    features = {f.get("name") for f in xml(call("GET", "/api")).iter(
        "feature")}
    assert "user_name" not in features
    app.controls.set_capability("instances", "user_data")
    features = {f.get("name") for f in xml(call("GET", "/api")).iter(
        "feature")}
    assert "user_data" in features


def test_hidden_collection_answers_412(app, call):
    app.controls.set_capability("addresses", enabled=False)
    assert call("GET", "/api/addresses").status_code == 412
    assert "addresses" not in {link.get("rel") for link in
                               xml(call("GET", "/api")).iter("link")}


def test_pending_instances_become_running_after_polls():
    import webob

    from heat_deltacloud.mock.wsgi import make_app
    app = make_app(pending_polls=2)
    auth = {"Authorization": "Basic bW9ja3VzZXI6bW9ja3Bhc3N3b3Jk",
            "Accept": "application/xml"}
    create = webob.Request.blank("/api/instances", headers=auth,
                                 POST={"image_id": "img1"})
    assert xml(create.get_response(app)).findtext("state") == "PENDING"
    states = [xml(webob.Request.blank("/api/instances/inst4", headers=auth)
                  .get_response(app)).findtext("state") for _ in range(3)]
    assert states == ["PENDING", "RUNNING", "RUNNING"]


def test_hostile_xml_bodies_are_never_parsed(call):
    # The API reads form fields only; an XML body is just ignored.
    body = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM '
            b'"file:///etc/passwd">]><x>&e;</x>')
    import webob
    response = call("GET", "/api/realms")
    assert response.status_code == 200
    req = webob.Request.blank("/api/keys", method="POST", body=body,
                              headers={"Content-Type": "application/xml",
                                       "Host": "localhost:3001",
                                       "Authorization":
                                       "Basic bW9ja3VzZXI6bW9ja3Bhc3N3b3Jk"})
    from heat_deltacloud.mock.wsgi import make_app
    answer = req.get_response(make_app())
    assert answer.status_code == 400
    assert b"root:" not in answer.body
