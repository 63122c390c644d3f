"""The client decodes JSON with msgspec where it can and json elsewhere:
the values and the errors must be exactly json's.

hypothesis feeds both decoders documents of every JSON type, including
integers beyond 64 bits, awkward floats and text with escapes, written
with and without ``ensure_ascii``, then the same documents damaged.
"""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heat_deltacloud.deltacloud import jsondoc
from heat_deltacloud.deltacloud.exceptions import MalformedResponse


def same(a, b):
    """Equal values of the same types all the way down (``True == 1``
    and ``0.0 == -0.0`` for ``==``, not here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


texts = st.text(st.characters(codec=None), max_size=12) | st.sampled_from(
    ["", "\u00e9", "\U0001f600", "\\", '"', "\x00\x1f", "\ud800", "a\udfffb"])
scalars = (st.none() | st.booleans() | st.floats()
           | st.integers() | st.integers(min_value=-2**200,
                                          max_value=2**200) | texts)
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(texts, inner, max_size=5), max_leaves=40)


def both(body):
    """(value or error text) from json and from the client's decoder."""
    results = []
    for decode in (json.loads, jsondoc._loads):
        try:
            results.append(("value", decode(body)))
        except (ValueError, RecursionError) as exc:
            results.append(("error", f"{type(exc).__name__}: {exc}"))
    return results


@settings(max_examples=400, deadline=None)
@given(documents, st.booleans(), st.booleans())
def test_decoded_values_are_jsons(doc, ascii_only, as_bytes):
    body = json.dumps(doc, ensure_ascii=ascii_only)
    if as_bytes:
        body = body.encode("utf-8", "surrogatepass")
    (kind, expected), (got_kind, got) = both(body)
    assert kind == got_kind and (same(expected, got) if kind == "value"
                                 else expected == got)


@settings(max_examples=300, deadline=None)
@given(documents, st.data())
def test_damaged_documents_fail_or_decode_as_json_does(doc, data):
    body = bytearray(json.dumps(doc, ensure_ascii=False).encode(
        "utf-8", "surrogatepass"))
    at = data.draw(st.integers(0, len(body)))
    body[at:at + data.draw(st.integers(0, 3))] = data.draw(
        st.binary(max_size=3))
    (kind, expected), (got_kind, got) = both(bytes(body))
    assert kind == got_kind and (same(expected, got) if kind == "value"
                                 else expected == got)


@pytest.mark.parametrize("body", [
    b"NaN", b"[Infinity, -Infinity]", b"1e400", b"\xef\xbb\xbf{}",
    '{"\u00e9": 1}'.encode("utf-16"), b'"\\ud800"', b"[1,", b"{'a': 1}",
    b"[" * 100_000, b"18446744073709551616", b"-9223372036854775809",
    b'{"a": 1, "a": 2}', b" \n\t[1.0, -0.0, 1E5, 5e-324] "])
def test_what_msgspec_refuses_or_reads_differently_is_jsons(body):
    (kind, expected), (got_kind, got) = both(body)
    assert kind == got_kind
    assert same(expected, got) if kind == "value" else expected == got


def test_parse_errors_are_jsons_one_line():
    with pytest.raises(MalformedResponse) as caught:
        jsondoc.parse(b'{"instances": [1,')
    assert str(caught.value).startswith(
        "invalid JSON: Expecting value: line 1 column 18")


def test_a_listing_keeps_ids_beyond_64_bits_exact():
    big = 2**64 + 1
    listing = jsondoc.instances(jsondoc.parse(json.dumps(
        {"instances": [{"id": big, "state": "running"}]}), "instances"))
    assert listing[0].id == str(big)
