"""Hostile documents at every entry point that parses or receives them.

Entry points: the client reading a collection (XML and JSON), the client
reading an error document, the mock receiving a request body (as XML and
as a form field), and the deployable parser.  Each runs in a process of
its own (:mod:`hostile`), so its peak RSS is measured and bounded; a
subprocess timeout bounds its time.  The canaries (conftest) prove that
no payload made anything open a local file or connect to a local port.
"""

import json
import pathlib
import subprocess
import sys

import pytest

from . import hostile
from .conftest import CANARY_TEXT

RUNNER = pathlib.Path(hostile.__file__)
KIB = 1024
#: Peak RSS a case may add, beyond two copies of its payload (the
#: payload itself and one read buffer).
OVERHEAD_KIB = 64 * KIB
#: The mock, in a process of its own, stays under this whatever it gets.
MOCK_PEAK_KIB = 256 * KIB

#: What the client's refusal of each XML payload says.
CLIENT_XML_REASONS = {
    "external entity (file)": "external entity",
    "external entity (http)": "DOCTYPE are refused",
    "external DTD": "DOCTYPE are refused",
    "external parameter entity": "DOCTYPE are refused",
    "billion laughs": "amplification",
    "quadratic blowup": "amplification",
    "deep nesting": "Excessive depth",
    "invalid UTF-8": "Invalid bytes",
    "wrong root": "expected a <instances> document, got <html>",
    "truncated": "Premature end",
    "empty": "Document is empty",
    "50 MB document": "larger than",
}
CLIENT_JSON_REASONS = {
    "deep nesting": "recursion",
    "huge number": "integer string conversion",
    "invalid UTF-8": "can't decode",
    "wrong root": "expected a JSON object with 'instances'",
    "wrong types": "expected a JSON object",
    "truncated": "Unterminated string",
    "50 MB document": "larger than",
}
DEPLOYABLE_REASONS = {
    "external entity (file)": "DOCTYPE: document type declarations",
    "external entity (http)": "DOCTYPE: document type declarations",
    "external DTD": "DOCTYPE: document type declarations",
    "external parameter entity": "DOCTYPE: document type declarations",
    "billion laughs": "DOCTYPE: document type declarations",
    "quadratic blowup": "DOCTYPE: document type declarations",
    "XInclude": "include: Did not expect element include there",
    "deep nesting": "Excessive depth",
    "invalid UTF-8": "Invalid bytes",
    "wrong root": "Expecting element deployable, got html",
    "truncated": "Premature end",
    "empty": "Document is empty",
    "50 MB document": "document larger than 1048576 bytes",
}
_results = {}


def results(entry, canaries):
    """Every payload's result at ``entry``, run once per module."""
    if entry not in _results:
        names = sorted(hostile.ENTRIES[entry],
                       key=lambda name: name == "50 MB document")
        done = subprocess.run(  # noqa: S603 - our own runner
            [sys.executable, str(RUNNER), entry, canaries.file,
             str(canaries.port), *names],
            capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        _results[entry] = {r["payload"]: r for r in
                           map(json.loads, done.stdout.splitlines())}
    return _results[entry]


def cases(entry):
    return [pytest.param(entry, name, id=f"{entry}:{name}")
            for name in sorted(hostile.ENTRIES[entry])]


def check_common(result, canaries):
    """Nothing touched, nothing leaked, memory bounded."""
    assert canaries.touched == []
    shown = json.dumps(result)
    assert CANARY_TEXT.decode() not in shown
    assert "Traceback" not in shown
    grown = result["rss_peak_kib"] - result["rss_baseline_kib"]
    if result["entry"] == "mock":
        assert result["rss_peak_kib"] < MOCK_PEAK_KIB
    else:
        assert grown < OVERHEAD_KIB + 2 * result["bytes"] // KIB


def test_canaries_catch_an_unhardened_parser(canaries):
    """The detectors work: a parser resolving entities trips the file, a
    connection trips the port."""
    import socket
    import time

    from lxml import etree

    loose = etree.XMLParser(resolve_entities=True, load_dtd=True)
    doc = (f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{canaries.file}">]>'
           '<r>&xxe;</r>').encode()
    assert etree.fromstring(doc, loose).text == CANARY_TEXT.decode()
    socket.create_connection(("127.0.0.1", canaries.port), 5).close()
    deadline = time.monotonic() + 10
    while len(canaries.touched) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert canaries.touched == ["file opened", "port connected"]
    canaries.touched.clear()


@pytest.mark.parametrize("entry, name", [*cases("client-xml"),
                                         *cases("client-json")])
def test_client_refuses_hostile_collections(canaries, entry, name):
    result = results(entry, canaries)[name]
    check_common(result, canaries)
    if name == "XInclude":
        # Parsed, and inert: XInclude is never processed.
        assert result["error"] is None
        assert result["parsed"] == ["x"]
        return
    reasons = CLIENT_XML_REASONS if entry == "client-xml" else \
        CLIENT_JSON_REASONS
    assert result["error"] == "MalformedResponse"
    assert reasons[name] in result["message"]
    assert "GET http://127.0.0.1:" in result["message"]


@pytest.mark.parametrize("entry, name", cases("client-error"))
def test_hostile_error_documents_give_the_status_error(canaries, entry,
                                                       name):
    result = results(entry, canaries)[name]
    check_common(result, canaries)
    assert result["error"] == "InternalServerError"
    assert result["message"].startswith("Internal Server Error (HTTP 500")


@pytest.mark.parametrize("entry, name", cases("deployable"))
def test_deployable_parser_refuses_hostile_documents(canaries, entry, name):
    result = results(entry, canaries)[name]
    check_common(result, canaries)
    assert result["error"] == "DeployableError"
    assert DEPLOYABLE_REASONS[name] in result["message"]


@pytest.mark.parametrize("entry, name", cases("mock"))
def test_mock_never_parses_request_bodies(canaries, entry, name):
    """The mock reads form fields only: an XML body is no parameters
    (400, image_id missing), a hostile form value is stored and echoed
    escaped (201), and a body over 1 MiB is refused (413)."""
    result = results(entry, canaries)[name]
    check_common(result, canaries)
    assert result["error"] is None
    as_xml, as_text_xml, as_form = result["parsed"]
    too_big = result["bytes"] > 1024 * 1024
    for status, text in (as_xml, as_text_xml):
        if too_big:
            assert status == 413
        else:
            assert (status, text) == (400, "Required parameter 'image_id' "
                                           "not found in []")
    if result["bytes"] * 3 > 1024 * 1024:  # the form is %-encoded
        assert as_form[0] == 413
    else:
        assert as_form[0] == 201
        assert as_form[1].startswith("<?xml version='1.0'")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("prolog", [b" " * 4096, b"\n  \n" * 1024,
                                    b"<!-- c -->\n \n" * 512])
def test_deployable_prolog_scan_is_linear(prolog):
    """The DOCTYPE scan before parsing never backtracks into blank runs,
    comments or processing instructions: a long prolog (a sample's blank
    lines took it 10 s; each more blank doubled that) reaches the grammar
    check at once."""
    from heat_deltacloud.deployable import parser
    from heat_deltacloud.deployable.errors import DeployableError

    with pytest.raises(DeployableError) as info:
        parser.parse(b"<?xml version='1.0'?>" + prolog + b"<nope/>")
    assert info.value.problems[0].element != "DOCTYPE"
    with pytest.raises(DeployableError, match="document type"):
        parser.parse(b"<?xml version='1.0'?>" + prolog +
                     b"<!DOCTYPE nope><nope/>")
