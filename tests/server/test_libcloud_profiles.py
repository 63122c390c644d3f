"""What a libcloud:ec2 server offers per image and per instance, as
Deltacloud's ec2 driver did: an image lists the hardware profiles of its
architecture and a launch on another is refused; an instance-store
instance offers no stop or start; what a provider's libcloud driver lacks
answers 501.

moto's RegisterImage ignores ``Architecture`` and its instances are all
EBS-backed, so two tests set those attributes on moto's in-process
objects (the session's moto runs in this process).
"""

import pytest
import requests
from lxml import etree

from heat_deltacloud.server import drivers
from heat_deltacloud.server.cli import Server, make_app
from heat_deltacloud.server.drivers import ec2, libcloud
from heat_deltacloud.server.interface import DriverError

KEY, SECRET = "AKIDSERVERTEST", "server-test-secret-9f8e7d"
REGION = "us-east-1"
#: moto's account, which its backends are keyed by.
ACCOUNT = "123456789012"


def _backend():
    from moto.ec2.models import ec2_backends
    return ec2_backends[ACCOUNT][REGION]


@pytest.fixture
def images(moto):
    """``{architecture: image id}``, one EBS image of each."""
    found = {}
    for arch in ("x86_64", "arm64", "i386"):
        ident = moto.register_image(
            Name=arch, RootDeviceName="/dev/sda1",
            BlockDeviceMappings=[{"DeviceName": "/dev/sda1",
                                  "Ebs": {"VolumeSize": 8}}])["ImageId"]
        _backend().amis[ident].architecture = arch
        found[arch] = ident
    return found


def _get(server, path, fmt="xml", **params):
    return requests.get(f"{server.url}{path}", params=params,
                        auth=(KEY, SECRET), timeout=30,
                        headers={"Accept": f"application/{fmt}"})


def _post(server, path, **data):
    return requests.post(f"{server.url}{path}", data=data,
                         auth=(KEY, SECRET), timeout=30,
                         headers={"Accept": "application/xml"})


def _profile_ids(server, **params):
    doc = etree.fromstring(_get(server, "/hardware_profiles",
                                **params).content)
    return {p.get("id") for p in doc.iter("hardware_profile")}


def test_each_ec2_instance_type_runs_the_architectures_its_data_says():
    from libcloud.compute.base import NodeSize
    from libcloud.compute.constants.ec2_instance_types import \
        INSTANCE_TYPES
    runs = {name: ec2.architectures(NodeSize(driver=None, price=None,
                                             **attributes))
            for name, attributes in INSTANCE_TYPES.items()}
    assert None not in runs.values()
    assert runs["a1.large"] == runs["m6g.large"] == runs["t4g.micro"] == \
        ("arm64",)
    assert runs["t2.micro"] == runs["m1.small"] == ("i386", "x86_64")
    assert runs["m5.large"] == runs["c5.xlarge"] == ("x86_64",)


def test_an_image_lists_the_profiles_of_its_architecture(server, images):
    by_arch = {arch: _profile_ids(server, architecture=arch)
               for arch in images}
    assert {"m6g.large", "a1.large"} <= by_arch["arm64"]
    assert "t2.micro" not in by_arch["arm64"]
    assert {"t2.micro", "m5.large"} <= by_arch["x86_64"]
    assert "m6g.large" not in by_arch["x86_64"]
    assert by_arch["i386"] == {n for n in by_arch["x86_64"]
                               if n in by_arch["i386"]} and \
        "t2.micro" in by_arch["i386"] and "m5.large" not in by_arch["i386"]
    assert not by_arch["arm64"] & by_arch["x86_64"]
    every = _profile_ids(server)
    assert by_arch["arm64"] | by_arch["x86_64"] == every

    listing = etree.fromstring(_get(server, "/images").content)
    for shown in listing.iter("image"):
        arch = shown.findtext("architecture")
        assert {p.get("id") for p in shown.iter("hardware_profile")} == \
            by_arch[arch], arch
    one = _get(server, f"/images/{images['arm64']}", fmt="json").json()
    assert {p["id"] for p in one["image"]["hardware_profiles"]} == \
        by_arch["arm64"]


def test_a_profile_shows_the_architectures_its_type_runs(server, moto):
    micro = etree.fromstring(_get(server, "/hardware_profiles/t2.micro")
                             .content)
    prop = micro.find("property[@name='architecture']")
    assert (prop.get("kind"), prop.get("value")) == ("enum", "i386")
    assert [e.get("value") for e in prop.iter("entry")] == ["i386",
                                                            "x86_64"]
    graviton = etree.fromstring(
        _get(server, "/hardware_profiles/m6g.large").content)
    prop = graviton.find("property[@name='architecture']")
    assert (prop.get("kind"), prop.get("value")) == ("fixed", "arm64")


def test_a_launch_on_a_profile_of_another_architecture_is_refused(
        server, moto, images):
    refused = _post(server, "/instances", image_id=images["x86_64"],
                    hwp_id="m6g.large")
    assert refused.status_code == 400
    assert "hardware profile m6g.large runs arm64 images, not image " \
           f"{images['x86_64']} (x86_64)" in refused.text
    wrong_arch = _post(server, "/instances", image_id=images["x86_64"],
                       hwp_id="t2.micro", hwp_architecture="i386")
    assert wrong_arch.status_code == 400
    assert "hwp_architecture=i386 does not fit image" in wrong_arch.text
    more_memory = _post(server, "/instances", image_id=images["x86_64"],
                        hwp_id="t2.micro", hwp_memory="2048")
    assert more_memory.status_code == 400
    assert "hwp_memory=2048 does not fit hardware profile t2.micro " \
           "(its memory: 1024)" in more_memory.text
    assert moto.describe_instances()["Reservations"] == []

    launched = _post(server, "/instances", image_id=images["arm64"],
                     hwp_id="m6g.large", hwp_memory="8192",
                     hwp_architecture="arm64")
    assert launched.status_code == 201, launched.text
    node = moto.describe_instances()["Reservations"][0]["Instances"][0]
    assert node["InstanceType"] == "m6g.large"


