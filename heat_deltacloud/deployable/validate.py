"""Conductor's rules beyond the grammar (see docs/user/deployables.rst).

1. assembly names are unique;
2. no cycle among service references (a strongly connected component of
   more than one (assembly, service) node);
3. every reference names an existing assembly, a return that assembly
   declares, or a service that exists.

All problems are collected; :func:`check` raises them together.
"""

from heat_deltacloud.deployable.errors import DeployableError, Problem
from heat_deltacloud.deployable.graph import (cycle_through,
                                              strongly_connected)


def where(assembly, service=None, parameter=None):
    """The dotted name of an element, as shown in problems."""
    parts = [assembly.name]
    parts += [] if service is None else [service.name]
    parts += [] if parameter is None else [parameter.name]
    return ".".join(parts)


def references(deployable):
    """(assembly, service, parameter) for every referencing parameter."""
    for assembly in deployable.assemblies:
        for service in assembly.services:
            for parameter in service.parameters:
                if parameter.reference is not None:
                    yield assembly, service, parameter


def check(deployable):
    problems = (_duplicate_assemblies(deployable)
                + _service_cycles(deployable)
                + _unresolved(deployable))
    if problems:
        raise DeployableError(problems)
    return deployable


def _duplicate_assemblies(deployable):
    seen = {}
    problems = []
    for assembly in deployable.assemblies:
        if assembly.name in seen:
            problems.append(Problem(
                assembly.line, f"assembly {assembly.name}",
                f"assembly names must be unique (first defined on line "
                f"{seen[assembly.name]})"))
        seen.setdefault(assembly.name, assembly.line)
    return problems


def _unresolved(deployable):
    problems = []
    for assembly, service, parameter in references(deployable):
        ref = parameter.reference
        target = deployable.assembly(ref.assembly)
        element = f"reference {where(assembly, service, parameter)}"
        if target is None:
            message = f"references not existing assembly {ref.assembly}"
        elif ref.parameter is not None and \
                ref.parameter not in target.return_names:
            message = (f"references parameter {ref.parameter} which is "
                       f"not returned by assembly {ref.assembly}")
        elif ref.service is not None and target.service(ref.service) is None:
            message = (f"references not existing service "
                       f"{ref.assembly}.{ref.service}")
        else:
            continue
        problems.append(Problem(ref.line, element, message))
    return problems


def _service_graph(deployable):
    """Edges (assembly, service) -> referenced (assembly, service)."""
    graph = {(a.name, s.name): [] for a in deployable.assemblies
             for s in a.services}
    for assembly, service, parameter in references(deployable):
        ref = parameter.reference
        if ref.service is not None:
            graph[assembly.name, service.name].append(
                (ref.assembly, ref.service))
    return graph


def _service_cycles(deployable):
    lines = {(a.name, s.name): s.line for a in deployable.assemblies
             for s in a.services}
    graph = _service_graph(deployable)
    problems = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        path = " -> ".join(f"{a}[{s}]" for a, s in
                           cycle_through(graph, component))
        first = component[0]
        problems.append(Problem(
            lines.get(first), f"service {first[0]}.{first[1]}",
            f"cyclic reference between assemblies or services: {path}"))
    return problems

