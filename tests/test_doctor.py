"""``heat-deltacloud doctor`` on good and broken installations."""

import http.server
import json
import pathlib
import socket
import threading
from importlib import metadata

import pytest

from heat_deltacloud import cli, doctor
from heat_deltacloud.heat import resources

pytestmark = [pytest.mark.heat]

ROOT = pathlib.Path(__file__).resolve().parents[1]
PASTE = ROOT / "heat_deltacloud" / "heat" / "api-paste.ini"
POLICY = ROOT / "etc" / "heat-deltacloud" / "policy.yaml.snippet"
KEY = "k" * 32
#: A Fernet key for the identity endpoint's tokens ([deltacloud] token_keys).
TOKEN_KEY = "pGvJ9H6qO1yBtGq0mZ8oS2wV3cX4dE5fR6tY7uI8oP0="
DB_PASSWORD = "Db-s3cret-Zq"
#: What a heat-api-cfn checking signatures answers the doctor's probe.
UNKNOWN_KEY = (403, "application/xml; charset=UTF-8",
               "<ErrorResponse><Error><Type>Sender</Type><Code>"
               "InvalidClientTokenId</Code><Message>the access key is not "
               "known here</Message></Error></ErrorResponse>")


class FakeCfn:
    """An HTTP server answering every GET with :attr:`answer`, recording
    each request's path and query: a stand-in heat-api-cfn."""

    def __init__(self):
        fake = self
        self.answer = UNKNOWN_KEY
        self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                fake.requests.append(self.path)
                status, kind, body = fake.answer
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def _fake_cfn():
    fake = FakeCfn()
    yield fake
    fake.close()


CFN = {}


@pytest.fixture(autouse=True)
def fake_cfn(_fake_cfn):
    """The stand-in heat-api-cfn every heat_conf() names by default."""
    _fake_cfn.answer = UNKNOWN_KEY
    _fake_cfn.requests.clear()
    CFN["url"] = _fake_cfn.url
    yield _fake_cfn


#: heat_conf() value name -> (section, option) when they differ.
OPTION_OF = {"heat_api_url": ("clients_heat", "url"),
             "database": ("database", "connection")}


def heat_conf(tmp_path, url, name="heat.conf", **overrides):
    """A heat.conf that passes every check but ``identity_url``'s (unset,
    a WARN: probing it needs a served heat-api); ``None`` leaves a value
    out."""
    values = {"cloud_backend":
              "heat_deltacloud.heat.backend.DeltacloudClients",
              "compute_backend": "deltacloud",
              "deferred_auth_method": "password",
              "auth_encryption_key": KEY, "token_keys": TOKEN_KEY,
              "heat_waitcondition_server_url":
                  CFN["url"] + "/v1/waitcondition",
              "heat_metadata_server_url": "http://cfn.example:8000/v1",
              "plugin_dirs": resources.PLUGIN_DIR,
              "flavor": "deltacloud", "api_paste_config": str(PASTE),
              "url": url, "policy_file": str(POLICY),
              "heat_api_url": "http://heat.example:8004/v1/%(tenant_id)s",
              "database": f"mysql+pymysql://heat:{DB_PASSWORD}@db.example"
                          "/heat"}
    values.update(overrides)
    sections = {"DEFAULT": ("cloud_backend", "compute_backend",
                            "deferred_auth_method", "auth_encryption_key",
                            "heat_waitcondition_server_url",
                            "heat_metadata_server_url",
                            "reauthentication_auth_method", "plugin_dirs",
                            "default_deployment_signal_transport",
                            "default_software_config_transport"),
                "paste_deploy": ("flavor", "api_paste_config"),
                "deltacloud": ("url", "ignore_unsupported_user_data",
                               "signature_ttl", "token_keys",
                               "identity_url", "stack_user_token_ttl",
                               "allow_client_url"),
                "oslo_policy": ("policy_file",),
                "clients_heat": ("heat_api_url",),
                "database": ("database",)}
    text = ""
    for section, keys in sections.items():
        text += f"[{section}]\n" + "".join(
            f"{OPTION_OF.get(key, (None, key))[1]} = {values[key]}\n"
            for key in keys if values.get(key) is not None)
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


@pytest.fixture(scope="module")
def served_apis():
    """Real heat-api and heat-api-cfn (our api-paste.ini, flavor
    deltacloud) in front of the embedded engine and its database."""
    from heat_deltacloud.heat import apis, embedded

    with apis.serve(embedded.start(), point_urls=False) as served:
        yield served


