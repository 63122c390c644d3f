"""The rendered-instance cache: documents built from cached fragments are
byte for byte the documents built whole, and every change to an instance
(or a different user, format, driver or base URL) shows at once."""

import base64
import concurrent.futures
import hashlib
import json

import pytest
import webob
from lxml import etree

from heat_deltacloud.mock import drivers
from heat_deltacloud.mock.wsgi import make_app
from heat_deltacloud.server import documents

H = "http://localhost:3001/api"


def whole(renderer, objs, fmt):
    """The listing as the renderer built it before the cache: one tree
    (or one JSON document) for the whole collection."""
    if fmt == "json":
        return json.dumps({"instances": [renderer.instance_json(o)
                                         for o in objs]}).encode()
    root = documents.element("instances")
    for obj in objs:
        renderer.instance_xml(root, obj)
    return documents.to_xml(root)


def whole_one(renderer, obj, fmt):
    if fmt == "json":
        return json.dumps({"instance": renderer.instance_json(obj)}).encode()
    root = documents.element("root")
    renderer.instance_xml(root, obj)
    return documents.to_xml(root[0])


def renderer_for(driver_name, api=H, cache=None):
    """A renderer set up as an exchange sets it up for ``driver_name``."""
    driver = drivers.get(driver_name)
    renderer = documents.Renderer(api, driver=driver_name,
                                  actions_for=driver.actions_for,
                                  cache=cache)
    if driver.present_instance is not None:
        renderer.present = driver.present_instance
    return renderer


@pytest.fixture
def varied():
    """A cloud whose instances differ in every field a document shows:
    states (PENDING too), names with markup and non-ASCII, overrides,
    addresses, volumes, NICs, firewalls, keys, EBS roots."""
    app = make_app(users={"alice": "alice-pw"}, state_delay=3600)
    cloud = app.cloud
    cloud.create_instance("mockuser", "img1", name="<b>&\"é€'",
                          overrides={"cpu": "2", "memory": "1024"},
                          keyname="k1", firewalls=["web", "db"])
    cloud.create_instance("mockuser", "img2", name=None,
                          initial_state="STOPPED", root_type="persistent")
    cloud.create_instance("mockuser", "img3", name="",
                          initial_state="STOPPED")
    cloud.create_instance("mockuser", "img1", name="pending")  # the delay
    cloud.create_instance("alice", "img1", name="alice's")
    cloud.set_instance_state("inst1", "ERROR")
    address = cloud.create_address("mockuser")["id"]
    cloud.associate_address("mockuser", address, "inst2")
    volume = cloud.create_volume("mockuser")["id"]
    cloud.attach_volume("mockuser", volume, "inst0", "/dev/sdb")
    cloud.create_network("mockuser", "netx", "10.0.0.0/16")
    cloud.create_subnet("mockuser", "netx", "10.0.1.0/24", "subx")
    cloud.create_network_interface("mockuser", "inst4", "subx", "nicx")
    yield app
    app.close()


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize("driver", ["mock", "ec2"])
def test_cached_documents_equal_whole_documents(varied, fmt, driver):
    objs = varied.cloud.list_instance_snapshots("mockuser")
    states = {o["state"] for o in objs}
    assert {"RUNNING", "STOPPED", "PENDING", "ERROR"} <= states
    cache = documents.FragmentCache()
    for api in (H, "http://127.0.0.1:8080/api"):
        reference = renderer_for(driver, api)
        expected = whole(reference, objs, fmt)
        cached = renderer_for(driver, api, cache)
        assert cached.many_document("instance", objs, fmt) == expected
        # again, now every fragment from the cache
        assert cached.many_document("instance", objs, fmt) == expected
        for obj in objs:
            assert cached.one_document("instance", obj, fmt) == \
                whole_one(reference, obj, fmt)
    assert len(cache) == 2 * len(objs)
    empty = renderer_for(driver, cache=cache)
    assert empty.many_document("instance", [], fmt) == \
        whole(renderer_for(driver), [], fmt)


@pytest.mark.parametrize("accept, fmt", [("application/xml", "xml"),
                                         ("application/json", "json")])
def test_http_listing_equals_the_whole_document(varied, accept, fmt):
    first = call_app(varied, "GET", "/api/instances", accept=accept).body
    second = call_app(varied, "GET", "/api/instances", accept=accept).body
    objs = varied.cloud.list_instance_snapshots("mockuser")
    assert first == second == whole(renderer_for("mock"), objs, fmt)
    one = call_app(varied, "GET", "/api/instances/inst4", accept=accept)
    assert one.body == whole_one(renderer_for("mock"), objs[4], fmt)


