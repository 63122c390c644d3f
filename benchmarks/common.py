"""Shared helpers: timing, results and the embedded stack runner."""

import statistics
import time


def best_of(function, repeat=5):
    """The fastest of ``repeat`` runs, in seconds (least noisy)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(values):
    return statistics.median(values)


def server_template(count, prefix="s"):
    return {"heat_template_version": "2018-08-31",
            "resources": {f"{prefix}{i}": {
                "type": "OS::Nova::Server",
                "properties": {"image": "img1", "flavor": "m1-small",
                               "user_data_format": "RAW"}}
                for i in range(count)}}


def create_and_delete(heat, ctx, name, template, timeout=300):
    identity = heat.engine_client.create_stack(ctx, name, template, {}, {},
                                               {"timeout_mins": 10})
    created = heat.wait_for_stack(ctx, identity, timeout=timeout)
    return created, heat.delete_stack(ctx, identity, timeout=timeout)
