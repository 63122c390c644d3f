"""Ten stacks of five servers created at once by one engine, vs one.

Run at the mock's default settings (waitress's ``connection_limit`` of
100, 8 threads), once with the ten stacks of one user and once with one
stack for each of ten users, then with one user against a mock accepting
1,000 connections (past its limit waitress leaves new connections
unaccepted, and their requests wait for a read timeout: this row shows
whether the limit still matters).

Diagnostics: ``clients_made`` counts the Deltacloud clients the Heat side
built during the ten stacks (one per user and endpoint is the design,
each with a bounded pool); ``peak_connections`` is the most connections
the mock's server held open at once (sampled every 10 ms);
``peak_concurrent_requests`` the most requests it served at once.
"""

import concurrent.futures
import contextlib
import threading
import time
from unittest import mock as patching

from waitress.adjustments import Adjustments

from heat_deltacloud.heat import connection
from heat_deltacloud.mock.server import MockServer

from benchmarks.common import create_and_delete, server_template

STACKS = 10
SERVERS = 5
USERS = {f"bench{n}": f"pw-{n}" for n in range(STACKS)}
SAMPLE_SECONDS = 0.01


@contextlib.contextmanager
def peak_connections(mock):
    """``peak[0]``: the most connections open at the mock at once."""
    peak, done = [0], threading.Event()
    failed = []

    def sample():
        try:
            while not done.wait(SAMPLE_SECONDS):
                peak[0] = max(peak[0], mock.open_connections())
        except Exception as exc:  # a sampler that died would report 0
            failed.append(exc)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()
    if failed:
        raise RuntimeError("counting the mock's connections failed") \
            from failed[0]


def _run(heat, connection_limit, users):
    # waitress reads the class attribute while serving: patch for the run.
    with patching.patch.object(Adjustments, "connection_limit",
                               connection_limit), \
            MockServer(users=USERS) as mock:
        connection.DISCOVERY.clear()
        seeded = {i["id"] for i in mock.all_instances()}

        def one(args):
            user, name = args
            ctx = heat.context(user, USERS[user], mock.url)
            created, deleted = create_and_delete(
                heat, ctx, name, server_template(SERVERS))
            return created["stack_status"], deleted["stack_status"]

        started = time.perf_counter()
        assert one(("bench0", "single")) == ("COMPLETE", "COMPLETE")
        single = time.perf_counter() - started
        mock.clear_requests()
        connection.DISCOVERY.clear()
        made = connection.DISCOVERY.made
        work = [(f"bench{i}" if users > 1 else "bench0", f"c{i}")
                for i in range(STACKS)]
        started = time.perf_counter()
        with peak_connections(mock) as peak, \
                concurrent.futures.ThreadPoolExecutor(STACKS) as pool:
            outcomes = list(pool.map(one, work, timeout=600))
        many = time.perf_counter() - started
        leftovers = [i for i in mock.all_instances()
                     if i["id"] not in seeded and i["state"] != "FINISHED"]
        return {"stacks": STACKS, "servers_each": SERVERS, "users": users,
                "connection_limit": connection_limit,
                "all_complete": all(o == ("COMPLETE", "COMPLETE")
                                    for o in outcomes),
                "one_stack_s": round(single, 2),
                "ten_stacks_s": round(many, 2),
                "ratio": round(many / single, 2), "target": 1.5,
                "met": many / single <= 1.5,
                "clients_made": connection.DISCOVERY.made - made,
                "peak_connections": peak[0],
                "peak_concurrent_requests": mock.peak_concurrency(),
                "instances_left": len(leftovers)}


def run(heat):
    default = Adjustments.connection_limit
    return [_run(heat, default, 1), _run(heat, default, STACKS),
            _run(heat, 1000, 1)]
