"""Hostile documents, and a runner feeding one to one entry point.

Run as a script (``python hostile.py ENTRY PAYLOAD CANARY_FILE
CANARY_PORT``), in a process of its own so that its peak RSS belongs to
that one case.  It prints one JSON line: the error class and message it
got, the peak RSS before and after the case (KiB), and what was parsed
when nothing was refused.

``CANARY_FILE`` and ``CANARY_PORT`` are what the payloads point their
entities and DTDs at: a FIFO the test watches for readers, and a
listening socket the test checks for connections.
"""

import json
import resource
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MB = 1024 * 1024
BIG = 50 * MB


def _big_xml(root, item, template):
    """A ~50 MB document of many small, valid elements."""
    head, tail = f"<{root}>".encode(), f"</{root}>".encode()
    count = (BIG - len(head) - len(tail)) // len(template) + 1
    return head + template * count + tail


XML = {
    "external entity (file)": lambda f, p: (
        f'<?xml version="1.0"?><!DOCTYPE {{root}} [<!ENTITY xxe SYSTEM '
        f'"file://{f}">]><{{root}}><{{item}} id="x" name="&xxe;">&xxe;'
        f'</{{item}}></{{root}}>'),
    "external entity (http)": lambda f, p: (
        f'<?xml version="1.0"?><!DOCTYPE {{root}} [<!ENTITY xxe SYSTEM '
        f'"http://127.0.0.1:{p}/xxe">]><{{root}}><{{item}} id="x">&xxe;'
        f'</{{item}}></{{root}}>'),
    "external DTD": lambda f, p: (
        f'<?xml version="1.0"?><!DOCTYPE {{root}} SYSTEM '
        f'"http://127.0.0.1:{p}/evil.dtd"><{{root}}><{{item}} id="x"/>'
        f'</{{root}}>'),
    "external parameter entity": lambda f, p: (
        f'<?xml version="1.0"?><!DOCTYPE {{root}} [<!ENTITY % remote '
        f'SYSTEM "file://{f}"> %remote;]><{{root}}/>'),
    "XInclude": lambda f, p: (
        f'<{{root}} xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<{{item}} id="x"><xi:include href="file://{f}" parse="text"/>'
        f'<xi:include href="http://127.0.0.1:{p}/x" parse="text"/>'
        f'</{{item}}></{{root}}>'),
    "billion laughs": lambda f, p: (
        '<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY l0 "lol">' +
        "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">'
                for n in range(1, 10)) +
        ']><{root}><{item} id="x">&l9;</{item}></{root}>'),
    "quadratic blowup": lambda f, p: (
        '<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY a "' +
        "a" * 100_000 + '">]><{root}><{item} id="x">' + "&a;" * 20_000 +
        '</{item}></{root}>'),
    "deep nesting": lambda f, p: "<{root}>" + "<a>" * 200_000,
    "invalid UTF-8": lambda f, p: b'<{root}><{item} id="\xff\xfe">\xc3('
                                  b'</{item}></{root}>',
    "wrong root": lambda f, p: "<html><body>hello</body></html>",
    "truncated": lambda f, p: '<{root}><{item} id="x"><name>half',
    "empty": lambda f, p: "",
    "50 MB document": None,  # built per entry point: see big()
}

