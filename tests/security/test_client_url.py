"""A client's Deltacloud URL is refused unless the operator allows it.

With ``[deltacloud] url`` unset, a URL a client names (``X-Auth-Url``, a
token issued for one, a request context stored with a stack) would let a
Deltacloud server of the client's own vouch for any user name.  Every
place such a URL enters refuses it by default, naming
``[deltacloud] allow_client_url``; the embedded Heat opts in explicitly.
"""

import types

import pytest
import requests

from heat_deltacloud.mock.server import MockServer

pytestmark = [pytest.mark.heat]

USER, PASSWORD = "carol", "carol-Pa55-client-url"  # noqa: S105
WAIT = 60
TEMPLATE = {"heat_template_version": "2021-04-16", "resources": {}}


@pytest.fixture(scope="module")
def services():
    """A mock knowing USER, the embedded engine, heat-api (with the
    identity endpoint) and heat-api-cfn."""
    from heat_deltacloud.heat import apis, embedded

    heat = embedded.start()
    with MockServer(users={USER: PASSWORD}) as mock, \
            apis.serve(heat, identity=True) as served:
        yield types.SimpleNamespace(mock=mock, heat=heat, apis=served)


@pytest.fixture
def refusing():
    """cfg.CONF as installed: no URL, and clients' URLs refused."""
    from oslo_config import cfg

    cfg.CONF.set_override("allow_client_url", False, group="deltacloud")
    assert not cfg.CONF.deltacloud.url
    yield cfg.CONF
    cfg.CONF.clear_override("allow_client_url", group="deltacloud")


def credentials(services):
    return {"X-Auth-User": USER, "X-Auth-Key": PASSWORD,
            "X-Auth-Url": services.mock.url}


def test_the_embedded_heat_opts_in(services):
    from oslo_config import cfg

    assert "allow_client_url = true" in services.heat.conf_file.read_text()
    assert cfg.CONF.deltacloud.allow_client_url is True
    answer = requests.get(f"{services.apis.heat_api}/v1/{USER}/stacks",
                          headers=credentials(services), timeout=WAIT)
    assert answer.status_code == 200, answer.text


def test_heat_api_refuses_a_clients_url(services, refusing, rpc_calls):
    services.mock.reset()
    answer = requests.get(f"{services.apis.heat_api}/v1/{USER}/stacks",
                          headers=credentials(services), timeout=WAIT)
    assert answer.status_code == 403
    message = answer.json()["error"]["message"]
    assert message.startswith("X-Auth-Url is refused")
    assert "[deltacloud] allow_client_url = true" in message
    assert PASSWORD not in answer.text
    assert rpc_calls == []
    assert services.mock.request_log() == []


def test_heat_api_cfn_refuses_a_clients_url(services, refusing, rpc_calls):
    answer = requests.get(f"{services.apis.heat_api_cfn}/v1/",
                          params={"Action": "ListStacks"},
                          headers=credentials(services), timeout=WAIT)
    assert answer.status_code == 403
    assert "<Code>AccessDenied</Code>" in answer.text
    assert "allow_client_url" in answer.text
    assert rpc_calls == []


def test_an_identity_login_with_a_clients_url_is_refused(services,
                                                         refusing):
    services.mock.reset()
    body = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": USER, "password": PASSWORD,
                 "domain": {"name": "Default"}}}}}}
    answer = requests.post(f"{services.apis.identity}/auth/tokens",
                           json=body, timeout=WAIT,
                           headers={"X-Auth-Url": services.mock.url})
    assert answer.status_code == 403
    assert "allow_client_url" in answer.json()["error"]["message"]
    assert "X-Subject-Token" not in answer.headers
    assert services.mock.request_log() == []


def test_a_token_issued_for_a_clients_url_stops_working(services,
                                                        rpc_calls):
    """Issued while clients' URLs were allowed, refused once they are
    not."""
    from oslo_config import cfg

    from heat_deltacloud.heat.identity import tokens

    token_id, _ = tokens.provider().issue_user(
        USER, PASSWORD, services.mock.url, roles=("member", "reader"))
    url = f"{services.apis.heat_api}/v1/{USER}/stacks"
    headers = {"X-Auth-Token": token_id}
    assert requests.get(url, headers=headers,
                        timeout=WAIT).status_code == 200
    rpc_calls.clear()
    cfg.CONF.set_override("allow_client_url", False, group="deltacloud")
    try:
        answer = requests.get(url, headers=headers, timeout=WAIT)
    finally:
        cfg.CONF.clear_override("allow_client_url", group="deltacloud")
    assert answer.status_code == 403
    assert "allow_client_url" in answer.json()["error"]["message"]
    assert rpc_calls == []


def test_the_engine_ignores_a_contexts_url_unless_allowed(services):
    """Contexts reach the engine from stored stacks too, not only through
    the filter: the engine makes the same choice."""
    from oslo_config import cfg

    from heat_deltacloud.heat import connection

    context = services.heat.context(USER, PASSWORD, services.mock.url)
    assert connection.endpoint(context)[0] == services.mock.url
    cfg.CONF.set_override("allow_client_url", False, group="deltacloud")
    try:
        with pytest.raises(connection.MissingCredentials,
                           match=r"allow_client_url = true"):
            connection.endpoint(context)
        cfg.CONF.set_override("url", services.mock.url + "/",
                              group="deltacloud")
        assert connection.endpoint(context)[0] == services.mock.url + "/"
    finally:
        cfg.CONF.clear_override("url", group="deltacloud")
        cfg.CONF.clear_override("allow_client_url", group="deltacloud")
