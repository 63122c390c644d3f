"""Entry points and option names: a silent load failure is a red test."""

from importlib import metadata

import pytest
from oslo_config import cfg

EXPECTED = {
    ("console_scripts", "heat-deltacloud"): "heat_deltacloud.cli:main",
    ("console_scripts", "heat-deltacloud-mock"):
        "heat_deltacloud.mock.cli:main",
    ("heat_deltacloud.compute_backends", "deltacloud"):
        "heat_deltacloud.heat.plugins:DELTACLOUD",
    ("oslo.config.opts", "heat_deltacloud"):
        "heat_deltacloud.heat.opts:list_opts",
}


def ours():
    dist = metadata.distribution("heat-deltacloud")
    return {(ep.group, ep.name): ep for ep in dist.entry_points}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_entry_point_is_declared_and_loads(key):
    entry_point = ours()[key]
    assert entry_point.value == EXPECTED[key]
    assert entry_point.load() is not None


def test_no_heat_clients_plugin_named_nova():
    assert ("heat.clients", "nova") not in ours()


def test_option_names_are_pinned():
    from heat_deltacloud.heat import opts
    names = {(group, opt.name) for group, options in opts.list_opts()
             for opt in options}
    assert names == {(None, "compute_backend")} | {
        ("deltacloud", name) for name in (
            "url", "driver", "provider", "connect_timeout", "read_timeout",
            "retries", "backoff_factor", "format", "ca_file", "insecure",
            "cert_file", "key_file", "delete_timeout", "poll_interval",
            "ignore_unsupported_user_data", "signature_ttl",
            "discovery_cache_ttl", "identity_url", "token_keys",
            "token_ttl", "stack_user_token_ttl", "allow_client_url",
            "max_connections")}


def test_every_option_has_a_full_sentence_of_help():
    from heat_deltacloud.heat import opts
    for _, options in opts.list_opts():
        for opt in options:
            assert opt.help and opt.help.rstrip().endswith("."), opt.name


def test_register_opts_on_a_fresh_conf():
    from heat_deltacloud.heat import opts
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], project="heat-deltacloud-test", default_config_files=[])
    assert conf.deltacloud.read_timeout == 60.0
    assert conf.compute_backend == "deltacloud"


def test_unknown_compute_backend_lists_the_installed_ones():
    pytest.importorskip("heat")
    from heat.common import exception

    from heat_deltacloud.heat import backend
    with pytest.raises(exception.Invalid, match="installed backends: "
                                                "deltacloud"):
        backend.load_backend("openstack-ish")
