"""The control plane (``/_mock/``), capability switches, faults and the
request log, in-process."""

import json

import pytest
import webob

from heat_deltacloud.mock import control
from heat_deltacloud.mock.wsgi import ConnectionDropped


@pytest.fixture
def ctl(app):
    """``ctl(method, path, body=None)`` -> (status, JSON document)."""
    def request(method, path, body=None):
        req = webob.Request.blank(path, method=method)
        if body is not None:
            req.body = json.dumps(body).encode()
        response = req.get_response(app)
        assert response.headers["Content-Type"] == "application/json"
        return response.status_code, json.loads(response.body)
    return request


def test_request_log_and_counts(call, ctl):
    call("GET", "/api/instances")
    call("GET", "/api/instances/inst0")
    call("GET", "/api/instances/inst1")
    call("POST", "/api/instances/inst0/stop", auth=("alice", "alice-pw"))
    call("GET", "/api/nowhere", auth=None)
    status, log = ctl("GET", "/_mock/requests")
    assert status == 200
    assert log["counts"] == {"GET /api/instances": 1,
                             "GET /api/instances/:id": 2,
                             "POST /api/instances/:id/stop": 1,
                             "GET /api/nowhere": 1}
    assert [(r["method"], r["route"], r["path"], r["status"], r["user"])
            for r in log["requests"]] == [
        ("GET", "/api/instances", "/api/instances", 200, "mockuser"),
        ("GET", "/api/instances/:id", "/api/instances/inst0", 200,
         "mockuser"),
        ("GET", "/api/instances/:id", "/api/instances/inst1", 200,
         "mockuser"),
        ("POST", "/api/instances/:id/stop", "/api/instances/inst0/stop",
         403, "alice"),
        ("GET", "/api/nowhere", "/api/nowhere", 404, None)]
    assert "password" not in json.dumps(log)
    assert ctl("DELETE", "/_mock/requests") == (200, {})
    assert ctl("GET", "/_mock/requests")[1]["counts"] == {}


def test_reset_restores_the_seed_and_clears_everything(app, call, ctl):
    call("POST", "/api/instances", image_id="img1")
    call("POST", "/api/keys", name="k")
    ctl("POST", "/_mock/capabilities", {"collection": "firewalls"})
    ctl("POST", "/_mock/faults", {"route": "/api/realms", "status": 502})
    assert ctl("POST", "/_mock/reset") == (200, {})
    assert [i["id"] for i in ctl("GET", "/_mock/instances")[1][
        "instances"]] == ["inst0", "inst1", "inst2", "inst3"]
    assert ctl("GET", "/_mock/faults")[1] == {"faults": []}
    assert ctl("GET", "/_mock/requests")[1]["requests"] == []
    assert call("GET", "/api/firewalls").status_code == 412
    assert call("GET", "/api/keys/k").status_code == 404
    assert call("GET", "/api/realms").status_code == 200


def test_admin_view_shows_every_users_instances(call, ctl):
    call("POST", "/api/instances", image_id="img1", name="a",
         auth=("alice", "alice-pw"), user_data="aGk=")
    call("POST", "/api/instances", image_id="img2", name="b",
         auth=("bob", "bob-pw"))
    _, doc = ctl("GET", "/_mock/instances")
    owners = {i["id"]: (i["owner"], i["has_user_data"])
              for i in doc["instances"]}
    assert owners == {"inst0": ("mockuser", False),
                      "inst1": ("mockuser", False),
                      "inst2": ("mockuser", False),
                      "inst3": ("mockuser", False),
                      "inst4": ("alice", True), "inst5": ("bob", False)}
    # User data is shown decoded ("aGk=" is "hi"), null where none was sent.
    assert {i["id"]: i["user_data"] for i in doc["instances"]
            if i["owner"] != "mockuser"} == {"inst4": "hi", "inst5": None}
    _, addresses = ctl("GET", "/_mock/addresses")
    assert len(addresses["addresses"]) == 4


def test_forcing_a_state(call, helpers, ctl):
    status, shown = ctl("POST", "/_mock/instances/inst0/state",
                        {"state": "error"})
    assert (status, shown["state"], shown["owner"]) == (200, "ERROR",
                                                        "mockuser")
    root = helpers.xml(call("GET", "/api/instances/inst0"))
    assert root.findtext("state") == "ERROR"
    assert [rel for rel, _, _ in helpers.links(root)] == ["run",
                                                          "create_image"]
    assert call("POST", "/api/instances/inst0/stop").status_code == 405
    assert ctl("POST", "/_mock/instances/nope/state",
               {"state": "ERROR"})[0] == 404