def call_app(app, method, path, accept="application/xml"):
    """A request of mockuser's to ``app`` in process."""
    token = base64.b64encode(b"mockuser:mockpassword").decode()
    req = webob.Request.blank(path, headers={
        "Host": "localhost:3001", "Accept": accept,
        "Authorization": f"Basic {token}"})
    req.method = method
    return req.get_response(app)


def shown(call, path="/api/instances/inst0", fmt="xml", **kwargs):
    """(state, name, public addresses, action rels) as a document shows
    them."""
    accept = f"application/{fmt}"
    response = call("GET", path, accept=accept, **kwargs)
    assert response.status_code == 200, response.body
    if fmt == "json":
        doc = json.loads(response.body)["instance"]
        return (doc["state"], doc["name"],
                [a["address"] for a in doc["public_addresses"]],
                [a["rel"] for a in doc["actions"]])
    root = etree.fromstring(response.body)
    return (root.findtext("state"), root.findtext("name"),
            [a.text for a in root.find("public_addresses")],
            [a.get("rel") for a in root.find("actions")])


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_every_change_shows_after_a_cached_render(app, call, fmt):
    running = shown(call, fmt=fmt)
    assert running[0] == "RUNNING" and running[3][:2] == ["reboot", "stop"]
    assert shown(call, fmt=fmt) == running  # from the cache
    assert call("POST", "/api/instances/inst0/stop").status_code == 202
    assert shown(call, fmt=fmt)[0::3] == ("STOPPED",
                                          ["start", "destroy", "run",
                                           "create_image"])
    app.cloud.set_instance_state("inst0", "ERROR")  # forced state
    assert shown(call, fmt=fmt)[0] == "ERROR"
    address = app.cloud.create_address("mockuser")["id"]
    app.cloud.associate_address("mockuser", address, "inst0")
    assert shown(call, fmt=fmt)[2] == [address]
    app.cloud.disassociate_address("mockuser", address)
    assert shown(call, fmt=fmt)[2] == ["img1.inst0.public.com"]
    app.reset()
    assert shown(call, fmt=fmt) == running


def test_a_reused_id_shows_the_new_instance(app, call, helpers):
    made = call("POST", "/api/instances", image_id="img1", name="first",
                initial_state="STOPPED")
    ident = made.headers["Location"].rsplit("/", 1)[1]
    path = f"/api/instances/{ident}"
    assert shown(call, path)[1] == "first"
    assert call("DELETE", path).status_code == 204
    again = call("POST", "/api/instances", image_id="img2", name="second")
    assert again.headers["Location"].endswith(f"/{ident}")
    assert shown(call, path)[1] == "second"
    listed = helpers.xml(call("GET", "/api/instances"))
    assert [i.findtext("name") for i in listed
            if i.get("id") == ident] == ["second"]


def test_volumes_and_interfaces_show_after_a_cached_render(app, call,
                                                           helpers):
    def listed():
        root = helpers.xml(call("GET", "/api/instances/inst0"))
        return ([v.get("id") for v in root.find("storage_volumes")],
                [n.get("id") for n in root.iterfind(
                    "network_interfaces/network_interface")])
    assert listed() == ([], [])
    volume = app.cloud.create_volume("mockuser")["id"]
    app.cloud.attach_volume("mockuser", volume, "inst0", "/dev/sdb")
    assert listed() == ([volume], [])
    app.cloud.create_network("mockuser", "netx", "10.0.0.0/16")
    app.cloud.create_subnet("mockuser", "netx", "10.0.1.0/24", "subx")
    app.cloud.create_network_interface("mockuser", "inst0", "subx", "nicx")
    assert listed() == ([volume], ["nicx"])
    app.cloud.detach_volume("mockuser", volume)
    app.cloud.destroy_network_interface("mockuser", "nicx")
    assert listed() == ([], [])


