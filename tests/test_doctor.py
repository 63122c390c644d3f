"""``heat-deltacloud doctor`` on good and broken installations."""

import json
import pathlib
from importlib import metadata

import pytest

from heat_deltacloud import cli, doctor

pytestmark = [pytest.mark.heat]

ROOT = pathlib.Path(__file__).resolve().parents[1]
PASTE = ROOT / "heat_deltacloud" / "heat" / "api-paste.ini"
POLICY = ROOT / "etc" / "heat-deltacloud" / "policy.yaml.snippet"
KEY = "k" * 32


def heat_conf(tmp_path, url, name="heat.conf", **overrides):
    """A heat.conf that passes every check; ``None`` leaves a value out."""
    values = {"cloud_backend":
              "heat_deltacloud.heat.backend.DeltacloudClients",
              "compute_backend": "deltacloud",
              "deferred_auth_method": "password",
              "auth_encryption_key": KEY,
              "heat_metadata_server_url": "http://127.0.0.1:8000/v1",
              "flavor": "deltacloud", "api_paste_config": str(PASTE),
              "url": url, "policy_file": str(POLICY)}
    values.update(overrides)
    sections = {"DEFAULT": ("cloud_backend", "compute_backend",
                            "deferred_auth_method", "auth_encryption_key",
                            "heat_metadata_server_url",
                            "reauthentication_auth_method"),
                "paste_deploy": ("flavor", "api_paste_config"),
                "deltacloud": ("url", "ignore_unsupported_user_data"),
                "oslo_policy": ("policy_file",)}
    text = ""
    for section, keys in sections.items():
        text += f"[{section}]\n" + "".join(
            f"{key} = {values[key]}\n" for key in keys
            if values.get(key) is not None)
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def doctor_json(capsys, *args):
    status = cli.main(["doctor", "--format", "json", *args])
    return status, json.loads(capsys.readouterr().out)


def statuses(report):
    return {c["name"]: c["status"] for c in report["checks"]}


def check(report, name):
    [found] = [c for c in report["checks"] if c["name"] == name]
    return found


def capability(report, resource_type):
    return next(c for c in report["capabilities"]
                if c["resource_type"] == resource_type)


def properties(report, resource_type):
    return {p["name"]: p["support"]
            for p in capability(report, resource_type)["properties"]}


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "pw"
    path.write_text("mockpassword\n")
    return str(path)


def test_a_good_installation(tmp_path, capsys, deltacloud_mock,
                             password_file):
    status, report = doctor_json(
        capsys, "--config-file", heat_conf(tmp_path, deltacloud_mock.url),
        "--user", "mockuser", "--password-file", password_file)
    assert status == 0 and report["ok"]
    assert set(statuses(report).values()) == {"OK"}
    assert statuses(report)["credentials"] == "OK"
    assert "mockpassword" not in json.dumps(report)
    assert "k" * 32 not in json.dumps(report)
    assert capability(report, "AWS::EC2::EIP")["support"] == "supported"
    # The mock driver does not advertise user_data (a typo in the real
    # one), and Heat always sends user data for AWS::EC2::Instance.
    instance = capability(report, "AWS::EC2::Instance")
    assert instance["support"] == "unsupported"
    assert "Heat always sends UserData" in instance["notes"][0]
    assert capability(report, "AWS::EC2::SecurityGroup") == {
        "resource_type": "AWS::EC2::SecurityGroup",
        "support": "unsupported",
        "notes": ["the driver has no 'firewalls' collection"],
        "properties": [
            {"name": "GroupDescription", "support": "supported",
             "reason": ""},
            {"name": "VpcId", "support": "ignored",
             "reason": "Heat does not use it"},
            {"name": "SecurityGroupIngress", "support": "supported",
             "reason": ""},
            {"name": "SecurityGroupEgress", "support": "rejected",
             "reason": "Deltacloud firewalls have ingress rules only"}]}
    hidden = capability(report, "OS::Nova::FloatingIP")
    assert hidden["support"] == "unsupported"
    assert hidden["notes"][0].startswith("Heat hides this type")