def test_a_good_installation(tmp_path, capsys, deltacloud_mock,
                             password_file, served_apis):
    waitcondition = served_apis.heat_api_cfn + "/v1/waitcondition"
    status, report = doctor_json(
        capsys, "--config-file", heat_conf(
            tmp_path, deltacloud_mock.url,
            heat_waitcondition_server_url=waitcondition,
            identity_url=served_apis.identity),
        "--user", "mockuser", "--password-file", password_file)
    assert status == 0 and report["ok"]
    # Everything passes; only the loopback address is noted: instances
    # elsewhere could not reach it.
    assert {name: status for name, status in statuses(report).items()
            if status != "OK"} == {"heat_waitcondition_server_url": "WARN"}
    assert "loopback" in check(report, "heat_waitcondition_server_url")[
        "detail"]
    assert statuses(report)["credentials"] == "OK"
    # The real heat-api's /identity answered the doctor's probe.
    assert check(report, "[deltacloud] identity_url")["detail"].startswith(
        f"{served_apis.identity} answers as an identity v3 endpoint")
    assert TOKEN_KEY not in json.dumps(report)
    # The real heat-api-cfn checked the doctor's made-up key against
    # Heat's database.
    assert check(report, "heat-api-cfn")["detail"].startswith(
        f"{waitcondition} answers as heat-api-cfn and checks signatures")
    assert check(report, "ec2_signatures (heat-api-cfn)")["detail"] == \
        "[filter:deltacloud_auth_cfn] ec2_signatures = true"
    assert check(report, "[database] connection")["detail"] == (
        "mysql+pymysql://heat:***@db.example/heat (heat-api-cfn must use "
        "the same)")
    assert "mockpassword" not in json.dumps(report)
    assert "k" * 32 not in json.dumps(report)
    assert DB_PASSWORD not in json.dumps(report)
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


def test_the_signal_plane_in_the_matrix(tmp_path, capsys, deltacloud_mock):
    """Signal-capable types need no Deltacloud collection; Keystone's stay
    unavailable; without plugin_dirs the transports' refusals come late."""
    conf = heat_conf(tmp_path, deltacloud_mock.url)
    _, report = doctor_json(capsys, "--config-file", conf)
    for resource_type in ("AWS::CloudFormation::WaitConditionHandle",
                          "AWS::CloudFormation::WaitCondition",
                          "OS::Heat::WaitCondition", "AWS::IAM::AccessKey",
                          "AWS::AutoScaling::ScalingPolicy",
                          "OS::Heat::ScalingPolicy",
                          "OS::Heat::SoftwareConfig"):
        assert capability(report, resource_type)["support"] == \
            "supported", resource_type
    handle = capability(report, "OS::Heat::WaitConditionHandle")
    assert handle["support"] == "partial"
    assert "defaults to CFN_SIGNAL here" in handle["notes"][0]
    [transport] = handle["properties"]
    assert transport["support"] == "partial"
    assert "TOKEN_SIGNAL and HEAT_SIGNAL (Keystone)" in transport["reason"]
    assert properties(report, "OS::Heat::SoftwareDeployment")[
        "signal_transport"] == "partial"
    assert properties(report, "OS::Nova::Server")[
        "software_config_transport"] == "partial"
    assert "never expires" in capability(
        report, "AWS::AutoScaling::ScalingPolicy")["notes"][0]
    assert properties(report, "AWS::IAM::User")["LoginProfile"] == \
        "ignored"
    keystone = capability(report, "OS::Keystone::Project")
    assert keystone["support"] == "unsupported"
    assert "no Keystone" in keystone["notes"][0]

    _, late = doctor_json(capsys, "--config-file", heat_conf(
        tmp_path, deltacloud_mock.url, plugin_dirs="/usr/lib/heat"))
    handle = capability(late, "OS::Heat::WaitConditionHandle")
    assert "defaults to TOKEN_SIGNAL, which fails at create" in \
        handle["notes"][-1]
    server = capability(late, "OS::Nova::Server")
    assert "fail at create instead of validation" in server["notes"][-1]
    deployment = capability(late, "OS::Heat::SoftwareDeployment")
    assert deployment["support"] == "unsupported"
    assert "ResourceTypeUnavailable" in deployment["notes"][0]
    assert capability(late, "AWS::CloudFormation::WaitConditionHandle")[
        "support"] == "supported"


