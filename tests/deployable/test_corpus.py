"""Every corpus deployable: translated (and valid for Heat) or rejected
with the error Conductor gave it."""

import pathlib

import pytest
from heat_deltacloud.deployable import DeployableError, load, translate

CORPUS = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / \
    "corpus" / "deployables"

VALID = [
    "audrey__deployable-sample-multi-instance.xml",
    "audrey__deployable-sample-no-configs.xml",
    "audrey__deployable-sample-single-instance.xml",
    "audrey__drupal.deployable.xml",
    "audrey__katello_example_deployable.xml",
    "audrey__ssh-pubkey-deployable.xml",
    "audrey__wordpress-7a171fb.xml",
    "audrey__wordpress.xml",
    "conductor__deployable_xml.yml__deployable_with_launch_parameters.xml",
    "conductor__factories-deployment.rb__deployment.xml",
    "conductor__sample-deployable.xml",
]

#: Their web assembly reads the database's custom fact ``dbup``.
USES_CUSTOM_FACTS = {"audrey__drupal.deployable.xml",
                     "audrey__wordpress-7a171fb.xml",
                     "audrey__wordpress.xml"}

INVALID = {
    "aeolus-configure__aeolus-configure-image__deployable.xml": [
        (2, "assemblies", "<assemblies> does not take a name attribute: "
                          "remove it (it takes no attributes)"),
    ],
    "conductor__deployments_spec.rb__mock-deployable.xml": [
        (1, "deployable", "<deployable> has no <assemblies>: add "
                          "<assemblies> with at least one <assembly>"),
    ],
    "cbf__wordpress.xml": [
        (25, "reference webserver.http.mysql_ip",
         "references not existing assembly mysql"),
        (28, "reference webserver.http.mysql_hostname",
         "references not existing assembly mysql"),
        (31, "reference webserver.http.mysql_dbup",
         "references not existing assembly mysql"),
        (64, "reference database.mysql.apache_ip",
         "references not existing assembly apache"),
        (67, "reference database.mysql.apache_hostname",
         "references not existing assembly apache"),
    ],
    "conductor__factories-deployable.rb__deployable_unique_name_violation"
    ".xml": [
        (9, "assembly frontend",
         "assembly names must be unique (first defined on line 5)"),
    ],
    "conductor__factories-deployable.rb__"
    "deployable_with_cyclic_service_references.xml": [
        (7, "service assembly1.service1",
         "cyclic reference between assemblies or services: "
         "assembly1[service1] -> assembly1[service2] -> "
         "assembly1[service1]"),
    ],
    "conductor__factories-deployable.rb__"
    "deployable_with_not_existing_references.xml": [
        (11, "reference assembly1.service1.param1",
         "references not existing service assembly1.service2"),
        (14, "reference assembly1.service1.param2",
         "references parameter param2 which is not returned by assembly "
         "assembly2"),
        (27, "reference assembly2.service1.param1",
         "references not existing assembly assembly3"),
    ],
}


def test_every_corpus_file_is_classified():
    assert sorted(VALID + list(INVALID)) == sorted(
        p.name for p in CORPUS.glob("*.xml"))


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_corpus_file_fails_with_conductors_error(name):
    with pytest.raises(DeployableError) as info:
        load(CORPUS / name)
    got = [(p.line, p.element, p.message) for p in info.value.problems]
    assert got == INVALID[name]
    assert str(info.value).splitlines()[0].startswith(
        f"{CORPUS / name}:{INVALID[name][0][0]}: ")


@pytest.mark.parametrize("name", VALID)
@pytest.mark.parametrize("wait_conditions", [True, False])
def test_valid_corpus_file_translates(name, wait_conditions, helpers):
    deployable = load(CORPUS / name)
    if name in USES_CUSTOM_FACTS and not wait_conditions:
        with pytest.raises(DeployableError, match="custom fact dbup"):
            translate(deployable, helpers.mock_mapping(deployable),
                      wait_conditions=False)
        return
    template = translate(deployable, helpers.mock_mapping(deployable),
                         wait_conditions=wait_conditions)
    instances = [n for n, r in template["Resources"].items()
                 if r["Type"] == "AWS::EC2::Instance"]
    assert len(instances) == len(deployable.assemblies)
    waits = [n for n, r in template["Resources"].items()
             if r["Type"] == "AWS::CloudFormation::WaitCondition"]
    assert len(waits) == (len(instances) if wait_conditions else 0)


@pytest.mark.heat
@pytest.mark.parametrize("name", VALID)
@pytest.mark.parametrize("wait_conditions", [True, False])
def test_heat_validates_corpus_translation(name, wait_conditions,
                                          heat_validate, helpers):
    deployable = load(CORPUS / name)
    try:
        template = translate(deployable, helpers.mock_mapping(deployable),
                             wait_conditions=wait_conditions)
    except DeployableError:
        assert not wait_conditions and name in USES_CUSTOM_FACTS
        return
    heat_validate(template, helpers.required_params(template))