def test_matrix_follows_the_drivers_api(tmp_path, capsys, deltacloud_mock):
    """Capabilities switched through the mock's control plane change the
    matrix per type and per property."""
    conf = heat_conf(tmp_path, deltacloud_mock.url)
    _, before = doctor_json(capsys, "--config-file", conf)
    assert properties(before, "AWS::EC2::Instance")["KeyName"] == \
        "supported"
    assert properties(before, "OS::Nova::Server")["name"] == "supported"
    assert properties(before, "AWS::EC2::Instance")["SecurityGroups"] == \
        "rejected"
    assert properties(before, "OS::Cinder::Volume")["name"] == "ignored"

    deltacloud_mock.set_capability("instances", "user_data")
    deltacloud_mock.set_capability("instances", "authentication_key",
                                   enabled=False)
    deltacloud_mock.set_capability("instances", "user_name", enabled=False)
    deltacloud_mock.set_capability("instances", "firewalls")
    deltacloud_mock.set_capability("addresses", enabled=False)
    deltacloud_mock.set_capability("firewalls")
    status, after = doctor_json(capsys, "--config-file", conf)
    assert status == 0
    instance = properties(after, "AWS::EC2::Instance")
    assert instance["UserData"] == "supported"
    assert instance["KeyName"] == "rejected"
    assert capability(after, "AWS::EC2::Instance")["support"] == "partial"
    [key_name] = [p for p in capability(after, "OS::Nova::Server")[
        "properties"] if p["name"] == "key_name"]
    assert key_name["reason"].startswith(
        "the driver lacks the 'authentication_key' feature of 'instances'")
    assert properties(after, "OS::Nova::Server")["name"] == "ignored"
    assert instance["SecurityGroups"] == "supported"
    assert capability(after, "AWS::EC2::EIP")["notes"] == [
        "the driver has no 'addresses' collection"]
    assert capability(after, "AWS::EC2::EIP")["support"] == "unsupported"
    assert capability(after, "AWS::EC2::SecurityGroup")["support"] == \
        "partial"


def test_storage_volumes_switched_off(tmp_path, capsys, deltacloud_mock):
    deltacloud_mock.set_capability("storage_volumes", enabled=False)
    _, report = doctor_json(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url))
    for resource_type in ("AWS::EC2::Volume", "OS::Cinder::Volume",
                          "OS::Cinder::VolumeAttachment"):
        assert capability(report, resource_type)["support"] == \
            "unsupported"
    assert properties(report, "AWS::EC2::Instance")["Volumes"] == \
        "rejected"


def test_user_data_dropped_as_configured(tmp_path, capsys,
                                         deltacloud_mock):
    conf = heat_conf(tmp_path, deltacloud_mock.url,
                     ignore_unsupported_user_data="true")
    _, report = doctor_json(capsys, "--config-file", conf)
    assert capability(report, "AWS::EC2::Instance")["support"] == "partial"
    [user_data] = [p for p in capability(report, "AWS::EC2::Instance")[
        "properties"] if p["name"] == "UserData"]
    assert user_data == {
        "name": "UserData", "support": "ignored",
        "reason": "the driver lacks the 'user_data' feature of "
                  "'instances': dropped (ignore_unsupported_user_data)"}


def test_wrong_credentials_fail(tmp_path, capsys, deltacloud_mock):
    password = tmp_path / "pw"
    password.write_text("Wr0ng-Zq\n")
    status, report = doctor_json(
        capsys, "--config-file", heat_conf(tmp_path, deltacloud_mock.url),
        "--user", "mockuser", "--password-file", str(password))
    assert status == 1 and not report["ok"]
    assert check(report, "credentials") == {
        "name": "credentials", "status": "FAIL",
        "detail": "mockuser rejected", "fix": "check the user and password"}
    assert "Wr0ng-Zq" not in json.dumps(report)


