"""Listing 5,000 instances through the client vs bare parsing of the bytes.

The client is fed from ``responses`` (no network); the baseline parses the
same bytes with lxml (reading every instance's id, state and addresses) or
json.  The client decodes JSON with msgspec (falling back to json), so the
JSON row also times that decoder alone: ``own_decoder_s`` and the client's
ratio to it show what the listing check and model building cost on top.

Both are timed with the garbage collector off, as :mod:`timeit` does
(``ratio``), and on (``ratio_with_gc``): in a process the size of Heat's,
a full collection costs tens of milliseconds and lands in whichever run
crosses the collector's allocation threshold.
"""

import json

import responses
from lxml import etree

from heat_deltacloud.deltacloud import Client, jsondoc
from heat_deltacloud.server.documents import Renderer
from heat_deltacloud.mock.models import Cloud

from benchmarks.common import interleaved_best

URL = "http://127.0.0.1:3001/api"
TARGET = 1.3
REPEAT = 7


def documents(count):
    cloud = Cloud()
    instances = [cloud.create_instance("mockuser", "img1",
                                       hwp_id="m1-large", name=f"i{i}",
                                       keyname="k", overrides={"cpu": "2"})
                 for i in range(count)]
    renderer = Renderer(URL)
    root = etree.Element("instances")
    for instance in instances:
        renderer.instance_xml(root, instance)
    xml = b"<?xml version='1.0' encoding='utf-8' ?>\n" + \
        etree.tostring(root)
    body = json.dumps({"instances": [renderer.instance_json(i)
                                     for i in instances]}).encode()
    return xml, body


def bare_xml(body):
    root = etree.fromstring(body)
    return [(el.get("id"), el.findtext("state"),
             [a.text for a in el.iterfind("public_addresses/address")])
            for el in root]


def run(count=5000):
    xml, body = documents(count)
    api = Renderer(URL).entry_point_xml([("instances", [])])
    rows, listed = [], {}
    for fmt, payload, bare in (("xml", xml, bare_xml),
                               ("json", body, json.loads)):
        with responses.RequestsMock() as rsps:
            rsps.add("GET", URL, body=api, content_type="application/xml")
            rsps.add("GET", URL + "/instances", body=payload,
                     content_type=f"application/{fmt}")
            client = Client(URL, "mockuser", "mockpassword", format="xml")
            client.api  # noqa: B018 - fetched once, outside the timing
            client.format = fmt
            listed[fmt] = client.instances.list()
            assert len(listed[fmt]) == count
            jobs = {"client": client.instances.list,
                    "bare": lambda p=payload, f=bare: f(p)}
            if fmt == "json":
                jobs["own_decoder"] = lambda p=payload: jsondoc._loads(p)
            times, with_gc = (interleaved_best(jobs, REPEAT, collector)
                              for collector in (False, True))
        ratio = times["client"] / times["bare"]
        rows.append({"format": fmt, "instances": count,
                     "client_s": round(times["client"], 4),
                     "bare_s": round(times["bare"], 4),
                     "ratio": round(ratio, 2),
                     "ratio_with_gc": round(with_gc["client"]
                                            / with_gc["bare"], 2),
                     "target": TARGET, "met": ratio <= TARGET})
        if fmt == "json":
            rows[-1].update(
                own_decoder_s=round(times["own_decoder"], 4),
                ratio_to_own_decoder=round(
                    times["client"] / times["own_decoder"], 2))
    assert listed["xml"] == listed["json"]
    return rows
