"""Requests per second of the mock with 8 concurrent clients on 127.0.0.1.

The baseline is a trivial WSGI app in the same waitress server setup.
Every loop is bounded by a request count; each case runs twice and the
faster run counts (the machine is shared).
"""

import concurrent.futures
import logging
import threading
import time

import requests
from waitress.server import create_server

from heat_deltacloud.mock.server import MockServer

from benchmarks.common import median, percentile

CLIENTS = 8
PER_CLIENT = 150
TARGET = 0.5
AUTH = ("mockuser", "mockpassword")


def trivial_app(environ, start_response):
    body = b"<ok/>"
    start_response("200 OK", [("Content-Type", "application/xml"),
                              ("Content-Length", str(len(body)))])
    return [body]


def best_hammer(make_request, runs=2):
    return max((hammer(make_request) for _ in range(runs)),
               key=lambda result: result["rps"])


def hammer(make_request, clients=CLIENTS, per_client=PER_CLIENT):
    latencies = []
    lock = threading.Lock()

    def worker():
        session = requests.Session()
        mine = []
        for _ in range(per_client):
            started = time.perf_counter()
            make_request(session)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(worker) for _ in range(clients)]:
            future.result(timeout=300)
    elapsed = time.perf_counter() - started
    return {"rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(median(latencies) * 1000, 2),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2)}


def run():
    # Eight clients on eight server threads queue now and then, on purpose:
    # waitress's "Task queue depth is 1" warnings would drown the table.
    queue_log = logging.getLogger("waitress.queue")
    level = queue_log.level
    queue_log.setLevel(logging.ERROR)
    try:
        return _run()
    finally:
        queue_log.setLevel(level)


def _run():
    server = create_server(trivial_app, host="127.0.0.1", port=0,
                           threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.effective_port}/"
    try:
        baseline = best_hammer(lambda s: s.get(base_url, timeout=10))
    finally:
        server.close()
        thread.join(timeout=5)
    rows = []
    with MockServer() as mock:
        headers = {"Accept": "application/xml"}
        cases = {
            "GET instance": lambda s: s.get(
                f"{mock.url}/instances/inst0", auth=AUTH, headers=headers,
                timeout=10),
            "list instances": lambda s: s.get(
                f"{mock.url}/instances", auth=AUTH, headers=headers,
                timeout=10),
        }

        def create_destroy(session):
            made = session.post(f"{mock.url}/instances", auth=AUTH,
                                headers=headers, timeout=10,
                                data={"image_id": "img1",
                                      "initial_state": "STOPPED"})
            ident = made.headers["Location"].rsplit("/", 1)[1]
            session.delete(f"{mock.url}/instances/{ident}", auth=AUTH,
                           headers=headers, timeout=10)
        cases["create+destroy (2 requests)"] = create_destroy
        for name, make in cases.items():
            result = best_hammer(make)
            ratio = result["rps"] / baseline["rps"]
            if name.startswith("create"):
                ratio *= 2  # two requests per iteration
            rows.append({"case": name, **result,
                         "baseline_rps": baseline["rps"],
                         "ratio": round(ratio, 2), "target": TARGET,
                         "met": ratio >= TARGET})
    return rows