def test_users_formats_drivers_and_hosts_get_their_own_documents(app, call,
                                                                 helpers):
    made = call("POST", "/api/instances", auth=helpers.ALICE,
                image_id="img1", name="hers")
    ident = made.headers["Location"].rsplit("/", 1)[1]
    mine = helpers.xml(call("GET", "/api/instances"))
    assert ident not in [i.get("id") for i in mine]
    assert call("GET", f"/api/instances/{ident}").status_code == 404
    hers = helpers.xml(call("GET", "/api/instances", auth=helpers.ALICE))
    assert [i.get("id") for i in hers] == [ident]
    path = f"/api/instances/{ident}"
    assert shown(call, path, auth=helpers.ALICE)[1] == "hers"
    assert shown(call, path, "json", auth=helpers.ALICE)[1] == "hers"
    ec2 = shown(call, path, auth=helpers.ALICE,
                headers={"X-Deltacloud-Driver": "ec2"})
    assert ec2[1] == "img1"  # EC2 names an instance after its image
    other = call("GET", path, auth=helpers.ALICE,
                 headers={"Host": "127.0.0.1:9999"})
    assert helpers.xml(other).get("href") == \
        f"http://127.0.0.1:9999/api/instances/{ident}"
    again = helpers.xml(call("GET", path, auth=helpers.ALICE))
    assert again.get("href") == f"{H}/instances/{ident}"


def test_pending_polls_show_each_step():
    app = make_app(pending_polls=1)
    app.cloud.create_instance("mockuser", "img1", name="slow")
    renderer = renderer_for("mock", cache=app.fragments)
    states = [etree.fromstring(renderer.one_document(
        "instance", app.cloud.instance_snapshot("mockuser", "inst4"),
        "xml")).findtext("state") for _ in range(2)]
    assert states == ["PENDING", "RUNNING"]


def test_a_change_stores_a_new_snapshot_and_leaves_the_old_one(app):
    before = app.cloud.instance_snapshot("mockuser", "inst0")
    kept = json.dumps(before, sort_keys=True)
    app.cloud.instance_action("mockuser", "inst0", "stop")
    volume = app.cloud.create_volume("mockuser")["id"]
    app.cloud.attach_volume("mockuser", volume, "inst0", "/dev/sdb")
    after = app.cloud.instance_snapshot("mockuser", "inst0")
    assert json.dumps(before, sort_keys=True) == kept
    assert after["version"] > before["version"]
    assert (after["state"], after["storage_volumes"]) == (
        "STOPPED", [{"id": volume, "device": "/dev/sdb"}])
    app.cloud.reset()
    assert app.cloud.instance_snapshot("mockuser", "inst0")["version"] > \
        after["version"]  # a reset never reuses a version


def test_concurrent_changes_and_cached_reads_agree(app):
    """Flippers and listers race on four instances: every instance in
    every listing shows the actions of the state it shows."""
    expected = {"RUNNING": ["reboot", "stop"], "STOPPED": ["start",
                                                           "destroy"]}

    def flip(ident):
        for _ in range(60):
            app.cloud.instance_action("mockuser", ident, "stop")
            app.cloud.instance_action("mockuser", ident, "start")

    def read():
        seen = set()
        for _ in range(60):
            root = etree.fromstring(call_app(app, "GET",
                                             "/api/instances").body)
            for inst in root:
                rels = [a.get("rel") for a in inst.find("actions")][:2]
                seen.add((inst.findtext("state"), tuple(rels)))
        return seen

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        flips = [pool.submit(flip, f"inst{n}") for n in range(2)]
        reads = [pool.submit(read) for _ in range(4)]
        seen = set().union(*(r.result(timeout=120) for r in reads))
        for f in flips:
            f.result(timeout=120)
    assert seen <= {(state, tuple(rels)) for state, rels in
                    expected.items()}
    assert ("RUNNING", ("reboot", "stop")) in seen


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_renderer_without_run_gets_its_own_documents(varied, fmt):
    """Whether instances link ``run`` is part of a cached fragment's key:
    a server whose driver cannot run commands shares no bytes with one
    that can."""
    objs = varied.cloud.list_instance_snapshots("mockuser")
    cache = documents.FragmentCache()
    runs = renderer_for("mock", cache=cache)
    assert b"run;id=" in runs.many_document("instance", objs, fmt)
    cannot = renderer_for("mock", cache=cache)
    cannot.can_run = False
    reference = renderer_for("mock")
    reference.can_run = False
    listing = cannot.many_document("instance", objs, fmt)
    assert listing == whole(reference, objs, fmt)
    assert b"run;id=" not in listing
    assert cannot.one_document("instance", objs[0], fmt) == \
        whole_one(reference, objs[0], fmt)


def test_the_cache_is_bounded():
    cache = documents.FragmentCache(limit=4)
    for n in range(10):
        cache.put(n, b"x")
    assert len(cache) <= 4 and cache.get(9) == b"x" and cache.get(0) is None


