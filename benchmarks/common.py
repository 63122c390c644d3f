"""Shared helpers: timing, results and the embedded stack runner."""

import gc
import statistics
import time


def timed(function, collector=True):
    """Seconds one call of ``function`` takes, after a full collection.

    With ``collector=False`` the cyclic garbage collector is off during
    the call, as :mod:`timeit` does: the figure is then the code's own
    work, not whether the collector's allocation thresholds happened to
    trip over a large heap during it.
    """
    gc.collect()
    if not collector:
        gc.disable()
    try:
        started = time.perf_counter()
        function()
        return time.perf_counter() - started
    finally:
        gc.enable()


def interleaved_best(functions, repeat=5, collector=True):
    """The fastest of ``repeat`` :func:`timed` runs of each of
    ``functions`` (a dict), least noisy; the runs are interleaved so that a
    slow spell of the machine hits them alike."""
    times = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            times[name].append(timed(function, collector))
    return {name: min(runs) for name, runs in times.items()}


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