def test_an_instance_store_instance_offers_no_stop_or_start(server, moto,
                                                            images):
    made = etree.fromstring(_post(server, "/instances",
                                  image_id=images["x86_64"],
                                  hwp_id="t2.micro").content)
    ident = made.get("id")
    ebs = etree.fromstring(_get(server, f"/instances/{ident}").content)
    assert "stop" in [a.get("rel") for a in ebs.iter("link")]

    _backend().get_instance(ident).root_device_type = "instance-store"
    shown = etree.fromstring(_get(server, f"/instances/{ident}").content)
    assert shown.findtext("state") == "RUNNING"
    rels = [a.get("rel") for a in shown.find("actions")]
    assert {"reboot", "destroy"} <= set(rels)
    assert "stop" not in rels and "start" not in rels
    assert _post(server, f"/instances/{ident}/stop").status_code == 405
    state = moto.describe_instances(InstanceIds=[ident])[
        "Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "running"


def test_a_listing_builds_each_profile_once(moto_endpoint, moto, images,
                                            monkeypatch):
    built = []
    real = libcloud.hardware_profile

    def counting(size, architectures=None):
        built.append(size.id)
        return real(size, architectures)
    monkeypatch.setattr(libcloud, "hardware_profile", counting)
    app = make_app("libcloud:ec2", region=REGION, endpoint=moto_endpoint,
                   timeout=20)
    with Server(app) as server:
        assert _get(server, "/images").status_code == 200
        sizes = len(built)
        assert sizes == len(set(built)) > 500
        for fmt in ("xml", "json"):
            assert _get(server, "/images", fmt=fmt).status_code == 200
            assert _get(server, "/hardware_profiles",
                        fmt=fmt).status_code == 200
        assert len(built) == sizes


class _Bare(libcloud.NodeDriver):
    """A provider's libcloud driver with sizes and images, nothing else."""

    name = "bare"

    def __init__(self, key, secret=None, **options):
        super().__init__(key, secret)

    def list_sizes(self, location=None):
        from libcloud.compute.base import NodeSize
        return [NodeSize("small", "small", 512, 10, None, None, self)]


def test_a_provider_without_architectures_or_image_deletes():
    backend = libcloud.Backend(libcloud.Provider(name="bare",
                                                 driver_class=_Bare))
    session = backend.session("key", "secret")
    try:
        assert [p["id"] for p in session.list_hardware_profiles(
            "arm64")] == ["small"]
        assert "architecture" not in {
            p["name"] for p in session.list_hardware_profiles()[0][
                "properties"]}
        with pytest.raises(DriverError) as refused:
            session.destroy_image("key", "img-1")
        assert refused.value.status == 501
        assert "does not support destroy_image" in refused.value.message
        with pytest.raises(DriverError) as unnamed:
            session.create_instance("key", "img-1")
        assert (unnamed.value.status, unnamed.value.message) == (
            400, "hwp_id is required: bare has no default hardware profile")
        with pytest.raises(DriverError) as lacking:
            session.do("list_nodes")
        assert lacking.value.status == 501
        assert "does not support list_nodes" in lacking.value.message
    finally:
        session.close()
    assert drivers.provider("ec2").architectures is ec2.architectures


class _Unplaced(_Bare):
    """A provider's driver that makes volumes and lists no locations
    (``locations``: what list_locations answers, None: not implemented)."""

    locations = []

    def __init__(self, key, secret=None, **options):
        super().__init__(key, secret)
        self.made = []

    def list_locations(self):
        return list(self.locations)

    def create_volume(self, size, name, location=None, snapshot=None):
        from libcloud.compute.base import StorageVolume
        self.made.append((size, name, location))
        return StorageVolume(f"vol-{len(self.made)}", name, size, self,
                             state=libcloud.StorageVolumeState.AVAILABLE)


class _Unlocated(_Unplaced):
    list_locations = libcloud.NodeDriver.list_locations


@pytest.mark.parametrize("driver_class", [_Unplaced, _Unlocated])
def test_a_provider_without_locations_places_a_new_volume(driver_class):
    """No realm to default to: no location is passed (was: a 500 from
    an empty list, or 501 where list_locations is not implemented)."""
    backend = libcloud.Backend(libcloud.Provider(name="bare",
                                                 driver_class=driver_class))
    session = backend.session("key", "secret")
    try:
        made = session.create_volume("key", capacity="2", name="data")
        assert (made["id"], made["capacity"], made["realm_id"]) == (
            "vol-1", "2", None)
        assert session.driver.made == [(2, "data", None)]
        with pytest.raises(DriverError) as unknown:
            session.create_volume("key", realm_id="zone-1")
        assert (unknown.value.status, unknown.value.message) == (
            400, "Realm 'zone-1' does not exist")
        assert len(session.driver.made) == 1
    finally:
        session.close()
