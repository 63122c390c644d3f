"""The mock over real HTTP on 127.0.0.1: the client, faults, load, CLI."""

import concurrent.futures
import json
import subprocess
import sys
import time

import pytest
import requests

from heat_deltacloud.deltacloud import Client, exceptions
from heat_deltacloud.mock.server import MockServer


@pytest.fixture(params=["xml", "json"])
def dc(request, deltacloud_mock):
    with Client(deltacloud_mock.url, "mockuser", "mockpassword",
                format=request.param, backoff_factor=0) as client:
        yield client


def test_client_reads_every_collection(dc):
    assert dc.api.driver == "mock"
    assert [r.id for r in dc.realms.list()] == ["us", "eu"]
    assert [p.id for p in dc.hardware_profiles.list()] == [
        "m1-small", "m1-large", "m1-xlarge", "opaque"]
    assert dc.hardware_profiles.get("m1-large").property("memory").last \
        == "15360"
    assert {i.id for i in dc.images.list()} == {"img1", "img2", "img3"}
    assert dc.images.get("img3").owner == "mockuser"
    assert {i.id for i in dc.instances.list()} == {"inst0", "inst1",
                                                   "inst2", "inst3"}
    assert dict(dc.instances.get("inst0").hardware_overrides) == {
        "memory": "12288"}
    assert [k.id for k in dc.keys.list()] == ["test-key"]
    assert len(dc.addresses.list()) == 4
    assert dc.storage_volumes.get("vol3").instance_id == "inst1"
    assert [i.id for i in dc.instances.list(realm_id="eu")] == ["inst3"]


def test_client_instance_lifecycle(dc):
    inst = dc.instances.create("img1", hwp_id="m1-large", realm_id="eu",
                               name="web", keyname="test-key", memory=8192)
    assert (inst.id, inst.state, inst.name, inst.realm_id) == (
        "inst4", "RUNNING", "web", "eu")
    assert dict(inst.hardware_overrides) == {"memory": "8192"}
    with pytest.raises(exceptions.MethodNotAllowed):
        dc.instances.destroy(inst)
    inst = dc.instances.reboot(inst)
    inst = dc.instances.stop(inst)
    assert inst.state == "STOPPED"
    inst = dc.instances.start(inst)
    inst = dc.instances.stop(inst)
    assert dc.instances.destroy(inst) is None
    with pytest.raises(exceptions.NotFound):
        dc.instances.get("inst4")
    with pytest.raises(exceptions.Forbidden):
        dc.instances.start(inst)  # stale links to a vanished instance


def test_client_errors_from_the_mock(dc):
    with pytest.raises(exceptions.BadRequest,
                       match="Hardware profile 'nope' does not exists"):
        dc.instances.create("img1", hwp_id="nope")
    with pytest.raises(exceptions.BackendError,
                       match="ProviderErrorMessage"):
        dc.realms.get("502")
    with pytest.raises(exceptions.NotSupported, match="firewalls"):
        dc.firewalls.list()
    with pytest.raises(exceptions.Forbidden, match="same name"):
        dc.keys.create("test-key")


def test_client_keys_addresses_volumes(dc):
    key = dc.keys.create("mine")
    assert key.pem and key.fingerprint
    dc.keys.destroy(key)
    address = dc.addresses.create()
    dc.addresses.associate(address, "inst1")
    assert dc.addresses.get(address.id).instance_id == "inst1"
    dc.addresses.disassociate(address)
    dc.addresses.destroy(address)
    volume = dc.storage_volumes.create(capacity=3)
    volume = dc.storage_volumes.attach(volume, "inst2", "/dev/sdc")
    assert (volume.state, volume.instance_id) == ("IN-USE", "inst2")
    volume = dc.storage_volumes.detach(volume)
    dc.storage_volumes.destroy(volume)


def test_credentials(deltacloud_mock):
    good = Client(deltacloud_mock.url, "mockuser", "mockpassword")
    bad = Client(deltacloud_mock.url, "mockuser", "nope")
    assert good.validate_credentials() is True
    assert bad.validate_credentials() is False
    with pytest.raises(exceptions.Unauthorized):
        bad.instances.list()


