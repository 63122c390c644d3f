"""What going through Deltacloud costs: heat-deltacloud + the mock vs a
zero-cost backend, on the same in-process Heat.

The zero-cost backend is this package's client plugins and shims with the
Deltacloud client replaced by :class:`DictDeltacloud`, which answers from
dicts: no HTTP, no XML, no mock server.  Its discovery answers (``/api``,
hardware profiles, images) and its instance documents are the mock's own,
read once over HTTP before timing, so Heat sees the same objects either
way.  The ratio is the wall time of creating and deleting a 20-server
stack through the mock over the same through the dicts.  Heat's own
schedule (1 s between leaf resources, 1 s polls) dominates that wall time,
so the CPU time of the whole process (engine, client and the in-process
mock) is reported too: ``cpu_ratio`` is what the backend costs in work.
"""

import dataclasses
import itertools
import threading
import time

from heat_deltacloud.deltacloud import Client, Discovery, exceptions
from heat_deltacloud.heat import backend, connection, plugins
from heat_deltacloud.mock.server import MockServer

from benchmarks.common import create_and_delete, server_template

SERVERS = 20
TARGET = 1.25
REPEAT = 2


def _get(items, ident):
    try:
        return items[ident]
    except KeyError:
        raise exceptions.NotFound(f"{ident} not found",
                                  status=404) from None


class _Table:
    """Hardware profiles or images: ``get``, ``cached`` and ``list``."""

    def __init__(self, items):
        self._items = {item.id: item for item in items}

    def get(self, ident):
        return _get(self._items, ident)

    cached = get

    def list(self):
        return list(self._items.values())


class _Instances:
    """Instances in a dict; created RUNNING, stop then destroy."""

    def __init__(self, running, stopped):
        self._running, self._stopped = running, stopped
        self._items = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def create(self, image_id, **params):
        with self._lock:
            ident = f"zero{next(self._ids)}"
            self._items[ident] = dataclasses.replace(
                self._running, id=ident, name=params.get("name") or ident,
                image_id=image_id,
                hardware_profile_id=params.get("hwp_id"))
            return self._items[ident]

    def get(self, ident):
        return _get(self._items, ident)

    def list(self):
        return list(self._items.values())

    def stop(self, instance):
        ident = getattr(instance, "id", instance)
        with self._lock:
            self._items[ident] = dataclasses.replace(
                self._stopped, id=ident, name=self._items[ident].name)
            return self._items[ident]

    def act_unread(self, ident, rel):
        """``stop`` at the fixed route, as the Nova shim's delete sends."""
        if rel != "stop":
            raise NotImplementedError(f"the zero-cost backend has no {rel}")
        _get(self._items, ident)
        return self.stop(ident)

    def destroy(self, instance):
        with self._lock:
            self._items.pop(getattr(instance, "id", instance), None)


class DictDeltacloud:
    """The part of :class:`~heat_deltacloud.deltacloud.Client` a server
    stack uses, answering from dicts."""

    def __init__(self, api, profiles, images, running, stopped):
        self.api = api
        self.discovery = Discovery()
        self.hardware_profiles = _Table(profiles)
        self.images = _Table(images)
        self.instances = _Instances(running, stopped)

    def supports(self, collection, feature=None):
        return self.api.supports(collection, feature)


def dict_cloud(mock):
    """A :class:`DictDeltacloud` seeded with the mock's own documents."""
    client = Client(mock.url, "mockuser", "mockpassword")
    running = client.instances.create("img1", hwp_id="m1-small")
    stopped = client.instances.stop(running)
    client.instances.destroy(stopped)
    return DictDeltacloud(client.api, client.hardware_profiles.list(),
                          client.images.list(), running, stopped)


def zero_plugins(cloud):
    """This package's plugin table, every plugin reading ``cloud``."""
    return {name: type(f"Zero{cls.__name__}", (cls,),
                       {"deltacloud": lambda self: cloud})
            for name, cls in plugins.DELTACLOUD.items()}


def _timed_stack(heat, mock, name):
    """``(wall seconds, CPU seconds)`` to create and delete the stack."""
    ctx = heat.context("mockuser", "mockpassword", mock.url)
    started, cpu = time.perf_counter(), time.process_time()
    created, deleted = create_and_delete(heat, ctx, name,
                                         server_template(SERVERS))
    assert created["stack_status"] == "COMPLETE", created
    assert deleted["stack_status"] == "COMPLETE", deleted
    return time.perf_counter() - started, time.process_time() - cpu


def run(heat, repeat=REPEAT):
    through_mock, through_dicts = [], []
    with MockServer() as mock:
        cloud = dict_cloud(mock)
        for n in range(repeat):
            mock.reset()
            connection.DISCOVERY.clear()
            through_mock.append(_timed_stack(heat, mock, f"mock{n}"))
            real = backend.configured_backend
            backend.configured_backend = lambda conf=None: zero_plugins(
                cloud)
            try:
                mock.clear_requests()
                through_dicts.append(_timed_stack(heat, mock, f"dicts{n}"))
                assert sum(mock.request_counts().values()) == 0
            finally:
                backend.configured_backend = real
    (best_mock, cpu_mock), (best_dicts, cpu_dicts) = (
        (min(wall for wall, _ in runs), min(cpu for _, cpu in runs))
        for runs in (through_mock, through_dicts))
    return [{"servers": SERVERS, "mock_s": round(best_mock, 2),
             "zero_cost_s": round(best_dicts, 2),
             "ratio": round(best_mock / best_dicts, 2),
             "cpu_mock_s": round(cpu_mock, 2),
             "cpu_zero_cost_s": round(cpu_dicts, 2),
             "cpu_ratio": round(cpu_mock / cpu_dicts, 2),
             "runs": repeat, "target": TARGET,
             "met": best_mock / best_dicts <= TARGET}]
