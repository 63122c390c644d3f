"""Helpers shared by the deployable tests, as fixtures (tests are loaded
with --import-mode=importlib, so they cannot import this module)."""

import json
import pathlib
import types

import pytest

from heat_deltacloud.deployable import Mapping, to_json

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def mock_mapping(deployable):
    """Every hwp and image of ``deployable`` mapped to the mock's ids."""
    return Mapping(
        {a.hwp: "m1-small" for a in deployable.assemblies},
        {a.image_id: "img1" for a in deployable.assemblies})


def required_params(template):
    """A value for every template parameter without a default."""
    return {name: f"value-of-{name}"
            for name, spec in template["Parameters"].items()
            if "Default" not in spec}


def resolve(value, attributes):
    """Evaluate ``Ref``/``Fn::GetAtt``/``Fn::Join``/``Fn::Base64`` the way
    Heat would, with ``attributes`` giving each Ref or GetAtt's value."""
    if isinstance(value, list):
        return [resolve(v, attributes) for v in value]
    if not isinstance(value, dict):
        return value
    [(function, arg)] = value.items()
    if function == "Fn::Join":
        return arg[0].join(resolve(arg[1], attributes))
    if function == "Fn::Base64":
        return resolve(arg, attributes)
    if function == "Ref":
        return attributes[arg]
    assert function == "Fn::GetAtt", function
    return attributes[tuple(arg)]


@pytest.fixture(scope="session")
def paths():
    return types.SimpleNamespace(
        data=HERE / "data",
        corpus=ROOT.parent / "shared" / "corpus" / "deployables",
        example=ROOT / "examples" / "wordpress")


@pytest.fixture(scope="session")
def helpers():
    return types.SimpleNamespace(mock_mapping=mock_mapping,
                                 required_params=required_params,
                                 resolve=resolve)


@pytest.fixture(scope="module")
def heat():
    """The process's embedded Heat 27 (one per process: Heat's
    configuration is global), with this package's Deltacloud backend."""
    from heat_deltacloud.heat import embedded
    return embedded.start()


@pytest.fixture
def heat_validate(heat, deltacloud_mock):
    """``validate(template, params)``: the template's JSON text parsed by
    Heat's ``Template`` and checked by a strict ``Stack.validate()``
    (resource dependencies, property schemas and the image, flavor and
    key constraints, answered by the mock Deltacloud); raises Heat's
    error on any problem."""
    from heat.engine import environment
    from heat.engine import stack as heat_stack
    from heat.engine import template as heat_template

    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)

    def validate(template, params):
        parsed = heat_template.Template(
            json.loads(to_json(template)),
            env=environment.Environment(params))
        heat_stack.Stack(ctx, "validate", parsed).validate()
    return validate
