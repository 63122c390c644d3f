"""The generated UserData, run by sh in a temporary directory standing in
for the instance.  PATH holds only the tools the boot script may use (so
no cfn-signal or facter of the host's leaks in) plus stubs: curl and
facter, cfn-signal where a test says so; or real curl/wget against a
stand-in wait condition handle that checks bodies as Heat 27 does."""

import base64
import http.server
import json
import os
import shutil
import stat
import subprocess
import threading
import urllib.parse

import pytest

from heat_deltacloud.deployable import Mapping, load, translate

#: What the boot script (and the stub service) run, besides the shell.
TOOLS = ("awk", "base64", "cat", "chmod", "cp", "cut", "env", "grep",
         "head", "hostname", "ls", "mkdir", "od", "sed", "sort", "tr")

CURL = """#!/bin/sh
# Records every call; "-o FILE URL" fetches the stub service script (not
# for -o /dev/null), a PUT appends the wait condition signal's body.
echo "$*" >> "$STUB_LOG/curl"
out=
while [ $# -gt 0 ]; do
    case $1 in
        -o) out=$2; shift ;;
        --data-binary) printf '%s\\n' "$2" >> "$STUB_LOG/signals"; shift ;;
    esac
    shift
done
[ -z "$out" ] || [ "$out" = /dev/null ] || cp "$STUB_SERVICE" "$out"
"""

CFN_SIGNAL = """#!/bin/sh
# Records its arguments, one a line; fails when $STUB_CFN_FAILS is set.
printf '%s\\n' "$@" > "$STUB_LOG/cfn-signal-$(ls "$STUB_LOG" | wc -l)"
[ -z "$STUB_CFN_FAILS" ]
"""

SERVICE = """#!/bin/sh
# A service: logs its name, directory listing and AUDREY_VAR_ environment.
name=${PWD##*/}
echo "$name" >> "$STUB_LOG/order"
ls > "$STUB_LOG/files-$name"
env | grep '^AUDREY_VAR_' | sort > "$STUB_LOG/env-$name"
"""

FACTER = """#!/bin/sh
case $1 in
    ipaddress) echo 192.0.2.7 ;;
    hostname) echo host-7 ;;
    fqdn) echo host-7.example ;;
    dbup) echo true ;;
    motd) printf 'one\ntwo\n' ;;
esac
"""


def _executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _tool_dir(path, tools):
    """A directory of symbolic links to the host's ``tools``."""
    path.mkdir()
    for tool in tools:
        found = shutil.which(tool)
        assert found, f"the test needs {tool}"
        (path / tool).symlink_to(found)
    return str(path)


@pytest.fixture
def instance(tmp_path):
    """``boot(name, script, stubs=("curl", "facter"), env={})``: runs a
    boot script as an instance would; returns (result, instance dir).
    Nothing is written outside the instance dir: $AUDREY_DIR is unset and
    HEAT_DELTACLOUD_GUEST_ROOT is the instance dir, as in guest mode."""
    system = _tool_dir(tmp_path / "system", TOOLS)
    service = _executable(tmp_path / "service.sh", SERVICE)
    sources = {"curl": CURL, "facter": FACTER, "cfn-signal": CFN_SIGNAL}

    def boot(name, script, stubs=("curl", "facter"), env=None):
        root = tmp_path / name
        log, stub_bin = root / "log", root / "bin"
        log.mkdir(parents=True)
        stub_bin.mkdir()
        for stub in stubs:
            _executable(stub_bin / stub, sources[stub])
        environ = {"PATH": f"{stub_bin}:{system}",
                   "HEAT_DELTACLOUD_GUEST_ROOT": str(root),
                   "STUB_LOG": str(log), "STUB_SERVICE": str(service),
                   **(env or {})}
        done = subprocess.run(["/bin/sh", "-c", script], env=environ,
                              timeout=60, capture_output=True, text=True,
                              check=False, cwd=root)
        return done, root
    return boot


def _user_data(template, resource, attributes, helpers):
    defaults = {name: spec.get("Default")
                for name, spec in template["Parameters"].items()}
    props = template["Resources"][resource]["Properties"]
    return helpers.resolve(props["UserData"], {**defaults, **attributes})