@pytest.mark.parametrize("accept", ["application/xml", "application/json"])
def test_a_cached_listing_changes_with_any_instance_and_keeps_its_etag(
        app, accept):
    def listing():
        response = call_app(app, "GET", "/api/instances", accept)
        assert response.headers["ETag"] == hashlib.md5(
            response.body, usedforsecurity=False).hexdigest()
        return response.body, response.headers["ETag"]

    first = listing()
    assert listing() == first  # the kept document, hashed once
    app.cloud.instance_action("mockuser", "inst3", "stop")
    changed = listing()
    assert changed != first and b"STOPPED" in changed[0]
    app.cloud.instance_action("mockuser", "inst3", "start")
    assert listing() == first  # the same bytes again, from new versions
    app.cloud.create_instance("alice", "img1")  # someone else's
    assert listing() == first
    app.cloud.create_instance("mockuser", "img1", name="new one")
    assert b"new one" in listing()[0]
    head = webob.Request.blank("/api/instances", method="HEAD", headers={
        "Host": "localhost:3001", "Authorization": "Basic " +
        base64.b64encode(b"mockuser:mockpassword").decode()})
    answered = head.get_response(app)
    assert (answered.status_code, answered.body) == (200, b"")
    assert "ETag" not in answered.headers


def test_listings_settle_only_their_users_pending_instances():
    app = make_app(pending_polls=1)
    cloud = app.cloud
    for user in ("mockuser", "mockuser", "alice"):
        cloud.create_instance(user, "img1")
    cloud.create_instance("mockuser", "img1")
    cloud.set_instance_state("inst7", "STOPPED")  # forced: no longer pending

    def states(user):
        return {i["id"]: i["state"]
                for i in cloud.list_instance_snapshots(user)
                if i["id"] >= "inst4"}
    assert states("mockuser") == {"inst4": "PENDING", "inst5": "PENDING",
                                  "inst7": "STOPPED"}
    assert states("mockuser") == {"inst4": "RUNNING", "inst5": "RUNNING",
                                  "inst7": "STOPPED"}
    assert states("alice") == {"inst6": "PENDING"}
    assert states("alice") == {"inst6": "RUNNING"}
    cloud.create_instance("alice", "img1")
    cloud.reset()
    assert states("alice") == {} and cloud.list_instance_snapshots(
        "mockuser")[0]["state"] == "RUNNING"


def test_listings_follow_creates_destroys_filters_and_resets(app):
    cloud = app.cloud

    def ids(user="mockuser", **filters):
        return [i["id"] for i in cloud.list_instance_snapshots(user,
                                                                **filters)]
    seeded = ids()
    made = cloud.create_instance("mockuser", "img1", initial_state="STOPPED")
    assert ids() == [*seeded, made["id"]] and ids("alice") == []
    assert ids(state="STOPPED") == [made["id"]]
    cloud.instance_action("mockuser", made["id"], "start")
    assert ids(state="STOPPED") == []
    cloud.instance_action("mockuser", made["id"], "stop")
    listed = cloud.list_instance_snapshots("mockuser")
    listed.clear()  # the caller's list, not the cloud's
    cloud.instance_action("mockuser", made["id"], "destroy")
    assert ids() == seeded
    theirs = cloud.create_instance("alice", "img1")
    assert ids() == seeded and ids("alice") == [theirs["id"]]
    cloud.reset()
    assert ids() == seeded and ids("alice") == []


def test_a_listing_is_named_by_its_content_and_copies_are_plain(app):
    cloud = app.cloud
    first = cloud.list_instance_snapshots("mockuser")
    assert cloud.list_instance_snapshots("mockuser").listing_key == \
        first.listing_key
    assert cloud.list_instance_snapshots("alice").listing_key != \
        first.listing_key
    assert not hasattr(cloud.list_instance_snapshots("mockuser",
                                                     state="RUNNING"),
                       "listing_key")
    copies = cloud.list_instances("mockuser")
    assert type(copies) is list and copies == list(first)
    cloud.instance_action("mockuser", "inst0", "stop")
    cloud.instance_action("mockuser", "inst0", "start")
    again = cloud.list_instance_snapshots("mockuser")
    assert again.listing_key != first.listing_key  # same content, new name
    renderer = renderer_for("mock", cache=app.fragments)
    assert renderer.many_document("instance", again, "xml") == \
        renderer.many_document("instance", first, "xml") == \
        whole(renderer_for("mock"), again, "xml")
