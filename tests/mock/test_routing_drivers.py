"""The real server's routing extras and driver selection: ``/api/``,
HEAD, OPTIONS, ``POST /api``, ``X-Deltacloud-Driver`` and the emulated
ec2 driver's presentation."""

import webob

from heat_deltacloud.mock.wsgi import make_app


def test_api_with_trailing_slash(call, helpers):
    response = call("GET", "/api/", auth=None)
    assert response.status_code == 200
    assert helpers.xml(response).tag == "api"
    assert call("GET", "/api/instances/").status_code == 404


def test_head_answers_get_routes_without_a_body(call):
    response = call("HEAD", "/api/instances")
    assert response.status_code == 200
    assert response.body == b""
    assert response.headers["X-Deltacloud-Driver"] == "mock"
    # HEAD runs the GET route: authentication and missing ids included.
    assert call("HEAD", "/api/instances", auth=None).status_code == 401
    assert call("HEAD", "/api/instances/nope").status_code == 404
    assert call("HEAD", "/api", auth=None).status_code == 200


def test_head_on_action_paths_is_a_bare_200(call):
    for path in ("/api/instances/inst0/stop", "/api/addresses/x/associate",
                 "/api/storage_volumes/vol1/attach"):
        response = call("HEAD", path, auth=None)
        assert (response.status_code, response.body) == (200, b"")
    assert call("HEAD", "/api/nothing").status_code == 404


def test_options(call):
    response = call("OPTIONS", "/api/instances", auth=None)
    assert (response.status_code, response.headers["Allow"]) == (
        200, "OPTIONS,GET,POST,DELETE")
    assert call("OPTIONS", "/api/realms").headers["Allow"] == "OPTIONS,GET"
    assert call("OPTIONS", "/api/storage_volumes/:id/attach").headers[
        "Allow"] == ("id:string:required,instance_id:string:required,"
                     "device:string:required")
    assert call("OPTIONS", "/api/keys/create").headers["Allow"] == \
        "name:string:required,public_key:string:optional"
    assert call("OPTIONS", "/api/buckets/b1").headers["Allow"] == \
        "OPTIONS,GET,POST,DELETE,PUT,HEAD"
    allow = call("OPTIONS", "/api").headers["Allow"].split(",")
    assert allow[0] == "Deltacloud::Rabbit::AddressesCollection"
    assert "Deltacloud::Rabbit::FirewallsCollection" not in allow
    assert call("OPTIONS", "/api/nothing").status_code == 404


def test_post_api_switches_driver_by_redirect(call):
    response = call("POST", "/api", auth=None, driver="ec2")
    assert (response.status_code, response.headers["Location"]) == (
        301, "http://localhost:3001/api;driver=ec2")
    response = call("POST", "/api", auth=None, provider="eu-west-1")
    assert response.headers["Location"] == \
        "http://localhost:3001/api;provider=eu-west-1"
    assert call("POST", "/api", auth=None).headers["Location"] == \
        "http://localhost:3001/api/"


def test_driver_selection(call, helpers):
    for how in ({"headers": {"X-Deltacloud-Driver": "EC2"}},
                {"path": "/api;driver=ec2"},
                {"path": "/api?api[driver]=ec2"}):
        response = call("GET", how.get("path", "/api"), auth=None,
                        headers=how.get("headers"))
        assert response.headers["X-Deltacloud-Driver"] == "ec2"
        assert helpers.xml(response).get("driver") == "ec2"
    # Selection does not stick.
    assert helpers.xml(call("GET", "/api")).get("driver") == "mock"


def test_ec2_entry_point(call, helpers):
    root = helpers.xml(call("GET", "/api", auth=None,
                            headers={"X-Deltacloud-Driver": "ec2"}))
    links = {link.get("rel"): [f.get("name") for f in link]
             for link in root}
    assert links["instances"] == ["metrics", "user_data", "firewalls",
                                  "authentication_key", "instance_count",
                                  "attach_snapshot"]
    assert links["images"] == ["owner_id", "image_name",
                               "image_description"]
    assert links["buckets"] == ["bucket_location"]
    assert "firewalls" in links and "user_name" not in links["instances"]


