"""The control plane's view of the user data Heat sent, over real HTTP."""

import base64

import pytest
import requests

from heat_deltacloud.deltacloud.client import Client

HEAT_LIKE = ('Content-Type: multipart/mixed; boundary="b"\nMIME-Version: '
             '1.0\n\n--b\nContent-Type: text/x-shellscript\n\n#!/bin/sh\n'
             'echo "h\u00e9llo"\n--b--\n')


def control(mock):
    return mock.url[:-len("/api")] + "/_mock"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_admin_view_shows_decoded_user_data(deltacloud_mock, fmt):
    deltacloud_mock.set_capability("instances", "user_data")
    client = Client(deltacloud_mock.url, "mockuser", "mockpassword",
                    format=fmt, timeout=5, retries=0)
    created = client.instances.create("img1", user_data=HEAT_LIKE)
    shown = requests.get(f"{control(deltacloud_mock)}/instances/"
                         f"{created.id}", timeout=5).json()
    assert shown["user_data"] == HEAT_LIKE
    assert shown["has_user_data"] is True
    assert "user_data_error" not in shown
    assert deltacloud_mock.instance(created.id)["user_data"] == HEAT_LIKE
    [listed] = [i for i in deltacloud_mock.all_instances()
                if i["id"] == created.id]
    assert listed["user_data"] == HEAT_LIKE


def test_user_data_that_is_not_utf8_is_shown_as_base64(deltacloud_mock):
    raw = b"\xff\xfe\x00binary"
    created = requests.post(
        f"{deltacloud_mock.url}/instances",
        auth=("mockuser", "mockpassword"),
        headers={"Accept": "application/json"},
        data={"image_id": "img1",
              "user_data": base64.b64encode(raw).decode()}, timeout=5)
    assert created.status_code == 201
    ident = created.json()["instance"]["id"]
    shown = requests.get(f"{control(deltacloud_mock)}/instances/{ident}",
                         timeout=5).json()
    assert shown["user_data"] is None
    assert shown["user_data_error"] == "not UTF-8 text (9 bytes)"
    assert base64.b64decode(shown["user_data_base64"]) == raw


def test_instances_without_user_data_and_unknown_ids(deltacloud_mock):
    shown = requests.get(f"{control(deltacloud_mock)}/instances/inst0",
                         timeout=5).json()
    assert (shown["has_user_data"], shown["user_data"]) == (False, None)
    missing = requests.get(f"{control(deltacloud_mock)}/instances/nope",
                           timeout=5)
    assert (missing.status_code, missing.json()) == (
        404, {"error": "Not Found"})