JSON_PAYLOADS = {
    "deep nesting": lambda: b"[" * 200_000 + b"]" * 200_000,
    "invalid UTF-8": lambda: b'{"instances": [{"id": "\xff\xfe"}]}',
    "wrong root": lambda: b'["instances"]',
    "wrong types": lambda: b'{"instances": [{"id": {"a": 1}, "name": 7, '
                           b'"actions": "x", "public_addresses": 3}]}',
    "truncated": lambda: b'{"instances": [{"id": "x", "na',
    "huge number": lambda: b'{"instances": [{"id": 1' + b"0" * 100_000 +
                           b"}]}",
    "50 MB document": lambda: b'{"instances": [' + b",".join(
        [b'{"id": "i", "name": "n", "state": "RUNNING"}'] *
        (BIG // 45)) + b"]}",
}

#: Entry point -> (collection root, item element) the payloads name.
ROOTS = {"client-xml": ("instances", "instance"),
         "client-error": ("error", "message"),
         "mock": ("instance", "image_id"),
         "deployable": ("deployable", "assemblies")}
ENTRIES = {"client-xml": sorted(XML), "client-error": sorted(XML),
           "mock": sorted(XML), "deployable": sorted(XML),
           "client-json": sorted(JSON_PAYLOADS)}


def xml_payload(entry, name, canary_file, canary_port):
    root, item = ROOTS[entry]
    if name == "50 MB document":
        if entry == "deployable":
            return _big_xml("deployable", "x", b"<description>padding"
                            b"</description>")
        return _big_xml(root, item, f'<{item} id="i"><name>n</name>'
                        f'<state>RUNNING</state></{item}>'.encode())
    text = XML[name](canary_file, canary_port)
    if isinstance(text, str):
        text = text.encode()
    return text.replace(b"{root}", root.encode()).replace(
        b"{item}", item.encode())


def payload(entry, name, canary_file, canary_port):
    if entry == "client-json":
        return JSON_PAYLOADS[name]()
    return xml_payload(entry, name, canary_file, canary_port)


# -- entry points ------------------------------------------------------------

API_DOC = {
    "application/xml": b'<api driver="mock" version="1.1.3"><link '
                       b'rel="instances" href="http://{host}/api/instances">'
                       b'</link></api>',
    "application/json": b'{"api": {"driver": "mock", "version": "1.1.3", '
                        b'"links": [{"rel": "instances", '
                        b'"href": "http://{host}/api/instances"}]}}'}


def _serve(body, status, content_type):
    """A one-document Deltacloud: a valid /api, then ``body``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] == "/api":
                kind = self.headers["Accept"]
                reply = API_DOC[kind].replace(b"{host}",
                                              self.headers["Host"].encode())
                code = 200
            else:
                reply, code, kind = body, status, content_type
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _client(server, fmt):
    from heat_deltacloud.deltacloud import Client

    return Client(f"http://127.0.0.1:{server.server_port}/api", "u", "p",
                  format=fmt, retries=0, timeout=30)


def run_client(body, fmt, status=200):
    kind = "application/json" if fmt == "json" else "application/xml"
    server = _serve(body, status, kind)
    del body
    try:
        with _client(server, fmt) as client:
            return [i.id for i in client.instances.list()][:3]
    finally:
        server.shutdown()


class Mock:
    """The mock in a process of its own, so its peak RSS is its own."""

    def __enter__(self):
        import subprocess

        self.process = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "heat_deltacloud.mock.cli"],
            stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().split()[-1]
        return self

    def __exit__(self, *exc_info):
        self.process.terminate()
        self.process.wait(timeout=30)


def run_mock(mock, body):
    """POST the document as an XML body (twice) and as a form field."""
    import urllib.parse

    import requests

    answers = []
    form = b"image_id=img1&name=" + urllib.parse.quote_from_bytes(
        body).encode()
    for kind, data in (("application/xml", body), ("text/xml", body),
                       ("application/x-www-form-urlencoded", form)):
        resp = requests.post(f"{mock.url}/instances", data=data, timeout=60,
                             auth=("mockuser", "mockpassword"),
                             headers={"Content-Type": kind,
                                      "Accept": "application/xml"})
        answers.append([resp.status_code, resp.text[:300]])
    return answers


def run_deployable(body):
    from heat_deltacloud import deployable

    return deployable.load(body).name


def run(entry, body, mock):
    if entry == "client-xml":
        return run_client(body, "xml")
    if entry == "client-json":
        return run_client(body, "json")
    if entry == "client-error":
        return run_client(body, "xml", status=500)
    if entry == "mock":
        return run_mock(mock, body)
    return run_deployable(body)


def peak_kib(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss


def main(entry, canary_file, canary_port, *names):
    """Run ``names`` in order, one JSON line each.

    Peak RSS only grows, so each line's peak covers that case and those
    before it: bounding every line bounds every case.  The mock's peak is
    known once it has exited, and is given to every line.
    """
    import contextlib

    # Everything the cases need is imported before the baseline is read.
    import requests  # noqa: F401

    from heat_deltacloud import deployable  # noqa: F401
    from heat_deltacloud.deltacloud import Client  # noqa: F401

    baseline = peak_kib()
    results = []
    with Mock() if entry == "mock" else contextlib.nullcontext() as mock:
        for name in names:
            body = payload(entry, name, canary_file, int(canary_port))
            result = {"entry": entry, "payload": name, "bytes": len(body),
                      "rss_baseline_kib": baseline, "error": None}
            try:
                result["parsed"] = run(entry, body, mock)
            except Exception as exc:  # noqa: BLE001 - reported to the test
                result["error"] = type(exc).__name__
                result["message"] = str(exc)[:2000]
            del body
            result["rss_peak_kib"] = peak_kib()
            results.append(result)
    if entry == "mock":
        for result in results:
            result["rss_baseline_kib"] = 0
            result["rss_peak_kib"] = peak_kib(resource.RUSAGE_CHILDREN)
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:])
