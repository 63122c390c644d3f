"""Helpers shared by the deployable tests, as fixtures (tests are loaded
with --import-mode=importlib, so they cannot import this module)."""

import pathlib
import types

import pytest

from heat_deltacloud.deployable import Mapping

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
    from heat_deltacloud.heat import embedded
    return embedded.start()
