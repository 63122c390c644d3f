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

@pytest.fixture
def rpc_calls(monkeypatch):
    """Every call and cast the APIs make to the engine."""
    from heat.rpc import client as rpc_client

    calls = []
    for kind in ("call", "cast"):
        real = getattr(rpc_client.EngineClient, kind)

        def counted(self, ctxt, msg, *args, _real=real, **kwargs):
            calls.append(msg[0] if isinstance(msg, tuple) else msg)
            return _real(self, ctxt, msg, *args, **kwargs)
        monkeypatch.setattr(rpc_client.EngineClient, kind, counted)
    return calls


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