@pytest.mark.parametrize("body", [
    {"collection": "nope"}, {"collection": "instances", "feature": "x"},
    {},
])
def test_bad_capability_requests(ctl, body):
    status, doc = ctl("POST", "/_mock/capabilities", body)
    assert status == 400 and doc["error"]


def test_bad_control_requests(app, ctl):
    assert ctl("POST", "/_mock/faults", {"route": "/api"})[0] == 400
    assert ctl("POST", "/_mock/faults", {"status": 200})[0] == 400
    assert ctl("POST", "/_mock/faults", {"status": 500,
                                         "probability": 2})[0] == 400
    assert ctl("POST", "/_mock/faults", {"status": 500, "bogus": 1})[0] \
        == 400
    assert ctl("GET", "/_mock/nothing")[0] == 404
    raw = webob.Request.blank("/_mock/faults", method="POST", body=b"[1]")
    assert raw.get_response(app).status_code == 400


@pytest.mark.parametrize("collection, method, path, form, expect", [
    ("firewalls", "GET", "/api/firewalls", {}, "firewalls"),
    ("firewalls", "GET", "/api/firewalls/web", {}, "firewalls"),
    ("firewalls", "POST", "/api/firewalls",
     {"name": "x", "description": "y"}, "create_firewall"),
    ("firewalls", "DELETE", "/api/firewalls/web", {}, "delete_firewall"),
    ("firewalls", "POST", "/api/firewalls/web/rules", {},
     "create_firewall_rule"),
    ("firewalls", "DELETE", "/api/firewalls/web/rules/r1", {},
     "delete_firewall_rule"),
    ("addresses", "GET", "/api/addresses", {}, "addresses"),
    ("addresses", "POST", "/api/addresses/192.168.0.1/associate", {},
     "associate_address"),
    ("storage_volumes", "POST", "/api/storage_volumes", {},
     "create_storage_volume"),
    ("instances", "DELETE", "/api/instances/inst0", {}, "destroy_instance"),
    ("images", "GET", "/api/images/img1", {}, "image"),
])
def test_missing_capabilities_answer_412(app, call, collection, method,
                                         path, form, expect):
    if collection != "firewalls":
        app.controls.set_capability(collection, enabled=False)
    # No credentials: the capability check comes before everything.
    response = call(method, path, auth=None, **form)
    assert response.status_code == 412
    assert response.headers["Expect"] == expect
    assert response.headers["Content-Type"] == "text/html;charset=utf-8"
    assert response.text == ("The required capability to execute this "
                             "operation is missing")


def test_hidden_collections_and_features_leave_api(app, call, helpers):
    app.controls.set_capability("addresses", enabled=False)
    app.controls.set_capability("instances", "user_name", enabled=False)
    app.controls.set_capability("instances", "user_data")
    root = helpers.xml(call("GET", "/api"))
    assert "addresses" not in [link.get("rel") for link in root]
    features = [f.get("name") for f in root.iter("feature")]
    assert "user_name" not in features and "user_data" in features
    app.controls.set_capability("addresses")
    assert call("GET", "/api/addresses").status_code == 200


