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
import re

from heat_deltacloud.deployable.errors import DeployableError, Problem
from heat_deltacloud.deployable.validate import references, where

#: Facts Heat knows without asking the instance, and the attribute of
#: ``AWS::EC2::Instance`` that yields them (Heat has no host names: the
#: DNS name attributes return the address).
ADDRESS_FACTS = {"ipaddress": "PrivateIp", "hostname": "PrivateDnsName"}

#: Service, parameter and return names become directory, file and
#: environment names on the instance.
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
#: A file must land inside its service's directory, beside ``start``.
FILENAME = re.compile(r"(?!start\Z)(?!\.\.?\Z)[^/\0]+\Z")


@dataclasses.dataclass(frozen=True)
class Plan:
    """Creation order, forward-referenced assemblies, service order."""

    order: tuple[str, ...]
    addresses: frozenset[str]
    services: dict


def make(deployable, *, wait_conditions):
    problems = (_names(deployable)
                + _references(deployable, wait_conditions))
    if problems:
        raise DeployableError(problems)
    order, addresses = _assembly_order(deployable)
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


def _assembly_dependencies(deployable):
    """assembly -> {provider: hard?} for references between assemblies."""
    deps = {a.name: {} for a in deployable.assemblies}
    for assembly, _service, parameter in references(deployable):
        ref = parameter.reference
        if ref.parameter is None or ref.assembly == assembly.name:
            continue
        hard = ref.parameter not in ADDRESS_FACTS
        deps[assembly.name][ref.assembly] = \
            deps[assembly.name].get(ref.assembly, False) or hard
    return deps


def _assembly_order(deployable):
    deps = _assembly_dependencies(deployable)
    placed, addresses = [], set()
    remaining = [a.name for a in deployable.assemblies]

    def waiting(name, hard_only):
        return [d for d, hard in deps[name].items()
                if d not in placed and (hard or not hard_only)]

    while remaining:
        ready = next((n for n in remaining if not waiting(n, False)), None)
        if ready is None:
            ready = next((n for n in remaining if not waiting(n, True)),
                         None)
            if ready is None:
                raise DeployableError([_cycle(deployable, remaining[0],
                                              lambda n: waiting(n, True))])
            addresses.update(waiting(ready, False))
        placed.append(ready)
        remaining.remove(ready)
    return tuple(placed), frozenset(addresses)


def _cycle(deployable, start, hard_waiting):
    path, node = [], start
    while node not in path:
        path.append(node)
        node = hard_waiting(node)[0]
    cycle = path[path.index(node):] + [node]
    assembly = deployable.assembly(cycle[0])
    return Problem(assembly.line, f"assembly {assembly.name}", (
        f"cyclic references the translation cannot break: "
        f"{' -> '.join(cycle)} (a custom fact is only known once its "
        f"assembly has finished booting)"))


def _service_order(assembly):
    """Services in document order, moved after the services they reference.
    """
    after = {s.name: {p.reference.service for p in s.parameters
                      if p.reference is not None
                      and p.reference.service is not None
                      and p.reference.assembly == assembly.name}
             for s in assembly.services}
    done, order = set(), []
    while len(order) < len(assembly.services):
        service = next(s for s in assembly.services
                       if s.name not in done and after[s.name] <= done)
        done.add(service.name)
        order.append(service)
    return tuple(order)
