"""Deltacloud requests to create and delete a stack of N servers.

The floor per server is what the Deltacloud API cannot do without: one
create, one stop and one destroy (the mock destroys only stopped
instances), one read for Heat's create check and one for its delete check.
Discovery (/api, hardware profile, image) should cost O(1) per stack.
"""

from heat_deltacloud.heat import connection
from heat_deltacloud.mock.server import MockServer

from benchmarks.common import create_and_delete, server_template

FLOOR_PER_SERVER = 5
TARGET = 1.5


def run(heat, sizes=(1, 10, 30)):
    rows = []
    with MockServer() as mock:
        for n in sizes:
            mock.reset()
            connection.DISCOVERY.clear()
            ctx = heat.context("mockuser", "mockpassword", mock.url)
            created, deleted = create_and_delete(heat, ctx, f"budget{n}",
                                                 server_template(n))
            assert created["stack_status"] == "COMPLETE", created
            assert deleted["stack_status"] == "COMPLETE", deleted
            counts = mock.request_counts()
            total = sum(counts.values())
            discovery = sum(counts.get(k, 0) for k in (
                "GET /api", "GET /api/hardware_profiles/:id",
                "GET /api/images/:id"))
            floor = FLOOR_PER_SERVER * n
            rows.append({"servers": n, "requests": total, "floor": floor,
                         "ratio": round(total / floor, 2),
                         "discovery_requests": discovery,
                         "routes": dict(sorted(counts.items())),
                         "target": TARGET,
                         "met": total / floor <= TARGET})
    return rows
