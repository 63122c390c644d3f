"""The signal plane: heat-api-cfn taking signed wait condition signals.

``signal_roundtrip``
    The real ``cfn-signal`` of heat-cfntools (which runs ``curl -X PUT``
    on the pre-signed URL), run as a guest runs it, until Heat has
    marked the wait condition complete.  The baseline is the same
    ``cfn-signal`` command sending the same bytes (path, query, body) to a
    trivial WSGI app in the same waitress setup: what a signal costs the
    guest before any server-side work, dominated by starting Python,
    importing heat-cfntools and running curl.  Two figures per run:
    ``put`` (cfn-signal returns once heat-api-cfn answered the PUT, which
    happens after the engine stored the signal: Heat's route is
    synchronous) and ``round_trip`` (until the wait condition resource is
    CREATE_COMPLETE in Heat's database, polled every 5 ms).  The
    difference, ``detect``, is Heat's own schedule: the wait condition
    re-reads its handle once per scheduler step (1 s with Heat's real
    poll schedule).  Runs interleave with the baseline's; medians.  The
    guest process hides the server's share, so the request floor is
    measured too: the same PUT from this process (a keep-alive
    ``requests`` session) to heat-api-cfn (``bare_put``, sent after the
    wait condition completed: the engine still stores each signal) and to
    the trivial app (``bare_trivial``).

``signal_concurrency``
    100 signals (distinct ``UniqueId``) to one wait condition of
    ``Count`` 100, sent by 8 client threads with keep-alive sessions to
    heat-api-cfn (4 waitress threads), once signed (the pre-signed URL,
    checked by :class:`heat_deltacloud.heat.ec2.Verifier`) and once
    unsigned (the stack owner's Deltacloud credentials, checked against
    the filter's credential cache) on a twin stack: same route, same
    engine work, only the authentication differs.  Two bursts of each,
    in the order signed, unsigned, unsigned, signed, each on its own
    stack; the faster of each counts.  Requests per second,
    p50/p99 latency, seconds until the wait condition completes, and the
    verifier's own time per request (wall time inside ``verify``, split
    into the key store's two reads and the rest: Ec2Signer's HMACs and
    parsing).

Both talk to 127.0.0.1 only and bound every loop (a count, or a
deadline).  Stacks left waiting would hold the engine's shutdown, so
every stack made here is deleted in a ``finally``.
"""

import concurrent.futures
import contextlib
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

import requests
from waitress.server import create_server

from heat_deltacloud.mock.server import MockServer

from benchmarks.common import median, percentile
from benchmarks.mock_throughput import trivial_app

USER, PASSWORD = "signaller", "signaller-pw"
ROUND_TRIPS = 8
BARE_PUTS = 4
SIGNALS = 100
CLIENTS = 8
SIGNED_URL = re.compile(r"http://127\.0\.0\.1:\d+/v1/waitcondition/"
                        r"[^'\"\s]+")


