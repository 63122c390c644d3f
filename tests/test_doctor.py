"""``heat-deltacloud doctor`` on good and broken installations."""

import json
import pathlib

import pytest

from heat_deltacloud import cli

pytestmark = [pytest.mark.heat]

PASTE = pathlib.Path(__file__).resolve().parents[1] / "heat_deltacloud" / \
    "heat" / "api-paste.ini"


def heat_conf(tmp_path, url, **overrides):
    values = {"cloud_backend":
              "heat_deltacloud.heat.backend.DeltacloudClients",
              "compute_backend": "deltacloud",
              "deferred_auth_method": "password", "flavor": "deltacloud",
              "api_paste_config": str(PASTE), "url": url}
    values.update(overrides)
    path = tmp_path / "heat.conf"
    path.write_text(
        "[DEFAULT]\n"
        f"cloud_backend = {values['cloud_backend']}\n"
        f"compute_backend = {values['compute_backend']}\n"
        f"deferred_auth_method = {values['deferred_auth_method']}\n"
        "[paste_deploy]\n"
        f"flavor = {values['flavor']}\n"
        f"api_paste_config = {values['api_paste_config']}\n"
        "[deltacloud]\n" + (f"url = {values['url']}\n" if url else ""))
    return str(path)


def doctor(capsys, *args):
    status = cli.main(["doctor", "--format", "json", *args])
    return status, json.loads(capsys.readouterr().out)


def statuses(report):
    return {c["name"]: c["status"] for c in report["checks"]}


def capability(report, resource_type):
    return next(c for c in report["capabilities"]
                if c["resource_type"] == resource_type)


def test_a_good_installation(tmp_path, capsys, deltacloud_mock):
    password = tmp_path / "pw"
    password.write_text("mockpassword\n")
    status, report = doctor(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url),
                            "--user", "mockuser", "--password-file",
                            str(password))
    assert status == 0 and report["ok"]
    assert set(statuses(report).values()) == {"OK"}
    assert capability(report, "AWS::EC2::EIP")["support"] == "supported"
    server = capability(report, "OS::Nova::Server")
    assert server["support"] == "partial"
    assert any("'user_data'" in note for note in server["notes"])
    assert capability(report, "AWS::EC2::SecurityGroup")["support"] == \
        "unsupported"
    assert "mockpassword" not in json.dumps(report)


def test_matrix_follows_the_drivers_api(tmp_path, capsys, deltacloud_mock):
    deltacloud_mock.set_capability("addresses", enabled=False)
    deltacloud_mock.set_capability("firewalls")
    deltacloud_mock.set_capability("instances", "user_data")
    status, report = doctor(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url))
    assert status == 0
    assert capability(report, "AWS::EC2::EIP") == {
        "resource_type": "AWS::EC2::EIP", "support": "unsupported",
        "notes": ["the driver has no 'addresses' collection"]}
    assert capability(report, "AWS::EC2::SecurityGroup")["support"] == \
        "partial"
    server = capability(report, "OS::Nova::Server")
    assert not any("'user_data'" in note for note in server["notes"])


def test_wrong_credentials_fail(tmp_path, capsys, deltacloud_mock):
    password = tmp_path / "pw"
    password.write_text("Wr0ng-Zq\n")
    status, report = doctor(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url),
                            "--user", "mockuser", "--password-file",
                            str(password))
    assert status == 1
    assert statuses(report)["credentials"] == "FAIL"
    assert "Wr0ng-Zq" not in json.dumps(report)


@pytest.mark.parametrize("overrides, check, words", [
    ({"cloud_backend": "heat.engine.clients.OpenStackClients"},
     "cloud_backend", "DeltacloudClients"),
    ({"compute_backend": "libvirt"}, "compute_backend",
     "installed backends: deltacloud"),
    ({"deferred_auth_method": "trusts"}, "deferred_auth_method",
     "password"),
    ({"flavor": "default"}, "pipeline api", "deltacloud_auth"),
    ({"api_paste_config": "/nonexistent/api-paste.ini"}, "api-paste",
     "readable"),
])
def test_broken_configuration_is_named_with_a_fix(
        tmp_path, capsys, deltacloud_mock, overrides, check, words):
    status, report = doctor(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url,
                                      **overrides))
    assert status == 1
    [failed] = [c for c in report["checks"] if c["name"] == check]
    assert failed["status"] == "FAIL"
    assert words in failed["detail"] + failed["fix"]


def test_invalid_deltacloud_options_are_named(tmp_path, capsys,
                                              deltacloud_mock):
    conf = heat_conf(tmp_path, deltacloud_mock.url)
    with open(conf, "a") as handle:
        handle.write("format = yaml\nconnect_timeout = soon\n")
    status, report = doctor(capsys, "--config-file", conf)
    assert status == 1
    [failed] = [c for c in report["checks"]
                if c["name"] == "[deltacloud] options"]
    assert failed["status"] == "FAIL"
    assert "format:" in failed["detail"]
    assert "connect_timeout:" in failed["detail"]
    # Nothing is asked of Deltacloud with options that cannot be used.
    assert "Deltacloud" not in statuses(report)


def test_a_missing_password_file_is_a_one_line_error(tmp_path, capsys,
                                                     deltacloud_mock):
    status = cli.main(["doctor", "--config-file",
                       heat_conf(tmp_path, deltacloud_mock.url),
                       "--user", "mockuser", "--password-file",
                       str(tmp_path / "absent")])
    assert status == 1
    assert "cannot read the password file" in capsys.readouterr().err


def test_unreachable_deltacloud_and_unset_url(tmp_path, capsys):
    status, report = doctor(capsys, "--config-file",
                            heat_conf(tmp_path, "http://127.0.0.1:9/api"))
    assert status == 1 and statuses(report)["Deltacloud"] == "FAIL"
    status, report = doctor(capsys, "--config-file",
                            heat_conf(tmp_path, None))
    assert statuses(report)["[deltacloud] url"] == "WARN"
    assert report["capabilities"] == []


def test_text_output(tmp_path, capsys, deltacloud_mock):
    status = cli.main(["doctor", "--config-file",
                       heat_conf(tmp_path, deltacloud_mock.url)])
    out = capsys.readouterr().out
    assert status == 0
    assert "OK    cloud_backend:" in out
    assert "capabilities of the configured driver:" in out
