"""Ten users, 200 requests at once, through heat-api, our filter, the
engine and the mock: each user sees and changes only its own.

The mock's request log says which credentials every Deltacloud request
carried; a client shared between users (or cached under the wrong key)
would show up there as a request about one user's instance carrying
another user's name.
"""

import concurrent.futures
import itertools
import time

import pytest
import requests

from .conftest import USERS

pytestmark = [pytest.mark.heat, pytest.mark.slow]

SERVER = {"heat_template_version": "2018-08-31",
          "resources": {"web": {"type": "OS::Nova::Server",
                                "properties": {"image": "img1",
                                               "flavor": "m1-small"}}}}
STACKS_PER_USER = 2
#: Client threads: requests in flight at once (heat-api queues the rest).
CLIENT_THREADS = 20


def headers(user, services):
    return {"X-Auth-User": user, "X-Auth-Key": USERS[user],
            "X-Auth-Url": services.mock.url}


def plan(users):
    """200 requests: per user 2 creates, 12 lists of its own stacks, 4
    lists of a neighbour's tenant and 2 look-ups of a neighbour's stack
    name in its own tenant; interleaved across users."""
    per_user = []
    for index, user in enumerate(users):
        neighbour = users[(index + 1) % len(users)]
        per_user.append(
            [("create", user, f"{user}-s{k}") for k in
             range(STACKS_PER_USER)] +
            [("list", user, None)] * 12 +
            [("other-tenant", user, neighbour)] * 4 +
            [("other-name", user, f"{neighbour}-s0")] * 2)
    return [r for group in itertools.zip_longest(*per_user) for r in group
            if r is not None]


def send(services, kind, user, arg):
    api = f"{services.apis.heat_api}/v1"
    auth = headers(user, services)
    if kind == "create":
        resp = requests.post(f"{api}/{user}/stacks", headers=auth,
                             json={"stack_name": arg, "template": SERVER},
                             timeout=60)
    elif kind == "list":
        resp = requests.get(f"{api}/{user}/stacks", headers=auth,
                            timeout=60)
    elif kind == "other-tenant":
        resp = requests.get(f"{api}/{arg}/stacks", headers=auth,
                            timeout=60)
    else:
        resp = requests.get(f"{api}/{user}/stacks/{arg}", headers=auth,
                            timeout=60, allow_redirects=False)
    return kind, user, arg, resp.status_code, resp.json()


def stacks_of(services, user):
    resp = requests.get(f"{services.apis.heat_api}/v1/{user}/stacks",
                        headers=headers(user, services), timeout=60)
    assert resp.status_code == 200, resp.text
    return resp.json()["stacks"]


def wait_all(services, users, done, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stacks = {u: stacks_of(services, u) for u in users}
        if all(done(s) for listed in stacks.values() for s in listed):
            return stacks
        time.sleep(0.5)
    raise TimeoutError(f"stacks still in progress: {stacks}")


@pytest.fixture
def client_count():
    """Clients the engine builds during the test, every one kept for the
    whole test (a long TTL), none left over from an earlier test."""
    from oslo_config import cfg

    from heat_deltacloud.heat import connection
    cfg.CONF.set_override("discovery_cache_ttl", 3600, group="deltacloud")
    connection.DISCOVERY.clear()
    made = connection.DISCOVERY.made
    yield lambda: connection.DISCOVERY.made - made
    cfg.CONF.clear_override("discovery_cache_ttl", group="deltacloud")
    connection.DISCOVERY.clear()


def test_200_concurrent_requests_from_10_users_stay_apart(services,
                                                          client_count):
    users = sorted(USERS)
    requests_planned = plan(users)
    assert len(requests_planned) == 200
    with concurrent.futures.ThreadPoolExecutor(CLIENT_THREADS) as pool:
        answers = list(pool.map(lambda r: send(services, *r),
                                requests_planned))

    for kind, user, arg, status, body in answers:
        if kind == "create":
            assert status == 201, body
        elif kind == "list":
            assert status == 200, body
            assert all(s["stack_name"].startswith(f"{user}-")
                       for s in body["stacks"]), (user, body)
        elif kind == "other-tenant":
            assert status == 403, body
        else:
            assert status == 404, body

    stacks = wait_all(services, users,
                      lambda s: not s["stack_status"].endswith("PROGRESS"))
    for user in users:
        assert sorted((s["stack_name"], s["stack_status"])
                      for s in stacks[user]) == [
            (f"{user}-s{k}", "CREATE_COMPLETE")
            for k in range(STACKS_PER_USER)]

    mock = services.mock
    owners = {i["id"]: i["owner"] for i in mock.all_instances()
              if i["owner"] in USERS}
    for user in users:
        names = sorted(i["name"] for i in mock.all_instances()
                       if i["owner"] == user)
        assert len(names) == STACKS_PER_USER
        assert all(n.startswith(f"{user}-s") for n in names), names
    log = mock.request_log()
    assert {r["user"] for r in log} == set(users)
    for record in log:
        instance_id = record["path"].rpartition("/")[2]
        if record["path"].startswith("/api/instances/") and \
                instance_id in owners:
            assert record["user"] == owners[instance_id], record
            assert record["status"] < 400, record
    creates = [r["user"] for r in log if r["method"] == "POST" and
               r["route"] == "/api/instances"]
    assert sorted(creates) == sorted(users * STACKS_PER_USER)

    with concurrent.futures.ThreadPoolExecutor(CLIENT_THREADS) as pool:
        deleted = list(pool.map(
            lambda s: requests.delete(
                f"{services.apis.heat_api}/v1/{s['user']}/stacks/"
                f"{s['stack_name']}/{s['id']}",
                headers=headers(s["user"], services), timeout=60),
            [{**s, "user": u} for u, listed in stacks.items()
             for s in listed]))
    assert {d.status_code for d in deleted} == {204}
    _wait_gone(services, users)
    assert [i for i in mock.all_instances() if i["owner"] in USERS] == []
    # One pooled Deltacloud client per user served every context of it
    # (the request log above shows none carried another user's name).
    assert client_count() == len(users)


def _wait_gone(services, users, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(stacks_of(services, u) == [] for u in users):
            return
        time.sleep(0.5)
    raise TimeoutError("stacks still being deleted")
