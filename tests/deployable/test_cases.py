"""tests/deployable/data: each <case>.xml beside the expected <case>.json
(the template, translated with data/mapping.json) or <case>.errors (one
problem a line, as the command line prints them)."""

import json
import pathlib

import pytest

from heat_deltacloud.deployable import (DeployableError, Mapping, load,
                                        to_json, translate)

DATA = pathlib.Path(__file__).resolve().parent / "data"
CASES = sorted(p.stem for p in DATA.glob("*.xml"))


def outcome(case):
    mapping = Mapping.from_file(DATA / "mapping.json")
    try:
        return ".json", to_json(translate(load(DATA / f"{case}.xml"),
                                          mapping))
    except DeployableError as exc:
        return ".errors", "".join(p.format(f"{case}.xml") + "\n"
                                  for p in exc.problems)


@pytest.mark.parametrize("case", CASES)
def test_case(case):
    suffix, text = outcome(case)
    expected = [s for s in (".json", ".errors")
                if (DATA / f"{case}{s}").exists()]
    assert expected == [suffix]
    assert text == (DATA / f"{case}{suffix}").read_text()


MOCK_IDS = {"Flavor": "m1-small", "Image": "img1"}


def _value_for(name):
    """Unmapped flavors and images: mock ids; anything else: text."""
    prefix = next((p for p in MOCK_IDS if name.startswith(p)), None)
    return MOCK_IDS.get(prefix, f"value-of-{name}")


@pytest.mark.heat
@pytest.mark.parametrize("case", [c for c in CASES
                                  if (DATA / f"{c}.json").exists()])
def test_heat_validates_case(case, heat_validate, helpers):
    template = json.loads((DATA / f"{case}.json").read_text())
    heat_validate(template, {name: _value_for(name)
                             for name in helpers.required_params(template)})


@pytest.mark.heat
def test_heat_validation_is_strict(heat_validate, helpers):
    """The check above would catch a flavor or image the cloud lacks."""
    from heat.common.exception import StackValidationFailed

    template = json.loads((DATA / "parameters.json").read_text())
    params = {name: _value_for(name)
              for name in helpers.required_params(template)}
    with pytest.raises(StackValidationFailed, match="no-such-image"):
        heat_validate(template, {**params, "ImageBase": "no-such-image"})


def test_a_model_built_by_hand_is_checked_too():
    from heat_deltacloud.deployable import (Assembly, Deployable, Executable,
                                            Parameter, Reference, Service)

    service = Service("s", Executable(url="http://x/s"), parameters=(
        Parameter("p", reference=Reference("nowhere", parameter="ip")),))
    model = Deployable("hand", (Assembly("a", "h", "i", services=(service,)),))
    with pytest.raises(DeployableError, match="not existing assembly nowhere"):
        translate(model, Mapping())
