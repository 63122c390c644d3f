"""A distinctive password through the whole stack path, and the filter's
refusals.

The sweep runs the client, the Nova shim, Heat 27 (engine, heat-api,
heat-api-cfn, our filter) and the CLI (launch, status, events, reconcile,
delete) with every logger at DEBUG, then looks for the password in every
log record (with its traceback), exception, repr, stack and resource
status reason, event and CLI output.

Known and documented (docs/source/user/security.rst): python-heatclient,
a *client* of heat-api that this package does not use, logs its request
headers, X-Auth-Key included, at DEBUG in its own ``heatclient`` logger.
The sweep states it: that logger is the only place the password may show.
"""

import contextlib
import json
import logging
import time
import types

import pytest
import requests

from heat_deltacloud.mock.server import MockServer

pytestmark = [pytest.mark.heat, pytest.mark.slow]

USER = "sweeper"
PASSWORD = "Sw33p-7c1d-\u00e6-PASSWORD"  # noqa: S105 - the canary
WRONG = "Wr0ng-4b9e-PASSWORD"  # noqa: S105 - the canary too
#: The one logger allowed to show it (see the module docstring).
HEATCLIENT_LOGGER = "heatclient"

SERVER = {"heat_template_version": "2018-08-31",
          "resources": {"web": {"type": "OS::Nova::Server",
                                "properties": {"image": "img1",
                                               "flavor": "m1-small"}}},
          "outputs": {"ip": {"value": {"get_attr": ["web",
                                                    "first_address"]}}}}


@pytest.fixture(scope="module")
def stack_services():
    """A mock knowing USER, the embedded engine, heat-api and -cfn."""
    from heat_deltacloud.heat import apis, embedded

    heat = embedded.start()
    with MockServer(users={USER: PASSWORD},
                    fix_user_data_feature=True) as mock, \
            apis.serve(heat) as served:
        yield types.SimpleNamespace(mock=mock, heat=heat, apis=served)