def test_matrix_follows_the_drivers_api(tmp_path, capsys, deltacloud_mock):
    """Capabilities switched through the mock's control plane change the
    matrix per type and per property."""
    conf = heat_conf(tmp_path, deltacloud_mock.url)
    _, before = doctor_json(capsys, "--config-file", conf)
    assert properties(before, "AWS::EC2::Instance")["KeyName"] == \
        "supported"
    # Names kept at create; a rename on update fails (501).
    assert properties(before, "OS::Nova::Server")["name"] == "partial"
    assert properties(before, "AWS::EC2::Instance")["SecurityGroups"] == \
        "rejected"
    # The mock driver keeps volume names without advertising volume_name.
    assert properties(before, "OS::Cinder::Volume")["name"] == "partial"

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
    ({"auth_encryption_key": None}, "auth_encryption_key", "WARN",
     "the stack users' EC2 secrets"),
    # The signal plane.
    ({"heat_waitcondition_server_url": None},
     "heat_waitcondition_server_url", "WARN",
     "= http://CFN-HOST:8000/v1/waitcondition"),
    ({"heat_waitcondition_server_url": "http://cfn.example:8000/v1/signal"},
     "heat_waitcondition_server_url", "FAIL", "lacks '/waitcondition'"),
    ({"heat_waitcondition_server_url":
      "http://cfn.example:8000/v1/waitcondition/"},
     "heat_waitcondition_server_url", "FAIL",
     "must end in '/waitcondition'"),
    ({"heat_waitcondition_server_url":
      "http://cfn.example:8000/v1/waitcondition?x=1"},
     "heat_waitcondition_server_url", "FAIL",
     "must end in '/waitcondition'"),
    ({"heat_waitcondition_server_url":
      "http://CFN.example:8000/V1/waitcondition"},
     "heat_waitcondition_server_url", "FAIL",
     "upper-case letters in the path break every signature"),
    ({"heat_waitcondition_server_url":
      "http://CFN.example:8000/V1/waitcondition"},
     "heat_waitcondition_server_url", "FAIL",
     "= http://CFN.example:8000/v1/waitcondition"),
    ({"heat_waitcondition_server_url":
      "http://cfn.example/heat-cfn/v1/waitcondition"},
     "heat_waitcondition_server_url", "FAIL",
     "must be exactly /v1/waitcondition"),
    ({"heat_waitcondition_server_url": "ftp://cfn.example/v1/waitcondition"},
     "heat_waitcondition_server_url", "FAIL", "not an http(s) URL"),
    ({"signature_ttl": "3600"}, "[deltacloud] signature_ttl", "WARN",
     "older than 3600 s are refused (403 RequestExpired)"),
    ({"signature_ttl": "43200"}, "[deltacloud] signature_ttl", "OK",
     "43200 s"),
    ({"heat_metadata_server_url": "http://cfn.example:8080/v1"},
     "heat_metadata_server_url", "WARN",
     "always connect to port 8000 of cfn.example"),
    ({"heat_metadata_server_url": "https://cfn.example/v1"},
     "heat_metadata_server_url", "WARN", "port 443"),
    ({"heat_metadata_server_url": "http://localhost:8000/v1"},
     "heat_metadata_server_url", "WARN", "loopback address"),
    ({"heat_metadata_server_url": "http://[::1]:8000/v1"},
     "heat_metadata_server_url", "WARN", "loopback address"),
    ({"heat_api_url": None}, "[clients_heat] url", "WARN",
     "OS::Heat::ScalingPolicy's signal_url"),
    ({"heat_api_url": "http://heat.example:8004/v1/%(tenant_id)s/"},
     "[clients_heat] url", "FAIL", "must end in '/%(tenant_id)s'"),
    ({"heat_api_url": "http://heat.example:8004/v1"},
     "[clients_heat] url", "FAIL",
     "= http://HEAT-API-HOST:8004/v1/%(tenant_id)s"),
    ({"plugin_dirs": None}, "plugin_dirs", "WARN",
     "OS::Heat::WaitConditionHandle defaults to TOKEN_SIGNAL"),
    ({"plugin_dirs": "/usr/lib/heat"}, "plugin_dirs", "WARN",
     f"add {resources.PLUGIN_DIR} to [DEFAULT] plugin_dirs"),
    ({"plugin_dirs": f"/usr/lib/heat, {resources.PLUGIN_DIR}/"},
     "plugin_dirs", "OK", f"includes {resources.PLUGIN_DIR}"),
    ({"default_deployment_signal_transport": "HEAT_SIGNAL"},
     "default_deployment_signal_transport", "FAIL", "HEAT_SIGNAL needs "
     "Keystone credentials for the instance"),
    ({"default_deployment_signal_transport": "TEMP_URL_SIGNAL"},
     "default_deployment_signal_transport", "FAIL",
     "= CFN_SIGNAL (or leave it unset)"),
    ({"default_deployment_signal_transport": "ZAQAR_SIGNAL"},
     "default_deployment_signal_transport", "FAIL", "needs Zaqar"),
    ({"default_deployment_signal_transport": "NO_SIGNAL"},
     "default_deployment_signal_transport", "FAIL",
     "not one of Heat's choices"),
    ({"default_deployment_signal_transport": "CFN_SIGNAL"},
     "default_deployment_signal_transport", "OK", "CFN_SIGNAL"),
    ({"default_software_config_transport": "POLL_SERVER_HEAT"},
     "default_software_config_transport", "FAIL",
     "= POLL_SERVER_CFN (or leave it unset)"),
    ({"default_software_config_transport": "POLL_TEMP_URL"},
     "default_software_config_transport", "FAIL", "needs Swift"),
    ({"default_software_config_transport": "ZAQAR_MESSAGE"},
     "default_software_config_transport", "FAIL", "needs Zaqar"),
    ({"database": None}, "[database] connection", "FAIL",
     "in the heat.conf every heat-api-cfn reads"),
    ({"database": "sqlite://"}, "[database] connection", "FAIL",
     "an in-memory database"),
    ({"database": "sqlite:////var/lib/heat/heat.sqlite"},
     "[database] connection", "OK", "heat-api-cfn must use the same"),
    # The identity endpoint.
    ({"token_keys": None, "auth_encryption_key": None},
     "[deltacloud] token_keys", "FAIL", "anybody can forge tokens"),
    ({"token_keys": None, "auth_encryption_key": None},
     "[deltacloud] token_keys", "FAIL", "Fernet.generate_key()"),
    ({"token_keys": None}, "[deltacloud] token_keys", "WARN",
     "derived from auth_encryption_key"),
    ({"token_keys": "not-a-fernet-key"}, "[deltacloud] token_keys", "FAIL",
     "the same on every heat-api and heat-engine"),
    ({"token_keys": f"{TOKEN_KEY}, not-a-fernet-key"},
     "[deltacloud] token_keys", "FAIL", "entry 2"),
    ({}, "[deltacloud] token_keys", "OK", "1 key(s)"),
    ({"identity_url": None}, "[deltacloud] identity_url", "WARN",
     "= http://HEAT-API-HOST:8004/identity/v3"),
    ({"stack_user_token_ttl": "600"}, "[deltacloud] stack_user_token_ttl",
     "WARN", "longest wait condition timeout"),
    ({"stack_user_token_ttl": "86400"}, "[deltacloud] stack_user_token_ttl",
     "OK", "86400 s"),
])
def test_broken_heat_conf_is_named_with_a_fix(
        tmp_path, capsys, deltacloud_mock, overrides, name, status, words):
    result, report = doctor_json(
        capsys, "--config-file",
        heat_conf(tmp_path, deltacloud_mock.url, **overrides))
    found = check(report, name)
    assert found["status"] == status
    assert words in found["detail"] + found["fix"]
    assert "not-a-fernet-key" not in found["detail"] + found["fix"]
    assert bool(found["fix"]) == (status != "OK")
    assert result == (1 if status == "FAIL" else 0), [
        c for c in report["checks"] if c["status"] == "FAIL"]
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
    assert check(report, "heat.conf")["fix"] == (
        "correct the line named (INI syntax: [section], then name = value "
        "lines)")
    assert report["capabilities"] == []


