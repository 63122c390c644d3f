"""Random valid deployables: translation never crashes, is deterministic,
satisfies every reference from the right source, runs services after the
services they reference, and gives Heat a closed, acyclic template."""

import re
from xml.sax.saxutils import quoteattr

from hypothesis import event, given, settings
from hypothesis import strategies as st

from heat_deltacloud.deployable import (DeployableError, Mapping, load,
                                        to_json, translate)
from heat_deltacloud.deployable.plan import ADDRESS_FACTS

NAMES = st.text("abcxyz-_", min_size=1, max_size=6).filter(
    lambda n: n[0] not in "-")
FACTS = st.sampled_from(["ipaddress", "hostname", "fqdn", "dbup", "ready"])
VALUES = st.text("ab$'\"` \\\n<&", max_size=8)
#: Problems a valid document may still have for the translation.
ALLOWED = ("cyclic references the translation cannot break",
           "references custom fact", "translates to the CFN name")
PARAM_PATH = re.compile(r"\"\$AUDREY_PARAMS\"/'([^']*)'/'([^']*)'")


@st.composite
def deployables(draw):
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    returns = {n: draw(st.lists(FACTS, max_size=3, unique=True))
               for n in names}
    targets = [(n, f) for n in names for f in returns[n]]
    xml = ["<deployable name='random'><assemblies>"]
    for name in names:
        xml.append(f"<assembly name={quoteattr(name)} hwp='h'>"
                   f"<image id='i'/><services>")
        services = draw(st.lists(NAMES, max_size=4, unique=True))
        for index, service in enumerate(services):
            xml.append(f"<service name={quoteattr(service)}>"
                       f"<executable url='http://x/{service}'/>"
                       f"<parameters>")
            # Service references point to later services only: acyclic,
            # and they make the run order differ from document order.
            later = services[index + 1:]
            for param in draw(st.lists(NAMES, max_size=3, unique=True)):
                kinds = ["value", "none"] + (["ref"] if targets else []) \
                    + (["service"] if later else [])
                kind = draw(st.sampled_from(kinds))
                xml.append(f"<parameter name={quoteattr(param)}>")
                if kind == "value":
                    xml.append(f"<value>{_escape(draw(VALUES))}</value>")
                elif kind == "ref":
                    target, fact = draw(st.sampled_from(targets))
                    xml.append(f"<reference assembly={quoteattr(target)} "
                               f"parameter='{fact}'/>")
                elif kind == "service":
                    other = draw(st.sampled_from(later))
                    xml.append(f"<reference assembly={quoteattr(name)} "
                               f"service={quoteattr(other)}/>")
                xml.append("</parameter>")
            xml.append("</parameters></service>")
        xml.append("</services><returns>")
        xml += [f"<return name='{f}'/>" for f in returns[name]]
        xml.append("</returns></assembly>")
    xml.append("</assemblies></deployable>")
    return "".join(xml).replace("<services></services>", "") \
        .replace("<parameters></parameters>", "") \
        .replace("<returns></returns>", "").encode()


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _refs(value):
    """(function, target) of every Ref and Fn::GetAtt inside ``value``."""
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref":
                yield key, arg
            elif key == "Fn::GetAtt":
                yield key, arg[0]
            else:
                yield from _refs(arg)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _depends(body):
    depends = body.get("DependsOn", [])
    return [depends] if isinstance(depends, str) else depends


def _assert_closed_and_acyclic(template):
    resources, parameters = template["Resources"], template["Parameters"]
    graph = {}
    for name, body in resources.items():
        for function, target in _refs(body):
            assert target in resources or (
                function == "Ref" and target in parameters), target
        assert set(_depends(body)) <= set(resources)
        graph[name] = {t for _, t in _refs(body) if t in resources} \
            | set(_depends(body))
    for _, target in _refs(template["Outputs"]):
        assert target in resources
    done = set()
    while len(done) < len(graph):
        ready = {n for n in graph if n not in done and graph[n] <= done}
        assert ready, f"dependency cycle among {set(graph) - done}"
        done |= ready


def _user_data(resource):
    return resource["Properties"]["UserData"]["Fn::Base64"]["Fn::Join"][1]


def _sources(parts):
    """(service, parameter) -> how the boot script obtains the value: the
    CFN value after its here-document line, or the shell command."""
    sources = {}
    for index, part in enumerate(parts):
        if not isinstance(part, str):
            continue
        for line in part.splitlines():
            match = PARAM_PATH.search(line)
            if match is None or line.startswith("mkdir"):
                continue
            key = match.groups()
            if line.endswith("<<'AUDREY_EOF'") and part.endswith(
                    line + "\n"):
                sources[key] = (line.split()[0], parts[index + 1])
            else:
                sources[key] = (line.split()[0], line)
    return sources


def _assert_reference_satisfied(template, instance, assembly, service,
                                parameter, source):
    ref, (command, value) = parameter.reference, source
    params = template["Parameters"]
    if ref is None:
        assert command == "audrey_write"
        spec = params[value["Ref"]]
        assert spec.get("Default") == (parameter.value or None)
        assert ("NoEcho" in spec) == parameter.is_password
    elif ref.service is not None:
        assert command == "cp" and f"'{ref.service}'" in value
    elif ref.assembly == assembly.name:
        assert command == "audrey_fact" and f"'{ref.parameter}'" in value
    elif ref.parameter in ADDRESS_FACTS:
        target = instance[ref.assembly]
        assert command == "audrey_write"
        assert value in ({"Fn::GetAtt": [target, ADDRESS_FACTS[
            ref.parameter]]}, {"Ref": target + "Address"})
    else:
        assert command == "audrey_data"
        assert value == {"Fn::GetAtt": [
            instance[ref.assembly] + "WaitCondition", "Data"]}


def _check(deployable, template):
    _assert_closed_and_acyclic(template)
    resources = template["Resources"]
    prefix = "Private address of assembly "
    instance = {o["Description"][len(prefix):]: o["Value"]["Fn::GetAtt"][0]
                for o in template["Outputs"].values()
                if o["Description"].startswith(prefix)}
    assert set(instance) == {a.name for a in deployable.assemblies}
    assert {n for n, r in resources.items()
            if r["Type"] == "AWS::EC2::Instance"} == set(instance.values())
    for assembly in deployable.assemblies:
        parts = _user_data(resources[instance[assembly.name]])
        text = "".join(p for p in parts if isinstance(p, str))
        runs = re.findall(r"^audrey_run '([^']*)'", text, re.M)
        assert sorted(runs) == sorted(s.name for s in assembly.services)
        sources = _sources(parts)
        for service in assembly.services:
            for parameter in service.parameters:
                _assert_reference_satisfied(
                    template, instance, assembly, service, parameter,
                    sources[service.name, parameter.name])
                if parameter.reference and parameter.reference.service:
                    assert runs.index(parameter.reference.service) < \
                        runs.index(service.name)


@settings(max_examples=80, deadline=None)
@given(deployables(), st.booleans())
def test_random_deployables(document, wait_conditions):
    deployable = load(document)
    mapping = Mapping({"h": "m1-small"}, {"i": "img1"})
    try:
        template = translate(deployable, mapping,
                             wait_conditions=wait_conditions)
    except DeployableError as exc:
        event("rejected")
        for problem in exc.problems:
            assert problem.message.startswith(ALLOWED), problem
            if problem.message.startswith("references custom fact"):
                assert not wait_conditions
        return
    event("translated")
    assert to_json(template) == to_json(translate(
        load(document), mapping, wait_conditions=wait_conditions))
    _check(deployable, template)
