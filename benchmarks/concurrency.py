"""Ten stacks of five servers created at once by one engine, vs one.

Two diagnostics come with the figure.  ``clients_made`` counts the
Deltacloud clients (each with its own ``requests.Session`` and keep-alive
connection) the Heat side built during the ten stacks.  The
``connection_limit`` rows run the same ten stacks again against a mock
whose waitress server accepts 1,000 connections instead of its default
100: past that limit waitress leaves new connections unaccepted, and
their requests wait for a read timeout.
"""

import concurrent.futures
import contextlib
import time
from unittest import mock as patching

from waitress.adjustments import Adjustments

from heat_deltacloud.deltacloud import transport
from heat_deltacloud.heat import connection
from heat_deltacloud.mock.server import MockServer

from benchmarks.common import create_and_delete, server_template

STACKS = 10
SERVERS = 5
SEED_INSTANCES = ("inst0", "inst1", "inst2", "inst3")


@contextlib.contextmanager
def counting_clients():
    """Count :class:`Transport` objects made while inside."""
    made = []
    real = transport.Transport.__init__

    def counted(self, *args, **kwargs):
        made.append(1)
        real(self, *args, **kwargs)

    with patching.patch.object(transport.Transport, "__init__", counted):
        yield made


def _run(heat, connection_limit):
    # waitress reads the class attribute while serving: patch for the run.
    with patching.patch.object(Adjustments, "connection_limit",
                               connection_limit), MockServer() as mock:
        connection.DISCOVERY.clear()

        def one(name):
            ctx = heat.context("mockuser", "mockpassword", mock.url)
            created, deleted = create_and_delete(
                heat, ctx, name, server_template(SERVERS))
            return created["stack_status"], deleted["stack_status"]

        started = time.perf_counter()
        assert one("single") == ("COMPLETE", "COMPLETE")
        single = time.perf_counter() - started
        mock.clear_requests()
        started = time.perf_counter()
        with counting_clients() as made, \
                concurrent.futures.ThreadPoolExecutor(STACKS) as pool:
            outcomes = list(pool.map(one, [f"c{i}" for i in range(STACKS)],
                                     timeout=600))
        many = time.perf_counter() - started
        leftovers = [i for i in mock.all_instances()
                     if i["owner"] == "mockuser"
                     and i["id"] not in SEED_INSTANCES]
        return {"stacks": STACKS, "servers_each": SERVERS,
                "connection_limit": connection_limit,
                "all_complete": all(o == ("COMPLETE", "COMPLETE")
                                    for o in outcomes),
                "one_stack_s": round(single, 2),
                "ten_stacks_s": round(many, 2),
                "ratio": round(many / single, 2),
                "peak_concurrent_requests": mock.peak_concurrency(),
                "clients_made": len(made),
                "instances_left": len(leftovers)}


def run(heat):
    return [_run(heat, limit)
            for limit in (Adjustments.connection_limit, 1000)]