def test_a_missing_heat_conf_names_the_path_and_the_option(tmp_path,
                                                           capsys):
    # Before: "Failed to find some config files: ...", fix "fix the
    # configuration file" (there is none to fix).
    absent = tmp_path / "absent.conf"
    status, report = doctor_json(capsys, "--config-file", str(absent))
    assert status == 1
    assert report["checks"] == [check(report, "heat.conf")]
    assert check(report, "heat.conf")["detail"] == f"no such file: {absent}"
    assert check(report, "heat.conf")["fix"] == (
        "give the path of Heat's configuration file with --config-file "
        "(e.g. /etc/heat/heat.conf)")


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
    assert "--password-file: no such file" in capsys.readouterr().err


def test_unreachable_deltacloud_and_unset_url(tmp_path, capsys):
    status, report = doctor_json(capsys, "--config-file",
                                 heat_conf(tmp_path, "http://127.0.0.1:9/api"))
    assert status == 1 and statuses(report)["Deltacloud"] == "FAIL"
    assert report["capabilities"] == []
    status, report = doctor_json(capsys, "--config-file",
                                 heat_conf(tmp_path, None))
    assert status == 1  # every request would be refused
    assert statuses(report)["[deltacloud] url"] == "WARN"
    assert statuses(report)["[deltacloud] allow_client_url"] == "FAIL"
    # OpenStack clients' logins carry no X-Auth-Url either.
    assert check(report, "identity logins")["fix"] == "set [deltacloud] url"
    assert "Deltacloud" not in statuses(report)
    assert report["capabilities"] == []


