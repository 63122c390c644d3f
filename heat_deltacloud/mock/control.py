"""The mock's test controls: request log, fault injection, capabilities.

Kept apart from the cloud state (:mod:`.models`): these describe how the
mock behaves, not what the cloud holds.  All methods are thread-safe.
"""

import collections
import fnmatch
import random
import threading
import time

#: Collections the mock can serve, each with the features it can
#: advertise: (feature, operation, params, on by default).
CATALOG = {
    "instances": [("metrics", "create", ["metrics"], True),
                  ("realm_filter", "index", ["realm_id"], True),
                  ("user_name", "create", ["name"], True),
                  ("authentication_key", "create", ["keyname"], True),
                  ("user_data", "create", ["user_data"], False),
                  ("firewalls", "create", ["firewalls"], False)],
    "realms": [],
    "hardware_profiles": [],
    "images": [],
    "instance_states": [],
    "keys": [],
    "addresses": [],
    "storage_volumes": [],
    "drivers": [],
    "firewalls": [],
}
#: Collections off by default, as in the real mock driver.
OFF_BY_DEFAULT = frozenset({"firewalls"})
LOG_LIMIT = 10000


class Fault:
    """What to do to requests matching ``method`` and ``route``.

    ``route`` is a glob matched against the route template
    (``/api/instances/:id``) and against the actual path.  ``status``
    answers with that error; ``drop`` sends headers and then closes the
    connection without the body; ``latency`` delays first.  With ``after``
    the request is carried out first and only its response is replaced (a
    lost answer).  Each applies with ``probability`` (seeded), at most
    ``count`` times when given.
    """

    def __init__(self, method="*", route="*", *, status=None, latency=0.0,
                 drop=False, probability=1.0, count=None, seed=None,
                 message=None, after=False):
        if status is None and not drop and not latency:
            raise ValueError("a fault needs a status, drop or latency")
        self.method = method.upper()
        self.route = route
        self.status = status
        self.latency = float(latency)
        self.drop = bool(drop)
        self.probability = float(probability)
        self.count = count
        self.message = message
        self.after = bool(after)
        self.random = random.Random(seed)  # noqa: S311 - seeded, not crypto

    def matches(self, method, template, path):
        return (self.method in ("*", method) and
                (fnmatch.fnmatchcase(template, self.route) or
                 fnmatch.fnmatchcase(path, self.route)))

    def describe(self):
        return {"method": self.method, "route": self.route,
                "status": self.status, "latency": self.latency,
                "drop": self.drop, "probability": self.probability,
                "count": self.count, "after": self.after}


class Controls:
    def __init__(self, *, user_data_feature=False):
        self._lock = threading.Lock()
        self._user_data_feature = user_data_feature
        self.reset()

    def reset(self):
        with self._lock:
            self.log = collections.deque(maxlen=LOG_LIMIT)
            self.counts = collections.Counter()
            self.faults = []
            self.in_flight = 0
            self.peak_in_flight = 0
            self.switches = {("instances", "user_data"):
                             self._user_data_feature}

    # -- capabilities --------------------------------------------------------

    def set_capability(self, collection, feature=None, enabled=True):
        if collection not in CATALOG or (
                feature is not None and feature not in
                [f[0] for f in CATALOG[collection]]):
            raise KeyError(f"unknown capability {collection}/{feature}")
        with self._lock:
            self.switches[(collection, feature)] = bool(enabled)

    def collection_enabled(self, name):
        with self._lock:
            return self.switches.get((name, None),
                                     name not in OFF_BY_DEFAULT)

    def entry_point(self):
        """``[(collection, [(feature, operation, params)])]`` shown."""
        shown = []
        for name, features in CATALOG.items():
            if not self.collection_enabled(name):
                continue
            with self._lock:
                on = [(f, op, params) for f, op, params, default in features
                      if self.switches.get((name, f), default)]
            shown.append((name, on))
        return shown

    def feature_enabled(self, collection, feature):
        return any(f == feature for name, features in self.entry_point()
                   if name == collection for f, _, _ in features)

    # -- faults --------------------------------------------------------------

    def add_fault(self, fault):
        with self._lock:
            self.faults.append(fault)
            return len(self.faults) - 1

    def clear_faults(self):
        with self._lock:
            self.faults = []

    def fault_for(self, method, template, path):
        with self._lock:
            for fault in self.faults:
                if not fault.matches(method, template, path):
                    continue
                if fault.count is not None and fault.count <= 0:
                    continue
                if fault.random.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                return fault
        return None

    # -- request log ---------------------------------------------------------

    def begin(self):
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def record(self, method, template, path, status, user):
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