def test_credentials_from_the_environment(tmp_path, capsys, monkeypatch,
                                          deltacloud_mock):
    monkeypatch.setenv("DELTACLOUD_USERNAME", "mockuser")
    monkeypatch.setenv("DELTACLOUD_PASSWORD", "mockpassword")
    status, report = doctor_json(capsys, "--config-file",
                                 heat_conf(tmp_path, deltacloud_mock.url))
    assert status == 0
    assert check(report, "credentials")["detail"] == "mockuser accepted"


def test_a_user_without_a_password_is_a_one_line_error(
        tmp_path, capsys, monkeypatch, deltacloud_mock):
    monkeypatch.delenv("DELTACLOUD_PASSWORD", raising=False)
    status = cli.main(["doctor", "--config-file",
                       heat_conf(tmp_path, deltacloud_mock.url),
                       "--user", "mockuser"])
    assert status == 1
    err = capsys.readouterr().err
    assert err == "heat-deltacloud: Deltacloud credentials need a " \
        "password (--password-file or $DELTACLOUD_PASSWORD)\n"


@pytest.mark.parametrize("overrides, name, status, words", [
    ({"cloud_backend": "heat.engine.clients.OpenStackClients"},
     "cloud_backend", "FAIL", "DeltacloudClients"),
    ({"cloud_backend": None}, "cloud_backend", "FAIL",
     "cloud_backend = None"),
    ({"compute_backend": "libvirt"}, "compute_backend", "FAIL",
     "installed backends: deltacloud"),
    ({"deferred_auth_method": "trusts"}, "deferred_auth_method", "FAIL",
     "password"),
    ({"deferred_auth_method": None}, "deferred_auth_method", "FAIL",
     "trusts needs Keystone trusts"),
    ({"reauthentication_auth_method": "trusts"},
     "reauthentication_auth_method", "FAIL", "leave"),
    ({"auth_encryption_key": "short"}, "auth_encryption_key", "FAIL",
     "5 characters: Heat will not start"),
    ({"auth_encryption_key": None}, "auth_encryption_key", "WARN",
     "public default key"),
    ({"heat_metadata_server_url": None}, "heat_metadata_server_url",
     "WARN", "heat-api-cfn's URL"),
    ({"flavor": None}, "pipeline heat-api", "FAIL",
     "'authtoken' checks Keystone tokens"),
    ({"flavor": "standalone"}, "pipeline heat-api-cfn", "FAIL",
     "'ec2authtoken' checks Keystone EC2 credentials"),
    ({"flavor": "custombackend"}, "pipeline heat-api-cfn", "FAIL",
     "has no 'custombackend' pipeline"),
    ({"flavor": "noauth"}, "pipeline heat-api", "FAIL",
     "it has no deltacloud_auth filter"),
    ({"api_paste_config": "/nonexistent/api-paste.ini"}, "api-paste",
     "FAIL", "no /nonexistent/api-paste.ini found"),
    ({"policy_file": None}, "policy (heat-api-cfn)", "WARN",
     "no policy.yaml found: heat-api-cfn answers 403"),
])
def test_broken_heat_conf_is_named_with_a_fix(
        tmp_path, capsys, deltacloud_mock, overrides, name, status, words):
    result, report = doctor_json(
        capsys, "--config-file",
        heat_conf(tmp_path, deltacloud_mock.url, **overrides))
    found = check(report, name)
    assert found["status"] == status
    assert words in found["detail"] + found["fix"]
    assert found["fix"]
    assert result == (1 if status == "FAIL" else 0)
    assert report["ok"] == (status != "FAIL")


def test_later_config_files_override_earlier_ones(tmp_path, capsys,
                                                  deltacloud_mock):
    broken = heat_conf(tmp_path, deltacloud_mock.url, name="a.conf",
                       deferred_auth_method="trusts")
    fixed = tmp_path / "b.conf"
    fixed.write_text("[DEFAULT]\ndeferred_auth_method = password\n")
    status, report = doctor_json(capsys, "--config-file", broken,
                                 "--config-file", str(fixed))
    assert status == 0
    assert check(report, "deferred_auth_method")["status"] == "OK"


