"""Property-based fuzzing: whatever a server or a user sends, the client's
readers and the translator raise only their documented errors.

Documents are built from the real vocabulary (element, attribute and key
names the readers look for) so that most examples get deep into the
readers rather than failing at the first byte; random bytes are mixed in.
"""

import json
from xml.sax.saxutils import escape, quoteattr

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.deltacloud.exceptions import DeltacloudError
from heat_deltacloud.deployable import (DeployableError, Mapping,
                                        MappingError, load, translate)

URL = "http://127.0.0.1:9/api"
TAGS = ["instances", "instance", "name", "owner_id", "image", "realm",
        "state", "hardware_profile", "property", "actions", "link",
        "public_addresses", "private_addresses", "address",
        "authentication", "login", "keyname", "username", "password",
        "storage_volumes", "storage_volume", "launch_time", "realms",
        "firewalls", "api", "feature", "param", "error", "message"]
ATTRS = ["id", "href", "rel", "method", "name", "value", "type", "kind",
         "driver", "version", "port"]
TEXT = st.text(max_size=12)


def elements(depth=3):
    attrs = st.dictionaries(st.sampled_from(ATTRS), TEXT, max_size=3)
    if depth == 0:
        children = st.just([])
    else:
        children = st.lists(st.deferred(lambda: elements(depth - 1)),
                            max_size=4)
    return st.builds(_element, st.sampled_from(TAGS), attrs,
                     st.one_of(st.none(), TEXT), children)


def _element(tag, attrs, text, children):
    attributes = "".join(f" {k}={quoteattr(_xml_safe(v))}"
                         for k, v in attrs.items())
    inner = escape(_xml_safe(text or "")) + "".join(children)
    return f"<{tag}{attributes}>{inner}</{tag}>"


def _xml_safe(text):
    return "".join(c for c in text if c in "\t\n\r" or
                   ("\x20" <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd"))


XML_BODIES = st.one_of(
    elements().map(str.encode),
    st.builds(lambda items: f"<instances>{''.join(items)}</instances>"
              .encode(), st.lists(elements(2), max_size=4)),
    st.binary(max_size=200))
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
              TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(TAGS + ATTRS), inner, max_size=5)),
    max_leaves=20)
JSON_BODIES = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda items: json.dumps({"instances": items}).encode(),
              st.lists(JSON_VALUES, max_size=3)),
    st.binary(max_size=200))

API = {"xml": (b'<api driver="mock" version="1.1.3"><link rel="instances" '
               b'href="http://127.0.0.1:9/api/instances"/><link '
               b'rel="realms" href="http://127.0.0.1:9/api/realms"/></api>'),
       "json": json.dumps({"api": {"driver": "mock", "version": "1.1.3",
                                   "links": [
                                       {"rel": "instances",
                                        "href": f"{URL}/instances"},
                                       {"rel": "realms",
                                        "href": f"{URL}/realms"}]}}
                          ).encode()}
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def read_everything(fmt, body, status):
    """Serve ``body`` for every read; call each reader once."""
    kind = f"application/{fmt}"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add("GET", URL, body=API[fmt], content_type=kind)
        for path in ("/instances", "/instances/x", "/realms"):
            rsps.add("GET", URL + path, body=body, status=status,
                     content_type=kind)
        client = Client(URL, "u", "p", format=fmt, retries=0)
        for read in (client.instances.list, client.realms.list,
                     lambda: client.instances.get("x")):
            try:
                read()
            except DeltacloudError:
                pass  # documented: MalformedResponse, or the status's


@FUZZ
@given(XML_BODIES, st.sampled_from([200, 200, 404, 500]))
def test_xml_readers_raise_only_client_errors(body, status):
    read_everything("xml", body, status)


@FUZZ
@given(JSON_BODIES, st.sampled_from([200, 200, 404, 500]))
def test_json_readers_raise_only_client_errors(body, status):
    read_everything("json", body, status)


DEPLOYABLE_TAGS = ["deployable", "description", "assemblies", "assembly",
                   "image", "services", "service", "executable", "files",
                   "file", "contents", "parameters", "parameter", "value",
                   "reference", "returns", "return"]
DEPLOYABLE_ATTRS = ["name", "hwp", "id", "build", "url", "filename",
                    "type", "assembly", "parameter", "service", "version"]


def deployable_elements(depth=4):
    attrs = st.dictionaries(st.sampled_from(DEPLOYABLE_ATTRS),
                            st.text("ab-_$'\"<& \n", max_size=6),
                            max_size=3)
    children = st.just([]) if depth == 0 else st.lists(
        st.deferred(lambda: deployable_elements(depth - 1)), max_size=3)
    return st.builds(_element, st.sampled_from(DEPLOYABLE_TAGS), attrs,
                     st.one_of(st.none(), st.text("ab$<&'\n", max_size=6)),
                     children)


@settings(max_examples=300, deadline=None)
@given(st.builds(lambda tree: f"<deployable name='d'>{tree}</deployable>",
                 deployable_elements()))
def test_translator_raises_only_its_errors(document):
    mapping = Mapping.from_dict({"hardware_profiles": {"a": "m1-small"},
                                 "images": {"a": "img1"}})
    try:
        translate(load(document.encode()), mapping)
    except (DeployableError, MappingError):
        pass


@pytest.mark.parametrize("data", [
    {"hardware_profiles": []}, {"images": {"a": 1}}, {"images": {"a": ""}},
    {"unknown": {}}, [], "text", None])
def test_mapping_of_the_wrong_shape_is_a_mapping_error(data):
    with pytest.raises(MappingError):
        Mapping.from_dict(data)