def _signals(log):
    return [json.loads(line)
            for line in (log / "signals").read_text().splitlines()]


def _wait_data(signals):
    """``Fn::GetAtt [WaitCondition, Data]`` as Heat 27 gives it."""
    return json.dumps({s["UniqueId"]: s["Data"] for s in signals})


def test_two_way_wordpress_boot_delivers_every_value(paths, helpers,
                                                     instance):
    deployable = load(paths.corpus / "audrey__wordpress.xml")
    template = translate(deployable, helpers.mock_mapping(deployable))
    assert template["Resources"]["MysqlWaitCondition"]["Properties"][
        "Count"] == "1"
    assert template["Outputs"]["MysqlFacts"]["Value"] == {
        "Fn::GetAtt": ["MysqlWaitCondition", "Data"]}
    assert "ApacheFacts" not in template["Outputs"]  # addresses only
    mysql_script = _user_data(template, "Mysql", {
        "MysqlWaitHandle": "http://heat.example/wait/mysql",
        "ApacheAddress": "198.51.100.1"}, helpers)
    done, mysql = instance("mysql", mysql_script)
    assert done.returncode == 0, done.stderr
    log = mysql / "log"
    assert (log / "order").read_text() == "mysql\n"
    assert (log / "files-mysql").read_text().split() == [
        "dbup.rb", "start", "wordpress-mysql.sh"]
    assert (log / "env-mysql").read_text().splitlines() == [
        "AUDREY_VAR_mysql_apache_hostname=198.51.100.1",
        "AUDREY_VAR_mysql_apache_ip=198.51.100.1",
        "AUDREY_VAR_mysql_wp_name=wordpress",
        "AUDREY_VAR_mysql_wp_pw=wordpress",
        "AUDREY_VAR_mysql_wp_user=wordpress"]
    # Only the custom fact travels: Heat knows the addresses.
    assert _signals(log) == [{
        "Status": "SUCCESS", "UniqueId": "dbup", "Data": "true",
        "Reason": "all services completed, fact dbup"}]
    assert "http://heat.example/wait/mysql" in (log / "curl").read_text()
    apache_script = _user_data(template, "Apache", {
        "ApacheWaitHandle": "http://heat.example/wait/apache",
        ("Mysql", "PrivateIp"): "10.0.0.9",
        ("Mysql", "PrivateDnsName"): "10.0.0.9",
        ("MysqlWaitCondition", "Data"): _wait_data(_signals(log))},
        helpers)
    done, apache = instance("apache", apache_script)
    assert done.returncode == 0, done.stderr
    assert (apache / "log" / "env-http").read_text().splitlines() == [
        "AUDREY_VAR_http_mysql_dbup=true",
        "AUDREY_VAR_http_mysql_hostname=10.0.0.9",
        "AUDREY_VAR_http_mysql_ip=10.0.0.9",
        "AUDREY_VAR_http_wp_name=wordpress",
        "AUDREY_VAR_http_wp_pw=wordpress",
        "AUDREY_VAR_http_wp_user=wordpress"]
    assert _signals(apache / "log") == [{
        "Status": "SUCCESS", "UniqueId": "boot",
        "Data": "all services completed",
        "Reason": "all services completed"}]
    # Everything the instances wrote is under their own directories.
    assert (mysql / "var" / "audrey" / "status" / "boot").read_text() == \
        "SUCCESS: all services completed\n"
    assert (mysql / "etc" / "facter" / "facts.d").is_dir()


FACTS = {
    "plain": "s3cret-Pa55_word",
    "spaced": "a b  c",
    "quoted": 'say "hi" \\ bye',
    "unicode": "caf\u00e9 \u2603",
    "marker": "b64:looks-encoded",
    "empty": "",
    "dots.and-dash": "x=y=z",
}

FACT_SERVICE = """#!/bin/sh
# Publishes the facts given as base64 "name value" lines in $FACTS_B64.
printf '%s\\n' "$FACTS_B64" | while read -r name value; do
    printf '%s=%s\\n' "$name" "$(printf '%s' "$value" | base64 -d)"
done > "$AUDREY_FACTS/published.txt"
"""


