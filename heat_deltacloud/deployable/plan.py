"""What the translation can express, and in which order things happen.

References to ``ADDRESS_FACTS`` of another assembly are *soft*: the value
is known to Heat (an instance attribute, or a pre-allocated address when
the reference points forward).  References to any other fact of another
assembly are *hard*: the value exists only once the other assembly's
boot script has run, so it travels through that assembly's wait
condition.  Assemblies are created in an order that satisfies every hard
reference and as many soft ones as possible; each soft reference that
points forward gives its target an ``AWS::EC2::EIP``.
"""

import dataclasses
import heapq
import re

from heat_deltacloud.deployable.errors import DeployableError, Problem
from heat_deltacloud.deployable.graph import (cycle_through, ordered,
                                              strongly_connected)
from heat_deltacloud.deployable.validate import references, where

#: Facts Heat knows without asking the instance, and the attribute of
#: ``AWS::EC2::Instance`` that yields them (Heat has no host names: the
#: DNS name attributes return the address).
ADDRESS_FACTS = {"ipaddress": "PrivateIp", "hostname": "PrivateDnsName",
                 "fqdn": "PrivateDnsName"}

#: Service, parameter and return names become directory, file and
#: environment names on the instance.
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
#: A file must land inside its service's directory, beside ``start``.
FILENAME = re.compile(r"(?!start\Z)(?!\.\.?\Z)[^/\0]+\Z")


def custom_facts(assembly):
    """The returns of ``assembly`` that only its boot can tell (every one
    but the ``ADDRESS_FACTS``), published through its wait condition."""
    return tuple(name for name in assembly.return_names
                 if name not in ADDRESS_FACTS)


@dataclasses.dataclass(frozen=True)
class Plan:
    """Creation order, forward-referenced assemblies, service order."""

    order: tuple[str, ...]
    addresses: frozenset[str]
    services: dict


def make(deployable, *, wait_conditions):
    """The :class:`Plan` of a checked deployable, or every problem the
    translation has with it (names, references, unbreakable cycles)."""
    problems = (_names(deployable)
                + _references(deployable, wait_conditions))
    order, addresses, cycles = _assembly_order(
        deployable, _assembly_dependencies(deployable, wait_conditions))
    problems += cycles
    if problems:
        raise DeployableError(problems)
    return Plan(order, addresses,
                {a.name: _service_order(a) for a in deployable.assemblies})


def _names(deployable):
    problems = []
    for assembly in deployable.assemblies:
        _unique_names(problems, "service", assembly.services,
                      lambda s, a=assembly: where(a, s))
        _unique_names(problems, "return", assembly.returns,
                      lambda r, a=assembly: f"{a.name}.{r.name}")
        for service in assembly.services:
            _unique_names(problems, "parameter", service.parameters,
                          lambda p, a=assembly, s=service: where(a, s, p))
            for file in service.files:
                if not FILENAME.match(file.filename or ""):
                    problems.append(Problem(
                        file.line, f"file {where(assembly, service)}",
                        f"file name {file.filename!r} cannot be placed "
                        f"beside the service's start script"))
    return problems


def _unique_names(problems, kind, items, name_of):
    seen = set()
    for item in items:
        element = f"{kind} {name_of(item)}"
        if not NAME.match(item.name):
            problems.append(Problem(
                item.line, element,
                f"name {item.name!r} is not usable on the instance "
                f"(letters, digits, '_', '.', '-')"))
        elif item.name in seen:
            problems.append(Problem(item.line, element,
                                    f"{kind} names must be unique"))
        seen.add(item.name)


