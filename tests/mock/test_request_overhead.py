"""The shortcuts of the request path answer as the long ways did: the
feature check, the models' copies and the merged parameters."""

import copy
import email.utils
import hashlib

import pytest
import webob

from heat_deltacloud.mock import control, drivers, models
from heat_deltacloud.server import exchange


@pytest.mark.parametrize("switches", [
    [], [("instances", "user_name", False)], [("instances", None, False)],
    [("firewalls", None, True)], [("instances", "firewalls", True)],
    [("firewalls", None, True), ("instances", "firewalls", True),
     ("instances", "authentication_key", False)]])
def test_feature_enabled_agrees_with_the_entry_point(switches):
    controls = control.Controls()
    for collection, feature, enabled in switches:
        controls.set_capability(collection, feature, enabled)
    answers = []
    for driver in drivers.DRIVERS.values():
        shown = {(name, f) for name, features in controls.entry_point(driver)
                 for f, _, _ in features}
        for collection, features in driver.catalog.items():
            for feature, *_ in features:
                answer = controls.feature_enabled(collection, feature,
                                                  driver)
                assert answer == ((collection, feature) in shown), (
                    driver.name, collection, feature)
                answers.append(answer)
        assert not controls.feature_enabled("nonsense", "x", driver)
    assert True in answers and False in answers


def test_copies_equal_deep_copies_and_share_nothing():
    cloud = models.Cloud()
    cloud.create_firewall("mockuser", "web", "d")
    cloud.add_firewall_rule("mockuser", "web", "tcp", "80", "80",
                            [{"type": "address", "address": "10.0.0.0"}])
    tables = {attr: getattr(cloud, attr) for attr in models.TABLES}
    tables["blobs"] = cloud.blobs
    tables["odd"] = {"tuple": ([1], {"a": [2]}), "set": {1, 2}}
    copied = models.copied(tables)
    assert copied == copy.deepcopy(tables)
    copied["instances"]["inst0"]["public_addresses"][0]["address"] = "x"
    copied["firewalls"][("mockuser", "web")]["rules"][0]["sources"].clear()
    copied["odd"]["tuple"][0].append(3)
    copied["odd"]["set"].add(3)
    assert cloud.instances["inst0"]["public_addresses"][0]["address"] != "x"
    assert cloud.firewalls[("mockuser", "web")]["rules"][0]["sources"]
    assert tables["odd"] == {"tuple": ([1], {"a": [2]}), "set": {1, 2}}


def test_parameters_are_merged_once_and_handed_out_as_copies(app):
    request = webob.Request.blank("/api/instances?name=q&keyname=k",
                                  POST={"name": "form", "image_id": "img1"})
    route, args = exchange.find_route("POST", "/api/instances")
    ex = exchange.Exchange(app, request, route, dict(args, id="route"),
                           "xml", None)
    expected = {"name": "form", "keyname": "k", "image_id": "img1",
                "id": "route"}
    assert ex.params == expected
    ex.params["name"] = "changed"
    ex.params.clear()
    assert ex.params == expected
    assert (ex.param("name"), ex.param("missing")) == ("form", None)


def test_decorate_replaces_headers_of_its_names_in_order():
    response = webob.Response(status=200, body=b"<x/>", content_type=None,
                              headerlist=[])
    response.headerlist.extend([("Content-Type", "application/xml"),
                                ("server", "old"), ("X-Other", "kept")])
    exchange.decorate(response, "mock", "p1")
    names = [name for name, _ in response.headerlist]
    assert names == ["Content-Length", "Content-Type", "X-Other", "Server",
                     "X-Deltacloud-Driver", "X-Deltacloud-Provider", "Date",
                     "ETag", "Cache-Control"]
    assert response.headers["Server"] == exchange.SERVER
    assert response.headers["ETag"] == hashlib.md5(
        b"<x/>", usedforsecurity=False).hexdigest()
    tagged = webob.Response(status=201, body=b"y", content_type=None,
                            headerlist=[("etag", "mine")])
    exchange.decorate(tagged, "ec2", None)
    assert tagged.headers["ETag"] == "mine"
    assert "Cache-Control" not in tagged.headers
    assert "X-Deltacloud-Provider" not in tagged.headers
    failed = exchange.decorate(webob.Response(status=404, body=b"z"),
                               "mock", None)
    assert "ETag" not in failed.headers


def test_the_date_header_is_the_current_second():
    before = email.utils.formatdate(usegmt=True)
    shown = exchange.http_date()
    after = email.utils.formatdate(usegmt=True)
    assert shown in (before, after)
    assert email.utils.parsedate_to_datetime(shown).tzinfo is not None
