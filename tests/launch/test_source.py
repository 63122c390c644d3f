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
    ("a: [unclosed", "is neither JSON nor YAML"),
])
def test_what_is_not_a_template_is_named(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(HeatDeltacloudError, match=message):
        source.load(path)


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