def wait_template(count, timeout=300):
    """A handle, an instance carrying its signed URL, a wait condition."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
            "Db": {"Type": "AWS::EC2::Instance", "Properties": {
                "ImageId": "img1", "InstanceType": "m1-small",
                "UserData": {"Fn::Base64": {"Fn::Join": ["", [
                    "#!/bin/sh\ncfn-signal -e 0 '", {"Ref": "Handle"},
                    "'\n"]]}}}},
            "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                     "DependsOn": "Db",
                     "Properties": {"Handle": {"Ref": "Handle"},
                                    "Timeout": str(timeout),
                                    "Count": str(count)}},
        },
    }


@contextlib.contextmanager
def served(heat):
    """A mock Deltacloud knowing USER, heat-api and heat-api-cfn."""
    from heat_deltacloud.heat import apis

    with MockServer(users={USER: PASSWORD},
                    fix_user_data_feature=True) as mock, \
            apis.serve(heat) as api:
        yield mock, api


class Waiting:
    """Stacks whose wait condition waits, each with its signed URL."""

    def __init__(self, heat, mock, count, how_many, prefix):
        self.heat = heat
        self.ctx = heat.context(USER, PASSWORD, mock.url)
        self.stacks = []
        try:
            for _ in range(how_many):
                self.stacks.append(heat.engine_client.create_stack(
                    self.ctx, f"{prefix}-{uuid.uuid4().hex[:8]}",
                    wait_template(count), {}, {}, {"timeout_mins": 10}))
            self.urls = [self._url_of(mock, identity)
                         for identity in self.stacks]
        except BaseException:
            self.delete()
            raise

    @staticmethod
    def _url_of(mock, identity, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for instance in mock.all_instances():
                for url in SIGNED_URL.findall(instance.get("user_data")
                                              or ""):
                    if identity["stack_id"] in url:
                        return url
            time.sleep(0.05)
        raise TimeoutError(f"no signed URL for {identity['stack_name']}")

    def delete(self):
        for identity in self.stacks:
            self.heat.delete_stack(self.ctx, identity)
        self.stacks = []


def wait_status(stack_id):
    """``(action, status)`` of the stack's wait condition, from Heat's
    database (cheaper than asking the engine every 5 ms)."""
    import sqlalchemy as sa
    from heat.db import api as db_api

    with db_api.get_engine().connect() as conn:
        row = conn.execute(sa.text(
            "SELECT action, status FROM resource WHERE stack_id = :s "
            "AND name = 'Wait'"), {"s": stack_id}).first()
    return tuple(row) if row else None


def wait_complete(stack_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if wait_status(stack_id) == ("CREATE", "COMPLETE"):
            return time.perf_counter()
        time.sleep(0.005)
    raise TimeoutError(f"wait condition of {stack_id} not complete")


@contextlib.contextmanager
def trivial_server(threads=4):
    server = create_server(trivial_app, host="127.0.0.1", port=0,
                           threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


def cfn_signal_command(logdir):
    script = pathlib.Path(sys.executable).parent / "cfn-signal"
    if not script.exists() or shutil.which("curl") is None:
        raise RuntimeError("signal_roundtrip needs heat-cfntools' "
                           "cfn-signal (the 'guest' extra) and curl")

    def run(url, unique):
        # cfn-signal logs to /var/log unless logging is configured first.
        code = ("import logging, runpy, sys\n"
                f"logging.basicConfig(filename={str(logdir / 'cfn.log')!r})"
                "\n"
                f"sys.argv = ['cfn-signal', '-e', '0', '-i', {unique!r}, "
                f"{url!r}]\n"
                f"runpy.run_path({str(script)!r}, run_name='__main__')\n")
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - this interpreter, our code
            [sys.executable, "-c", code], capture_output=True, text=True,
            timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"cfn-signal failed: {done.stderr[-500:]}")
        return started, time.perf_counter()
    return run


def roundtrip(heat, round_trips=ROUND_TRIPS):
    with served(heat) as (mock, _), trivial_server() as trivial, \
            tempfile.TemporaryDirectory() as logdir:
        signal = cfn_signal_command(pathlib.Path(logdir))
        waiting = Waiting(heat, mock, 1, round_trips, "roundtrip")
        try:
            base, puts, trips, detects = [], [], [], []
            bare = {"heat": [], "trivial": []}
            session = requests.Session()
            for identity, url in zip(waiting.stacks, waiting.urls):
                parts = urllib.parse.urlsplit(url)
                same_bytes = urllib.parse.urlunsplit(
                    parts._replace(netloc=urllib.parse.urlsplit(
                        trivial).netloc))
                started, ended = signal(same_bytes, "baseline")
                base.append(ended - started)
                started, answered = signal(url, "db")
                completed = wait_complete(identity["stack_id"])
                puts.append(answered - started)
                trips.append(completed - started)
                detects.append(completed - answered)
                # The bare PUT, no guest process: the request floor.  The
                # wait condition is complete, so the engine stores the
                # signal and nothing more happens.
                for n in range(BARE_PUTS):
                    for name, target in (("trivial", same_bytes),
                                         ("heat", url)):
                        began = time.perf_counter()
                        answer = session.put(target, timeout=30, json={
                            "Status": "SUCCESS", "Reason": "bench",
                            "UniqueId": f"bare{n}", "Data": ""})
                        bare[name].append(time.perf_counter() - began)
                        assert answer.status_code == 200, answer.text
            session.close()
        finally:
            waiting.delete()
    baseline = median(base)
    return [{"round_trips": round_trips,
             "baseline_s": round(baseline, 3),
             "put_s": round(median(puts), 3),
             "detect_s": round(median(detects), 3),
             "round_trip_s": round(median(trips), 3),
             "round_trip_min_s": round(min(trips), 3),
             "put_ratio": round(median(puts) / baseline, 2),
             "ratio": round(median(trips) / baseline, 2),
             "bare_put_ms": round(median(bare["heat"]) * 1000, 1),
             "bare_trivial_ms": round(median(bare["trivial"]) * 1000, 1),
             "heat_poll_s": heat.poll_seconds}]


@contextlib.contextmanager
def verifier_timing():
    """Wall time spent in Verifier.verify and in the store's reads."""
    from heat_deltacloud.heat import ec2, stackusers

    spent = {"verify": [], "store": []}
    lock = threading.Lock()
    patched = [(ec2.Verifier, "verify", "verify"),
               (stackusers.StackUserStore, "principal", "store"),
               (stackusers.StackUserStore, "stack_project", "store")]
    saved = []
    for owner, name, bucket in patched:
        real = getattr(owner, name)
        saved.append((owner, name, real))

        def timed(*args, _real=real, _bucket=bucket, **kwargs):
            started = time.perf_counter()
            try:
                return _real(*args, **kwargs)
            finally:
                with lock:
                    spent[_bucket].append(time.perf_counter() - started)
        setattr(owner, name, timed)
    try:
        yield spent
    finally:
        for owner, name, real in saved:
            setattr(owner, name, real)


