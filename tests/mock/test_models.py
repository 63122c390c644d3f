"""The pure parts: the state model, negotiation and the route table."""

import base64
import concurrent.futures

import pytest

from heat_deltacloud.mock import control, drivers, models
from heat_deltacloud.server import api, protocol


@pytest.fixture
def cloud():
    return models.Cloud()


def test_results_are_copies(cloud):
    shown = cloud.instance("mockuser", "inst0")
    shown["state"] = "STOPPED"
    shown["public_addresses"].clear()
    again = cloud.instance("mockuser", "inst0")
    assert again["state"] == "RUNNING" and again["public_addresses"]


def test_errors_carry_status_and_message(cloud):
    with pytest.raises(models.MockError) as err:
        cloud.instance_action("mockuser", "inst0", "start")
    assert (err.value.status, err.value.message) == (405,
                                                     "Method Not Allowed")
    with pytest.raises(models.MockError) as err:
        cloud.instance_action("alice", "inst0", "stop")
    assert (err.value.status, err.value.message) == (403, "Forbidden")


def test_reset_restores_the_seed(cloud):
    cloud.create_instance("alice", "img1")
    cloud.instance_action("mockuser", "inst0", "stop")
    cloud.reset()
    assert [(i["id"], i["state"]) for i in cloud.all_instances()] == [
        (f"inst{n}", "RUNNING") for n in range(4)]


def test_concurrent_creates_get_distinct_ids(cloud):
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda n: cloud.create_instance(
            "alice" if n % 2 else "bob", "img1")["id"], range(40)))
    assert sorted(ids) == sorted(f"inst{n}" for n in range(4, 44))


def test_concurrent_volume_ids_do_not_collide(cloud):
    cloud.clock = lambda: 1700000000.0
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda _: cloud.create_volume("bob")["id"],
                            range(20)))
    assert len(set(ids)) == 20
    assert ids.count("volume_1700000000") == 1


@pytest.mark.parametrize("text, decoded", [
    ("aGVsbG8=", b"hello"),
    ("aGVs\nbG8=\n", b"hello"),
    ("aGVsbG8", b"hello"),
    ("a*GVsbG8", b"hello"),
    ("", b""),
    (base64.encodebytes(b"x" * 100).decode(), b"x" * 100),
])
def test_user_data_decodes_like_ruby(text, decoded):
    assert models.decode_user_data(text) == decoded


def test_fake_keys_look_like_the_real_mocks():
    pem = models.fake_pem()
    assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert len(models.fake_pem().splitlines()) == 23
    assert len(models.fake_fingerprint()) == 59


@pytest.mark.parametrize("query, accept, formats", [
    (None, None, ["xml"]),
    (None, "application/json", ["json"]),
    (None, "application/json, */*", ["html", "json"]),
    (None, "*/*;q=0.1, application/json", ["json", "html"]),
    (None, "text/xml;q=0.3, application/xml;q=0.9", ["xml"]),
    (None, "application/json;q=0", ["xml"]),
    ("json", "application/xml", ["json"]),
    ("", None, []),
    ("yaml", None, []),
])
def test_negotiate(query, accept, formats):
    assert protocol.negotiate(query, accept) == formats


@pytest.mark.parametrize("header, credentials", [
    (None, None), ("Bearer x", None), ("Basic", None),
    ("Basic !!!", None),
    ("Basic " + base64.b64encode(b"a:b:c").decode(), ("a", "b:c")),
    ("basic " + base64.b64encode("zoë:pw".encode()).decode(),
     ("zoë", "pw")),
    ("Basic " + base64.b64encode(b"nocolon").decode(), ("nocolon", "")),
])
def test_basic_credentials(header, credentials):
    assert protocol.basic_credentials(header) == credentials


def test_route_table_is_consistent():
    served = {c for d in drivers.DRIVERS.values() for c in d.catalog}
    seen = set()
    for route in api.ROUTES:
        assert (route.method, route.template) not in seen
        seen.add((route.method, route.template))
        assert callable(route.handler)
        assert route.collection is None or route.collection in served
    # Every collection some emulated driver serves has routes, and the
    # mock driver's catalog is control.CATALOG.
    assert {r.collection for r in api.ROUTES} - {None} == served
    assert control.CATALOG == drivers.DRIVERS["mock"].catalog
