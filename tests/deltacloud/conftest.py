"""Fixtures for the client's unit tests: canned documents and `responses`."""

import pathlib

import pytest
import responses

from heat_deltacloud.deltacloud import Client

DATA = pathlib.Path(__file__).parent / "data"
URL = "http://localhost:3001/api"
PASSWORD = "Sup3r-Secret-PW"
CONTENT_TYPES = {"xml": "application/xml", "json": "application/json"}


def read_document(name):
    return (DATA / name).read_bytes()


@pytest.fixture
def document():
    """``document(name)``: the bytes of a canned document in data/."""
    return read_document


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture(params=["xml", "json"])
def fmt(request):
    return request.param


@pytest.fixture
def reply(rsps):
    """Register a canned document: ``reply(method, path, name, fmt)``."""
    def add(method, path, name=None, fmt="xml", status=200, **kwargs):
        body = read_document(f"{name}.{fmt}") if name else b""
        rsps.add(method, URL + path, body=body, status=status,
                 content_type=CONTENT_TYPES[fmt], **kwargs)
    return add


@pytest.fixture
def make_client(reply):
    """A client whose ``/api`` is answered from the canned documents."""
    def make(fmt="xml", api=True, **kwargs):
        if api:
            reply("GET", "", "api", fmt)
        kwargs.setdefault("backoff_factor", 0)
        return Client(URL, "mockuser", PASSWORD, format=fmt, **kwargs)
    return make