@pytest.mark.parametrize("url,allowed,status,detail", [
    (None, None, "FAIL", "false and [deltacloud] url is unset"),
    (None, "true", "WARN", "true: each request's X-Auth-Url is used"),
    ("http://127.0.0.1:9/api", None, "OK", "false: clients' X-Auth-Url is "
     "ignored"),
    ("http://127.0.0.1:9/api", "true", "OK", "true, but ignored"),
], ids=["refused", "allowed", "url", "url-and-allowed"])
def test_clients_urls_are_reported(tmp_path, capsys, url, allowed, status,
                                   detail):
    _, report = doctor_json(capsys, "--config-file", heat_conf(
        tmp_path, url, allow_client_url=allowed))
    found = check(report, "[deltacloud] allow_client_url")
    assert (found["status"], found["detail"][:len(detail)]) == (status,
                                                                 detail)
    if status != "OK":
        assert "set [deltacloud] url" in found["fix"]


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
    from heat_deltacloud.heat import capabilities

    # Types in one column, as wide as the longest name, and two spaces.
    width = max(map(len, capabilities.RESOURCE_TYPES)) + 2
    status = cli.main(["doctor", "--config-file",
                       heat_conf(tmp_path, deltacloud_mock.url,
                                 heat_metadata_server_url=None)])
    out = capsys.readouterr().out
    assert status == 0
    assert "OK    cloud_backend: compute_backend 'deltacloud' provides " \
        "cinder, glance, heat, keystone, neutron, nova, swift\n" in out
    assert "WARN  heat_metadata_server_url: unset" in out
    assert "\n      fix: set [DEFAULT] heat_metadata_server_url" in out
    assert "capabilities of the configured driver" in out
    assert "\n  AWS::EC2::EIP" + " " * (width - 13) + "supported\n" in out
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


# -- the signal plane ---------------------------------------------------------

def test_the_probe_is_one_signed_get_with_a_made_up_key(
        tmp_path, capsys, deltacloud_mock, fake_cfn):
    _, report = doctor_json(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url))
    assert check(report, "heat-api-cfn")["status"] == "OK"
    [request] = fake_cfn.requests
    path, _, query = request.partition("?")
    assert path == "/v1/waitcondition"
    assert "AWSAccessKeyId=heat-deltacloud-doctor-probe" in query
    assert "SignatureVersion=2" in query and "Signature=" in query


def _xml_error(status, code):
    return (status, "application/xml",
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            "<Message>m</Message></Error></ErrorResponse>")


