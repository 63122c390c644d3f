"""The mock over real HTTP on 127.0.0.1 with plain ``requests``: the
server object, auth, control plane, faults and two users under load."""

import concurrent.futures
import time

import pytest
import requests
from lxml import etree

from heat_deltacloud.mock.server import MockServer

MOCK = ("mockuser", "mockpassword")
XML = {"Accept": "application/xml"}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def get(url, auth=MOCK, timeout=5, **kwargs):
    return requests.get(url, auth=auth, headers=XML, timeout=timeout,
                        **kwargs)


def post(url, auth=MOCK, timeout=5, **form):
    return requests.post(url, auth=auth, headers=XML, data=form,
                         timeout=timeout)


def xml(response):
    return etree.fromstring(response.content, PARSER)


def control(mock):
    return mock.url[:-len("/api")] + "/_mock"


def test_fixture_server_answers_with_absolute_hrefs(deltacloud_mock):
    url = deltacloud_mock.url
    assert url.startswith("http://127.0.0.1:")
    assert (deltacloud_mock.host, str(deltacloud_mock.port)) == (
        "127.0.0.1", url.split(":")[2].split("/")[0])
    response = get(url, auth=None)
    assert response.status_code == 200
    assert response.headers["Server"] == "Apache-Deltacloud/1.1.3"
    assert response.headers["Date"]
    assert xml(response).find("link[@rel='realms']").get("href") == \
        f"{url}/realms"
    # requests' default Accept (*/*) negotiates HTML: not served.
    assert requests.get(url, timeout=5).status_code == 406


def test_auth_over_http(deltacloud_mock):
    url = deltacloud_mock.url
    missing = get(f"{url}/instances", auth=None)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Basic realm=")
    wrong = get(f"{url}/instances", auth=("mockuser", "bad"))
    assert wrong.status_code == 401
    assert "WWW-Authenticate" not in wrong.headers
    assert get(f"{url}?force_auth=1").status_code == 200
    assert get(f"{url}?force_auth=1", auth=("x", "y")).text == \
        "Authentication failed"


def test_instance_lifecycle_over_http(deltacloud_mock):
    url = deltacloud_mock.url
    created = post(f"{url}/instances", image_id="img1", name="web")
    assert created.status_code == 201
    location = created.headers["Location"]
    assert location == f"{url}/instances/inst4"
    links = {a.get("rel"): a.get("href")
             for a in xml(created).find("actions")}
    assert requests.delete(location, auth=MOCK, headers=XML,
                           timeout=5).status_code == 405
    stopped = post(links["stop"])
    assert xml(stopped).findtext("state") == "STOPPED"
    destroy = {a.get("rel"): a for a in xml(stopped).find("actions")}[
        "destroy"]
    assert destroy.get("method") == "delete"
    assert requests.delete(destroy.get("href"), auth=MOCK, headers=XML,
                           timeout=5).status_code == 204
    assert get(location).status_code == 404
    assert post(f"{location}/start").status_code == 403


def test_server_object_controls(deltacloud_mock):
    url = deltacloud_mock.url
    deltacloud_mock.clear_requests()
    post(f"{url}/instances", image_id="img1", auth=("mockuser",
                                                    "mockpassword"))
    get(f"{url}/instances/inst4")
    assert deltacloud_mock.request_counts() == {
        "POST /api/instances": 1, "GET /api/instances/:id": 1}
    assert [(r["route"], r["user"]) for r in deltacloud_mock.request_log()
            ] == [("/api/instances", "mockuser"),
                  ("/api/instances/:id", "mockuser")]
    assert [i["id"] for i in deltacloud_mock.all_instances()][-1] == "inst4"
    deltacloud_mock.set_capability("keys", enabled=False)
    assert get(f"{url}/keys").status_code == 412
    deltacloud_mock.reset()
    assert get(f"{url}/keys").status_code == 200
    assert len(deltacloud_mock.all_instances()) == 4
    assert deltacloud_mock.request_counts() == {"GET /api/keys": 1}


def test_control_plane_over_http(deltacloud_mock):
    base = control(deltacloud_mock)
    post(f"{deltacloud_mock.url}/keys", name="mine")
    log = requests.get(f"{base}/requests", timeout=5).json()
    assert log["counts"] == {"POST /api/keys": 1}
    assert log["requests"][0]["user"] == "mockuser"
    assert "mockpassword" not in str(log)
    forced = requests.post(f"{base}/instances/inst0/state", timeout=5,
                           json={"state": "ERROR"})
    assert forced.json()["state"] == "ERROR"
    assert requests.post(f"{base}/faults", timeout=5, json={
        "method": "GET", "route": "/api/realms", "status": 502,
        "count": 1}).json() == {"id": 0}
    assert get(f"{deltacloud_mock.url}/realms").status_code == 502
    assert requests.post(f"{base}/capabilities", timeout=5, json={
        "collection": "firewalls"}).status_code == 200
    assert get(f"{deltacloud_mock.url}/firewalls").status_code == 200
    assert requests.delete(f"{base}/requests", timeout=5).ok
    assert requests.post(f"{base}/reset", timeout=5).json() == {}
    admin = requests.get(f"{base}/instances", timeout=5).json()
    assert [(i["id"], i["state"], i["owner"]) for i in admin[
        "instances"]][0] == ("inst0", "RUNNING", "mockuser")
    assert get(f"{deltacloud_mock.url}/firewalls").status_code == 412


