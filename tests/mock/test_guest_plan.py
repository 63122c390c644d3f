"""Guest mode's pure parts: the boot plan from user data, the loopback
refusals, ``#!`` handling, bounded output and the cfn tools' rebasing."""

import pytest

from heat_deltacloud.mock import cfnshim, guestboot, userdata


def mime(*parts):
    """A multipart body of (content type, file name or None, text)."""
    body = ['Content-Type: multipart/mixed; boundary="b"',
            "MIME-Version: 1.0", ""]
    for kind, name, text in parts:
        body.append("--b")
        body.append(f"Content-Type: {kind}")
        if name:
            body.append(f'Content-Disposition: attachment; filename="{name}"')
        body += ["", text]
    body.append("--b--")
    return "\n".join(body).encode()


def test_heat_parts_become_files_and_cfn_userdata_runs_last_written():
    plan = userdata.plan(mime(
        ("text/cloud-config", "cloud-config", "user: ec2-user"),
        ("text/x-cfninitdata", "cfn-userdata", "#!/bin/sh\necho old"),
        ("text/x-shellscript", "loguserdata.py", "#!/usr/bin/env python3"),
        ("text/x-cfninitdata", "../escape", "x"),
        ("text/x-cfninitdata", "cfn-userdata", "#!/bin/sh\necho new"),
        ("text/plain", None, "#!/bin/sh\necho sniffed"),
        ("text/plain", None, "just words"),
        ("text/x-shellscript", "second.sh", "echo second")))
    assert [(s.path, s.body, s.heat) for s in plan.scripts] == [
        ("var/lib/heat-cfntools/cfn-userdata", b"#!/bin/sh\necho new",
         True),
        ("var/lib/cloud/instance/scripts/part-005",
         b"#!/bin/sh\necho sniffed", False),
        ("var/lib/cloud/instance/scripts/second.sh", b"echo second", False)]
    assert plan.files == {"cfn-userdata": b"#!/bin/sh\necho new"}
    assert plan.skipped == [
        "text/cloud-config cloud-config: skipped (not run by guest mode)",
        "text/x-cfninitdata ../escape: skipped (unsafe file name)",
        "text/plain part-006: skipped (not run by guest mode)"]


@pytest.mark.parametrize("data, scripts, skipped", [
    (b"#!/bin/sh\necho hi\n", 1, 0),
    (b"#cloud-config\nusers: []\n", 0, 1),
    (b"\x1f\x8b\x08binary", 0, 1),
    (b"", 0, 1),
])
def test_user_data_that_is_not_mime(data, scripts, skipped):
    plan = userdata.plan(data)
    assert (len(plan.scripts), len(plan.skipped)) == (scripts, skipped)


@pytest.mark.parametrize("data, reason", [
    (mime(("text/x-cfninitdata", "cfn-metadata-server",
           "http://[::1]:8000/v1/"),
          ("text/x-cfninitdata", "cfn-boto-cfg",
           "[Boto]\ncfn_region_endpoint = localhost"),
          ("text/x-shellscript", "a", "curl http://127.9.9.9:1/x")), None),
    (mime(("text/x-cfninitdata", "cfn-boto-cfg",
           "[Boto]\ncfn_region_endpoint = 10.0.0.1")),
     "cfn-boto-cfg's cfn_region_endpoint is '10.0.0.1', not loopback"),
    (mime(("text/x-cfninitdata", "cfn-metadata-server", "not a url")),
     "cfn-metadata-server points at None, not loopback"),
    (b"#!/bin/sh\ncurl \"http://$HOST/v1/\"\n",
     "part-000 has a URL to '$host', not loopback"),
    (b"#!/bin/sh\ncurl HTTPS://localhost.example.org/\n",
     "part-000 has a URL to 'localhost.example.org', not loopback"),
])
def test_refusals_name_the_host(data, reason):
    assert userdata.refusal(userdata.plan(data)) == reason


@pytest.mark.parametrize("body, argv", [
    (b"#!/bin/bash -e\necho", ["/bin/bash", "-e", "P"]),
    (b"#! /usr/bin/env  python3 -u\n", ["/usr/bin/env", "python3 -u", "P"]),
    (b"echo no shebang", ["/bin/sh", "P"]),
    (b"#!\n", ["/nonexistent/interpreter", "P"]),
])
def test_command_follows_execve(body, argv):
    assert guestboot.command("P", body) == argv


def test_output_keeps_the_last_bytes():
    boot = guestboot.Boot("i", b"", timeout=5, output_limit=10)
    boot._append(b"0123456789")
    boot._append(b"abcd")
    record = boot.record()
    assert (record["output"], record["output_dropped"]) == ("456789abcd", 4)


@pytest.mark.parametrize("path, rebased", [
    ("/var/lib/heat-cfntools/cfn-init-data",
     "/R/var/lib/heat-cfntools/cfn-init-data"),
    ("/var/log/cfn-signal.log", "/R/var/log/cfn-signal.log"),
    ("/etc/cfn", "/R/etc/cfn"),
    ("/var/cache/heat-cfntools/../../../etc/passwd",
     "/var/cache/heat-cfntools/../../../etc/passwd"),  # is /etc/passwd
    ("/var/log/syslog", "/var/log/syslog"),
    ("/etc/cfnx", "/etc/cfnx"),
    ("relative/etc/cfn", "relative/etc/cfn"),
    (3, 3),
])
def test_rebase_moves_only_heat_cfntools_paths(path, rebased):
    assert cfnshim.Rebase("/R")(path) == rebased


def test_cfn_init_files_stay_inside_the_root():
    assert cfnshim.Rebase("/R").inside("/../../etc/passwd") == \
        "/R/etc/passwd"