@pytest.mark.parametrize("answer, words, fix", [
    (_xml_error(401, "MissingAuthenticationToken"),
     "answers as heat-api-cfn but ignores EC2 signatures",
     "set ec2_signatures = true in the deltacloud_auth_cfn filter"),
    (_xml_error(503, "ServiceUnavailable"),
     "heat-api-cfn cannot read the stack users' keys",
     "give heat-api-cfn the engines' [database] connection and "
     "auth_encryption_key"),
    # Stock Heat's ec2authtoken, which would ask Keystone.
    (_xml_error(400, "IncompleteSignature"),
     "not through heat-deltacloud's signature check (HTTP 400 "
     "IncompleteSignature)", "[paste_deploy] flavor = deltacloud"),
    ((401, "application/json", '{"error": {"code": 401}}'),
     "answers like heat-api (HTTP 401, JSON errors), not heat-api-cfn",
     "http://CFN-HOST:8000/v1/waitcondition"),
    ((404, "text/html", "<html>nothing here</html>"),
     "does not answer as heat-api-cfn (HTTP 404, text/html)",
     "point [DEFAULT] heat_waitcondition_server_url at heat-api-cfn"),
    ((200, "text/plain", "x" * 1_000_000),
     "does not answer as heat-api-cfn (HTTP 200, text/plain)",
     "point [DEFAULT] heat_waitcondition_server_url at heat-api-cfn"),
])
def test_what_answers_at_the_waitcondition_url(
        tmp_path, capsys, deltacloud_mock, fake_cfn, answer, words, fix):
    fake_cfn.answer = answer
    status, report = doctor_json(capsys, "--config-file",
                                 heat_conf(tmp_path, deltacloud_mock.url))
    found = check(report, "heat-api-cfn")
    assert status == 1 and found["status"] == "FAIL"
    assert words in found["detail"]
    assert fix in found["fix"]


def test_the_real_heat_api_is_not_heat_api_cfn(tmp_path, capsys,
                                                deltacloud_mock,
                                                served_apis):
    url = served_apis.heat_api + "/v1/waitcondition"
    _, report = doctor_json(capsys, "--config-file", heat_conf(
        tmp_path, deltacloud_mock.url, heat_waitcondition_server_url=url))
    assert check(report, "heat-api-cfn")["detail"] == (
        f"{url} answers like heat-api (HTTP 401, JSON errors), not "
        "heat-api-cfn")


def test_an_unreachable_heat_api_cfn(tmp_path, capsys, deltacloud_mock):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1/waitcondition"
    _, report = doctor_json(capsys, "--config-file", heat_conf(
        tmp_path, deltacloud_mock.url, heat_waitcondition_server_url=url))
    found = check(report, "heat-api-cfn")
    assert found["status"] == "FAIL"
    assert found["detail"].startswith(f"{url} cannot be reached from here")
    assert found["fix"].startswith("start heat-api-cfn there, or point")


def test_a_silent_heat_api_cfn_is_given_up_on(tmp_path, capsys,
                                               monkeypatch,
                                               deltacloud_mock):
    """The probe is bounded like the Deltacloud probe: one request, no
    retries, the doctor's timeouts."""
    monkeypatch.setattr(doctor, "PROBE_TIMEOUT", (0.5, 0.5))
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts, never answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}" \
            "/v1/waitcondition"
        _, report = doctor_json(capsys, "--config-file", heat_conf(
            tmp_path, deltacloud_mock.url,
            heat_waitcondition_server_url=url))
    found = check(report, "heat-api-cfn")
    assert found["status"] == "FAIL"
    assert "cannot be reached from here" in found["detail"]
    assert "timed out" in found["detail"]


def test_no_probe_of_a_url_that_cannot_work(tmp_path, capsys,
                                            deltacloud_mock, fake_cfn):
    _, report = doctor_json(capsys, "--config-file", heat_conf(
        tmp_path, deltacloud_mock.url,
        heat_waitcondition_server_url=fake_cfn.url + "/v1/signal"))
    assert "heat-api-cfn" not in statuses(report)
    assert fake_cfn.requests == []


CFN_PIPELINE = """
[pipeline:heat-api-deltacloud]
pipeline = dcauth context app
[pipeline:heat-api-cfn-deltacloud]
pipeline = dccfn context app
[filter:dccfn]
paste.filter_factory = heat_deltacloud.heat.auth:filter_factory
error_format = aws
"""


@pytest.mark.parametrize("extra, status, words", [
    ("", "FAIL", "[filter:dccfn] does not check EC2 signatures"),
    ("ec2_signatures = false\n", "FAIL", "get 401"),
    ("ec2_signatures = yes\n", "FAIL", "heat-api-cfn will not start"),
    ("ec2_signatures = True\n", "OK", "[filter:dccfn] ec2_signatures = "
     "true"),
], ids=["absent", "false", "invalid", "true"])
def test_ec2_signatures_on_the_cfn_pipeline(tmp_path, capsys,
                                            deltacloud_mock, extra, status,
                                            words):
    paste = tmp_path / "api-paste.ini"
    paste.write_text(OUR_FILTERS + CFN_PIPELINE + extra)
    _, report = doctor_json(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url),
                            "--paste-config", str(paste))
    found = check(report, "ec2_signatures (heat-api-cfn)")
    assert found["status"] == status
    assert words in found["detail"]
    if status != "OK":
        assert found["fix"] == "add ec2_signatures = true to [filter:dccfn]"


