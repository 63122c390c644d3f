"""Every collection reads the same objects from XML and from JSON."""

import pytest

from heat_deltacloud.deltacloud import models


def test_api_entry_point(make_client, fmt):
    client = make_client(fmt)
    api = client.api
    assert (api.driver, api.version, api.provider) == ("mock", "1.1.3", None)
    assert {c.name for c in api.collections} >= {
        "instances", "realms", "hardware_profiles", "images", "keys",
        "addresses", "storage_volumes"}
    instances = api.collection("instances")
    assert instances.href == "http://localhost:3001/api/instances"
    feature = instances.feature("realm_filter")
    assert (feature.operation, feature.params) == ("index", ("realm_id",))
    assert client.supports("instances", "user_name")
    assert not client.supports("instances", "user_data")
    assert not client.supports("firewalls")
    # Cached: a second look makes no request (responses would complain).
    assert client.api is api


def test_api_is_equal_in_both_formats(make_client):
    assert make_client("xml").api == make_client("json").api


def test_realms(make_client, reply, fmt):
    client = make_client(fmt)
    reply("GET", "/realms", "realms", fmt)
    realms = client.realms.list()
    assert realms == [
        models.Realm(id="us", name="United States", state="AVAILABLE"),
        models.Realm(id="eu", name="Europe", state="AVAILABLE")]


def test_hardware_profiles_are_read_as_xml_even_for_json(make_client, reply,
                                                         fmt):
    client = make_client(fmt)
    reply("GET", "/hardware_profiles", "hardware_profiles", "xml")
    small, large, opaque = client.hardware_profiles.list()
    assert small.property("memory").value == "1740.8"
    cpu = large.property("cpu")
    assert (cpu.kind, cpu.first, cpu.last, cpu.value, cpu.param) == (
        "range", "1", "6", "1", "hwp_cpu")
    storage = large.property("storage")
    assert (storage.kind, storage.values) == ("enum", ("850", "1024"))
    assert opaque.properties == ()


def test_hardware_profile_json_gives_defaults_as_fixed_values(document):
    # JSON is lossy: each property collapses to its default (reference
    # 7.2); the reader still builds a usable profile from it.
    import json

    from heat_deltacloud.deltacloud import jsondoc
    docs = json.loads(document("hardware_profiles.json"))
    large = jsondoc.hardware_profile(docs["hardware_profiles"][1])
    memory = large.property("memory")
    assert (memory.kind, memory.value, memory.first) == ("fixed", "10240",
                                                         None)
    assert jsondoc.hardware_profile(
        docs["hardware_profiles"][2]).properties == ()


def test_images(make_client, reply, fmt):
    client = make_client(fmt)
    reply("GET", "/images", "images", fmt)
    [image] = client.images.list()
    assert image == models.Image(
        id="img1", name="img1", description="Fedora 10",
        owner="fedoraproject", architecture="x86_64", state="AVAILABLE",
        creation_time="Thu Oct 25 14:27:53 CEST 2012", root_type="transient",
        hardware_profiles=("m1-small", "m1-large"),
        actions=(models.Link("create_instance",
                             "http://localhost:3001/api/instances;"
                             "image_id=img1", "post"),
                 models.Link("destroy_image",
                             "http://localhost:3001/api/images/img1",
                             "delete")))


def test_instance(make_client, reply, fmt):
    client = make_client(fmt)
    reply("GET", "/instances/inst4", "instance", fmt)
    inst = client.instances.get("inst4")
    assert (inst.id, inst.name, inst.state, inst.owner) == (
        "inst4", "web1", "RUNNING", "mockuser")
    assert (inst.image_id, inst.realm_id, inst.hardware_profile_id) == (
        "img1", "eu", "m1-large")
    assert dict(inst.hardware_overrides) == {"memory": "8192"}
    assert inst.action_names == ("reboot", "stop", "run", "create_image")
    assert inst.public_addresses == (
        models.InstanceAddress("img1.inst4.public.com", "hostname"),)
    assert inst.private_addresses == (
        models.InstanceAddress("img1.inst4.private.com", "hostname"),)
    assert inst.authentication == models.Authentication("key", "test-key")
    assert inst.create_image is True
    assert inst.storage_volumes == ()


def test_instance_is_equal_in_both_formats(make_client, reply):
    xml, json = make_client("xml"), make_client("json")
    reply("GET", "/instances/inst4", "instance", "xml")
    reply("GET", "/instances/inst4", "instance", "json")
    assert xml.instances.get("inst4") == json.instances.get("inst4")


@pytest.mark.parametrize("manager, name", [
    ("realms", "realms"), ("images", "images"), ("keys", "keys"),
    ("addresses", "addresses"), ("storage_volumes", "storage_volumes"),
])
def test_lists_are_equal_in_both_formats(make_client, reply, manager, name):
    xml, json = make_client("xml"), make_client("json")
    reply("GET", f"/{name}", name, "xml")
    reply("GET", f"/{name}", name, "json")
    assert getattr(xml, manager).list() == getattr(json, manager).list()


