"""The backend under both of Heat's engines, and authenticated()."""

import json
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.heat]

LEGACY = """
import json, sys
from heat_deltacloud.heat import embedded
from heat_deltacloud.mock.server import MockServer
heat = embedded.start(convergence=False)
try:
    with MockServer(users={"carol": "c-pw"}) as mock:
        ctx = heat.context("carol", "c-pw", mock.url)
        template = {"heat_template_version": "2018-08-31", "resources": {
            "key": {"type": "OS::Nova::KeyPair",
                    "properties": {"name": "k"}},
            "server": {"type": "OS::Nova::Server", "properties": {
                "image": "img1", "flavor": "m1-small",
                "key_name": {"get_resource": "key"},
                "user_data_format": "RAW"}}},
            "outputs": {"ip": {"value": {"get_attr": ["server",
                                                      "first_address"]}}}}
        identity = heat.engine_client.create_stack(ctx, "legacy", template,
                                                   {}, {}, {})
        created = heat.wait_for_stack(ctx, identity)
        from heat.objects import stack as stack_object
        stored = stack_object.Stack.get_by_id(ctx, identity["stack_id"])
        mine = [i for i in mock.all_instances() if i["owner"] == "carol"]
        deleted = heat.delete_stack(ctx, identity)
        left = [i for i in mock.all_instances() if i["owner"] == "carol"]
        print(json.dumps({
            "convergence": stored.convergence,
            "created": created["stack_status"],
            "output": created["outputs"][0]["output_value"],
            "instances": [i["id"] for i in mine],
            "deleted": deleted["stack_status"], "left": len(left)}))
finally:
    embedded.shutdown()
"""


def test_legacy_engine_creates_and_deletes():
    result = subprocess.run([sys.executable, "-c", LEGACY],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["convergence"] is False
    assert (outcome["created"], outcome["deleted"], outcome["left"]) == (
        "COMPLETE", "COMPLETE", 0)
    [instance] = outcome["instances"]
    assert outcome["output"] == f"img1.{instance}.public.com"


def test_authenticated_checks_the_credentials(heat, deltacloud_mock):
    from heat.common import exception

    from heat_deltacloud.heat.backend import DeltacloudClients
    good = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    bad = heat.context("mockuser", "nope", deltacloud_mock.url)
    assert DeltacloudClients(good).authenticated() is True
    assert DeltacloudClients(bad).authenticated() is False
    down = heat.context("mockuser", "mockpassword", "http://127.0.0.1:9/api")
    with pytest.raises(exception.Error, match="Deltacloud is unavailable"):
        DeltacloudClients(down).authenticated()


def test_the_engine_reaches_authenticated_to_backend(heat, deltacloud_mock):
    good = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    assert heat.engine_client.authenticated_to_backend(good) is True


def test_no_keystone_discovery_for_unprovided_services(heat,
                                                       deltacloud_mock):
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    deltacloud_mock.clear_requests()
    template = {"heat_template_version": "2018-08-31", "resources": {
        "queue": {"type": "OS::Zaqar::Queue",
                  "properties": {"name": "q"}}}}
    with pytest.raises(Exception, match="provides no 'zaqar' service"):
        heat.engine_client.create_stack(ctx, "noq", template, {}, {}, {})
    # Nothing was sent to the Deltacloud URL (no identity discovery).
    assert deltacloud_mock.request_log() == []
