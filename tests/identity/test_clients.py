"""Real OpenStack clients against the identity endpoint and heat-api.

python-openstackclient (the ``openstack`` console script, with heatclient's
plugin) in a subprocess and openstacksdk's orchestration proxy in process,
both authenticating with Deltacloud credentials at ``/identity/v3`` and
then sending ``X-Auth-Token`` to heat-api.
"""

import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys

import pytest
import requests

from support import ONE_SERVER_HOT

from .helpers import USERS, WAIT

pytestmark = [pytest.mark.heat]


def openstack_env(served, user):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OS_")}
    env.update(OS_AUTH_URL=served.identity, OS_USERNAME=user,
               OS_PASSWORD=USERS[user], OS_PROJECT_NAME=user,
               OS_USER_DOMAIN_NAME="Default",
               OS_PROJECT_DOMAIN_NAME="Default",
               OS_IDENTITY_API_VERSION="3", OS_INTERFACE="public")
    return env


def openstack(served, user, *args, json_out=True):
    command = [str(pathlib.Path(sys.executable).parent / "openstack"),
               *args]
    if json_out:
        command += ["-f", "json"]
    result = subprocess.run(command, env=openstack_env(served, user),
                            capture_output=True, text=True, timeout=WAIT * 2)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    if not json_out:
        return result.stdout
    # --wait prints events before the document.
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line in "{[]}")
    return json.loads("\n".join(lines[start:]))


def test_openstack_cli_stack_lifecycle(served, mock, tmp_path):
    template = tmp_path / "server.yaml"
    template.write_text(ONE_SERVER_HOT)
    assert openstack(served, "alice", "stack", "list") == []
    created = openstack(served, "alice", "stack", "create", "-t",
                        str(template), "--parameter", "image=img2",
                        "--wait", "--poll", "1", "cli-stack")
    assert created["stack_status"] == "CREATE_COMPLETE"
    # Each command starts a Python process: those that need only the
    # finished stack run at once.
    commands = {
        "list": ("alice", "stack", "list"),
        "show": ("alice", "stack", "show", "cli-stack"),
        "events": ("alice", "stack", "event", "list", "cli-stack"),
        "resources": ("alice", "stack", "resource", "list", "cli-stack"),
        "output": ("alice", "stack", "output", "show", "cli-stack",
                   "server_id"),
        "bob's list": ("bob", "stack", "list"),
    }
    with concurrent.futures.ThreadPoolExecutor(len(commands)) as pool:
        running = {name: pool.submit(openstack, served, *args)
                   for name, args in commands.items()}
        got = {name: future.result() for name, future in running.items()}
    assert [s["Stack Name"] for s in got["list"]] == ["cli-stack"]
    shown = got["show"]
    assert shown["stack_owner"] == "alice"
    assert shown["parameters"]["image"] == "img2"
    assert any(e["resource_status"] == "CREATE_COMPLETE"
               and e["resource_name"] == "server" for e in got["events"])
    (server,) = got["resources"]
    assert server["resource_type"] == "OS::Nova::Server"
    assert got["output"]["output_value"] == server["physical_resource_id"]
    instances = [i for i in mock.all_instances() if i["owner"] == "alice"]
    assert [i["id"] for i in instances] == [server["physical_resource_id"]]
    # Another user sees nothing of it.
    assert got["bob's list"] == []
    openstack(served, "alice", "stack", "delete", "--yes", "--wait",
              "cli-stack", json_out=False)
    assert openstack(served, "alice", "stack", "list") == []
    assert [i for i in mock.all_instances() if i["owner"] == "alice"] == []


def test_openstack_cli_wrong_password_fails_cleanly(served, mock):
    env = openstack_env(served, "alice")
    env["OS_PASSWORD"] = "wrong-pw-xyz"
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "openstack"), "stack",
         "list"], env=env, capture_output=True, text=True, timeout=WAIT)
    assert result.returncode != 0
    assert "requires authentication" in result.stderr
    assert "HTTP 401" in result.stderr


def test_openstacksdk_orchestration(served, mock, tmp_path):
    import openstack as sdk

    conn = sdk.connect(
        auth_url=served.identity, username="bob", password=USERS["bob"],
        project_name="bob", user_domain_name="Default",
        project_domain_name="Default", identity_api_version="3",
        interface="public")
    try:
        template = tmp_path / "server.yaml"
        template.write_text(ONE_SERVER_HOT)
        stack = conn.orchestration.create_stack(
            name="sdk-stack", template_url=None,
            template=ONE_SERVER_HOT.replace("img1", "img3"))
        stack = conn.orchestration.wait_for_status(
            stack, status="CREATE_COMPLETE", failures=["CREATE_FAILED"],
            interval=1, wait=WAIT)
        assert [s.name for s in conn.orchestration.stacks()] == [
            "sdk-stack"]
        found = conn.orchestration.get_stack(stack.id)
        assert found.status == "CREATE_COMPLETE"
        resources = list(conn.orchestration.resources(found))
        assert [r.resource_type for r in resources] == ["OS::Nova::Server"]
        assert [i["image_id"] for i in mock.all_instances()
                if i["owner"] == "bob"] == ["img3"]
        conn.orchestration.delete_stack(found)
        conn.orchestration.wait_for_delete(found, interval=1, wait=WAIT)
        assert list(conn.orchestration.stacks()) == []
    finally:
        conn.close()


def test_openstack_cli_token_issue_and_revoke(served, mock):
    issued = openstack(served, "alice", "token", "issue")
    assert issued["project_id"] == "alice"
    assert issued["user_id"] == "alice"
    token = issued["id"]
    answer = requests.get(f"{served.heat_api}/v1/alice/stacks",
                          headers={"X-Auth-Token": token}, timeout=WAIT)
    assert answer.status_code == 200
    openstack(served, "alice", "token", "revoke", token, json_out=False)
    answer = requests.get(f"{served.heat_api}/v1/alice/stacks",
                          headers={"X-Auth-Token": token}, timeout=WAIT)
    assert answer.status_code == 401
