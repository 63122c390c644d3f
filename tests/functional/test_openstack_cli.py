"""python-openstackclient and openstacksdk against the distributed setup.

They log in at heat-api's identity endpoint (``OS_AUTH_URL`` =
:attr:`Harness.identity_url`) with Deltacloud credentials, find heat-api
in the token's catalog and send it ``X-Auth-Token``; the stack is created
by one of the two engine processes over RabbitMQ.  To keep the test
short (each ``openstack`` command starts a Python process, and ``stack
delete --wait`` polls every 5 s) the commands that need only the finished
stack run at once, in parallel, and the delete is waited for with
openstacksdk.
"""

import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys

import pytest

from support import ONE_SERVER_HOT

pytestmark = [pytest.mark.heat, pytest.mark.slow, pytest.mark.functional,
              pytest.mark.timeout(300)]

#: One of the harness's mock users (its own stacks, nobody else's).
USER, PASSWORD = "demo", "demo-password"
COMMAND_TIMEOUT = 120


def openstack_env(harness, password=PASSWORD):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OS_", "HEAT_"))}
    env.update(harness.environment(USER), OS_PASSWORD=password)
    return env


def openstack(harness, *args, json_out=True):
    """``openstack <args> [-f json]``'s document (its stdout without)."""
    command = [str(pathlib.Path(sys.executable).parent / "openstack"),
               *args, *(["-f", "json"] if json_out else [])]
    result = subprocess.run(command, env=openstack_env(harness),
                            capture_output=True, text=True,
                            timeout=COMMAND_TIMEOUT, check=False)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    if not json_out:
        return result.stdout
    # --wait prints events before the document.
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line in "{[]}")
    return json.loads("\n".join(lines[start:]))


def test_openstack_cli_stack_lifecycle(harness, tmp_path):
    template = tmp_path / "server.yaml"
    template.write_text(ONE_SERVER_HOT)
    created = openstack(harness, "stack", "create", "-t", str(template),
                        "--parameter", "image=img2", "--wait", "--poll",
                        "1", "osc-stack")
    assert created["stack_status"] == "CREATE_COMPLETE", created
    # An engine process took it (it logs the stacks it creates).
    assert any("osc-stack" in names
               for names in harness.stacks_by_engine().values())

    commands = {
        "list": ("stack", "list"),
        "show": ("stack", "show", "osc-stack"),
        "events": ("stack", "event", "list", "osc-stack"),
        "resources": ("stack", "resource", "list", "osc-stack"),
        "output": ("stack", "output", "show", "osc-stack", "server_id"),
    }
    with concurrent.futures.ThreadPoolExecutor(len(commands)) as pool:
        running = {name: pool.submit(openstack, harness, *args)
                   for name, args in commands.items()}
        got = {name: future.result() for name, future in running.items()}

    assert [s["Stack Name"] for s in got["list"]] == ["osc-stack"]
    assert got["show"]["stack_owner"] == USER
    assert got["show"]["parameters"]["image"] == "img2"
    assert got["show"]["id"] == created["id"]
    assert any(e["resource_name"] == "server"
               and e["resource_status"] == "CREATE_COMPLETE"
               for e in got["events"])
    (server,) = got["resources"]
    assert server["resource_type"] == "OS::Nova::Server"
    assert server["resource_status"] == "CREATE_COMPLETE"
    assert got["output"]["output_value"] == server["physical_resource_id"]
    mine = [i for i in harness.mock.all_instances() if i["owner"] == USER]
    assert [(i["id"], i["image_id"]) for i in mine] == [
        (server["physical_resource_id"], "img2")]

    # openstacksdk's orchestration proxy, same login, same stack.
    import openstack as sdk

    conn = sdk.connect(
        auth_url=harness.identity_url, username=USER, password=PASSWORD,
        project_name=USER, user_domain_name="Default",
        project_domain_name="Default", identity_api_version="3",
        region_name="RegionOne", interface="public")
    try:
        assert conn.orchestration.get_endpoint().startswith(
            harness.heat_api_url + "/v1/")
        found = conn.orchestration.find_stack("osc-stack")
        assert (found.id, found.status) == (created["id"],
                                            "CREATE_COMPLETE")

        openstack(harness, "stack", "delete", "--yes", "osc-stack",
                  json_out=False)
        conn.orchestration.wait_for_delete(found, interval=0.5,
                                           wait=COMMAND_TIMEOUT)
        assert list(conn.orchestration.stacks()) == []
    finally:
        conn.close()
    assert [i for i in harness.mock.all_instances()
            if i["owner"] == USER] == []


def test_wrong_password_is_refused_by_the_identity_endpoint(harness):
    """The login fails (401, Keystone's words); the password is not
    echoed."""
    import requests

    answer = requests.post(f"{harness.identity_url}/auth/tokens", json={
        "auth": {"identity": {"methods": ["password"], "password": {
            "user": {"name": USER, "password": "Wr0ng-pw-Zq",
                     "domain": {"name": "Default"}}}}}}, timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error"]["title"] == "Unauthorized"
    assert "Wr0ng-pw-Zq" not in answer.text
