"""Large documents: no quadratic pass, no recursion limit (the timing
itself is the benchmark's job)."""

import pytest

from heat_deltacloud.deployable import (DeployableError, Mapping, load,
                                        translate)

MAPPING = Mapping({"h": "m1-small"}, {"i": "img1"})
COUNT = 1200


def _document(reference):
    """``COUNT`` assemblies; assembly i's service has a parameter whose
    child is ``reference(i)`` (XML naming another assembly, or "")."""
    parts = ["<deployable name='big'><assemblies>"]
    for i in range(COUNT):
        parts.append(
            f"<assembly name='a{i}' hwp='h'><image id='i'/><services>"
            f"<service name='s'><executable url='http://x/s'/><parameters>"
            f"<parameter name='p'>{reference(i)}</parameter>"
            f"</parameters></service></services>"
            f"<returns><return name='ipaddress'/><return name='ready'/>"
            f"</returns></assembly>")
    parts.append("</assemblies></deployable>")
    return "".join(parts).encode()


def _next(i):
    return f"a{(i + 1) % COUNT}"


def test_a_ring_of_address_references_needs_one_address():
    template = translate(load(_document(
        lambda i: f"<reference assembly='{_next(i)}' parameter='ipaddress'/>"
    )), MAPPING)
    resources = template["Resources"]
    assert [n for n, r in resources.items()
            if r["Type"] == "AWS::EC2::EIP"] == ["A1Address"]
    assert sum(r["Type"] == "AWS::EC2::Instance"
               for r in resources.values()) == COUNT


def test_a_ring_of_custom_facts_is_one_cycle_naming_every_assembly():
    with pytest.raises(DeployableError) as info:
        translate(load(_document(
            lambda i: f"<reference assembly='{_next(i)}' parameter='ready'/>"
        )), MAPPING)
    [problem] = info.value.problems
    cycle = problem.message.split(": ", 1)[1].split(" (")[0].split(" -> ")
    assert cycle == [f"a{i}" for i in range(COUNT)] + ["a0"]


def test_a_ring_of_service_references_is_found_without_recursion():
    with pytest.raises(DeployableError) as info:
        load(_document(
            lambda i: f"<reference assembly='{_next(i)}' service='s'/>"))
    [problem] = info.value.problems
    assert problem.element == "service a0.s"
    assert problem.message.endswith("a1199[s] -> a0[s]")