def test_keys(make_client, reply, fmt):
    client = make_client(fmt)
    reply("GET", "/keys", "keys", fmt)
    [key] = client.keys.list()
    assert (key.id, key.name, key.credential_type, key.state) == (
        "test-key", "test-key", "key", None)
    assert key.fingerprint.startswith("5e:ce:b6")
    assert key.pem.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert "BEGIN RSA" not in repr(key)


def test_addresses(make_client, reply, fmt):
    client = make_client(fmt)
    reply("GET", "/addresses", "addresses", fmt)
    free, used = client.addresses.list()
    assert (free.ip, free.associated, used.instance_id) == (
        "192.168.0.1", False, "inst1")
    assert "associate" in free.action_names
    assert "disassociate" in used.action_names


def test_storage_volumes(make_client, reply, fmt):
    client = make_client(fmt)
    reply("GET", "/storage_volumes", "storage_volumes", fmt)
    [vol] = client.storage_volumes.list()
    assert (vol.id, vol.state, vol.capacity, vol.realm_id,
            vol.instance_id, vol.device) == (
        "vol3", "IN-USE", "1", "us", "inst1", "/dev/sda1")


def test_firewalls(make_client, reply, fmt):
    client = make_client(fmt, api=False)
    client.discovery.api = models.Api("ec2", "1.1.3", collections=(
        models.Collection("firewalls", "http://localhost:3001/api/firewalls"),
    ))
    reply("GET", "/firewalls", "firewalls", fmt)
    [fw] = client.firewalls.list()
    assert (fw.id, fw.name, fw.description, fw.owner) == (
        "web", "web", "Web servers", "mockuser")
    [rule] = fw.rules
    assert (rule.protocol, rule.port_from, rule.port_to) == ("tcp", "80",
                                                             "80")
    assert rule.sources == (
        models.FirewallSource("address", address="10.0.0.0", prefix="8",
                              family="ipv4"),
        models.FirewallSource("group", name="db", owner="mockuser"))


def test_instances_are_ordinary_frozen_objects(document, fmt):
    # The readers build instances without the dataclass __init__ (speed,
    # models.build); the result must behave exactly like one made by it.
    import copy
    import dataclasses
    import json

    from heat_deltacloud.deltacloud import jsondoc, xmldoc
    inst = (xmldoc.instance(xmldoc.parse(document("instance.xml")))
            if fmt == "xml" else
            jsondoc.instance(json.loads(document("instance.json"))["instance"]))
    names = {f.name for f in dataclasses.fields(models.Instance)}
    # Nested parts are read on first use; then the object holds them all
    # and lets go of its document.
    assert set(vars(inst)) < names
    assert copy.copy(inst) == inst
    again = dataclasses.replace(inst)
    assert (again, hash(again), repr(again)) == (inst, hash(inst), repr(inst))
    assert set(vars(inst)) == names and inst._deferred is None
    assert set(vars(copy.copy(again))) == names
    with pytest.raises(dataclasses.FrozenInstanceError):
        inst.state = "STOPPED"


INSTANCE_ODDITIES = b"""<instance id='i1'>
  <name>first</name><name>second</name>
  <state>  stopped </state>
  <actions><link rel='stop' href='http://h/api/instances/i1/stop'/></actions>
  <public_addresses><address port='22'>1.2.3.4</address></public_addresses>
  <actions><link rel='run' href='http://h/x' method='POST'/><other/></actions>
  <public_addresses><address> 5.6.7.8 </address></public_addresses>
  <hardware_profile id='m1'/><hardware_profile id='m2'/>
  <authentication type='password'>
    <login><username>root</username></login>
    <login><password>pw</password><username>other</username></login>
  </authentication>
  <unknown id='ignored'/>
</instance>"""


def test_instance_children_are_read_as_find_reads_them():
    # Single values come from the first such child, lists from every one.
    from heat_deltacloud.deltacloud import xmldoc
    inst = xmldoc.instance(xmldoc.parse(INSTANCE_ODDITIES))
    assert (inst.name, inst.state, inst.hardware_profile_id) == (
        "first", "STOPPED", "m1")
    assert inst.actions == (
        models.Link("stop", "http://h/api/instances/i1/stop", "get"),
        models.Link("run", "http://h/x", "post"))
    assert inst.public_addresses == (
        models.InstanceAddress("1.2.3.4", "ipv4", "22"),
        models.InstanceAddress("5.6.7.8"))
    assert inst.authentication == models.Authentication(
        "password", username="root", password="pw")
    assert (inst.image_id, inst.storage_volumes, inst.firewalls,
            inst.create_image) == (None, (), (), False)


@pytest.mark.parametrize("link, missing", [
    ("<link href='http://h/x'/>", "rel"), ("<link rel='' />", "href")])
def test_instance_link_without_rel_or_href_is_malformed(link, missing):
    from heat_deltacloud.deltacloud import exceptions, xmldoc
    body = f"<instance id='i1'><actions>{link}</actions></instance>"
    with pytest.raises(exceptions.MalformedResponse,
                       match=f"<link> lacks the '{missing}' attribute"):
        xmldoc.instance(xmldoc.parse(body.encode()))