def test_ec2_signatures_from_the_paste_files_defaults(tmp_path, capsys,
                                                      deltacloud_mock):
    """paste.deploy hands [DEFAULT] to every filter, as the doctor reads."""
    paste = tmp_path / "api-paste.ini"
    paste.write_text("[DEFAULT]\nec2_signatures = true\n" + OUR_FILTERS +
                     CFN_PIPELINE)
    _, report = doctor_json(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url),
                            "--paste-config", str(paste))
    assert check(report, "ec2_signatures (heat-api-cfn)")["status"] == "OK"


def test_no_ec2_signatures_check_without_a_cfn_pipeline(tmp_path, capsys,
                                                        deltacloud_mock):
    _, report = doctor_json(capsys, "--config-file", heat_conf(
        tmp_path, deltacloud_mock.url, flavor="standalone"))
    assert check(report, "pipeline heat-api-cfn")["status"] == "FAIL"
    assert "ec2_signatures (heat-api-cfn)" not in statuses(report)


def test_stack_users_need_describe_stack_resource(tmp_path, capsys,
                                                  deltacloud_mock):
    from heat_deltacloud.heat.apis import CFN_POLICY

    policy = tmp_path / "policy.yaml"
    policy.write_text("".join(
        f'"{rule}": "role:reader"\n' for rule in CFN_POLICY))
    _, report = doctor_json(capsys, "--config-file",
                            heat_conf(tmp_path, deltacloud_mock.url,
                                      policy_file=str(policy)))
    found = check(report, "policy (heat-api-cfn)")
    assert found["status"] == "WARN"
    assert "does not allow role:heat_stack_user, so cfn-get-metadata" in \
        found["detail"]


def test_the_transport_lists_match_heat_and_the_plugins():
    """The doctor names the transports without loading Heat's resources;
    its lists are the plugins' and Heat 27's own."""
    from heat_deltacloud.heat import capabilities

    capabilities._threads_for_oslo_service()
    from heat.common import config
    from heat_deltacloud.heat.resources import transports

    assert set(doctor.REFUSED_TRANSPORTS) == set(transports.UNSUPPORTED)
    opts = {opt.name: opt for opt in config.engine_opts}
    for name, ours in (("default_deployment_signal_transport",
                        doctor.DEPLOYMENT_SIGNAL_TRANSPORTS),
                       ("default_software_config_transport",
                        doctor.SOFTWARE_CONFIG_TRANSPORTS)):
        assert set(ours) == {choice for choice, _ in
                             opts[name].type.choices.items()}, name
        assert opts[name].default in ours
    plugin_dirs = opts["plugin_dirs"]
    assert plugin_dirs.default == doctor.HEAT_PLUGIN_DIRS


def test_the_heat_conf_snippet_passes_the_signal_plane_checks(tmp_path):
    """The commented examples of etc/heat-deltacloud/heat.conf.snippet,
    taken as they are (host names filled in), pass the doctor."""
    import re

    snippet = (ROOT / "etc" / "heat-deltacloud" /
               "heat.conf.snippet").read_text()
    text = re.sub(r"^# ((heat_\w+_server_url|plugin_dirs|default_\w+|url"
                  r"|connection|signature_ttl) = )", r"\1", snippet,
                  flags=re.M)
    text = text.replace("HEAT-CFN-HOST", "cfn.example").replace(
        "HEAT-API-HOST", "heat.example").replace("DB-HOST", "db.example")
    text = re.sub(r"^plugin_dirs = .*$",
                  f"plugin_dirs = {resources.PLUGIN_DIR}", text, flags=re.M)
    conf_file = tmp_path / "heat.conf"
    conf_file.write_text(text)
    conf = doctor._heat_conf([str(conf_file)])
    for found in (doctor.check_waitcondition_url(conf),
                  doctor.check_metadata_url(conf),
                  doctor.check_heat_api_url(conf),
                  doctor.check_plugin_dirs(conf),
                  *doctor.check_transports(conf),
                  doctor.check_signature_ttl(conf),
                  doctor.check_database(conf)):
        assert found.status == "OK", found
    assert conf.heat_waitcondition_server_url == \
        "http://cfn.example:8000/v1/waitcondition"