def hammer(send, total=SIGNALS, clients=CLIENTS):
    """``send(session, i)`` for i < total from ``clients`` threads."""
    latencies, statuses = [], []
    lock = threading.Lock()
    counter = iter(range(total))

    def worker():
        session = requests.Session()
        mine, codes = [], []
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            started = time.perf_counter()
            codes.append(send(session, i))
            mine.append(time.perf_counter() - started)
        session.close()
        with lock:
            latencies.extend(mine)
            statuses.extend(codes)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(worker) for _ in range(clients)]:
            future.result(timeout=300)
    return started, time.perf_counter() - started, latencies, statuses


def idle_verify(url, base, repeat=200):
    """The verifier alone, in this process, nothing else running: the
    same request as heat-api-cfn sees it (no HTTP), ``repeat`` times."""
    import webob

    from heat_deltacloud.heat import ec2, stackusers

    parts = urllib.parse.urlsplit(url)
    verifier = ec2.Verifier(stackusers.store(), window=86400)
    request = webob.Request.blank(
        parts.path + "?" + parts.query, method="PUT", base_url=base,
        headers={"Content-Type": "application/json"},
        body=b'{"Status": "SUCCESS"}')
    # WSGI hands the path on unquoted, as waitress does.
    request.environ["PATH_INFO"] = urllib.parse.unquote(parts.path)
    with verifier_timing() as spent:
        for _ in range(repeat):
            verifier.verify(request)
    return {"idle_verify_ms": round(median(spent["verify"]) * 1000, 2),
            "idle_store_ms": round(median(spent["store"]) * 2 * 1000, 2)}


def _signal_body(i):
    return {"Status": "SUCCESS", "Reason": "bench", "UniqueId": f"u{i}",
            "Data": str(i)}


def concurrency(heat, runs=2):
    """``runs`` signed and ``runs`` unsigned bursts, ABBA order, each on a
    fresh stack; the best run (requests per second) of each counts."""
    with served(heat) as (mock, api):
        waiting = Waiting(heat, mock, SIGNALS, 2 * runs, "burst")
        try:
            # The unsigned twin: the same route, the owner's credentials
            # (accepted once by Deltacloud, then from the filter's cache).
            owner = {"X-Auth-User": USER, "X-Auth-Key": PASSWORD,
                     "X-Auth-Url": mock.url}
            warm = requests.get(f"{api.heat_api_cfn}/v1/?Action=ListStacks",
                                headers=owner, timeout=30)
            assert warm.status_code == 200, warm.text
            order = ["signed", "unsigned", "unsigned", "signed"] * runs
            results = {"signed": [], "unsigned": []}
            for auth, identity, url in zip(order[:2 * runs], waiting.stacks,
                                           waiting.urls):
                results[auth].append(_burst(auth, identity, url, owner))
            idle = idle_verify(waiting.urls[0], api.heat_api_cfn)
        finally:
            waiting.delete()
    signed, unsigned = (max(results[auth], key=lambda row: row["rps"])
                        for auth in ("signed", "unsigned"))
    signed.update(idle)
    signed["rps_ratio"] = round(signed["rps"] / unsigned["rps"], 2)
    unsigned["rps_ratio"] = 1.0
    for row in (signed, unsigned):
        row["runs"] = runs
    return [signed, unsigned]


def _burst(auth, identity, url, owner):
    if auth == "signed":
        def send(session, i):
            return session.put(url, json=_signal_body(i),
                               timeout=60).status_code
    else:
        plain = url.partition("?")[0]

        def send(session, i):
            return session.put(plain, json=_signal_body(i), headers=owner,
                               timeout=60).status_code
    with verifier_timing() as spent:
        started, elapsed, latencies, statuses = hammer(send)
        done = wait_complete(identity["stack_id"])
    name = "signed" if auth == "signed" else "unsigned (owner's creds)"
    return _row(name, elapsed, latencies, statuses, done - started,
                spent if auth == "signed" else None)


def _row(name, elapsed, latencies, statuses, complete_s, spent):
    row = {"auth": name, "signals": len(latencies), "clients": CLIENTS,
           "ok": sum(1 for s in statuses if s == 200),
           "rps": round(len(latencies) / elapsed, 1),
           "p50_ms": round(median(latencies) * 1000, 1),
           "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
           "complete_s": round(complete_s, 2)}
    row.update(verify_ms="-", verify_store_ms="-", verify_share_p50="-",
               idle_verify_ms="-", idle_store_ms="-")
    if spent is not None:
        verify = sum(spent["verify"]) / len(spent["verify"])
        store = sum(spent["store"]) / len(spent["verify"])
        row.update(verify_ms=round(verify * 1000, 2),
                   verify_store_ms=round(store * 1000, 2),
                   verify_share_p50=round(verify / median(latencies), 3))
    return row

