"""Deltacloud requests to create and delete a stack of N servers.

The floor per server is what the Deltacloud API cannot do without: one
create, one stop and one destroy (the mock destroys only stopped
instances), one read for Heat's create check and one for its delete check.
Discovery (/api, hardware profile, image) should cost O(1) per stack.

Each size runs with a cold discovery cache.  One more one-server stack runs
right after the first, within ``discovery_cache_ttl``, as an operator's
second stack would: its discovery is already cached.
"""

from heat_deltacloud.heat import connection
from heat_deltacloud.mock.server import MockServer

from benchmarks.common import create_and_delete, server_template

FLOOR_PER_SERVER = 5
#: Targets: one server with discovery cached, and N >= 10 servers.
TARGET_ONE = 1.5
TARGET_MANY = 1.2
DISCOVERY_ROUTES = ("GET /api", "GET /api/hardware_profiles/:id",
                    "GET /api/images/:id")


def _counted_stack(heat, mock, name, servers):
    mock.clear_requests()
    ctx = heat.context("mockuser", "mockpassword", mock.url)
    created, deleted = create_and_delete(heat, ctx, name,
                                         server_template(servers))
    assert created["stack_status"] == "COMPLETE", created
    assert deleted["stack_status"] == "COMPLETE", deleted
    counts = mock.request_counts()
    total = sum(counts.values())
    floor = FLOOR_PER_SERVER * servers
    target = TARGET_MANY if servers >= 10 else TARGET_ONE
    return {"requests": total, "floor": floor,
            "ratio": round(total / floor, 2),
            "discovery_requests": sum(counts.get(k, 0)
                                      for k in DISCOVERY_ROUTES),
            "routes": dict(sorted(counts.items())), "target": target,
            "met": total / floor <= target}


def run(heat, sizes=(1, 10, 30)):
    rows = []
    with MockServer() as mock:
        for n in sizes:
            mock.reset()
            connection.DISCOVERY.clear()
            rows.append({"servers": n, "discovery": "cold",
                         **_counted_stack(heat, mock, f"budget{n}", n)})
            if n == 1:
                rows.append({"servers": n, "discovery": "cached",
                             **_counted_stack(heat, mock, "budget1again",
                                              n)})
    return rows
