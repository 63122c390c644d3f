"""The generated UserData, run by sh in a temporary directory standing in
for the instance; curl and facter are stubs on PATH."""

import json
import os
import stat
import subprocess

import pytest

from heat_deltacloud.deployable import Mapping, load, translate

CURL = """#!/bin/sh
# Records every call; "-o FILE URL" fetches the stub service script, a
# PUT records the wait condition signal.
echo "$*" >> "$STUB_LOG/curl"
out=
while [ $# -gt 0 ]; do
    case $1 in
        -o) out=$2; shift ;;
        --data-binary) printf '%s' "$2" > "$STUB_LOG/signal"; shift ;;
    esac
    shift
done
[ -z "$out" ] || cp "$STUB_SERVICE" "$out"
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
esac
"""


def _executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def instance(tmp_path):
    """A function running a boot script; returns the stub log folder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(bin_dir / "curl", CURL)
    _executable(bin_dir / "facter", FACTER)
    service = _executable(tmp_path / "service.sh", SERVICE)

    def boot(name, script):
        root = tmp_path / name
        log = root / "log"
        log.mkdir(parents=True)
        env = {"PATH": f"{bin_dir}:{os.environ['PATH']}",
               "AUDREY_DIR": str(root / "audrey"), "STUB_LOG": str(log),
               "STUB_SERVICE": str(service)}
        done = subprocess.run(["sh", "-c", script], env=env, timeout=60,
                              capture_output=True, text=True, check=False)
        return done, root
    return boot


def _user_data(template, resource, attributes, helpers):
    defaults = {name: spec.get("Default")
                for name, spec in template["Parameters"].items()}
    props = template["Resources"][resource]["Properties"]
    return helpers.resolve(props["UserData"], {**defaults, **attributes})


def test_two_way_wordpress_boot_delivers_every_value(paths, helpers,
                                                     instance):
    deployable = load(paths.corpus / "audrey__wordpress.xml")
    template = translate(deployable, helpers.mock_mapping(deployable))
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
    signal = json.loads((log / "signal").read_text())
    assert signal["Status"] == "SUCCESS"
    assert "http://heat.example/wait/mysql" in (log / "curl").read_text()
    # Heat hands the signals' data to consumers keyed by UniqueId.
    data = json.dumps({signal["UniqueId"]: signal["Data"]})
    apache_script = _user_data(template, "Apache", {
        "ApacheWaitHandle": "http://heat.example/wait/apache",
        ("Mysql", "PrivateIp"): "10.0.0.9",
        ("Mysql", "PrivateDnsName"): "10.0.0.9",
        ("MysqlWaitCondition", "Data"): data}, helpers)
    done, apache = instance("apache", apache_script)
    assert done.returncode == 0, done.stderr
    assert (apache / "log" / "env-http").read_text().splitlines() == [
        "AUDREY_VAR_http_mysql_dbup=true",
        "AUDREY_VAR_http_mysql_hostname=10.0.0.9",
        "AUDREY_VAR_http_mysql_ip=10.0.0.9",
        "AUDREY_VAR_http_wp_name=wordpress",
        "AUDREY_VAR_http_wp_pw=wordpress",
        "AUDREY_VAR_http_wp_user=wordpress"]


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
    tooling = web / "audrey" / "tooling" / "user" / "wordpress"
    config = (tooling / "wp-config.php").read_text()
    assert "define('DB_HOST', '203.0.113.4');" in config
    params = web / "audrey" / "params" / "wordpress"
    assert (params / "db_password").read_text() == password
    assert (web / "audrey" / "status" / "boot").read_text() == \
        "SUCCESS: all services completed\n"
    assert not (web / "log" / "signal").exists()


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
    signal = json.loads((log / "signal").read_text())
    assert signal["Status"] == "FAILURE"
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
    tooling = box / "audrey" / "tooling" / "user" / "odd-name.1"
    assert (tooling / "it's $HOME \"x\" `id`.txt").read_text() == "$(id)\n"
    params = box / "audrey" / "params" / "odd-name.1"
    assert (params / "trailing").read_text() == "line\n\n"
    assert (params / "secret").read_text() == "s e\ncret"
    assert (params / "where").read_text() == "host-7.example"
    assert "http://files.example/tools/setup.sh?ref=v1#top" in \
        (log / "curl").read_text()