def test_dropped_connection_closes_without_a_response(deltacloud_mock):
    deltacloud_mock.add_fault("GET", "/api/keys", drop=True, count=1)
    with requests.Session() as session:
        with pytest.raises(requests.ConnectionError,
                           match="without response"):
            session.get(f"{deltacloud_mock.url}/keys", auth=MOCK,
                        headers=XML, timeout=5)
    assert get(f"{deltacloud_mock.url}/keys").status_code == 200
    assert [r["status"] for r in deltacloud_mock.request_log()] == [
        None, 200]


def test_dropped_answer_after_the_effect(deltacloud_mock):
    deltacloud_mock.add_fault("POST", "/api/instances", drop=True,
                              after=True, count=1)
    with pytest.raises(requests.ConnectionError):
        post(f"{deltacloud_mock.url}/instances", image_id="img1",
             name="lost")
    assert [i["id"] for i in deltacloud_mock.all_instances()
            if i["name"] == "lost"] == ["inst4"]


def test_latency_fault(deltacloud_mock):
    deltacloud_mock.add_fault("GET", "/api/realms", latency=0.6)
    with pytest.raises(requests.Timeout):
        get(f"{deltacloud_mock.url}/realms", timeout=(2, 0.2))
    started = time.monotonic()
    assert get(f"{deltacloud_mock.url}/realms").status_code == 200
    # Only the lower bound: a loaded machine may add to it, never take.
    assert time.monotonic() - started > 0.5
    deltacloud_mock.clear_faults()
    assert deltacloud_mock.faults() == []
    assert get(f"{deltacloud_mock.url}/realms").status_code == 200


def test_json_over_http(deltacloud_mock):
    response = requests.get(f"{deltacloud_mock.url}/instances?format=json",
                            auth=MOCK, timeout=5)
    assert response.headers["Content-Type"] == "application/json"
    assert [i["id"] for i in response.json()["instances"]] == [
        "inst0", "inst1", "inst2", "inst3"]


def _user_workload(url, user, password, rounds):
    """Create, list, show, act on and delete a user's own instances;
    returns every id this user saw."""
    auth, seen = (user, password), set()
    with requests.Session() as session:
        session.auth, session.headers["Accept"] = auth, "application/xml"
        for number in range(rounds):
            created = session.post(f"{url}/instances", timeout=10, data={
                "image_id": "img1", "name": f"{user}-{number}"})
            assert created.status_code == 201, created.text
            ident = xml(created).get("id")
            listed = xml(session.get(f"{url}/instances", timeout=10))
            names = {i.findtext("name") for i in listed}
            assert all(n.startswith(f"{user}-") for n in names), names
            assert {i.findtext("owner_id") for i in listed} == {user}
            seen.update(i.get("id") for i in listed)
            assert session.post(f"{url}/instances/{ident}/stop",
                                timeout=10).status_code == 202
            assert session.delete(f"{url}/instances/{ident}",
                                  timeout=10).status_code == 204
    return seen


def test_two_users_isolated_under_concurrent_load():
    users = {"alice": "a-pw", "bob": "b-pw"}
    with MockServer(users=users, threads=4) as mock:
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(_user_workload, mock.url, user,
                                   users[user], 12)
                       for user in ("alice", "bob") * 3]
            for future in futures:
                future.result(timeout=60)
        # 6 workers x 12 rounds x 4 requests, all answered and logged.
        assert sum(mock.request_counts().values()) == 288
        assert {i["owner"] for i in mock.all_instances()} == {"mockuser"}
        users_logged = {r["user"] for r in mock.request_log()}
        assert users_logged == {"alice", "bob"}
        assert mock.peak_concurrency() >= 2


def test_reads_never_see_half_done_actions():
    """A stopper and a reader race on one instance: every document read
    is consistent (state and actions agree)."""
    with MockServer(threads=4) as mock:
        url, stop = mock.url, time.monotonic() + 3

        def flip():
            with requests.Session() as s:
                s.auth = MOCK
                for _ in range(40):
                    s.post(f"{url}/instances/inst0/stop", timeout=10)
                    s.post(f"{url}/instances/inst0/start", timeout=10)
                    if time.monotonic() > stop:
                        break

        def read():
            pairs = set()
            with requests.Session() as s:
                s.auth, s.headers["Accept"] = MOCK, "application/xml"
                for _ in range(80):
                    root = xml(s.get(f"{url}/instances/inst0", timeout=10))
                    rels = tuple(a.get("rel") for a in root.find("actions"))
                    pairs.add((root.findtext("state"), rels[:2]))
                    if time.monotonic() > stop:
                        break
            return pairs

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            flipping = pool.submit(flip)
            readers = [pool.submit(read) for _ in range(2)]
            flipping.result(timeout=30)
            seen = set().union(*(r.result(timeout=30) for r in readers))
        assert seen <= {("RUNNING", ("reboot", "stop")),
                        ("STOPPED", ("start", "destroy"))}


def test_server_stops_with_a_kept_alive_connection_open():
    mock = MockServer(port=0)
    assert mock.start() is mock
    with requests.Session() as session:  # a kept-alive connection
        session.headers["Accept"] = "application/xml"
        assert session.get(mock.url, timeout=5).status_code == 200
        mock.stop()  # returns although the connection is still open
        with pytest.raises(requests.ConnectionError):
            session.get(mock.url, timeout=1)
    MockServer().stop()  # never started: just releases the socket
