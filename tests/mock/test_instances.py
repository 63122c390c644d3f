"""The instance state machine, creation rules, auth and user isolation,
in-process."""

import base64

import pytest

from heat_deltacloud.mock.wsgi import make_app

H = "http://localhost:3001/api"
ACTIONS = ("start", "stop", "reboot", "destroy")
#: (state, action) -> expected status and the state after it (None: gone).
MACHINE = {
    ("RUNNING", "start"): (405, "RUNNING"),
    ("RUNNING", "stop"): (202, "STOPPED"),
    ("RUNNING", "reboot"): (202, "RUNNING"),
    ("RUNNING", "destroy"): (405, "RUNNING"),
    ("STOPPED", "start"): (202, "RUNNING"),
    ("STOPPED", "stop"): (405, "STOPPED"),
    ("STOPPED", "reboot"): (405, "STOPPED"),
    ("STOPPED", "destroy"): (204, None),
    ("PENDING", "start"): (405, "PENDING"),
    ("PENDING", "stop"): (405, "PENDING"),
    ("PENDING", "reboot"): (405, "PENDING"),
    ("PENDING", "destroy"): (405, "PENDING"),
}
LINKS = {"RUNNING": ["reboot", "stop", "run", "create_image"],
         "STOPPED": ["start", "destroy", "run", "create_image"],
         "PENDING": ["run", "create_image"]}


def act(call, ident, action, **kwargs):
    if action == "destroy":
        return call("DELETE", f"/api/instances/{ident}", **kwargs)
    return call("POST", f"/api/instances/{ident}/{action}", **kwargs)


@pytest.mark.parametrize("state, action", sorted(MACHINE))
def test_every_action_from_every_state(call, helpers, state, action):
    created = helpers.xml(call("POST", "/api/instances", image_id="img1",
                               initial_state=state))
    assert created.findtext("state") == state
    assert [rel for rel, _, _ in helpers.links(created)] == LINKS[state]
    status, after = MACHINE[(state, action)]
    response = act(call, "inst4", action)
    assert response.status_code == status
    if status == 405:
        assert helpers.error(response) == (405, 405, "Method Not Allowed")
    elif status == 202:
        root = helpers.xml(response)
        assert (root.tag, root.findtext("state")) == ("instance", after)
        assert [rel for rel, _, _ in helpers.links(root)] == LINKS[after]
    else:
        assert response.body == b""
    shown = call("GET", "/api/instances/inst4")
    if after is None:
        assert shown.status_code == 404
        assert helpers.error(act(call, "inst4", "start")) == (
            403, 403, "Forbidden")
    else:
        assert helpers.xml(shown).findtext("state") == after


def test_action_json_is_the_bare_instance(call, helpers):
    doc = helpers.json(call("POST", "/api/instances/inst0/stop",
                            accept="application/json"))
    assert (doc["id"], doc["state"]) == ("inst0", "STOPPED")
    assert [a["rel"] for a in doc["actions"]] == LINKS["STOPPED"]


def test_server_test_sequence(call):
    """The real server's own test: create, DELETE (405), reboot, stop,
    start, stop, DELETE (204)."""
    call("POST", "/api/instances", image_id="img1")
    statuses = [act(call, "inst4", a).status_code for a in (
        "destroy", "reboot", "stop", "start", "stop", "destroy")]
    assert statuses == [405, 202, 202, 202, 202, 204]


@pytest.mark.parametrize("action", ACTIONS)
def test_missing_instance_is_403_on_actions_404_on_show(call, helpers,
                                                        action):
    assert helpers.error(act(call, "inst99", action)) == (
        403, 403, "Forbidden")
    assert helpers.error(call("GET", "/api/instances/inst99")) == (
        404, 404, "Not Found")


def test_ids_are_lowest_unused_and_reused(call, helpers):
    def create():
        return helpers.xml(call("POST", "/api/instances",
                                image_id="img1")).get("id")
    assert [create(), create()] == ["inst4", "inst5"]
    act(call, "inst1", "stop")
    act(call, "inst1", "destroy")
    assert create() == "inst1"
    assert create() == "inst6"


def test_creation_defaults(app, call, helpers):
    app.cloud.clock = lambda: 1700000000.0
    root = helpers.xml(call("POST", "/api/instances", image_id="no-such"))
    assert root.findtext("name") == "i-1700000000"
    assert root.find("image").get("id") == "no-such"  # not checked
    assert root.find("realm").get("id") == "us"
    assert root.find("hardware_profile").get("id") == "m1-small"
    assert len(root.find("hardware_profile")) == 0
    assert root.find("authentication/login") is None
    assert root.findtext("public_addresses/address") == \
        "no-such.inst4.public.com"


def test_overrides_are_stored_verbatim(call, helpers):
    root = helpers.xml(call("POST", "/api/instances", image_id="img1",
                            hwp_id="m1-xlarge", hwp_cpu="99",
                            hwp_memory="1.5", hwp_storage="abc",
                            hwp_architecture="sparc", realm_id="moon"))
    props = [(p.get("name"), p.get("value"), p.get("unit"), p.get("kind"))
             for p in root.find("hardware_profile")]
    assert props == [("cpu", "99", "count", "fixed"),
                     ("memory", "1.5", "MB", "fixed"),
                     ("storage", "abc", "GB", "fixed"),
                     ("architecture", "sparc", "label", "fixed")]
    assert root.find("realm").get("id") == "moon"


