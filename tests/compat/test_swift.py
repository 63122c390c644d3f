"""Containers and objects through the swift shape, against the mock (its
``mock`` and ``ec2`` drivers)."""

import hashlib
import logging

import pytest

from heat_deltacloud.compat import swift
from heat_deltacloud.compat.swift import _fallback_exceptions, exceptions
from heat_deltacloud.deltacloud import Client
from heat_deltacloud.mock.server import MockServer

ACCOUNT = ("mockuser:mockuser", "mockuser")


@pytest.fixture
def conn(dc):
    return swift.Connection(dc, account=ACCOUNT)


def test_container_and_object_lifecycle(conn, deltacloud_mock):
    conn.put_container("site-assets", {"X-Container-Read":
                                       "mockuser:mockuser"})
    assert conn.get_container("site-assets") == (
        {"x-container-object-count": "0"}, [])
    etag = conn.put_object("site-assets", "index.html", "<h1>hi</h1>",
                           content_type="text/html",
                           headers={"X-Object-Meta-Owner": "web"})
    assert etag == hashlib.md5(b"<h1>hi</h1>",
                               usedforsecurity=False).hexdigest()
    assert conn.head_container("site-assets") == {
        "x-container-object-count": "1", "x-container-bytes-used": "11"}
    headers, body = conn.get_object("site-assets", "index.html")
    assert body == b"<h1>hi</h1>"
    assert (headers["content-type"], headers["x-object-meta-owner"]) == (
        "text/html", "web")
    with pytest.raises(exceptions.ClientException) as err:
        conn.delete_container("site-assets")
    assert err.value.http_status == 409  # not empty, as Swift says
    conn.delete_object("site-assets", "index.html")
    conn.delete_container("site-assets")
    with pytest.raises(exceptions.ClientException) as err:
        conn.get_container("site-assets")
    assert err.value.http_status == 404


def test_a_taken_name_is_a_conflict_not_adopted(conn):
    conn.put_container("mine")
    with pytest.raises(exceptions.ClientException) as err:
        conn.put_container("mine")
    assert err.value.http_status == 409
    conn.delete_container("mine")


def test_metadata_is_logged_and_not_kept(conn, caplog):
    caplog.set_level(logging.INFO)
    conn.put_container("tagged", {"X-Container-Meta-S3-Tag-tier": "web"})
    conn.post_account({"X-Account-Meta-Team": "a"})
    assert "not kept: ['X-Container-Meta-S3-Tag-tier']" in caplog.text
    assert "['X-Account-Meta-Team']" in caplog.text
    conn.delete_container("tagged")


@pytest.mark.parametrize("headers, words", [
    ({"X-Container-Read": ".r:*"},
     "private to their account: cannot honour X-Container-Read: .r:*"),
    ({"X-Container-Write": "other:bob"}, "X-Container-Write: other:bob"),
    ({"X-Container-Meta-Web-Index": "index.html"}, "no static website"),
    ({"X-Versions-Location": "old"}, "cannot honour X-Versions-Location"),
], ids=["public-read", "other-writer", "website", "versions"])
def test_what_buckets_cannot_do_is_refused_before_creating(
        conn, headers, words):
    with pytest.raises(exceptions.ClientException) as err:
        conn.put_container("refused", headers)
    assert err.value.http_status == 501
    assert words in str(err.value)
    assert "refused" not in {b.id for b in conn.buckets.list()}


def test_temporary_url_keys_are_refused(conn):
    with pytest.raises(exceptions.ClientException, match="temporary URLs"):
        conn.post_account({"X-Account-Meta-Temp-Url-Key": "k"})


def test_urls_name_the_buckets_collection(conn, deltacloud_mock):
    assert conn.get_auth() == (f"{deltacloud_mock.url}/buckets", None)
    assert conn.head_account()["x-account-container-count"] == str(
        len(conn.buckets.list()))


def test_on_the_ec2_driver():
    """S3's error shapes: a missing bucket is still a 404."""
    with MockServer(driver="ec2") as server, \
            Client(server.url, "mockuser", "mockpassword",
                   backoff_factor=0) as client:
        conn = swift.Connection(client, account=ACCOUNT)
        assert client.api.driver == "ec2"
        conn.put_container("ec2-bucket")
        conn.put_object("ec2-bucket", "a", b"x")
        assert conn.get_container("ec2-bucket")[1] == [{"name": "a"}]
        conn.delete_object("ec2-bucket", "a")
        conn.delete_container("ec2-bucket")
        with pytest.raises(exceptions.ClientException) as err:
            conn.delete_container("ec2-bucket")
        assert err.value.http_status == 404


def test_the_stand_in_reads_like_swiftclients():
    mine = _fallback_exceptions.ClientException(
        "gone", http_status=404, http_reason="Not Found")
    assert (str(mine), mine.http_status) == ("gone: 404 Not Found", 404)
    real = pytest.importorskip("swiftclient.exceptions")
    assert str(mine) == str(real.ClientException(
        "gone", http_status=404, http_reason="Not Found"))