def _facts_deployable(names):
    returns = "".join(f"<return name='{n}'/>" for n in names)
    params = "".join(
        f"<parameter name='p{i}'><reference assembly='producer' "
        f"parameter='{n}'/></parameter>" for i, n in enumerate(names))
    return f"""<deployable name='facts'><assemblies>
      <assembly name='producer' hwp='h'><image id='i'/><services>
        <service name='publish'><executable><contents><![CDATA[
{FACT_SERVICE}]]></contents></executable></service></services>
        <returns>{returns}</returns></assembly>
      <assembly name='consumer' hwp='h'><image id='i'/><services>
        <service name='use'><executable url='http://files.example/use'/>
        <parameters>{params}</parameters></service></services>
      </assembly></assemblies></deployable>""".encode()


def test_custom_facts_of_any_value_arrive_verbatim(helpers, instance):
    """Value -> external fact -> signal Data -> Heat's JSON -> consumer.

    Printable ASCII without quotes or backslashes travels as it is (so the
    stack's output reads well), anything else as "b64:" + base64."""
    names = [*FACTS, "motd"]  # motd: from facter, two lines
    template = translate(load(_facts_deployable(names)),
                         Mapping({"h": "m1-small"}, {"i": "img1"}))
    assert template["Resources"]["ProducerWaitCondition"]["Properties"][
        "Count"] == str(len(names))
    # Self-checking: the service in the deployable needs no shell quoting
    # of the values: they are base64 lines in its environment.
    lines = "\n".join(f"{n} {base64.b64encode(v.encode()).decode()}"
                      for n, v in FACTS.items())
    script = _user_data(template, "Producer", {
        "ProducerWaitHandle": "http://heat.example/wait/p"}, helpers)
    done, producer = instance("producer", script,
                              env={"FACTS_B64": lines})
    assert done.returncode == 0, done.stderr
    signals = _signals(producer / "log")
    assert [s["UniqueId"] for s in signals] == names
    assert all(s["Status"] == "SUCCESS" for s in signals)
    data = {s["UniqueId"]: s["Data"] for s in signals}
    assert data["plain"] == FACTS["plain"]
    assert data["spaced"] == FACTS["spaced"]
    assert data["dots.and-dash"] == "x=y=z"
    expected = {**FACTS, "motd": "one\ntwo"}
    for name in ("quoted", "unicode", "marker", "motd"):
        assert data[name] == "b64:" + base64.b64encode(
            expected[name].encode()).decode()
    script = _user_data(template, "Consumer", {
        "ConsumerWaitHandle": "http://heat.example/wait/c",
        ("ProducerWaitCondition", "Data"): _wait_data(signals)}, helpers)
    done, consumer = instance("consumer", script)
    assert done.returncode == 0, done.stderr
    params = consumer / "var" / "audrey" / "params" / "use"
    for i, (name, value) in enumerate(expected.items()):
        assert (params / f"p{i}").read_text(encoding="utf-8") == value, name


def test_cfn_signal_is_preferred_and_curl_is_the_fallback(helpers,
                                                          instance):
    template = translate(load(_facts_deployable(["plain"])),
                         Mapping({"h": "m1-small"}, {"i": "img1"}))
    script = _user_data(template, "Producer", {
        "ProducerWaitHandle": "http://heat.example/wait/p"}, helpers)
    env = {"FACTS_B64": "plain " + base64.b64encode(b"-x y").decode()}
    done, root = instance("with-cfn", script,
                          stubs=("curl", "facter", "cfn-signal"), env=env)
    assert done.returncode == 0, done.stderr
    log = root / "log"
    [call] = [p for p in log.iterdir() if p.name.startswith("cfn-signal")]
    # --option=value: a value starting with "-" stays a value.
    assert call.read_text().splitlines() == [
        "--exit-code=0", "--reason=all services completed, fact plain",
        "--id=plain", "--data=-x y", "http://heat.example/wait/p"]
    assert not (log / "signals").exists()

    done, root = instance("cfn-fails", script,
                          stubs=("curl", "facter", "cfn-signal"),
                          env={**env, "STUB_CFN_FAILS": "1"})
    assert done.returncode == 0, done.stderr
    assert _signals(root / "log") == [{
        "Status": "SUCCESS", "UniqueId": "plain", "Data": "-x y",
        "Reason": "all services completed, fact plain"}]


