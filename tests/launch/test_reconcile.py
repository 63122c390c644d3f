"""``heat-deltacloud reconcile``: orphans found, listed, deleted; nothing
else touched."""

import pytest

from heat_deltacloud.cli import UsageError
from heat_deltacloud.compat.nova import naming
from heat_deltacloud.deltacloud import Client
from heat_deltacloud.launch import reconcile

from .conftest import PASSWORD, USER
from .test_cli import cli, password_file, remote  # noqa: F401 - fixture
from .test_end_to_end import launcher_for

pytestmark = [pytest.mark.heat]

cfg = pytest.importorskip("oslo_config.cfg")


@pytest.mark.parametrize("name, made_by_heat", [
    ("web-Server0-ab12cd34ef56", True),
    ("web-Server0-ab12cd34ef56.0a1b2c3d", True),  # with a marker
    ("we-ck-Server0-ab12cd34ef56", True),  # shortened by Heat
    ("my-own-box", False),
    ("web-Server0-AB12CD34EF56", False),
    (None, False),
])
def test_heat_made_names(name, made_by_heat):
    assert reconcile.heat_made(name) is made_by_heat


ONE_SERVER = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
    "Web": {"Type": "OS::Nova::Server", "Properties": {
        "image": "img1", "flavor": "m1-small",
        "user_data_format": "RAW"}}}}


def test_only_orphans_this_heat_provably_made_are_deleted(
        services, password_file, capsys):  # noqa: F811 - the fixture
    # Before: every Heat-named instance no stack of this Heat owned was an
    # orphan, so instances of another Heat on the same account would have
    # been destroyed.
    from heat_deltacloud import cli as main_cli

    launcher = launcher_for(services)
    kept = launcher.launch("kept", ONE_SERVER)
    assert kept.ok
    client = Client(services.deltacloud_url, USER, PASSWORD)
    [owned] = client.instances.list()
    heat_name, ours = naming.split(owned.name)
    # The shim marked the name; Heat reads its own name back.
    assert heat_name.startswith("kept-Web-") and ours
    assert ours == naming.installation_marker(
        cfg.CONF.auth_encryption_key)
    orphan = client.instances.create(
        "img1", name=f"gone-Web-q1w2e3r4t5y6.{ours}")
    other = "0" * 8 if ours != "0" * 8 else "1" * 8
    foreign = client.instances.create(
        "img1", name=f"theirs-Web-a1s2d3f4g5h6.{other}")
    unmarked = client.instances.create("img1", name="old-Web-z1x2c3v4b5n6")
    mine = client.instances.create("img1", name="my-own-box")
    leaked = client.addresses.create()
    capsys.readouterr()

    def reconcile_cli(*args):
        status = main_cli.main(["reconcile", *args,
                                *remote(services, password_file)])
        return status, capsys.readouterr()

    status, listed = reconcile_cli()
    assert status == 0, listed.err
    assert listed.out.splitlines() == [
        f"orphan {orphan.id} gone-Web-q1w2e3r4t5y6.{ours} (RUNNING)",
        f"not provably this Heat's: {foreign.id} "
        f"theirs-Web-a1s2d3f4g5h6.{other} (RUNNING; marker {other}): "
        "left alone",
        f"not provably this Heat's: {unmarked.id} old-Web-z1x2c3v4b5n6 "
        "(RUNNING; no marker): left alone",
        f"unattached address {leaked.id}: no stack owns it (not released: "
        "Deltacloud cannot tell who allocated it; --release-addresses "
        "releases it)",
        "1 orphaned instance(s); --delete deletes them"]

    # Without a terminal to confirm on, --delete needs --yes.
    status, refused = reconcile_cli("--delete")
    assert status == 2
    assert "--delete without a terminal to confirm on needs --yes" in \
        refused.err
    assert client.instances.get(orphan.id).state == "RUNNING"

    status, deleted = reconcile_cli("--delete", "--yes")
    assert status == 0, deleted.err
    assert deleted.out.splitlines()[-1] == \
        "deleted 1 of 1 orphaned instance(s)"
    left = {i.id for i in client.instances.list()}
    assert left == {owned.id, foreign.id, unmarked.id, mine.id}
    assert PASSWORD not in listed.out + deleted.out + deleted.err
    assert leaked.id in {a.id for a in client.addresses.list()}

    status, released = reconcile_cli("--delete", "--yes",
                                      "--release-addresses")
    assert status == 0, released.err
    assert released.out.splitlines()[-2:] == [
        "deleted 0 of 0 orphaned instance(s)",
        "released 1 of 1 address(es)"]
    assert leaked.id not in {a.id for a in client.addresses.list()}
    status, misused = reconcile_cli("--release-addresses")
    assert status == 2
    assert "--release-addresses goes with --delete" in misused.err

    # With no stack left to learn it from, the marker must be given.
    assert launcher.delete(kept.stack.id).ok
    status, unknown = reconcile_cli()
    assert "this Heat's instance marker is unknown" in unknown.out
    assert "0 orphaned instance(s)" in unknown.out
    status, given = reconcile_cli("--marker", other)
    assert f"orphan {foreign.id} " in given.out
    for instance_id in (foreign.id, unmarked.id, mine.id):
        client.instances.stop(instance_id)
        client.instances.destroy(instance_id)


def test_the_marker_comes_from_heat_conf(tmp_path):
    conf = tmp_path / "heat.conf"
    conf.write_text("[DEFAULT]\nauth_encryption_key = %s\n" % ("k" * 32))
    assert reconcile.marker_from_heat_conf(conf) == \
        naming.installation_marker("k" * 32)
    conf.write_text("[DEFAULT]\n")
    with pytest.raises(UsageError, match="no auth_encryption_key"):
        reconcile.marker_from_heat_conf(conf)
    assert naming.installation_marker("a" * 32) != \
        naming.installation_marker("b" * 32)


def test_reconcile_needs_both_urls():
    result = cli("reconcile", timeout=120)
    assert result.returncode == 2
    assert "reconcile needs --heat-cfn-url and --deltacloud-url" in \
        result.stderr


def test_delete_is_confirmed_on_a_terminal():
    import io

    out = io.StringIO()
    assert reconcile.confirm("delete?", stdin=io.StringIO("y\n"),
                             stdout=out)
    assert out.getvalue() == "delete? [y/N] "
    for answer in ("\n", "n\n", "", "yess\n"):
        assert not reconcile.confirm("delete?", stdin=io.StringIO(answer),
                                     stdout=io.StringIO())


def test_a_bad_deltacloud_is_one_line_before_anything_is_listed(
        services, tmp_path, capsys):
    # Before: "Unauthorized (HTTP 401, GET .../api/instances)", and for an
    # unreachable URL the client's words with nothing to do.
    from heat_deltacloud import cli as main_cli

    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password\n")
    options = ["--heat-cfn-url", services.heat_cfn_url, "--user", USER,
               "--password-file", str(wrong)]
    capsys.readouterr()
    services.mock.clear_requests()
    assert main_cli.main(["reconcile", "--deltacloud-url",
                          services.deltacloud_url, *options]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"heat-deltacloud: Deltacloud at {services.deltacloud_url} rejected "
        f"the credentials of user {USER}: check --user and --password-file "
        "(or $DELTACLOUD_USERNAME and $DELTACLOUD_PASSWORD)\n")
    assert "not-the-password" not in err
    # Only /api was asked: nothing listed with credentials it refused.
    assert set(services.mock.request_counts()) == {"GET /api"}
