"""Random valid deployables: translation never crashes, is deterministic,
satisfies every reference and gives Heat an acyclic dependency graph."""

from xml.sax.saxutils import quoteattr

from hypothesis import given, settings
from hypothesis import strategies as st

from heat_deltacloud.deployable import (DeployableError, Mapping, load,
                                        to_json, translate)

# Lower-case names keep CFN names distinct (clashes: see data/).
NAMES = st.text("abcxyz", min_size=1, max_size=6)
FACTS = st.sampled_from(["ipaddress", "hostname", "dbup", "ready"])


@st.composite
def deployables(draw):
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    returns = {n: draw(st.lists(FACTS, max_size=3, unique=True))
               for n in names}
    targets = [(n, f) for n in names for f in returns[n]]
    xml = ["<deployable name='random'><assemblies>"]
    for name in names:
        xml.append(f"<assembly name={quoteattr(name)} hwp='h'>"
                   f"<image id='i'/><services>")
        services = draw(st.lists(NAMES, max_size=3, unique=True))
        for service in services:
            xml.append(f"<service name={quoteattr(service)}>"
                       f"<executable url='http://x/{service}'/>"
                       f"<parameters>")
            for param in draw(st.lists(NAMES, max_size=3, unique=True)):
                kinds = ["value", "none"] + (["ref"] if targets else [])
                kind = draw(st.sampled_from(kinds))
                xml.append(f"<parameter name={quoteattr(param)}>")
                if kind == "value":
                    text = draw(st.text("ab$'\"` \\\n<&", max_size=8))
                    xml.append(f"<value>{_escape(text)}</value>")
                elif kind == "ref":
                    target, fact = draw(st.sampled_from(targets))
                    xml.append(f"<reference assembly={quoteattr(target)} "
                               f"parameter='{fact}'/>")
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
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref":
                yield arg
            elif key == "Fn::GetAtt":
                yield arg[0]
            else:
                yield from _refs(arg)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _acyclic(template):
    resources = template["Resources"]
    graph = {}
    for name, body in resources.items():
        depends = body.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else depends
        graph[name] = {r for r in list(_refs(body)) + depends
                       if r in resources}
    done = set()
    while len(done) < len(graph):
        ready = [n for n in graph if n not in done and graph[n] <= done]
        if not ready:
            return False
        done.update(ready)
    return True


@settings(max_examples=60, deadline=None)
@given(deployables(), st.booleans())
def test_random_deployables(document, wait_conditions):
    deployable = load(document)
    mapping = Mapping({"h": "m1-small"}, {"i": "img1"})
    try:
        template = translate(deployable, mapping,
                             wait_conditions=wait_conditions)
    except DeployableError as exc:
        messages = {p.message.split(":")[0] for p in exc.problems}
        if wait_conditions:
            allowed = {"cyclic references the translation cannot break"}
        else:
            allowed = {f"references custom fact {f} of assembly {a.name}"
                       for a in deployable.assemblies
                       for f in ("dbup", "ready")}
        assert messages <= allowed
        return
    assert to_json(template) == to_json(translate(
        load(document), mapping, wait_conditions=wait_conditions))
    assert _acyclic(template)
    for assembly in deployable.assemblies:
        user_data = [r for r in template["Resources"].values()
                     if r["Type"] == "AWS::EC2::Instance"]
        text = "".join(p for r in user_data for p in r["Properties"][
            "UserData"]["Fn::Base64"]["Fn::Join"][1] if isinstance(p, str))
        for service in assembly.services:
            assert f"audrey_run {service.name} " in text
            for param in service.parameters:
                assert f"$AUDREY_PARAMS/{service.name}/{param.name}\"" \
                    in text
