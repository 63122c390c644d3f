"""Deployables launched on the real Heat 27 and the mock in guest mode:
the instances' boot scripts run on this host, their services publish
facts, and cfn-signal reaches the embedded heat-api-cfn's signed
wait condition URLs."""

import http.server
import json
import pathlib

import pytest

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.deployable import Mapping, load, translate
from heat_deltacloud.launch import Credentials, HeatCfn, Launcher, source
from support import loopback_server

from .conftest import PASSWORD, USER

pytestmark = [pytest.mark.heat, pytest.mark.slow]

ROOT = pathlib.Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "examples" / "inventory"
CORPUS = ROOT.parent / "shared" / "corpus" / "deployables"


class Recorder:
    """An observer keeping every resource event as "Name STATUS"."""

    def __init__(self):
        self.events = []

    def resource_changed(self, event):
        self.events.append(f"{event.resource} {event.status}")

    def before(self, first, second):
        return self.events.index(first) < self.events.index(second)


def launcher_for(services, *observers):
    heat = HeatCfn(services.heat_cfn_url, Credentials(USER, PASSWORD),
                   services.deltacloud_url)
    return Launcher(heat, deltacloud=Client(services.deltacloud_url, USER,
                                            PASSWORD),
                    observers=observers, timeout=240, interval=0.2)


def guest_record(services, outcome, resource):
    return services.mock.wait_guest(outcome.resources[resource].physical_id,
                                    timeout=30)


def test_inventory_waits_for_each_tier_and_delivers_its_facts(services):
    recorder = Recorder()
    launcher = launcher_for(services, recorder)
    name, template = source.load(INVENTORY / "deployable.xml",
                                 INVENTORY / "mapping.json")

    outcome = launcher.launch(name, template, {"BootTimeout": "240"})

    assert outcome.stack.status == "CREATE_COMPLETE", outcome.failure
    # Each tier is created only once the one it reads has run its
    # services and published its facts.
    assert recorder.before("DbWaitCondition CREATE_COMPLETE",
                           "App CREATE_IN_PROGRESS")
    assert recorder.before("AppWaitCondition CREATE_COMPLETE",
                           "Web CREATE_IN_PROGRESS")
    assert "DbWaitHandle SIGNAL_COMPLETE" in recorder.events
    outputs = outcome.stack.outputs
    db, app, web = (json.loads(outputs[f"{n}Facts"])
                    for n in ("Db", "App", "Web"))
    assert db["db_port"] == "5432" and len(db["db_password"]) == 24
    assert app["api_database"] == (f"postgresql://inventory@"
                                   f"{outputs['DbPrivateIp']}:5432/inventory")
    assert app["api_port"] == "8080" and len(app["api_token"]) == 16
    assert web == {"upstream": f"http://{outputs['AppPrivateIp']}:8080/"}
    # The consumers' services got the producers' values.
    api = guest_record(services, outcome, "App")
    assert api["status"] == "finished" and api["exit_status"] == 0
    config = pathlib.Path(api["root"], "var/audrey/tooling/user/api/api.conf")
    assert f"database_password={db['db_password']}\n" in config.read_text()
    assert "(password of 24 characters)" in api["output"]
    front = guest_record(services, outcome, "Web")
    site = pathlib.Path(front["root"],
                        "var/audrey/tooling/user/frontend/site.conf")
    assert f'"Bearer {app["api_token"]}"' in site.read_text()
    # Three signals reached the App's handle over HTTP through cfn-signal.
    assert [s["http_status"] for s in api["signals"]] == [200, 200, 200]
    assert launcher.delete(outcome.stack.id).ok


FAILING = b"""<deployable name='failing'><assemblies>
  <assembly name='box' hwp='small'><image id='base'/><services>
    <service name='setup'><executable><contents>#!/bin/sh
echo setting up
</contents></executable></service>
    <service name='broken'><executable><contents><![CDATA[#!/bin/sh
echo "broken: no such thing" >&2
exit 3
]]></contents></executable></service>
  </services><returns><return name='never'/></returns></assembly>
  <assembly name='after' hwp='small'><image id='base'/><services>
    <service name='s'><executable><contents>#!/bin/sh
</contents></executable><parameters><parameter name='p'>
      <reference assembly='box' parameter='never'/></parameter></parameters>
    </service></services></assembly>
</assemblies></deployable>"""

MOCK_MAPPING = Mapping({"small": "m1-small"}, {"base": "img1"})


def test_a_failing_service_fails_its_wait_condition_with_the_reason(
        services):
    recorder = Recorder()
    launcher = launcher_for(services, recorder)
    template = translate(load(FAILING), MOCK_MAPPING)

    outcome = launcher.launch("failing-service", template)

    assert outcome.stack.status == "CREATE_FAILED"
    failure = outcome.failure
    assert failure.resource == "BoxWaitCondition"
    assert failure.resource_type == "AWS::CloudFormation::WaitCondition"
    assert "service broken exited with status 3" in failure.reason
    # The consumer was never created.
    assert not any(e.startswith("After ") for e in recorder.events)
    record = guest_record(services, outcome, "Box")
    assert record["exit_status"] == 1
    assert "broken: no such thing" in record["output"]
    assert launcher.delete(outcome.stack.id).ok


