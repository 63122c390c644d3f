"""What ``launch`` reads: templates in JSON or YAML, deployables."""

import pytest

from heat_deltacloud.errors import HeatDeltacloudError
from heat_deltacloud.launch import source


def test_hot_yaml_keeps_its_version_a_string(tmp_path):
    path = tmp_path / "web server.yaml"
    path.write_text("heat_template_version: 2021-04-16\n"
                    "resources:\n  web: {type: OS::Nova::Server}\n")
    name, template = source.load(path)
    assert name == "web-server"
    assert template["heat_template_version"] == "2021-04-16"


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "is not a template: no Resources/resources section"),
    ("a: [unclosed", "neither JSON nor valid YAML"),
])
def test_what_is_not_a_template_is_named(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(HeatDeltacloudError, match=message):
        source.load(path)


@pytest.mark.parametrize("name, text, line", [
    # Before: PyYAML's four lines (the excerpt, a caret, "<unicode
    # string>"), and a JSON file's error told as YAML's.
    ("t.json", '{"Resources": {\n', "t.json:2:1: not valid JSON: Expecting "
     "property name enclosed in double quotes; fix the template (a CFN "
     "template is one JSON object)"),
    ("t.yaml", "resources:\n  s:\n   type: [\n", "t.yaml:4:1: neither JSON "
     "nor valid YAML: while parsing a flow node, expected the node content, "
     "but found '<stream end>'; fix the template (CFN in JSON or YAML, or "
     "HOT in YAML)"),
    ("t.yaml", "a: b\n c: d: e\n", "t.yaml:2:3: neither JSON nor valid "
     "YAML: mapping values are not allowed here; fix the template (CFN in "
     "JSON or YAML, or HOT in YAML)"),
])
def test_a_template_that_does_not_parse_is_one_line_with_where(
        tmp_path, monkeypatch, name, text, line):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    with pytest.raises(HeatDeltacloudError) as raised:
        source.load(name)
    assert str(raised.value) == line


def test_a_directory_is_not_a_file(tmp_path):
    with pytest.raises(HeatDeltacloudError, match=f"{tmp_path}: a "
                       "directory, not a file"):
        source.load(tmp_path)


def test_a_mapping_for_a_template_is_refused(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('{"Resources": {}}')
    with pytest.raises(HeatDeltacloudError, match="--mapping applies to "
                       "deployables"):
        source.load(path, "mapping.json")


def test_no_wait_conditions_for_a_template_is_refused(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('{"Resources": {}}')
    with pytest.raises(HeatDeltacloudError, match="--no-wait-conditions "
                       "applies to deployables"):
        source.load(path, wait_conditions=False)


@pytest.mark.parametrize("wait_conditions", [True, False])
def test_deployables_get_wait_conditions_unless_told(wait_conditions):
    import pathlib

    example = pathlib.Path(__file__).resolve().parents[2] / "examples" / \
        "wordpress"
    name, template = source.load(example / "deployable.xml",
                                 example / "mapping.json",
                                 **({} if wait_conditions else
                                    {"wait_conditions": False}))
    assert name == "WordPress-two-tiers"
    types = [r["Type"] for r in template["Resources"].values()]
    assert types.count("AWS::CloudFormation::WaitCondition") == \
        (2 if wait_conditions else 0)


def test_a_translation_problem_names_the_file(tmp_path):
    # Before: "<deployable>:4: ..." (the translator has no file name).
    path = tmp_path / "facts.xml"
    path.write_text("""<deployable name='d'><assemblies>
  <assembly name='db' hwp='small'><image id='i'/><returns>
    <return name='port'/></returns></assembly>
  <assembly name='app' hwp='small'><image id='i'/><services>
    <service name='s'><executable><contents>#!/bin/sh
</contents></executable><parameters><parameter name='p'>
      <reference assembly='db' parameter='port'/></parameter></parameters>
    </service></services></assembly>
</assemblies></deployable>""")
    with pytest.raises(HeatDeltacloudError) as raised:
        source.load(path, wait_conditions=False)
    assert str(raised.value).startswith(f"{path}:7: reference app.s.p: ")
    assert "<deployable>" not in str(raised.value)