def test_paste_file_found_next_to_heat_conf(tmp_path, capsys,
                                            deltacloud_mock):
    """As Heat does: api_paste_config's default, api-paste.ini, is looked
    for in the configuration files' directory."""
    (tmp_path / "api-paste.ini").write_text(PASTE.read_text())
    status, report = doctor_json(
        capsys, "--config-file",
        heat_conf(tmp_path, deltacloud_mock.url, api_paste_config=None))
    assert status == 0
    assert check(report, "pipeline heat-api")["status"] == "OK"


def test_unreadable_heat_conf(tmp_path, capsys):
    conf = tmp_path / "heat.conf"
    conf.write_text("[DEFAULT\ncloud_backend = x\n")
    status, report = doctor_json(capsys, "--config-file", str(conf))
    assert status == 1
    assert report["checks"] == [check(report, "heat.conf")]
    assert check(report, "heat.conf")["fix"] == "fix the configuration file"
    assert report["capabilities"] == []


def test_invalid_deltacloud_options_are_named(tmp_path, capsys,
                                              deltacloud_mock):
    conf = heat_conf(tmp_path, deltacloud_mock.url)
    with open(conf, "a") as handle:
        handle.write("[deltacloud]\nformat = yaml\nconnect_timeout = soon\n")
    status, report = doctor_json(capsys, "--config-file", conf)
    assert status == 1
    failed = check(report, "[deltacloud] options")
    assert failed["status"] == "FAIL"
    assert "format:" in failed["detail"]
    assert "connect_timeout:" in failed["detail"]
    # Nothing is asked of Deltacloud with options that cannot be used.
    assert "Deltacloud" not in statuses(report)
    assert deltacloud_mock.request_counts() == {}


def test_a_missing_password_file_is_a_one_line_error(tmp_path, capsys,
                                                     deltacloud_mock):
    status = cli.main(["doctor", "--config-file",
                       heat_conf(tmp_path, deltacloud_mock.url),
                       "--user", "mockuser", "--password-file",
                       str(tmp_path / "absent")])
    assert status == 1
    assert "cannot read the password file" in capsys.readouterr().err


def test_unreachable_deltacloud_and_unset_url(tmp_path, capsys):
    status, report = doctor_json(capsys, "--config-file",
                                 heat_conf(tmp_path, "http://127.0.0.1:9/api"))
    assert status == 1 and statuses(report)["Deltacloud"] == "FAIL"
    assert report["capabilities"] == []
    status, report = doctor_json(capsys, "--config-file",
                                 heat_conf(tmp_path, None))
    assert status == 0
    assert statuses(report)["[deltacloud] url"] == "WARN"
    assert "Deltacloud" not in statuses(report)
    assert report["capabilities"] == []


def test_a_deltacloud_error_page_fails_the_check(tmp_path, capsys,
                                                 deltacloud_mock):
    deltacloud_mock.add_fault("GET", "/api", status=503)
    status, report = doctor_json(capsys, "--config-file",
                                 heat_conf(tmp_path, deltacloud_mock.url))
    assert status == 1
    assert "503" in check(report, "Deltacloud")["detail"]
    assert deltacloud_mock.request_counts() == {"GET /api": 1}


def test_an_unsupported_heat_version_fails(tmp_path, capsys, monkeypatch,
                                           deltacloud_mock):
    real = metadata.version
    monkeypatch.setattr(doctor.metadata, "version", lambda name:
                        "26.0.0" if name == "openstack-heat" else real(name))
    status, report = doctor_json(capsys, "--config-file",
                                 heat_conf(tmp_path, deltacloud_mock.url))
    assert status == 1
    versions = check(report, "versions")
    assert versions["status"] == "FAIL"
    assert "needs openstack-heat<28,>=27.0.1" in versions["detail"]
    # Without a compatible Heat, its registry is not asked for the matrix.
    assert report["capabilities"] == []


