"""``heat-deltacloud reconcile``: orphans found, listed, deleted; nothing
else touched."""

import pytest

from heat_deltacloud.deltacloud import Client
from heat_deltacloud.launch import reconcile

from .conftest import PASSWORD, USER
from .test_cli import cli, password_file, remote  # noqa: F401 - fixture
from .test_end_to_end import FIVE_SERVERS, launcher_for

pytestmark = [pytest.mark.heat, pytest.mark.slow]


@pytest.mark.parametrize("name, made_by_heat", [
    ("web-Server0-ab12cd34ef56", True),
    ("we-ck-Server0-ab12cd34ef56", True),  # shortened by Heat
    ("my-own-box", False),
    ("web-Server0-AB12CD34EF56", False),
    (None, False),
])
def test_heat_made_names(name, made_by_heat):
    assert reconcile.heat_made(name) is made_by_heat


def test_orphans_are_listed_then_deleted_and_nothing_else(
        services, password_file):  # noqa: F811 - the fixture
    launcher = launcher_for(services)
    kept = launcher.launch("kept", FIVE_SERVERS)
    assert kept.ok
    client = Client(services.deltacloud_url, USER, PASSWORD)
    orphan = client.instances.create("img1", name="gone-Web-q1w2e3r4t5y6")
    mine = client.instances.create("img1", name="my-own-box")

    listed = cli("reconcile", *remote(services, password_file))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"orphan {orphan.id} gone-Web-q1w2e3r4t5y6 (RUNNING)",
        "1 orphaned instance(s); --delete deletes them"]
    assert client.instances.get(orphan.id).state == "RUNNING"

    # Without a terminal to confirm on, --delete needs --yes.
    refused = cli("reconcile", "--delete", *remote(services, password_file))
    assert refused.returncode == 2
    assert "--delete without a terminal to confirm on needs --yes" in \
        refused.stderr
    assert client.instances.get(orphan.id).state == "RUNNING"

    deleted = cli("reconcile", "--delete", "--yes",
                  *remote(services, password_file))
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.splitlines()[-1] == \
        "deleted 1 of 1 orphaned instance(s)"
    left = {i.id for i in client.instances.list()}
    assert orphan.id not in left
    assert mine.id in left
    assert {e.physical_id for e in kept.instances} <= left
    assert PASSWORD not in listed.stdout + deleted.stdout + deleted.stderr
    assert launcher.delete(kept.stack.id).ok


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