def _references(deployable, wait_conditions):
    problems = []
    for assembly, service, parameter in references(deployable):
        ref = parameter.reference
        element = f"reference {where(assembly, service, parameter)}"
        remote = ref.assembly != assembly.name
        if ref.service is not None and remote:
            problems.append(Problem(ref.line, element, (
                f"references service {ref.assembly}.{ref.service} of "
                f"another assembly: not supported (Audrey's config "
                f"server did not support it either)")))
        elif ref.service == service.name:
            problems.append(Problem(ref.line, element, (
                f"service {service.name} references its own status")))
        elif (remote and ref.parameter is not None
              and ref.parameter not in ADDRESS_FACTS
              and not wait_conditions):
            problems.append(Problem(ref.line, element, (
                f"references custom fact {ref.parameter} of assembly "
                f"{ref.assembly}: only delivered through wait "
                f"conditions (drop --no-wait-conditions)")))
    return problems


def _assembly_dependencies(deployable, wait_conditions):
    """assembly -> {provider: hard?} for references between assemblies.

    Without wait conditions hard references are already problems; they
    are left out so that they do not show up as cycles as well.
    """
    deps = {a.name: {} for a in deployable.assemblies}
    for assembly, _service, parameter in references(deployable):
        ref = parameter.reference
        if ref.parameter is None or ref.assembly == assembly.name:
            continue
        hard = ref.parameter not in ADDRESS_FACTS
        if hard and not wait_conditions:
            continue
        deps[assembly.name][ref.assembly] = \
            deps[assembly.name].get(ref.assembly, False) or hard
    return deps


def _assembly_order(deployable, deps):
    """Creation order, assemblies given an address up front, problems.

    Kahn's algorithm over two queues in document order: an assembly whose
    providers all exist is taken first; failing that, the first one whose
    *hard* providers exist, and its missing providers get addresses.
    """
    names = [a.name for a in deployable.assemblies]
    position = {name: i for i, name in enumerate(names)}
    missing = {name: len(deps[name]) for name in names}
    missing_hard = {name: sum(deps[name].values()) for name in names}
    consumers = {name: [] for name in names}
    for name in names:
        for provider, hard in deps[name].items():
            consumers[provider].append((name, hard))
    ready = [position[n] for n in names if not missing[n]]
    hard_ready = [position[n] for n in names if not missing_hard[n]]
    heapq.heapify(ready)
    heapq.heapify(hard_ready)
    placed, addresses = {}, set()
    while len(placed) < len(names):
        name = _next(ready, names, placed)
        if name is None:
            name = _next(hard_ready, names, placed)
            if name is None:
                break
            addresses.update(p for p in deps[name] if p not in placed)
        placed[name] = None
        for consumer, hard in consumers[name]:
            missing[consumer] -= 1
            if not missing[consumer]:
                heapq.heappush(ready, position[consumer])
            missing_hard[consumer] -= hard
            if hard and not missing_hard[consumer]:
                heapq.heappush(hard_ready, position[consumer])
    stuck = {n: [p for p, hard in deps[n].items() if hard]
             for n in names if n not in placed}
    return tuple(placed), frozenset(addresses), \
        _cycles(deployable, stuck)


def _next(queue, names, placed):
    """The first name in ``queue`` not yet placed (or None)."""
    while queue:
        name = names[heapq.heappop(queue)]
        if name not in placed:
            return name
    return None


def _cycles(deployable, hard_graph):
    problems = []
    for component in strongly_connected(hard_graph):
        if len(component) < 2:
            continue
        assembly = deployable.assembly(component[0])
        cycle = " -> ".join(cycle_through(hard_graph, component))
        problems.append(Problem(assembly.line, f"assembly {assembly.name}", (
            f"cyclic references the translation cannot break: {cycle} "
            f"(a custom fact is only known once its assembly has finished "
            f"booting)")))
    return problems


def _service_order(assembly):
    """Services in document order, moved after the services they reference.
    """
    after = {s.name: [p.reference.service for p in s.parameters
                      if p.reference is not None
                      and p.reference.service is not None
                      and p.reference.assembly == assembly.name]
             for s in assembly.services}
    return tuple(assembly.service(name) for name in
                 ordered([s.name for s in assembly.services], after))
