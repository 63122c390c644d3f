"""What the Deltacloud API suite found missing: ``/api/drivers``, ETags,
the mock served beside a provider, images of instances, JSON dates, and
EC2's ~800 sizes fetched once per credential."""

import hashlib

import requests
from lxml import etree

from heat_deltacloud.server.cli import Server, make_app

KEY, SECRET = "AKIDSERVERTEST", "server-test-secret-9f8e7d"
XML = {"Accept": "application/xml"}


def _get(url, auth=(KEY, SECRET), **headers):
    return requests.get(url, auth=auth, timeout=30,
                        headers={**XML, **headers})


def test_drivers_lists_the_one_served_and_documents_carry_etags(server,
                                                                moto):
    answer = _get(f"{server.url}/drivers")
    assert answer.status_code == 200
    doc = etree.fromstring(answer.content)
    assert [(d.get("id"), d.findtext("name")) for d in doc] == \
        [("ec2", "EC2")]
    assert answer.headers["ETag"] == hashlib.md5(
        answer.content, usedforsecurity=False).hexdigest()
    assert _get(f"{server.url}/drivers/mock").status_code == 404
    assert _get(f"{server.url}/drivers/ec2").status_code == 200


def test_mock_beside_the_provider_serves_requests_that_select_it(
        moto_endpoint):
    app = make_app("libcloud:ec2,mock", region="us-east-1",
                   endpoint=moto_endpoint, timeout=20)
    with Server(app) as server:
        default = _get(server.url)
        assert default.headers["X-Deltacloud-Driver"] == "ec2"
        by_header = _get(f"{server.url}/realms",
                         auth=("mockuser", "mockpassword"),
                         **{"X-Deltacloud-Driver": "mock"})
        assert by_header.status_code == 200
        assert by_header.headers["X-Deltacloud-Driver"] == "mock"
        by_matrix = _get(server.url.replace("/api", "/api;driver=mock"),
                         auth=None)
        assert etree.fromstring(by_matrix.content).get("driver") == "mock"
        listed = etree.fromstring(_get(f"{server.url}/drivers").content)
        assert [d.get("id") for d in listed] == ["ec2", "mock"]
        # The provider's credentials never reach the mock, and back.
        refused = _get(f"{server.url}/realms",
                       **{"X-Deltacloud-Driver": "mock"})
        assert refused.status_code == 401


def test_an_ebs_instance_is_running_at_once_and_can_be_imaged(
        client, server, moto, own_image):
    created = client.instances.create(own_image, hwp_id="t2.micro")
    # Shown as the provider describes it after the launch (moto: running).
    assert created.state == "RUNNING"
    assert "create_image" in created.action_names
    made = requests.post(f"{server.url}/images", timeout=30, headers=XML,
                         auth=(KEY, SECRET),
                         data={"instance_id": created.id, "name": "snap1",
                               "description": "from web1"})
    assert made.status_code == 201, made.text
    image_id = etree.fromstring(made.content).get("id")
    found = moto.describe_images(ImageIds=[image_id])["Images"][0]
    assert (found["Name"], found["Description"]) == ("snap1", "from web1")
    listed = requests.get(f"{server.url}/images?format=json", timeout=30,
                          auth=(KEY, SECRET)).json()["images"]
    assert all(isinstance(i["creation_time"], (str, type(None)))
               for i in listed)
    gone = requests.delete(f"{server.url}/images/{image_id}", timeout=30,
                           auth=(KEY, SECRET), headers=XML)
    assert gone.status_code == 204
    assert moto.describe_images(ImageIds=[])["Images"] == [] or \
        image_id not in {i["ImageId"] for i in
                         moto.describe_images(Owners=["self"])["Images"]}
    client.instances.stop(client.instances.get(created.id))
    stopped = client.instances.get(created.id)
    assert "create_image" not in stopped.action_names
    refused = requests.post(f"{server.url}/images", timeout=30, headers=XML,
                            auth=(KEY, SECRET),
                            data={"instance_id": created.id})
    assert refused.status_code == 400
    assert "cannot be imaged in its state (STOPPED" in refused.text


def test_sizes_are_fetched_once_per_credential_until_the_ttl():
    from heat_deltacloud.server import drivers
    from heat_deltacloud.server.drivers.libcloud import Backend
    now, fetched = [1000.0], []
    backend = Backend(drivers.provider("ec2"), region="us-east-1",
                      endpoint="http://127.0.0.1:9", cache_ttl=300,
                      clock=lambda: now[0])

    def fetch():
        fetched.append(1)
        return ["m1.small"]
    assert backend.remember("one", "sizes", fetch) == ["m1.small"]
    backend.remember("one", "sizes", fetch)
    backend.remember("two", "sizes", fetch)
    assert len(fetched) == 2
    now[0] += 301
    backend.remember("one", "sizes", fetch)
    assert len(fetched) == 3