def test_text_output(tmp_path, capsys, deltacloud_mock):
    status = cli.main(["doctor", "--config-file",
                       heat_conf(tmp_path, deltacloud_mock.url,
                                 heat_metadata_server_url=None)])
    out = capsys.readouterr().out
    assert status == 0
    assert "OK    cloud_backend: compute_backend 'deltacloud' provides " \
        "cinder, glance, keystone, neutron, nova\n" in out
    assert "WARN  heat_metadata_server_url: unset" in out
    assert "\n      fix: set [DEFAULT] heat_metadata_server_url" in out
    assert "capabilities of the configured driver" in out
    assert "  AWS::EC2::EIP                    supported\n" in out
    assert "      SecurityGroupEgress: rejected: Deltacloud firewalls " \
        "have ingress rules only\n" in out


OUR_FILTERS = """
[filter:dcauth]
use = egg:heat-deltacloud#deltacloud_auth
[filter:context]
paste.filter_factory = heat.common.context:ContextMiddleware_filter_factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
"""


@pytest.mark.parametrize("pipelines, status, words", [
    # Heat loads heat-api-<flavor> first: a plain pipeline section works,
    # and our filter may be named through its entry point.
    ("[pipeline:heat-api-deltacloud]\npipeline = dcauth context app\n"
     "[pipeline:heat-api-cfn-deltacloud]\npipeline = dcauth context app\n",
     "OK", "flavor 'deltacloud': dcauth context app"),
    ("[pipeline:heat-api-deltacloud]\npipeline = context dcauth app\n",
     "FAIL", "Heat's 'context' filter must follow deltacloud_auth"),
    ("[pipeline:heat-api-deltacloud]\npipeline = dcauth app\n",
     "FAIL", "Heat's 'context' filter must follow deltacloud_auth"),
    ("[pipeline:heat-api-deltacloud]\n"
     "pipeline = dcauth authtoken context app\n",
     "FAIL", "'authtoken' checks Keystone tokens"),
    ("[pipeline:heat-api-deltacloud]\npipeline = dcauth ghost context app\n",
     "FAIL", "it names 'ghost' but there is no [filter:ghost]"),
    ("[composite:heat-api]\nuse = egg:Paste#urlmap\n/healthcheck: hc\n",
     "FAIL", "[composite:heat-api] maps nothing at '/'"),
    ("[app:heat-api]\npaste.app_factory = x:y\n",
     "FAIL", "[app:heat-api] is not a pipeline"),
    ("", "FAIL", "no section for 'heat-api'"),
])
def test_broken_paste_files(tmp_path, capsys, deltacloud_mock, pipelines,
                            status, words):
    paste = tmp_path / "api-paste.ini"
    paste.write_text(OUR_FILTERS + pipelines)
    _, report = doctor_json(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url),
                            "--paste-config", str(paste))
    found = check(report, "pipeline heat-api")
    assert found["status"] == status
    assert words in found["detail"]
    if status == "FAIL":
        assert found["fix"].startswith("use the deltacloud pipelines")


def test_an_unparsable_paste_file(tmp_path, capsys, deltacloud_mock):
    paste = tmp_path / "api-paste.ini"
    paste.write_text("no section header\n")
    status, report = doctor_json(capsys, "--config-file",
                                 heat_conf(tmp_path, deltacloud_mock.url),
                                 "--paste-config", str(paste))
    assert status == 1
    failed = check(report, "api-paste")
    assert failed["detail"].startswith(f"{paste}: File contains no section")
    assert failed["fix"] == "point at a readable api-paste.ini"


@pytest.mark.parametrize("text, status, words", [
    ('"cloudformation:ListStacks": "role:reader"\n', "WARN",
     "lacks 12 cloudformation rules (cloudformation:CancelUpdateStack, "
     "...)"),
    ("- just\n- a list\n", "FAIL", "is not a mapping of rules"),
    ("key: [unclosed\n", "FAIL", "while parsing a flow sequence"),
])
def test_incomplete_policy_files(tmp_path, capsys, deltacloud_mock, text,
                                 status, words):
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    _, report = doctor_json(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url,
                                      policy_file=str(policy)))
    found = check(report, "policy (heat-api-cfn)")
    assert found["status"] == status
    assert words in found["detail"]
    assert "policy.yaml.snippet" in found["fix"]
