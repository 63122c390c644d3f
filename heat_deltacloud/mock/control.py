"""The mock's test controls: request log, fault injection, capabilities.

Kept apart from the cloud state (:mod:`.models`): these describe how the
mock behaves, not what the cloud holds.  All methods are thread-safe.
"""

import collections
import fnmatch
import random
import threading
import time

from heat_deltacloud.mock import drivers
from heat_deltacloud.mock.drivers import mock as mock_driver

#: The mock driver's collections and switchable features (see
#: :mod:`.drivers.mock`); every emulated driver has its own catalog.
CATALOG = mock_driver.CATALOG
#: Collections off by default, as in the real mock driver.
OFF_BY_DEFAULT = mock_driver.DRIVER.off_by_default
#: The request log keeps this many records (the counts are complete).
LOG_LIMIT = 10000
#: Longest latency a fault may inject, so a typo cannot hang a test run.
MAX_LATENCY = 60.0


class Fault:
    """What to do to requests matching ``method`` and ``route``.

    ``route`` is a glob matched against the route template
    (``/api/instances/:id``) and against the actual path.  ``status``
    answers with that error document; ``drop`` closes the connection
    without any response; ``latency`` (seconds) delays first.  With
    ``after`` the request is carried out and only its answer is replaced
    or lost.  A fault applies with ``probability`` (drawn from a generator
    seeded with ``seed``), at most ``count`` times when given.
    """

    def __init__(self, method="*", route="*", *, status=None, latency=0.0,
                 drop=False, probability=1.0, count=None, seed=None,
                 message=None, after=False):
        if status is None and not drop and not latency:
            raise ValueError("a fault needs a status, drop or latency")
        if status is not None and not 400 <= int(status) <= 599:
            raise ValueError("a fault status must be 400-599")
        if not 0.0 <= float(latency) <= MAX_LATENCY:
            raise ValueError(f"latency must be 0-{MAX_LATENCY:g} seconds")
        if not 0.0 <= float(probability) <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if count is not None and int(count) < 1:
            raise ValueError("count must be at least 1")
        self.method = str(method).upper()
        self.route = str(route)
        self.status = None if status is None else int(status)
        self.latency = float(latency)
        self.drop = bool(drop)
        self.probability = float(probability)
        self.count = None if count is None else int(count)
        self.message = message
        self.after = bool(after)
        self.seed = seed
        self.random = random.Random(seed)  # noqa: S311 - seeded, not crypto

    def matches(self, method, template, path):
        return (self.method in ("*", method) and
                (fnmatch.fnmatchcase(template, self.route) or
                 fnmatch.fnmatchcase(path, self.route)))

    def describe(self):
        return {"method": self.method, "route": self.route,
                "status": self.status, "latency": self.latency,
                "drop": self.drop, "probability": self.probability,
                "count": self.count, "seed": self.seed,
                "after": self.after, "message": self.message}


class Controls:
    """Switches, faults and the request log of one mock app."""

    def __init__(self, *, user_data_feature=False):
        self._lock = threading.Lock()
        self._user_data_feature = bool(user_data_feature)
        self.reset()

    def reset(self):
        with self._lock:
            self.log = collections.deque(maxlen=LOG_LIMIT)
            self.counts = collections.Counter()
            self.faults = []
            self.in_flight = 0
            self.peak_in_flight = 0
            # The mock driver hides user_data by default; the switch is
            # set only to show it, so other drivers keep their own.
            self.switches = {("instances", "user_data"): True} \
                if self._user_data_feature else {}

    # -- capabilities ---------------------------------------------------------

    def set_capability(self, collection, feature=None, enabled=True):
        """Show or hide a collection (``feature=None``) or a feature, for
        every driver that has it."""
        known = {f[0] for d in drivers.DRIVERS.values()
                 for f in d.catalog.get(collection, ())}
        if not any(collection in d.catalog
                   for d in drivers.DRIVERS.values()) or (
                feature is not None and feature not in known):
            raise KeyError(f"unknown capability {collection}/{feature}")
        with self._lock:
            self.switches[(collection, feature)] = bool(enabled)

    def collection_enabled(self, name, driver=None):
        with self._lock:
            return self._collection_enabled(name, driver)

    def _collection_enabled(self, name, driver=None):
        driver = driver or mock_driver.DRIVER
        if name not in driver.catalog:
            return False
        return self.switches.get((name, None),
                                 name not in driver.off_by_default)

    def entry_point(self, driver=None):
        """``[(collection, [(feature, operation, params)])]`` shown."""
        driver = driver or mock_driver.DRIVER
        with self._lock:
            return [(name, [(f, op, params)
                            for f, op, params, default in features
                            if self.switches.get((name, f), default)])
                    for name, features in driver.catalog.items()
                    if self._collection_enabled(name, driver)]

    def feature_enabled(self, collection, feature, driver=None):
        """Whether :meth:`entry_point` shows ``feature`` of
        ``collection``."""
        driver = driver or mock_driver.DRIVER
        with self._lock:
            return self._collection_enabled(collection, driver) and any(
                f == feature and self.switches.get((collection, f),
                                                   default)
                for f, _, _, default in driver.catalog[collection])

    # -- faults ---------------------------------------------------------------

    def add_fault(self, fault):
        with self._lock:
            self.faults.append(fault)
            return len(self.faults) - 1

    def clear_faults(self):
        with self._lock:
            self.faults = []

    def describe_faults(self):
        with self._lock:
            return [f.describe() for f in self.faults]

    def fault_for(self, method, template, path):
        """The first matching fault that fires this time, if any."""
        with self._lock:
            for fault in self.faults:
                if not fault.matches(method, template, path) or \
                        fault.count == 0:
                    continue
                if fault.random.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                return fault
        return None

    # -- request log ----------------------------------------------------------

    def begin(self):
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def record(self, method, template, path, status, user):
        """Log one answered request; ``user`` is the Basic-auth name."""
        with self._lock:
            self.in_flight -= 1
            self.counts[f"{method} {template}"] += 1
            self.log.append({"method": method, "route": template,
                             "path": path, "status": status, "user": user,
                             "time": time.time()})

    def clear_requests(self):
        with self._lock:
            self.log.clear()
            self.counts.clear()
            self.peak_in_flight = self.in_flight

    def requests(self):
        with self._lock:
            return {"requests": list(self.log), "counts": dict(self.counts),
                    "peak_concurrency": self.peak_in_flight}