@pytest.mark.parametrize("overrides, name", [
    ({"signature_ttl": "a day"}, "[deltacloud] signature_ttl"),
    ({"ignore_unsupported_user_data": "perhaps"}, "[deltacloud] options"),
])
def test_an_invalid_option_value_is_a_fail_not_a_traceback(
        tmp_path, capsys, deltacloud_mock, overrides, name):
    # Before: oslo.config's ConfigFileValueError escaped from the check
    # reading the option (a traceback).
    path = heat_conf(tmp_path, deltacloud_mock.url, **overrides)
    status, report = doctor_json(capsys, "--config-file", path)
    assert status == 1
    [failed] = [c for c in report["checks"] if c["name"] == name]
    option = next(iter(overrides))
    assert failed["status"] == "FAIL"
    assert failed["detail"].startswith(f"{option}: ")
    assert failed["detail"].endswith(f" (in {path})")
    assert "LocationInfo" not in failed["detail"]
    # The other checks still ran.
    assert statuses(report)["heat_metadata_server_url"] == "OK"


def test_a_misspelled_deltacloud_option_is_reported(tmp_path, capsys,
                                                    deltacloud_mock):
    # Before: oslo.config ignored read_timout, and so did the doctor.
    path = heat_conf(tmp_path, deltacloud_mock.url)
    with open(path, "a") as handle:
        handle.write("[deltacloud]\nread_timout = 5\n")
    status, report = doctor_json(capsys, "--config-file", path)
    [unknown] = [c for c in report["checks"]
                 if c["name"] == "[deltacloud] unknown options"]
    assert unknown["status"] == "WARN"
    assert unknown["detail"].startswith(
        f"read_timout in {path} (did you mean read_timeout?)")
    assert status == 0  # a warning


def test_no_heat_conf_found_is_said(capsys, monkeypatch, tmp_path,
                                    deltacloud_mock):
    # Before: with no --config-file the doctor checked an empty
    # configuration and blamed every option.
    monkeypatch.setattr(doctor, "find_heat_conf", lambda: [])
    status, report = doctor_json(capsys)
    assert status == 1
    [only] = report["checks"]
    assert only["name"] == "heat.conf" and only["status"] == "FAIL"
    assert "none given and none found where Heat looks" in only["detail"]
    assert "--config-file" in only["fix"]
    # Heat's own default file is used when there is one.
    path = heat_conf(tmp_path, deltacloud_mock.url)
    monkeypatch.setattr(doctor, "find_heat_conf", lambda: [path])
    status, report = doctor_json(capsys)
    assert statuses(report)["cloud_backend"] == "OK"


def test_a_missing_paste_file_names_the_shipped_one(tmp_path, capsys,
                                                    deltacloud_mock):
    # Before: "pass --paste-config or set [paste_deploy] api_paste_config",
    # with nothing saying which file has the deltacloud pipelines.
    from heat_deltacloud import doctor

    status, report = doctor_json(
        capsys, "--config-file",
        heat_conf(tmp_path, deltacloud_mock.url, api_paste_config=None))
    assert status == 1
    failed = check(report, "api-paste")
    assert failed["fix"] == (
        f"set [paste_deploy] api_paste_config = {doctor.SHIPPED_PASTE} (the "
        "deltacloud pipelines), or pass --paste-config")
    # The file named works: the pipelines pass with it.
    status, report = doctor_json(
        capsys, "--config-file",
        heat_conf(tmp_path, deltacloud_mock.url,
                  api_paste_config=doctor.SHIPPED_PASTE))
    assert statuses(report).get("api-paste") != "FAIL"
    assert statuses(report)["pipeline heat-api-cfn"] == "OK"


def test_a_driver_the_server_lacks_is_named_in_the_fix(tmp_path, capsys,
                                                       deltacloud_mock):
    # Before: "check [deltacloud] url and that the server runs", for a
    # server that runs at that very url.
    driver = tmp_path / "driver.conf"
    driver.write_text("[deltacloud]\ndriver = bogus\n")
    status, report = doctor_json(
        capsys, "--config-file", heat_conf(tmp_path, deltacloud_mock.url),
        "--config-file", str(driver))
    assert status == 1
    failed = check(report, "Deltacloud")
    assert "bogus" in failed["detail"]
    assert failed["fix"] == (
        "set [deltacloud] driver and provider to ones this server has (GET "
        f"{deltacloud_mock.url.rstrip('/')}/drivers lists them), or leave "
        "them unset for its default")
