"""Ten stacks of five servers created at once by one engine, vs one."""

import concurrent.futures
import time

from heat_deltacloud.heat import connection
from heat_deltacloud.mock.server import MockServer

from benchmarks.common import create_and_delete, server_template

STACKS = 10
SERVERS = 5


def run(heat):
    with MockServer() as mock:
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
        with concurrent.futures.ThreadPoolExecutor(STACKS) as pool:
            outcomes = list(pool.map(one, [f"c{i}" for i in range(STACKS)],
                                     timeout=600))
        many = time.perf_counter() - started
        leftovers = [i for i in mock.all_instances()
                     if i["owner"] == "mockuser"
                     and i["id"] not in ("inst0", "inst1", "inst2", "inst3")]
        return [{"stacks": STACKS, "servers_each": SERVERS,
                 "all_complete": all(o == ("COMPLETE", "COMPLETE")
                                     for o in outcomes),
                 "one_stack_s": round(single, 2),
                 "ten_stacks_s": round(many, 2),
                 "ratio": round(many / single, 2),
                 "peak_concurrent_requests": mock.peak_concurrency(),
                 "instances_left": len(leftovers)}]