def test_control_plane_over_http(deltacloud_mock):
    base = deltacloud_mock.url[:-len("/api")]
    client = Client(deltacloud_mock.url, "mockuser", "mockpassword")
    client.instances.create("img1")
    counts = requests.get(f"{base}/_mock/requests", timeout=5).json()
    assert counts["counts"]["POST /api/instances"] == 1
    assert counts["requests"][-1]["user"] == "mockuser"
    assert "mockpassword" not in json.dumps(counts)
    admin = requests.get(f"{base}/_mock/instances", timeout=5).json()
    assert len(admin["instances"]) == 5
    forced = requests.post(f"{base}/_mock/instances/inst4/state",
                           json={"state": "ERROR"}, timeout=5)
    assert forced.json()["state"] == "ERROR"
    assert client.instances.get("inst4").state == "ERROR"
    switched = requests.post(f"{base}/_mock/capabilities", timeout=5,
                             json={"collection": "firewalls"})
    assert switched.status_code == 200
    bad = requests.post(f"{base}/_mock/capabilities", timeout=5,
                        json={"collection": "nope"})
    assert bad.status_code == 400
    assert requests.post(f"{base}/_mock/reset", timeout=5).ok
    assert len(requests.get(f"{base}/_mock/instances",
                            timeout=5).json()["instances"]) == 4
    assert requests.get(f"{base}/_mock/requests",
                        timeout=5).json()["counts"] == {}


def test_fault_status_latency_and_count(deltacloud_mock):
    client = Client(deltacloud_mock.url, "mockuser", "mockpassword",
                    retries=0, timeout=(2, 0.3))
    deltacloud_mock.add_fault("GET", "/api/images", status=503, count=1)
    with pytest.raises(exceptions.ServiceUnavailable):
        client.images.list()
    assert len(client.images.list()) == 3  # the fault was used up
    deltacloud_mock.add_fault("GET", "/api/realms", latency=1.0)
    with pytest.raises(exceptions.Timeout):
        client.realms.list()
    deltacloud_mock.clear_faults()
    assert len(client.realms.list()) == 2


def test_dropped_connection_and_retried_reads(deltacloud_mock):
    client = Client(deltacloud_mock.url, "mockuser", "mockpassword",
                    retries=2, backoff_factor=0)
    deltacloud_mock.add_fault("GET", "/api/keys", drop=True)
    with pytest.raises(exceptions.ConnectionFailed):
        client.keys.list()
    deltacloud_mock.clear_faults()
    deltacloud_mock.add_fault("GET", "/api/keys", status=502, count=2)
    assert [k.id for k in client.keys.list()] == ["test-key"]
    assert deltacloud_mock.request_counts()["GET /api/keys"] == 4


def test_seeded_probability_is_repeatable(deltacloud_mock):
    def outcomes():
        deltacloud_mock.clear_faults()
        deltacloud_mock.add_fault("GET", "/api/realms", status=503,
                                  probability=0.5, seed=7)
        client = Client(deltacloud_mock.url, "mockuser", "mockpassword",
                        retries=0)
        results = []
        for _ in range(20):
            try:
                client.realms.list()
                results.append(True)
            except exceptions.ServiceUnavailable:
                results.append(False)
        return results
    first = outcomes()
    assert first == outcomes()
    assert 0 < first.count(False) < 20


def test_two_users_isolated_under_concurrent_load():
    users = {"alice": "a-pw", "bob": "b-pw"}
    with MockServer(users=users) as mock:
        def work(user):
            client = Client(mock.url, user, users[user], backoff_factor=0)
            made = []
            for _ in range(10):
                made.append(client.instances.create("img1", name=user).id)
                listed = client.instances.list()
                assert {i.name for i in listed} == {user}
            for ident in made:
                client.instances.destroy(client.instances.stop(ident))
            return made

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(work, u) for u in ("alice", "bob") * 3]
            made = [i for f in futures for i in f.result(timeout=60)]
        assert len(made) == 60
        owners = {i["owner"] for i in mock.all_instances()}
        assert owners == {"mockuser"}
        log = mock.request_log()
        assert {entry["user"] for entry in log} >= {"alice", "bob"}
        assert mock.peak_concurrency() >= 2


def test_cli_serves_until_interrupted(tmp_path):
    users = tmp_path / "users"
    users.write_text("# extra users\ncarol:c-pw\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "heat_deltacloud.mock.cli", "--port", "0",
         "--users", str(users)], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.split()[-1]
        client = Client(url, "carol", "c-pw")
        assert client.validate_credentials()
        process.send_signal(2)  # SIGINT
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_cli_rejects_a_bad_users_file(tmp_path):
    users = tmp_path / "users"
    users.write_text("no-colon-here\n")
    result = subprocess.run(
        [sys.executable, "-m", "heat_deltacloud.mock.cli", "--users",
         str(users)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "expected user:password" in result.stderr


def test_server_stops_promptly():
    started = time.monotonic()
    with MockServer() as mock:
        requests.get(mock.url, timeout=5)
    assert time.monotonic() - started < 5