def test_ec2_tables(call, helpers):
    ec2 = {"X-Deltacloud-Driver": "ec2"}
    profiles = helpers.xml(call("GET", "/api/hardware_profiles",
                                headers=ec2))
    assert [p.get("id") for p in profiles][:3] == [
        "t1.micro", "m1.small", "m1.medium"]
    realms = helpers.xml(call("GET", "/api/realms", headers={
        **ec2, "X-Deltacloud-Provider": "eu-west-1"}))
    assert [r.get("id") for r in realms] == [
        "eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]
    states = helpers.xml(call("GET", "/api/instance_states", headers=ec2))
    assert [s.get("name") for s in states] == [
        "start", "pending", "running", "stopping", "stopped", "finish"]


def test_ec2_destroys_a_running_instance(call, helpers):
    ec2 = {"X-Deltacloud-Driver": "ec2"}
    created = call("POST", "/api/instances", headers=ec2, image_id="img1")
    assert created.status_code == 201
    inst = helpers.xml(created)
    assert inst.find("hardware_profile").get("id") == "m1.small"
    assert inst.find("realm").get("id") == "us-east-1a"
    assert [rel for rel, _, _ in helpers.links(inst)][:2] == [
        "reboot", "destroy"]
    ident = inst.get("id")
    assert call("POST", f"/api/instances/{ident}/stop",
                headers=ec2).status_code == 405
    assert call("DELETE", f"/api/instances/{ident}",
                headers=ec2).status_code == 204
    assert call("GET", f"/api/instances/{ident}").status_code == 404
    assert call("POST", "/api/instances", headers=ec2, image_id="img1",
                hwp_id="m1-small").status_code == 400


def test_blob_routes(call, helpers):
    app = make_app()
    def send(method, path, body=b"", **headers):
        request = webob.Request.blank(path, method=method, headers={
            "Host": "localhost:3001", "Accept": "application/xml",
            "Authorization": helpers.basic(*helpers.MOCK), **headers})
        if body:
            request.body = body
        return request.get_response(app)
    assert send("POST", "/api/buckets", body=b"name=b9", **{
        "Content-Type": "application/x-www-form-urlencoded"}).status_code \
        == 201
    put = send("PUT", "/api/buckets/b9/hello", body=b"hello world", **{
        "Content-Type": "text/plain", "X-Deltacloud-Blobmeta-Author": "me"})
    assert put.status_code == 200
    blob = helpers.xml(put)
    assert (blob.findtext("bucket"), blob.findtext("content_length"),
            blob.find("user_metadata/entry").get("key")) == (
                "b9", "11", "AUTHOR")
    head = send("HEAD", "/api/buckets/b9/hello")
    assert (head.status_code, head.headers["X-Deltacloud-Blobmeta-AUTHOR"]) \
        == (204, "me")
    updated = send("POST", "/api/buckets/b9/hello",
                   **{"X-Deltacloud-Blobmeta-Version": "2"})
    assert updated.status_code == 204
    assert "X-Deltacloud-Blobmeta-AUTHOR" not in send(
        "HEAD", "/api/buckets/b9/hello").headers
    content = send("GET", "/api/buckets/b9/hello/content", Accept="*/*")
    assert (content.status_code, content.body, content.content_type) == (
        200, b"hello world", "text/plain")
    assert send("DELETE", "/api/buckets/b9").status_code == 403
    assert send("DELETE", "/api/buckets/b9/hello").status_code == 204
    assert send("DELETE", "/api/buckets/b9/hello").status_code == 500
    assert send("DELETE", "/api/buckets/b9").status_code == 204
    assert send("PUT", "/api/buckets/b9/x", body=b"x").status_code == 404


def test_buckets_and_blobs(call, helpers):
    root = helpers.xml(call("GET", "/api/buckets"))
    assert [(b.get("id"), b.findtext("size"),
             [x.get("id") for x in b.findall("blob")]) for b in root] == [
        ("bucket1", "3", ["blob1", "blob2", "blob3"]),
        ("bucket2", "2", ["blob4", "blob5"])]
    blob = helpers.xml(call("GET", "/api/buckets/bucket1/blob2"))
    assert blob.find("content").get("href") == \
        f"{helpers.H}/buckets/bucket1/blob2/content"
    assert call("GET", "/api/buckets", auth=None).status_code == 401
    assert call("GET", "/api/buckets", auth=helpers.ALICE).body.count(
        b"<bucket ") == 0
    doc = helpers.json(call("GET", "/api/buckets/bucket2",
                            accept="application/json"))
    assert doc["bucket"]["blob_list"][0] == {
        "rel": "blob", "id": "blob4",
        "href": f"{helpers.H}/buckets/bucket2/blob4"}


def test_metrics(call, helpers):
    root = helpers.xml(call("GET", "/api/metrics"))
    assert [m.get("id") for m in root] == ["inst0", "inst1", "inst2",
                                           "inst3"]
    assert root[0].findtext("entity") == "Mock Instance With Profile Change"
    assert root[0].find("properties")[0].tag == "cpuUtilization"
    one = helpers.xml(call("GET", "/api/metrics/inst1"))
    samples = one.findall("properties/nicInputByte/sample")
    assert len(samples) == 6
    assert {p.get("name") for p in samples[0]} == {
        "minimum", "maximum", "average", "timestamp", "unit"}
    assert call("GET", "/api/metrics/nope").status_code == 404


def test_networks_subnets_and_interfaces(call, helpers):
    inst1 = helpers.xml(call("GET", "/api/instances/inst1"))
    nic = inst1.find("network_interfaces/network_interface")
    followed = call("GET", nic.get("href").replace(
        "http://localhost:3001", ""))
    assert followed.status_code == 200
    assert helpers.xml(followed).findtext("ip_address") == "192.168.1.2"
    net = helpers.xml(call("GET", "/api/networks/net1"))
    assert [s.get("id") for s in net.findall("subnets/subnet")] == [
        "subnet1", "subnet2"]
    assert call("POST", "/api/subnets", network_id="net1",
                address_block="192.168.9.0/24", name="s9").status_code == 201
    created = call("POST", "/api/network_interfaces", instance="inst0",
                   network="s9", name="nic9")
    assert created.status_code == 201
    assert helpers.xml(created).findtext("ip_address").startswith(
        "192.168.9.")
    inst0 = helpers.xml(call("GET", "/api/instances/inst0"))
    assert [n.get("id") for n in inst0.findall(
        "network_interfaces/network_interface")] == ["nic9"]
    assert call("DELETE", "/api/network_interfaces/nic9").status_code == 204
    assert call("DELETE", "/api/networks/net1").status_code == 204
    assert call("GET", "/api/subnets/s9").status_code == 404


def test_destroying_an_instance_removes_its_interfaces(call):
    assert call("POST", "/api/instances/inst1/stop").status_code == 202
    assert call("DELETE", "/api/instances/inst1").status_code == 204
    assert call("GET", "/api/network_interfaces/nic1").status_code == 404


def test_load_balancers_on_ec2_only(call, helpers):
    response = call("GET", "/api/load_balancers")
    assert (response.status_code, response.headers["Expect"]) == (
        412, "load_balancers")
    ec2 = {"X-Deltacloud-Driver": "ec2"}
    created = call("POST", "/api/load_balancers", headers=ec2, name="web",
                   realm_id="us-east-1a", listener_protocol="HTTP",
                   listener_balancer_port="80", listener_instance_port="8080")
    assert created.status_code == 201
    lb = helpers.xml(created)
    assert lb.findtext("public_addresses/address").endswith(
        ".us-east-1.elb.amazonaws.com")
    assert lb.find("listeners/listener").get("protocol") == "HTTP"
    registered = helpers.xml(call("POST", "/api/load_balancers/web/register",
                                  headers=ec2, instance_id="inst0"))
    assert [i.get("id") for i in registered.findall("instances/instance")] \
        == ["inst0"]
    call("POST", "/api/load_balancers/web/unregister", headers=ec2,
         instance_id="inst0")
    assert helpers.xml(call("GET", "/api/load_balancers/web",
                            headers=ec2)).find("instances/instance") is None
    assert call("POST", "/api/load_balancers", headers=ec2, name="x",
                realm_id="us-east-1a", listener_protocol="UDP",
                listener_balancer_port="1",
                listener_instance_port="1").status_code == 400
    assert call("DELETE", "/api/load_balancers/web",
                headers=ec2).status_code == 204
    missing = call("GET", "/api/load_balancers/web", headers=ec2)
    assert helpers.error(missing)[2].startswith("LoadBalancerNotFound")


def test_ec2_firewall_rule_ids(app, call, helpers):
    ec2 = {"X-Deltacloud-Driver": "ec2"}
    default = helpers.xml(call("GET", "/api/firewalls/default",
                               headers=ec2))
    rules = default.findall("rules/rule")
    assert [r.get("id") for r in rules][0] == \
        "mockuser~tcp~0~65535~@group,mockuser,default"
    call("POST", "/api/firewalls/default/rules", headers=ec2,
         protocol="tcp", port_from="22", port_to="22",
         ip_address1="10.0.0.0/8")
    rule = "mockuser~tcp~22~22~@address,ipv4,10.0.0.0,8"
    assert rule in [r.get("id") for r in helpers.xml(call(
        "GET", "/api/firewalls/default", headers=ec2)).findall(
            "rules/rule")]
    assert call("DELETE", f"/api/firewalls/default/rules/{rule}",
                headers=ec2).status_code == 204
    assert len(helpers.xml(call("GET", "/api/firewalls/default",
                                headers=ec2)).findall("rules/rule")) == 3


def test_ec2_error_shapes(call, helpers):
    ec2 = {"X-Deltacloud-Driver": "ec2"}
    for path, message in (
            ("/api/storage_volumes/vol9",
             "InvalidVolume.NotFound: The volume 'vol9' does not exist."),
            ("/api/storage_snapshots/snap9", "InvalidSnapshot.NotFound: "
             "The snapshot 'snap9' does not exist."),
            ("/api/images/img9", "InvalidAMIID.NotFound: The image id "
             "'[img9]' does not exist"),
            ("/api/firewalls/fw9", "InvalidGroup.NotFound: The security "
             "group 'fw9' does not exist")):
        assert helpers.error(call("DELETE", path, headers=ec2)) == (
            404, 404, message)
        # The mock driver deletes quietly or says Not Found.
        assert call("DELETE", path).status_code in (204, 404, 412)
    attach = call("POST", "/api/storage_volumes/vol1/attach", headers=ec2,
                  instance_id="inst9", device="/dev/sdb")
    assert helpers.error(attach)[2] == (
        "InvalidInstanceID.NotFound: The instance ID 'inst9' does not exist")
    created = call("POST", "/api/instances", headers=ec2, image_id="img9")
    assert helpers.error(created)[2].startswith("InvalidAMIID.NotFound")
    # Reads keep the bare Not Found (the driver returns nil).
    assert helpers.error(call("GET", "/api/storage_volumes/vol9",
                              headers=ec2))[2] == "Not Found"
    # The ec2 image is not the mock driver's to delete.
    assert call("DELETE", "/api/images/ami-2b5fba42").status_code == 204
    assert call("GET", "/api/images/ami-2b5fba42",
                headers=ec2).status_code == 200


def test_ec2_instance_count(call, helpers):
    ec2 = {"X-Deltacloud-Driver": "ec2"}
    created = call("POST", "/api/instances", headers=ec2,
                   image_id="ami-2b5fba42", instance_count="3")
    assert created.status_code == 201
    assert "Location" not in created.headers
    root = helpers.xml(created)
    assert root.tag == "instances" and len(root) == 3
    # The mock driver does not have the feature: one instance.
    assert helpers.xml(call("POST", "/api/instances", image_id="img1",
                            instance_count="3")).tag == "instance"
    assert call("POST", "/api/instances", headers=ec2, image_id="img1",
                instance_count="x").status_code == 400


def test_ec2_shows_instances_as_convert_instance(call, helpers):
    ec2 = {"X-Deltacloud-Driver": "ec2"}
    inst0 = helpers.xml(call("GET", "/api/instances/inst0", headers=ec2))
    assert inst0.findtext("name") == "img1"
    assert [f.get("id") for f in inst0.findall("firewalls/firewall")] == [
        "default"]
    assert "create_image" not in [r for r, _, _ in helpers.links(inst0)]
    ebs = helpers.xml(call("POST", "/api/instances", headers=ec2,
                           image_id="ami-2b5fba42", name="ignored"))
    assert ebs.findtext("name") == "ami-2b5fba42"
    assert [r for r, _, _ in helpers.links(ebs)] == [
        "reboot", "stop", "run", "create_image"]
    # The mock driver shows the same instance its own way.
    same = helpers.xml(call("GET", f"/api/instances/{ebs.get('id')}"))
    assert same.findtext("name") == "ignored"
