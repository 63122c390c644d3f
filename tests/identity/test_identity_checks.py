"""The identity endpoint's configuration checks (for the doctor)."""

import pytest
from cryptography.fernet import Fernet
from oslo_config import cfg

from heat_deltacloud.heat import opts
from heat_deltacloud.heat.identity import checks, tokens


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf.register_opt(cfg.StrOpt("auth_encryption_key", secret=True))
    conf([], default_config_files=[], default_config_dirs=[])
    yield conf
    conf.reset()


def statuses(found):
    return {name: status for status, name, _, _ in found}


def test_nothing_configured(conf):
    found = checks.check(conf, probe=False)
    assert all(len(c) == 4 for c in found)
    assert statuses(found) == {
        "[deltacloud] token_keys": "FAIL", "identity logins": "WARN",
        "[deltacloud] identity_url": "WARN",
        "[deltacloud] stack_user_token_ttl": "OK"}


def test_keys(conf):
    conf.set_override("auth_encryption_key", tokens.HEAT_DEFAULT_KEY)
    assert checks.check_keys(conf)[0] == "FAIL"
    conf.set_override("auth_encryption_key", "k" * 32)
    assert checks.check_keys(conf)[0] == "WARN"
    key = Fernet.generate_key().decode()
    conf.set_override("token_keys", [key, "bad-key"], group="deltacloud")
    status, _, detail, _ = checks.check_keys(conf)
    assert status == "FAIL" and "entry 2" in detail
    assert "bad-key" not in detail and key not in detail
    conf.set_override("token_keys", [key], group="deltacloud")
    status, _, detail, _ = checks.check_keys(conf)
    assert status == "OK" and key not in detail


def test_unreachable_endpoint(conf, closed_port):
    conf.set_override("identity_url", closed_port, group="deltacloud")
    assert checks.check_endpoint(conf)[0] == "FAIL"


@pytest.fixture
def closed_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/identity/v3"


@pytest.mark.heat
def test_served_endpoint_and_something_else(conf, served):
    conf.set_override("identity_url", served.identity, group="deltacloud")
    status, _, detail, _ = checks.check_endpoint(conf)
    assert status == "OK", detail
    conf.set_override("identity_url", served.heat_api_cfn + "/v1",
                      group="deltacloud")
    assert checks.check_endpoint(conf)[0] == "FAIL"
