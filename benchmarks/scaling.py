"""How costs grow: stack size, and concurrent heat-api-cfn clients.

``stack_scaling``
    Create and delete one stack of 10, then of 100 ``OS::Nova::Server``
    (Heat's real 1 s poll schedule, cold discovery cache each), counting
    the mock's requests and the wall time, each per server.  Linear cost
    means ``per_server_ratio`` (100 servers ÷ 10, per server) near 1.

``cfn_events``
    ``DescribeStackEvents`` of one 3-server stack (its create events)
    polled through heat-api-cfn's ``deltacloud`` pipeline (the stack
    owner's credentials in X-Auth-User/X-Auth-Key, checked by the paste
    filter) by 1, 2, 4 and 8 client threads with keep-alive sessions, a
    fixed number of requests per level.  Requests per second, p50/p99
    latency, and the speed-up of each level over one client.
"""

import time

import requests

from heat_deltacloud.heat import connection
from heat_deltacloud.mock.server import MockServer

from benchmarks.common import (create_and_delete, median, percentile,
                               server_template)
from benchmarks.signals import hammer

SIZES = (10, 100)
EVENT_CLIENTS = (1, 2, 4, 8)
EVENT_REQUESTS = 120
USER, PASSWORD = "scaler", "scaler-pw"


def stack_scaling(heat, sizes=SIZES):
    rows = []
    with MockServer() as mock:
        for size in sizes:
            mock.reset()
            connection.DISCOVERY.clear()
            ctx = heat.context("mockuser", "mockpassword", mock.url)
            started = time.perf_counter()
            created, deleted = create_and_delete(
                heat, ctx, f"scale{size}", server_template(size),
                timeout=1200)
            wall = time.perf_counter() - started
            assert created["stack_status"] == "COMPLETE", created
            assert deleted["stack_status"] == "COMPLETE", deleted
            requests_made = sum(mock.request_counts().values())
            rows.append({"servers": size, "requests": requests_made,
                         "requests_per_server": round(
                             requests_made / size, 2),
                         "wall_s": round(wall, 1),
                         "s_per_server": round(wall / size, 3)})
    first = rows[0]
    for row in rows:
        row["per_server_ratio"] = round(
            row["s_per_server"] / first["s_per_server"], 2)
    return rows


def cfn_events(heat, clients=EVENT_CLIENTS, total=EVENT_REQUESTS):
    from heat_deltacloud.heat import apis

    rows = []
    with MockServer(users={USER: PASSWORD}) as mock, \
            apis.serve(heat) as api:
        ctx = heat.context(USER, PASSWORD, mock.url)
        identity = heat.engine_client.create_stack(
            ctx, "events", server_template(3), {}, {},
            {"timeout_mins": 10})
        try:
            stack = heat.wait_for_stack(ctx, identity, timeout=300)
            assert stack["stack_status"] == "COMPLETE", stack
            owner = {"X-Auth-User": USER, "X-Auth-Key": PASSWORD,
                     "X-Auth-Url": mock.url}
            url = (f"{api.heat_api_cfn}/v1/?Action=DescribeStackEvents"
                   f"&StackName={identity['stack_name']}")
            warm = requests.get(url, headers=owner, timeout=60)
            assert warm.status_code == 200, warm.text
            events = warm.text.count("<member>")

            def send(session, i):
                return session.get(url, headers=owner,
                                   timeout=60).status_code

            hammer(send, 2 * max(clients), max(clients))  # warm-up
            for count in clients:
                _, elapsed, latencies, statuses = hammer(send, total, count)
                rows.append({
                    "clients": count, "requests": len(latencies),
                    "events": events,
                    "ok": sum(1 for s in statuses if s == 200),
                    "rps": round(len(latencies) / elapsed, 1),
                    "p50_ms": round(median(latencies) * 1000, 1),
                    "p99_ms": round(percentile(latencies, 0.99) * 1000, 1)})
        finally:
            heat.delete_stack(ctx, identity)
    for row in rows:
        row["speedup"] = round(row["rps"] / rows[0]["rps"], 2)
    return rows