def test_firewalls_switched_on(app, call, helpers):
    app.controls.set_capability("firewalls")
    app.controls.set_capability("instances", "firewalls")
    root = helpers.xml(call("GET", "/api"))
    assert "firewalls" in [link.get("rel") for link in root]
    instances = root.find("link[@rel='instances']")
    assert [p.get("name") for p in instances.find(
        "feature[@name='firewalls']")] == ["firewalls"]
    created = call("POST", "/api/firewalls", name="web", description="Web")
    assert created.status_code == 201
    assert created.headers["Location"] == f"{helpers.H}/firewalls/web"
    missing_source = call("POST", "/api/firewalls/web/rules",
                          protocol="tcp", port_from="80", port_to="80")
    assert helpers.error(missing_source)[:2] == (400, 400)
    bad_protocol = call("POST", "/api/firewalls/web/rules", protocol="gre",
                        port_from="1", port_to="2", ip_address1="1.2.3.4")
    assert bad_protocol.text == ("Parameter 'protocol' value 'gre' not "
                                 "found in list of allowed values "
                                 "[tcp,udp,icmp]")
    ruled = call("POST", "/api/firewalls/web/rules", protocol="tcp",
                 port_from="80", port_to="80", ip_address1="10.0.0.0/8",
                 group1="db", group1owner="alice")
    assert ruled.status_code == 201
    fw = helpers.xml(ruled)
    assert [c.tag for c in fw] == ["actions", "name", "description",
                                   "owner_id", "rules"]
    assert b"<name><![CDATA[web]]></name>" in ruled.body
    rule = fw.find("rules/rule")
    assert [c.tag for c in rule] == [
        "actions", "allow_protocol", "port_from", "port_to", "direction",
        "rule_action", "log_rule", "sources"]
    assert [dict(s.attrib) for s in rule.find("sources")] == [
        {"address": "10.0.0.0", "family": "ipv4", "prefix": "8",
         "type": "address"},
        {"name": "db", "owner": "alice", "type": "group"}]
    launched = helpers.xml(call("POST", "/api/instances", image_id="img1",
                                firewalls1="web"))
    assert [f.get("id") for f in launched.find("firewalls")] == ["web"]
    doc = helpers.json(call("GET", "/api/firewalls/web",
                            accept="application/json"))["firewall"]
    assert doc["rules"][0]["port_from"] == "80"
    rule_id = rule.get("id")
    assert call("DELETE", f"/api/firewalls/web/rules/{rule_id}") \
        .status_code == 204
    assert call("DELETE", f"/api/firewalls/web/rules/{rule_id}") \
        .status_code == 404
    assert call("GET", "/api/firewalls/web",
                auth=helpers.ALICE).status_code == 404
    assert call("DELETE", "/api/firewalls/web").status_code == 204


def test_firewall_names_are_ignored_without_the_feature(call, helpers):
    root = helpers.xml(call("POST", "/api/instances", image_id="img1",
                            firewalls1="web"))
    assert root.find("firewalls") is None


@pytest.mark.parametrize("kwargs", [
    {"status": 503}, {"status": 503, "message": "custom"}])
def test_status_fault_answers_an_error_document(app, call, helpers, kwargs):
    app.controls.add_fault(control.Fault("GET", "/api/instances/:id",
                                         count=1, **kwargs))
    assert helpers.error(call("GET", "/api/instances/inst0")) == (
        503, 503, kwargs.get("message", "Service Unavailable"))
    assert call("GET", "/api/instances/inst0").status_code == 200


def test_fault_globs_match_templates_and_paths(app, call):
    app.controls.add_fault(control.Fault("*", "/api/keys*", status=502))
    app.controls.add_fault(control.Fault("GET", "/api/images/img2",
                                         status=500))
    assert call("GET", "/api/keys").status_code == 502
    assert call("POST", "/api/keys", name="x").status_code == 502
    assert call("GET", "/api/images/img2").status_code == 500
    assert call("GET", "/api/images/img1").status_code == 200


def test_drop_fault_in_process_raises(app, call):
    app.controls.add_fault(control.Fault("GET", "/api/realms", drop=True,
                                         count=1))
    with pytest.raises(ConnectionDropped):
        call("GET", "/api/realms")
    assert call("GET", "/api/realms").status_code == 200


def test_after_fault_loses_the_answer_but_keeps_the_effect(app, call,
                                                           helpers):
    app.controls.add_fault(control.Fault("POST", "/api/instances",
                                         status=502, after=True, count=1))
    assert call("POST", "/api/instances", image_id="img1").status_code \
        == 502
    assert call("GET", "/api/instances/inst4").status_code == 200


def test_seeded_probability_is_repeatable(app, call):
    def outcomes():
        app.controls.clear_faults()
        app.controls.add_fault(control.Fault("GET", "/api/realms",
                                             status=503, probability=0.5,
                                             seed=7))
        return [call("GET", "/api/realms").status_code for _ in range(30)]
    first = outcomes()
    assert first == outcomes()
    assert 0 < first.count(503) < 30


def test_fault_described(ctl):
    status, doc = ctl("POST", "/_mock/faults", {
        "method": "get", "route": "/api/*", "latency": 0.5, "count": 2,
        "seed": 1})
    assert (status, doc) == (200, {"id": 0})
    assert ctl("GET", "/_mock/faults")[1]["faults"] == [{
        "method": "GET", "route": "/api/*", "status": None,
        "latency": 0.5, "drop": False, "probability": 1.0, "count": 2,
        "seed": 1, "after": False, "message": None}]
    assert ctl("DELETE", "/_mock/faults") == (200, {})