def test_user_data_is_decoded_stored_and_never_shown(app, call):
    script = b"#!/bin/sh\necho hi\n"
    encoded = base64.encodebytes(script * 5).decode()  # newlines inside
    response = call("POST", "/api/instances", image_id="img1",
                    user_data=encoded)
    assert b"user_data" not in response.body
    assert b"echo hi" not in response.body
    [stored] = [i for i in app.cloud.all_instances() if i["id"] == "inst4"]
    assert stored["user_data"] == script * 5


@pytest.mark.parametrize("fixed, advertised", [(False, False),
                                               (True, True)])
def test_user_data_feature_switch(helpers, fixed, advertised):
    import webob
    app = make_app(fix_user_data_feature=fixed)
    root = helpers.xml(webob.Request.blank("/api").get_response(app))
    names = {f.get("name") for f in root.iter("feature")}
    assert ("user_data" in names) is advertised


def test_realm_filter_and_state_filter(call, helpers):
    eu = helpers.xml(call("GET", "/api/instances?realm_id=eu"))
    assert [i.get("id") for i in eu] == ["inst3"]
    act(call, "inst2", "stop")
    stopped = helpers.xml(call("GET", "/api/instances?state=STOPPED"))
    assert [i.get("id") for i in stopped] == ["inst2"]


def test_pending_polls():
    import webob
    app = make_app(pending_polls=2)
    auth = {"Authorization": "Basic bW9ja3VzZXI6bW9ja3Bhc3N3b3Jk"}

    def state(method="GET", path="/api/instances/inst4", **post):
        request = webob.Request.blank(path, headers=auth, POST=post or None)
        request.method = method
        body = request.get_response(app).body
        return body.split(b"<state>")[1].split(b"</state>")[0].decode()
    assert state("POST", "/api/instances", image_id="img1") == "PENDING"
    assert [i["state"] for i in app.cloud.all_instances()
            if i["id"] == "inst4"] == ["PENDING"]  # not a poll
    stop = webob.Request.blank("/api/instances/inst4/stop", headers=auth,
                               POST={})
    assert stop.get_response(app).status_code == 405
    assert [state(), state(), state()] == ["PENDING", "PENDING",
                                           "RUNNING"]


def test_state_delay():
    import webob
    now = [1000.0]
    app = make_app(state_delay=5)
    app.cloud.clock = lambda: now[0]
    auth = {"Authorization": "Basic bW9ja3VzZXI6bW9ja3Bhc3N3b3Jk"}
    webob.Request.blank("/api/instances", headers=auth,
                        POST={"image_id": "img1"}).get_response(app)

    def state():
        return [i["state"] for i in app.cloud.all_instances()
                if i["id"] == "inst4"][0]
    assert state() == "PENDING"
    now[0] += 4.9
    assert state() == "PENDING"
    now[0] += 0.2
    assert state() == "RUNNING"


# -- authentication -----------------------------------------------------------

@pytest.mark.parametrize("path", ["/api", "/api/hardware_profiles",
                                  "/api/hardware_profiles/m1-small",
                                  "/api/instance_states", "/api/drivers",
                                  "/api/drivers/mock"])
def test_lazy_auth_routes_need_no_credentials(call, path):
    assert call("GET", path, auth=None).status_code == 200
    assert call("GET", path, auth=("mockuser", "wrong")).status_code == 200


@pytest.mark.parametrize("method, path, form", [
    ("GET", "/api/realms", {}), ("GET", "/api/images", {}),
    ("GET", "/api/instances", {}), ("GET", "/api/keys", {}),
    ("GET", "/api/addresses", {}), ("GET", "/api/storage_volumes", {}),
    ("GET", "/api/storage_snapshots", {}),
    ("POST", "/api/instances", {"image_id": "img1"}),
    ("POST", "/api/instances/inst0/stop", {}),
    ("DELETE", "/api/instances/inst0", {}),
])
def test_missing_credentials_ask_for_them(call, helpers, method, path,
                                          form):
    response = call(method, path, auth=None, **form)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith(
        'Basic realm="mock-deltacloud@')
    assert helpers.error(response) == (401, 401, "Unauthorized")


def test_wrong_credentials_index_vs_show(call, helpers):
    wrong = ("mockuser", "nope")
    index = call("GET", "/api/realms", auth=wrong)
    assert "WWW-Authenticate" not in index.headers
    assert helpers.error(index) == (401, 401, "Unauthorized")
    show = call("GET", "/api/realms/us", auth=wrong)
    assert "WWW-Authenticate" not in show.headers
    assert helpers.error(show) == (401, 401, "Authentication Failure")
    json_error = helpers.json(call("GET", "/api/realms/us", auth=wrong,
                                   accept="application/json"))
    assert json_error == {
        "code": 401, "message": "Authentication Failure",
        "error": "Deltacloud::Exceptions::AuthenticationFailure"}
    bearer = call("GET", "/api/realms", auth=None,
                  headers={"Authorization": "Bearer abc"})
    assert "WWW-Authenticate" in bearer.headers