# -- Audrey's own WordPress and Drupal deployables ---------------------------

AUDREY = "https://raw.github.com/aeolusproject/audrey/master/examples/"

#: Test stubs standing in for Audrey's example scripts, which install and
#: start MySQL, Apache, WordPress and Drupal (yum, service, /etc).  Each
#: checks the parameters Audrey's script reads, prints them, and the
#: database stubs do what dbup.rb does for facter: publish dbup=true.
MYSQL_STUB = """#!/bin/sh
# TEST STUB for Audrey's {script}: no MySQL is installed or started.
set -eu
test -s dbup.rb
env | grep '^AUDREY_VAR_' | sort
echo "grant on $AUDREY_VAR_mysql_{name} to $AUDREY_VAR_mysql_{user}@\\
$AUDREY_VAR_mysql_apache_ip"
echo dbup=true > "$AUDREY_FACTS/dbup.txt"
"""
HTTP_STUB = """#!/bin/sh
# TEST STUB for Audrey's {script}: no web server is installed or started.
set -eu
{check}
env | grep '^AUDREY_VAR_' | sort
[ "$AUDREY_VAR_http_{dbup}" = true ] || {{ echo "database not up" >&2; \\
exit 1; }}
echo "configured for $AUDREY_VAR_http_{ip}"
"""
STUBS = {
    "wordpress/wordpress-mysql.sh": MYSQL_STUB.format(
        script="wordpress-mysql.sh", name="wp_name", user="wp_user"),
    "wordpress/dbup.rb": "# stands in for Audrey's dbup.rb fact\n",
    "wordpress/wordpress-http.sh": HTTP_STUB.format(
        script="wordpress-http.sh", check=":", dbup="mysql_dbup",
        ip="mysql_ip"),
    "drupal/drupal-mysql.py": MYSQL_STUB.format(
        script="drupal-mysql.py", name="db_name", user="db_user"),
    "drupal/dbup.rb": "# stands in for Audrey's dbup.rb fact\n",
    "drupal/drupal-http.py": HTTP_STUB.format(
        script="drupal-http.py", check="test -s settings.php", dbup="dbup",
        ip="db_ip"),
    "drupal/settings.php": "<?php /* stands in for settings.php */\n",
}


@pytest.fixture(scope="module")
def stub_files():
    """Serves :data:`STUBS` on 127.0.0.1; yields the base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = STUBS.get(self.path.lstrip("/"))
            self.send_response(200 if body else 404)
            data = (body or "").encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    with loopback_server(Handler) as server:
        yield f"http://127.0.0.1:{server.server_port}/"


@pytest.mark.parametrize("document, web, db", [
    ("audrey__wordpress.xml", "Apache", "Mysql"),
    ("audrey__drupal.deployable.xml", "Drupal", "Mysql"),
])
def test_audrey_deployable_launches_in_guest_mode(services, stub_files,
                                                  document, web, db):
    # The only change to the document: its scripts' URLs name the stubs.
    text = (CORPUS / document).read_bytes().replace(AUDREY.encode(),
                                                    stub_files.encode())
    assert b"https:" not in text
    deployable = load(text)
    mapping = Mapping({a.hwp: "m1-small" for a in deployable.assemblies},
                      {a.image_id: "img1" for a in deployable.assemblies})
    recorder = Recorder()
    launcher = launcher_for(services, recorder)

    outcome = launcher.launch(f"audrey-{web.lower()}",
                              translate(deployable, mapping),
                              {"BootTimeout": "240"})

    assert outcome.stack.status == "CREATE_COMPLETE", outcome.failure
    outputs = outcome.stack.outputs
    assert json.loads(outputs[f"{db}Facts"]) == {"dbup": "true"}
    assert recorder.before(f"{db}WaitCondition CREATE_COMPLETE",
                           f"{web} CREATE_IN_PROGRESS")
    database = guest_record(services, outcome, db)["output"]
    # mysql reads the web server's pre-allocated address (two-way
    # reference), the web server reads dbup from mysql's wait condition.
    assert f"AUDREY_VAR_mysql_apache_ip={outputs[f'{web}PublicIp']}\n" in \
        database
    front = guest_record(services, outcome, web)
    assert front["exit_status"] == 0, front["output"]
    dbup = "mysql_dbup" if web == "Apache" else "dbup"
    assert f"AUDREY_VAR_http_{dbup}=true\n" in front["output"]
    assert launcher.delete(outcome.stack.id).ok