class Handle:
    """A wait condition handle checking each PUT as Heat 27 does: the
    body is JSON with exactly Status, Reason, UniqueId and Data, Status
    SUCCESS or FAILURE; a JSON content type or none."""

    def __init__(self):
        self.signals, self.refused = [], []
        handle = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                kind = self.headers.get("Content-Type")
                try:
                    signal = json.loads(body)
                    ok = kind in (None, "", "application/json") and \
                        set(signal) == {"Status", "Reason", "UniqueId",
                                        "Data"} and \
                        signal["Status"] in ("SUCCESS", "FAILURE")
                except ValueError:
                    ok = False
                (handle.signals if ok else handle.refused).append(
                    (self.path, kind, body))
                self.send_response(200 if ok else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.url = (f"http://127.0.0.1:{self.server.server_port}"
                    "/v1/waitcondition/arn%3Aopenstack%3Aheat%3A%3At"
                    "%3Astacks/s/1/resources/H?Signature=x%2By%3D")
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def handle():
    handle = Handle()
    yield handle
    handle.close()


FAILING = b"""<deployable name='failing'><assemblies>
  <assembly name='box' hwp='h'><image id='i'/><services>
    <service name='ok'><executable><contents>#!/bin/sh
</contents></executable></service>
    <service name='broken'><executable><contents>#!/bin/sh
exit 3
</contents></executable></service>
  </services></assembly></assemblies></deployable>"""


@pytest.mark.parametrize("client", ["curl", "wget"])
def test_real_http_clients_signal_a_heat_shaped_handle(
        helpers, instance, handle, tmp_path, client):
    template = translate(load(FAILING), Mapping())
    script = _user_data(template, "Box", {"BoxWaitHandle": handle.url},
                        helpers)
    # A service that fails: the boot reports FAILURE with the reason.
    tools = _tool_dir(tmp_path / f"only-{client}", [client])
    done, box = instance(f"box-{client}", script, stubs=("facter",),
                         env={"PATH": f"{box_path(tmp_path, client)}:"
                                      f"{tools}"})
    assert done.returncode == 1
    assert handle.refused == []
    [(path, kind, body)] = handle.signals
    url = urllib.parse.urlsplit(handle.url)
    assert path == f"{url.path}?{url.query}"
    assert kind == "application/json"
    assert json.loads(body) == {
        "Status": "FAILURE", "UniqueId": "boot",
        "Reason": "service broken exited with status 3",
        "Data": "service broken exited with status 3"}
    assert (box / "var" / "audrey" / "status" / "boot").read_text() == \
        "FAILURE: service broken exited with status 3\n"


def box_path(tmp_path, client):
    """The stub facter and the system tools, without the other client."""
    stubs = tmp_path / f"stubs-{client}"
    if not stubs.exists():
        stubs.mkdir()
        _executable(stubs / "facter", FACTER)
    return f"{stubs}:{tmp_path / 'system'}"


def test_inventory_example_hands_facts_down_the_tiers(paths, helpers,
                                                     instance):
    """examples/inventory, each tier booted after the one it reads, with
    the data Heat would give it; no facter: the services' external facts
    are read from $AUDREY_FACTS."""
    example = paths.example.parent / "inventory"
    template = translate(load(example / "deployable.xml"),
                         Mapping.from_file(example / "mapping.json"))
    data, roots = {}, {}
    for name, attributes in (
            ("Db", {}),
            ("App", {("Db", "PrivateIp"): "10.0.0.2"}),
            ("Web", {("App", "PrivateIp"): "10.0.0.3"})):
        attributes = {f"{name}WaitHandle": f"http://heat.example/{name}",
                      **attributes, **{(f"{n}WaitCondition", "Data"): d
                                       for n, d in data.items()}}
        script = _user_data(template, name, attributes, helpers)
        done, roots[name] = instance(name, script, stubs=("curl",))
        assert done.returncode == 0, done.stderr
        data[name] = _wait_data(_signals(roots[name] / "log"))
    db, app, web = (json.loads(data[n]) for n in ("Db", "App", "Web"))
    assert set(db) == {"db_port", "db_password"}
    assert db["db_port"] == "5432" and len(db["db_password"]) == 24
    assert set(app) == {"api_port", "api_token", "api_database"}
    assert app["api_database"] == \
        "postgresql://inventory@10.0.0.2:5432/inventory"
    assert web == {"upstream": "http://10.0.0.3:8080/"}
    tooling = roots["App"] / "var" / "audrey" / "tooling" / "user"
    config = (tooling / "api" / "api.conf").read_text()
    assert f"database_password={db['db_password']}\n" in config
    site = (roots["Web"] / "var" / "audrey" / "tooling" / "user" /
            "frontend" / "site.conf").read_text()
    assert f'"Bearer {app["api_token"]}"' in site


def test_inline_contents_and_awkward_values_arrive_verbatim(
        paths, helpers, instance):
    template = translate(load(paths.example / "deployable.xml"),
                         Mapping(), wait_conditions=False)
    password = "it's \"$HOME\" `id` \\n"
    script = _user_data(template, "Web", {
        "DbAddress": "203.0.113.4",
        "WebWordpressDbPassword": password}, helpers)
    assert "wait" not in script.split("audrey_run()")[1]
    done, web = instance("web", script)
    assert done.returncode == 0, done.stderr
    audrey = web / "var" / "audrey"
    tooling = audrey / "tooling" / "user" / "wordpress"
    config = (tooling / "wp-config.php").read_text()
    assert "define('DB_HOST', '203.0.113.4');" in config
    params = audrey / "params" / "wordpress"
    assert (params / "db_password").read_text() == password
    assert (audrey / "status" / "boot").read_text() == \
        "SUCCESS: all services completed\n"
    assert not (web / "log" / "signals").exists()


def test_services_run_in_reference_order_and_failure_is_reported(
        paths, helpers, instance):
    template = translate(load(paths.data / "service_order.xml"), Mapping())
    script = _user_data(template, "Box", {
        "BoxWaitHandle": "http://heat.example/wait/box"}, helpers)
    done, box = instance("box", script)
    assert done.returncode == 1
    log = box / "log"
    assert (log / "order").read_text().split() == ["setup", "app"]
    assert (log / "env-app").read_text().splitlines() == [
        "AUDREY_VAR_app_after_setup=0", "AUDREY_VAR_app_me=192.0.2.7"]
    [signal] = _signals(log)
    assert signal["Status"] == "FAILURE"
    assert signal["UniqueId"] == "boot"
    assert signal["Reason"] == "service broken exited with status 3"


def test_awkward_file_names_and_values_are_not_expanded(
        paths, helpers, instance):
    template = translate(load(paths.data / "awkward_names.xml"),
                         Mapping())
    script = _user_data(template, "Box", {
        "BoxWaitHandle": "http://heat.example/wait/box",
        "BoxOddName1Secret": "s e\ncret"}, helpers)
    done, box = instance("box", script)
    assert done.returncode == 0, done.stderr
    log = box / "log"
    assert (log / "files-odd-name.1").read_text().splitlines() == [
        "it's $HOME \"x\" `id`.txt", "my%20app.conf", "setup.sh", "start"]
    audrey = box / "var" / "audrey"
    tooling = audrey / "tooling" / "user" / "odd-name.1"
    assert (tooling / "it's $HOME \"x\" `id`.txt").read_text() == "$(id)\n"
    params = audrey / "params" / "odd-name.1"
    assert (params / "trailing").read_text() == "line\n\n"
    assert (params / "secret").read_text() == "s e\ncret"
    assert (params / "where").read_text() == "host-7.example"
    assert "http://files.example/tools/setup.sh?ref=v1#top" in \
        (log / "curl").read_text()


def test_audrey_dir_still_overrides_the_layout(paths, helpers, instance,
                                               tmp_path):
    template = translate(load(paths.example / "deployable.xml"),
                         Mapping(), wait_conditions=False)
    script = _user_data(template, "Web", {
        "DbAddress": "203.0.113.4", "WebWordpressDbPassword": "pw"},
        helpers)
    elsewhere = tmp_path / "elsewhere"
    done, web = instance("web", script, env={"AUDREY_DIR": str(elsewhere)})
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "status" / "boot").exists()
    assert not (web / "var").exists()
    assert os.listdir(web / "etc" / "facter" / "facts.d") == []