def test_force_auth(call, helpers):
    assert call("GET", "/api?force_auth=1").status_code == 200
    assert call("GET", "/api?force_auth=1",
                auth=("alice", "alice-pw")).status_code == 200
    wrong = call("GET", "/api?force_auth=1", auth=("mockuser", "x"))
    assert (wrong.status_code, wrong.text) == (401, "Authentication failed")
    assert "WWW-Authenticate" not in wrong.headers
    missing = call("GET", "/api?force_auth=1", auth=None)
    assert missing.status_code == 401
    assert "WWW-Authenticate" in missing.headers
    assert helpers.error(missing)[2] == "Unauthorized"


def test_missing_parameters_win_over_auth(call):
    # The routing layer validates before the driver checks credentials.
    assert call("POST", "/api/instances", auth=None).status_code == 400


# -- isolation ----------------------------------------------------------------

def test_users_see_only_their_own_objects(call, helpers):
    alice = helpers.ALICE
    for collection in ("instances", "keys", "addresses", "storage_volumes",
                       "storage_snapshots"):
        assert len(helpers.xml(call("GET", f"/api/{collection}",
                                    auth=alice))) == 0
    assert len(helpers.xml(call("GET", "/api/images", auth=alice))) == 3
    assert len(helpers.xml(call("GET", "/api/realms", auth=alice))) == 2
    mine = helpers.xml(call("POST", "/api/instances", auth=alice,
                            image_id="img1"))
    assert (mine.get("id"), mine.findtext("owner_id")) == ("inst4",
                                                           "alice")
    assert [i.get("id") for i in helpers.xml(
        call("GET", "/api/instances", auth=alice))] == ["inst4"]
    assert "inst4" not in [i.get("id") for i in helpers.xml(
        call("GET", "/api/instances"))]


@pytest.mark.parametrize("method, path, form, status", [
    ("GET", "/api/instances/inst0", {}, 404),
    ("POST", "/api/instances/inst0/stop", {}, 403),
    ("POST", "/api/instances/inst0/reboot", {}, 403),
    ("DELETE", "/api/instances/inst0", {}, 403),
    ("POST", "/api/instances/inst0/run", {"cmd": "id"}, 404),
    ("POST", "/api/images", {"instance_id": "inst0", "name": "x"}, 404),
    ("GET", "/api/keys/test-key", {}, 404),
    ("DELETE", "/api/keys/test-key", {}, 404),
    ("GET", "/api/addresses/192.168.0.1", {}, 404),
    ("DELETE", "/api/addresses/192.168.0.1", {}, 404),
    ("POST", "/api/addresses/192.168.0.1/associate",
     {"instance_id": "inst0"}, 404),
    ("GET", "/api/storage_volumes/vol1", {}, 404),
    ("POST", "/api/storage_volumes/vol1/attach",
     {"instance_id": "inst0", "device": "/dev/x"}, 404),
    ("POST", "/api/storage_volumes/vol3/detach", {}, 404),
    ("GET", "/api/storage_snapshots/snap1", {}, 404),
    ("POST", "/api/storage_snapshots", {"volume_id": "vol1"}, 404),
])
def test_another_users_objects_look_missing(call, helpers, method, path,
                                            form, status):
    response = call(method, path, auth=helpers.ALICE, **form)
    assert helpers.error(response)[0] == status
    # ... and nothing changed for their owner.
    assert len(helpers.xml(call("GET", "/api/instances"))) == 4
    assert helpers.xml(call("GET", "/api/storage_volumes/vol3")) \
        .findtext("state") == "IN-USE"


def test_deleting_another_users_volume_changes_nothing(call, helpers):
    assert call("DELETE", "/api/storage_volumes/vol1",
                auth=helpers.ALICE).status_code == 404
    assert call("GET", "/api/storage_volumes/vol1").status_code == 200


def test_attaching_my_volume_to_their_instance_is_refused(call, helpers):
    alice = helpers.ALICE
    volume = helpers.xml(call("POST", "/api/storage_volumes", auth=alice))
    response = call("POST", f"/api/storage_volumes/{volume.get('id')}/"
                            "attach", auth=alice, instance_id="inst0",
                    device="/dev/sdb")
    assert response.status_code == 404
    address = helpers.xml(call("POST", "/api/addresses", auth=alice))
    assert call("POST", f"/api/addresses/{address.get('id')}/associate",
                auth=alice, instance_id="inst0").status_code == 404


def test_key_names_are_per_user(call, helpers):
    created = call("POST", "/api/keys", auth=helpers.ALICE, name="test-key")
    assert created.status_code == 201
    assert call("DELETE", "/api/keys/test-key",
                auth=helpers.ALICE).status_code == 204
    assert call("GET", "/api/keys/test-key").status_code == 200