class Everything(logging.Handler):
    """Every record of every logger, formatted with its traceback."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(
            "%(name)s %(levelname)s %(message)s"))
        self.records = []

    def emit(self, record):
        try:
            text = self.format(record)
        except Exception:  # noqa: BLE001 - Heat objects gone by now
            text = f"{record.msg!r} {record.args!r}"
        self.records.append((record.name, text))


@contextlib.contextmanager
def all_loggers_at_debug():
    handler = Everything()
    manager = logging.root.manager
    loggers = [logging.root] + [
        log for log in manager.loggerDict.values()
        if isinstance(log, logging.Logger)]
    saved = [(log, log.level, log.disabled) for log in loggers]
    disabled_below = manager.disable
    for log in loggers:
        log.setLevel(logging.DEBUG)
        log.disabled = False
        if not log.propagate:
            log.addHandler(handler)
    logging.root.addHandler(handler)
    manager.disable = logging.NOTSET
    try:
        yield handler
    finally:
        manager.disable = disabled_below
        for log, level, disabled in saved:
            log.setLevel(level)
            log.disabled = disabled
            if handler in log.handlers:
                log.removeHandler(handler)


def heatclient(api_url, password, deltacloud_url):
    from heatclient import client

    return client.Client("1", endpoint=f"{api_url}/v1/{USER}",
                         username=USER, password=password,
                         auth_url=deltacloud_url, timeout=30)


def wait(hc, stack_id, timeout=90):
    from heatclient import exc

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stack = hc.stacks.get(stack_id)
        except exc.HTTPNotFound:
            return None
        if not stack.stack_status.endswith("IN_PROGRESS"):
            return stack
        time.sleep(0.2)
    raise TimeoutError(stack_id)


def client_and_shim(url, seen):
    """The client and the Nova shim, their reprs and their errors."""
    from heat_deltacloud.compat import nova
    from heat_deltacloud.deltacloud import Client

    client = Client(url, USER, PASSWORD)
    compute = nova.Client(client, poll_interval=0.05, delete_timeout=10)
    server = compute.servers.create("sweep-direct", "img1", "m1-small")
    seen += [repr(client), repr(client.transport), repr(compute),
             repr(server), repr(compute.servers.get(server.id)),
             repr(client.instances.list())]
    for failing in (lambda: client.instances.get("no-such"),
                    lambda: compute.servers.get("no-such"),
                    lambda: Client(url, USER, WRONG).instances.list()):
        try:
            failing()
        except Exception as exc:  # noqa: BLE001 - each is looked at
            seen += [str(exc), repr(exc)]
    server.delete()


def stacks_through_heat_api(services, seen):
    from heatclient import exc

    url = services.mock.url
    try:
        list(heatclient(services.apis.heat_api, WRONG, url).stacks.list())
    except exc.HTTPUnauthorized as refused:
        seen += [str(refused), repr(refused)]
    hc = heatclient(services.apis.heat_api, PASSWORD, url)
    ids = {}
    for name in ("sweep-ok", "sweep-broken"):
        if name == "sweep-broken":  # Deltacloud fails the create
            services.mock.add_fault("POST", "/api/instances", status=502,
                                    count=1, message="injected failure")
        ids[name] = hc.stacks.create(stack_name=name,
                                     template=SERVER)["stack"]["id"]
        stack = wait(hc, ids[name])
        seen += [repr(stack), str(stack.to_dict())]
        seen += [str(r.to_dict()) for r in hc.resources.list(ids[name])]
        seen += [str(e.to_dict()) for e in hc.events.list(ids[name])]
    assert hc.stacks.get(ids["sweep-ok"]).stack_status == "CREATE_COMPLETE"
    broken = hc.stacks.get(ids["sweep-broken"])
    assert broken.stack_status == "CREATE_FAILED"
    assert "injected failure" in broken.stack_status_reason
    return hc, ids


def cli_commands(services, password_file, capsys):
    from heat_deltacloud import cli

    remote = ["--heat-cfn-url", services.apis.heat_api_cfn,
              "--deltacloud-url", services.mock.url, "--user", USER,
              "--password-file", str(password_file)]
    template = password_file.parent / "sweep.json"
    template.write_text(json.dumps(SERVER))
    codes = [cli.main(["launch", str(template), "--name", "sweep-cli",
                       "--keep", *remote]),
             cli.main(["status", "sweep-cli", *remote]),
             cli.main(["events", "sweep-cli", *remote]),
             cli.main(["reconcile", *remote]),
             cli.main(["delete", "sweep-cli", *remote])]
    wrong = password_file.parent / "wrong"
    wrong.write_text(WRONG + "\n")
    codes.append(cli.main(["status", "sweep-cli", *remote[:-1],
                           str(wrong)]))
    out = capsys.readouterr()
    assert codes[:5] == [0, 0, 0, 0, 0], out
    assert codes[5] != 0
    return out.out + out.err


def test_password_shows_nowhere_but_heatclients_own_log(
        stack_services, tmp_path, capsys):
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    seen = []
    with all_loggers_at_debug() as logs:
        client_and_shim(stack_services.mock.url, seen)
        hc, ids = stacks_through_heat_api(stack_services, seen)
        output = cli_commands(stack_services, password_file, capsys)
        for stack_id in ids.values():
            hc.stacks.delete(stack_id)
            wait(hc, stack_id)
    assert len(logs.records) > 100  # every layer did log
    assert {name.split(".")[0] for name, _ in logs.records} >= {
        "heat", "heat_deltacloud", "urllib3"}
    for secret in (PASSWORD, WRONG):
        leaks = sorted({name for name, text in logs.records
                        if secret in text})
        assert set(leaks) <= {f"{HEATCLIENT_LOGGER}.common.http"}, leaks
        assert [s for s in seen if secret in s] == []
        assert secret not in output
    assert "sweep-cli" in output
    assert [i for i in stack_services.mock.all_instances()
            if i["owner"] == USER] == []


# -- the filter: refused before the engine -----------------------------------

def basic(user, password):
    import base64

    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def api_request(services, api, headers):
    if api == "heat-api":
        url = f"{services.apis.heat_api}/v1/{USER}/stacks"
    else:
        url = f"{services.apis.heat_api_cfn}/v1/?Action=ListStacks"
    return requests.get(url, timeout=30, headers={
        "X-Auth-Url": services.mock.url, **headers})


REFUSED = {
    "missing": ({}, 401),
    "user only": ({"X-Auth-User": USER}, 401),
    "malformed": ({"Authorization": "Basic !!!" + WRONG}, 400),
    "malformed key": ({"X-Auth-User": USER, "X-Auth-Key": WRONG + "\x7f"},
                      400),
    "wrong": ({"X-Auth-User": USER, "X-Auth-Key": WRONG}, 401),
    "wrong basic": ({"Authorization": basic(USER, WRONG)}, 401),
}


@pytest.mark.parametrize("api", ["heat-api", "heat-api-cfn"])
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_requests_make_no_engine_call(stack_services, rpc_calls,
                                             api, case):
    headers, status = REFUSED[case]
    resp = api_request(stack_services, api, headers)
    assert resp.status_code == status, resp.text
    assert rpc_calls == []
    assert WRONG not in resp.text
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith("Basic realm=")


@pytest.mark.parametrize("api", ["heat-api", "heat-api-cfn"])
def test_expired_password_is_refused_after_the_cache(stack_services,
                                                     rpc_calls, monkeypatch,
                                                     api):
    """Accepted, then changed at Deltacloud: refused once the cached
    acceptance expires, without an engine call."""
    from heat_deltacloud.heat import auth

    headers = {"X-Auth-User": USER, "X-Auth-Key": PASSWORD}
    assert api_request(stack_services, api, headers).status_code == 200
    assert rpc_calls  # the counter sees the engine when it is reached
    rpc_calls.clear()
    users = stack_services.mock.app._users  # the mock's password table
    monkeypatch.setitem(users, USER, "changed-at-deltacloud")
    later = types.SimpleNamespace(monotonic=lambda: time.monotonic() + 3600)
    monkeypatch.setattr(auth, "time", later)
    resp = api_request(stack_services, api, headers)
    assert resp.status_code == 401
    assert rpc_calls == []
    assert PASSWORD not in resp.text


def test_cached_passwords_are_compared_in_constant_time(stack_services,
                                                        monkeypatch):
    import hmac

    from heat_deltacloud.heat import auth

    compared = []

    def spy(a, b):
        compared.append((type(a), len(a), len(b)))
        return hmac.compare_digest(a, b)
    monkeypatch.setattr(auth, "hmac", types.SimpleNamespace(
        new=hmac.new, compare_digest=spy))
    headers = {"X-Auth-User": USER, "X-Auth-Key": PASSWORD}
    for _ in range(2):
        assert api_request(stack_services, "heat-api",
                           headers).status_code == 200
    assert compared and all(c == (bytes, 32, 32) for c in compared)


# -- stack users' keys: the secret, the signature, an IAM access key ---------

SIGNAL_SWEEP = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Db": {"Type": "AWS::EC2::Instance", "Properties": {
            "ImageId": "img1", "InstanceType": "m1-small",
            "UserData": {"Fn::Base64": {"Fn::Join": ["", [
                "#!/bin/sh\ncfn-signal -e 0 -i db -d ok '",
                {"Ref": "Handle"}, "'\n"]]}}}},
        "Wait": {"Type": "AWS::CloudFormation::WaitCondition",
                 "DependsOn": "Db",
                 "Properties": {"Handle": {"Ref": "Handle"},
                                "Timeout": "300", "Count": "1"}},
        "User": {"Type": "AWS::IAM::User"},
        "Key": {"Type": "AWS::IAM::AccessKey",
                "Properties": {"UserName": {"Ref": "User"}}},
    },
    "Outputs": {"Data": {"Value": {"Fn::GetAtt": ["Wait", "Data"]}},
                "Access": {"Value": {"Ref": "Key"}}},
}


def raw_request(method, url, body=None, headers=None):
    """``(status, text)`` over http.client, which logs nothing (urllib3
    logs each request line, query string and all, at DEBUG: a client's
    log, not the server's)."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                      timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, target, body=payload, headers={
            "Content-Type": "application/json", **(headers or {})})
        answer = conn.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        conn.close()


