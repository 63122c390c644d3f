"""What the documentation shows works: its example templates run on real
Heat 27 and the mock, and its architecture figure is current."""

import importlib.util
import pathlib

import pytest

from heat_deltacloud.mock.server import MockServer

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "source"
EXAMPLES = sorted((DOCS / "user" / "examples").glob("*.yaml"))


def test_the_architecture_figure_is_current():
    path = DOCS / "_diagrams" / "architecture.py"
    spec = importlib.util.spec_from_file_location("architecture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.OUTPUT.read_text(encoding="utf-8") == module.render(), \
        "run python docs/source/_diagrams/architecture.py and commit"


@pytest.fixture(scope="module")
def cloud():
    """The mock as the launcher's embedded mode runs it (user data on)."""
    with MockServer(fix_user_data_feature=True) as server:
        yield server


def test_there_are_examples():
    assert [p.name for p in EXAMPLES] == ["two-tier.yaml",
                                          "web-server.yaml"]


@pytest.mark.heat
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_user_guide_examples_run(cloud, path):
    from heat.common import template_format

    from heat_deltacloud.heat import embedded

    heat = embedded.start()
    cloud.reset()
    seeded = {i["id"] for i in cloud.all_instances()}
    ctx = heat.context("mockuser", "mockpassword", cloud.url)
    template = template_format.parse(path.read_text())
    identity = heat.engine_client.create_stack(
        ctx, f"docs-{path.stem}", template, {}, {}, {"timeout_mins": 2})
    stack = heat.wait_for_stack(ctx, identity, timeout=60)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    assert all(value for value in outputs.values()), outputs
    resources = template.get("resources") or template["Resources"]
    servers = [r for r in resources.values()
               if r.get("type", r.get("Type")) in ("OS::Nova::Server",
                                                   "AWS::EC2::Instance")]
    made = [i for i in cloud.all_instances() if i["id"] not in seeded]
    assert len(made) == len(servers)
    heat.delete_stack(ctx, identity, timeout=60)
    assert [i for i in cloud.all_instances() if i["id"] not in seeded and
            i["state"] != "FINISH"] == []
