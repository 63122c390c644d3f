"""heat-api (and heat-api-cfn) with X-Auth-Token: same identity as
Deltacloud credentials; refused tokens never reach the engine."""

import json
import logging
import time

import pytest
import requests

from .helpers import USERS, WAIT, login

pytestmark = [pytest.mark.heat]

TEMPLATE = {"heat_template_version": "2021-04-16", "resources": {
    "server": {"type": "OS::Nova::Server",
               "properties": {"image": "img1", "flavor": "m1-small"}}}}


def stacks_url(served, project):
    return f"{served.heat_api}/v1/{project}/stacks"


def test_heatclient_with_a_keystoneauth_session(served, mock):
    from heatclient import client as heat_client
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    auth = v3.Password(auth_url=served.identity, username="alice",
                       password=USERS["alice"], project_name="alice",
                       user_domain_name="Default",
                       project_domain_name="Default")
    heat = heat_client.Client("1", session=session.Session(auth=auth))
    created = heat.stacks.create(stack_name="via-token", template=TEMPLATE)
    stack_id = created["stack"]["id"]
    stack = heat.stacks.get(stack_id)
    assert stack.stack_owner == "alice"
    # The engine got the stored Deltacloud credentials from the token.
    for _ in range(WAIT * 5):
        stack = heat.stacks.get(stack_id)
        if stack.stack_status != "CREATE_IN_PROGRESS":
            break
        time.sleep(0.2)
    assert stack.stack_status == "CREATE_COMPLETE", stack.stack_status_reason
    assert [i["owner"] for i in mock.all_instances()
            if i["owner"] == "alice"] == ["alice"]
    heat.stacks.delete(stack_id)


def test_token_gives_the_same_context_as_credentials(served, mock,
                                                     monkeypatch):
    from heat.common import context as heat_context

    seen = []
    real = heat_context.ContextMiddleware.process_request

    def spy(self, req):
        real(self, req)
        seen.append(req.context)
    monkeypatch.setattr(heat_context.ContextMiddleware, "process_request",
                        spy)
    token_id, _ = login(served, "alice")
    for headers in ({"X-Auth-Token": token_id},
                    {"X-Auth-User": "alice", "X-Auth-Key": USERS["alice"]}):
        answer = requests.get(stacks_url(served, "alice"), headers=headers,
                              timeout=WAIT)
        assert answer.status_code == 200
    by_token, by_creds = seen
    for field in ("user_id", "project_id", "roles", "username", "password",
                  "auth_url", "aws_creds", "is_admin"):
        assert getattr(by_token, field) == getattr(by_creds, field), field
    assert by_token.password == USERS["alice"]
    assert by_token.auth_url == mock.url
    assert by_token.auth_token is None


def test_credentials_win_over_a_token(served, mock):
    bob, _ = login(served, "bob")
    answer = requests.get(stacks_url(served, "alice"), headers={
        "X-Auth-Token": bob, "X-Auth-User": "alice",
        "X-Auth-Key": USERS["alice"]}, timeout=WAIT)
    assert answer.status_code == 200


def token_variants(served):
    """Name -> a token that must be refused, for alice's project."""
    good, _ = login(served, "alice")
    revoked, _ = login(served, "alice")
    requests.delete(f"{served.identity}/auth/tokens", headers={
        "X-Auth-Token": good, "X-Subject-Token": revoked}, timeout=WAIT)
    tampered = good[:40] + ("A" if good[40] != "A" else "B") + good[41:]
    return {"tampered": tampered, "truncated": good[:-8],
            "revoked": revoked, "garbage": "not-a-token",
            "huge": "x" * 9000}


def test_refused_tokens_are_401_with_no_engine_call(served, mock,
                                                    rpc_calls):
    variants = token_variants(served)
    rpc_calls.clear()
    for name, token in variants.items():
        answer = requests.get(stacks_url(served, "alice"),
                              headers={"X-Auth-Token": token}, timeout=WAIT)
        assert answer.status_code in (400, 401), (name, answer.text)
        if answer.status_code == 401:
            assert answer.json()["error"]["code"] == 401, name
        assert token[:30] not in answer.text, name
    assert rpc_calls == []


def test_expired_token_is_401(served, mock, rpc_calls):
    from heat_deltacloud.heat.identity import tokens

    token_id, _ = tokens.provider().issue_user(
        "alice", USERS["alice"], mock.url, roles=("member", "reader"),
        now=1000.0)
    rpc_calls.clear()
    answer = requests.get(stacks_url(served, "alice"),
                          headers={"X-Auth-Token": token_id}, timeout=WAIT)
    assert answer.status_code == 401
    assert rpc_calls == []


def test_another_projects_url_is_403_with_no_engine_call(served, mock,
                                                         rpc_calls):
    token_id, _ = login(served, "alice")
    rpc_calls.clear()
    answer = requests.get(stacks_url(served, "bob"),
                          headers={"X-Auth-Token": token_id}, timeout=WAIT)
    assert answer.status_code == 403
    assert rpc_calls == []


def test_client_identity_headers_are_ignored(served, mock):
    token_id, _ = login(served, "alice")
    answer = requests.get(stacks_url(served, "bob"), headers={
        "X-Auth-Token": token_id, "X-Project-Id": "bob", "X-Roles": "admin",
        "X-User-Id": "bob"}, timeout=WAIT)
    assert answer.status_code == 403


def test_a_token_for_another_deltacloud_is_refused(served, mock, cloud):
    from oslo_config import cfg

    token_id, _ = login(served, "alice")
    cfg.CONF.set_override("url", "http://other.example/api",
                          group="deltacloud")
    try:
        answer = requests.get(stacks_url(served, "alice"),
                              headers={"X-Auth-Token": token_id},
                              timeout=WAIT)
    finally:
        cfg.CONF.set_override("url", cloud.url, group="deltacloud")
    assert answer.status_code == 401


def test_heat_api_cfn_accepts_a_users_token(served, mock):
    token_id, _ = login(served, "alice")
    answer = requests.get(f"{served.heat_api_cfn}/v1/", params={
        "Action": "ListStacks", "ContentType": "JSON"},
        headers={"X-Auth-Token": token_id}, timeout=WAIT)
    assert answer.status_code == 200, answer.text
    answer = requests.get(f"{served.heat_api_cfn}/v1/", params={
        "Action": "ListStacks"}, headers={"X-Auth-Token": "bad"},
        timeout=WAIT)
    assert answer.status_code == 401
    assert "<ErrorResponse>" in answer.text


def test_tokens_and_passwords_stay_out_of_debug_logs(served, mock,
                                                     caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("", "heat_deltacloud", "heat", "keystoneauth",
                 "oslo_policy", "waitress"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        token_id, _ = login(served, "alice")
        requests.get(stacks_url(served, "alice"),
                     headers={"X-Auth-Token": token_id}, timeout=WAIT)
        requests.get(stacks_url(served, "alice"),
                     headers={"X-Auth-Token": token_id[:-4]}, timeout=WAIT)
        login(served, "alice", password="wrong-" + USERS["alice"])
    finally:
        for name in ("heat_deltacloud", "heat", "keystoneauth",
                     "oslo_policy", "waitress"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    text = "\n".join(r.getMessage() + json.dumps(str(r.args))
                     for r in caplog.records)
    assert "Issued a user token to alice" in text
    assert USERS["alice"] not in text
    assert token_id[:24] not in text
    assert token_id[-24:] not in text