def cfn_signal(tmp_path, url):
    """The real cfn-signal of heat-cfntools, in its own process."""
    import pathlib
    import subprocess
    import sys

    script = str(pathlib.Path(sys.executable).parent / "cfn-signal")
    code = ("import logging, runpy, sys\n"
            f"logging.basicConfig(filename={str(tmp_path / 'cfn.log')!r})\n"
            "sys.argv = ['cfn-signal', '-e', '0', '-i', 'db', '-d', 'ok', "
            f"{url!r}]\n"
            f"runpy.run_path({script!r}, run_name='__main__')\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=60)


def signed_url_in_user_data(mock, stack_id):
    import re

    pattern = re.compile(r"http://127\.0\.0\.1:\d+/v1/waitcondition/"
                         r"[^'\"\s]+")
    for instance in mock.all_instances():
        for url in pattern.findall(instance.get("user_data") or ""):
            if stack_id in url:
                return url
    return None


def signed_requests(services, url, principal, iam, seen):
    """Refused and accepted signed requests, their answers in ``seen``."""
    import datetime

    import webob

    from heat_deltacloud.heat import ec2, stackusers

    from . import signing

    cfn = services.apis.heat_api_cfn
    parsed = signing.SignedURL.parse(url)
    old = signing.v2_time(datetime.datetime.now(datetime.UTC)
                          - datetime.timedelta(days=30))
    forged = parsed.replace(params={
        "Signature": signing.one_char_changed(parsed.signature)}).url
    expired = parsed.signed(principal.secret, params={"Timestamp": old}).url
    other_key = parsed.signed(iam.secret, params={
        "AWSAccessKeyId": iam.access, "Timestamp": old}).url
    refused = [
        ("PUT", forged), ("PUT", expired), ("PUT", other_key),
        ("PUT", parsed.replace(params={"SignatureVersion": "1"}).url),
        ("GET", signing.query_v2(principal.secret, principal.access, cfn,
                                 {"Action": "ListStacks"})),
        ("GET", signing.query_v2(iam.secret, iam.access, cfn,
                                 {"Action": "DescribeStacks"})),
        ("PUT", parsed.replace(base=services.apis.heat_api).url),
    ]
    for method, target in refused:
        status, text = raw_request(method, target, {"Status": "SUCCESS"})
        assert status in (400, 401, 403), (status, text)
        seen += [text]
    describe = (f"{cfn}/v1/?Action=DescribeStackResource&StackName="
                f"sweep-signals&LogicalResourceId=Key&ContentType=JSON")
    status, text = raw_request("GET", describe, headers=signing.ec2signer_v4(
        iam.access, iam.secret, "GET", describe))
    assert status == 200, text
    seen += [text]
    # The verifier's own refusals, as exceptions.
    verifier = ec2.Verifier(stackusers.store(), window=86400)
    for target in (forged, expired, other_key):
        try:
            verifier.verify(webob.Request.blank(target, method="PUT"))
        except ec2.SignatureError as exc:
            seen += [str(exc), repr(exc)]
        else:
            raise AssertionError(f"{target} verified")


def test_stack_user_secrets_show_nowhere(stack_services, tmp_path):
    """A stack user's secret key, the signature of a pre-signed URL and the
    secret of an ``AWS::IAM::AccessKey``, with every logger at DEBUG,
    through a wait condition stack's whole life: created, its URL refused
    when forged, expired, downgraded, re-signed with another key, used for
    other actions or sent to heat-api, read with the access key (SigV4),
    signalled by the real cfn-signal, deleted.

    The two secrets show nowhere: no log record of any logger (nor
    heat.log), event, exception, repr (``Principal``, ``AccessKey``),
    stack, resource or error answer, and the database file never holds
    them in clear (Heat's redacted resource data and this package's key
    table are both encrypted with ``auth_encryption_key``).

    The signed URL, signature included, is Heat's to keep, in clear, and
    it does so, which this package does not change: the handle caches it
    in its resource data ``ec2_signed_url`` (not redacted) and answers it
    as its reference (``Ref``), so it is also in the properties of every
    resource that refers to the handle (here the instance's ``UserData``,
    where it legitimately goes to the instance, and the wait condition's
    ``Handle``), in their events' stored ``resource_properties`` and in
    the convergence sync points.  SQLAlchemy's engine logger, at INFO/DEBUG,
    echoes those rows.  Everywhere else (this package's loggers, Heat's,
    the APIs', error answers, exceptions) the signature must not show.
    """
    from heat_deltacloud.heat import stackusers

    from . import signing

    services = stack_services
    heat, mock = services.heat, services.mock
    ctx = heat.context(USER, PASSWORD, mock.url)
    seen = []
    labelled = []
    store = stackusers.store()
    with all_loggers_at_debug() as logs:
        identity = heat.engine_client.create_stack(
            ctx, "sweep-signals", SIGNAL_SWEEP, {}, {}, {"timeout_mins": 10})
        try:
            deadline = time.monotonic() + 60
            while not (url := signed_url_in_user_data(
                    mock, identity["stack_id"])):
                assert time.monotonic() < deadline, "no signed URL"
                time.sleep(0.1)
            parsed = signing.SignedURL.parse(url)
            principal = store.principal(parsed.access)
            while not (iam := store.principal(
                    heat.engine_client.describe_stack_resource(
                        ctx, identity, "Key")["physical_resource_id"])):
                assert time.monotonic() < deadline, "no access key"
                time.sleep(0.1)
            keypair = store.get_credential(user_id=iam.user_id,
                                           access=iam.access)
            seen += [repr(principal), str(principal), repr(iam),
                     repr(keypair), str(keypair)]
            signed_requests(services, url, principal, iam, seen)
            result = cfn_signal(tmp_path, url)
            assert result.returncode == 0, result.stderr
            stack = heat.wait_for_stack(ctx, identity, timeout=60)
            assert stack["stack_status"] == "COMPLETE", stack
            labelled += [("stack", str(stack))]
            labelled += [(f"resource {r['resource_name']}", str(r))
                         for r in heat.engine_client.list_stack_resources(
                             ctx, identity)]
            labelled += [(f"event {e['resource_name']}", str(e))
                         for e in heat.engine_client.list_events(
                             ctx, identity)]
            labelled += [(f"resource {name}", str(
                heat.engine_client.describe_stack_resource(
                    ctx, identity, name)))
                for name in ("Handle", "Wait", "User", "Key", "Db")]
            in_clear = resource_data_holding(parsed.signature)
        finally:
            heat.delete_stack(ctx, identity)
    assert outputs_of(stack)["Access"] == iam.access
    assert outputs_of(stack)["Data"] == '{"db": "ok"}'
    assert in_clear == {"ec2_signed_url"}
    assert len(logs.records) > 100
    # The filter's refusals and the engine's signal are among them.
    assert any(name == "heat_deltacloud.heat.auth"
               and "Refused a signed PUT" in text
               for name, text in logs.records)
    heat_log = (heat.state_dir / "heat.log").read_text(
        errors="replace").splitlines()
    database = database_bytes(heat)
    for what, secret in (("the URL key's secret", principal.secret),
                         ("the access key's secret", iam.secret)):
        # As it is, and URL-quoted, as it would show in a URL.
        leaks = sorted({name for name, text in logs.records
                        if signing.leaked(text, secret)})
        assert leaks == [], (what, leaks)
        assert [s for s in seen if signing.leaked(s, secret)] == [], what
        assert [label for label, text in labelled
                if signing.leaked(text, secret)] == [], what
        assert [line for line in heat_log
                if signing.leaked(line, secret)] == [], what
        assert secret.encode() not in database, what
    signature = parsed.signature
    leaks = sorted({name for name, text in logs.records
                    if signing.leaked(text, signature)})
    assert set(leaks) <= {SQLALCHEMY_LOGGER}, leaks
    assert [s for s in seen if signing.leaked(s, signature)] == []
    assert [label for label, text in labelled
            if signing.leaked(text, signature)] == []
    assert [line for line in heat_log if signing.leaked(line, signature)
            and SQLALCHEMY_LOGGER not in line] == []


#: SQLAlchemy's statement and row log: it echoes the rows Heat writes.
SQLALCHEMY_LOGGER = "sqlalchemy.engine.Engine"


def outputs_of(stack):
    return {o["output_key"]: o["output_value"] for o in stack["outputs"]}


def resource_data_holding(text):
    """Keys of Heat's resource data rows whose stored value holds
    ``text``."""
    import sqlalchemy as sa
    from heat.db import api as db_api

    with db_api.get_engine().connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT key, value FROM resource_data")).fetchall()
    from . import signing

    return {key for key, value in rows if signing.leaked(value or "", text)}


def database_bytes(heat):
    """Heat's sqlite database, with its journal if any."""
    data = b""
    for path in heat.state_dir.glob("heat.sqlite*"):
        data += path.read_bytes()
    return data
