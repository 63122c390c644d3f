"""Run one of heat-cfntools' scripts inside a guest-mode instance root.

Guest mode (:mod:`.guest`) writes per-instance wrappers that run
``python -I cfnshim.py ROOT INSTANCE_ID SCRIPT [ARGS...]``.  Standard
library and heat-cfntools only: ``-I`` keeps the guest's directory and
environment off ``sys.path``.

The real script runs unchanged (its argument parsing, bodies and curl
commands); only files move.  heat-cfntools hardcodes
``/var/lib/heat-cfntools``, ``/var/cache/heat-cfntools``, ``/etc/cfn``
and ``/var/log/cfn-*.log``: they are opened under ROOT instead.  nova's
``meta_data.json`` is cached there with the instance's id as ``uuid``, so
``cfn-signal`` without ``-i`` never asks 169.254.169.254.  What would
change the host (cfn-init's packages, services, users, groups and
sources, seteuid) is skipped with a note, requests go to loopback only,
and signal requests print their HTTP status (curl's exit status is 0 even
on a 403).
"""

import builtins
import contextlib
import functools
import ipaddress
import json
import logging
import os
import re
import runpy
import shutil
import sys
import tempfile
import urllib.parse

REBASED = re.compile(r"/(?:var/lib/heat-cfntools|var/cache/heat-cfntools|"
                     r"etc/cfn|var/lib/cloud)(?:/|$)|/var/log/cfn-")
URL = re.compile(r"https?://", re.IGNORECASE)
#: cfn-init sections that would change the host, by handler class.
HOST_CHANGES = {"PackagesHandler": ("apply_packages", "packages"),
                "ServicesHandler": ("apply_services", "services"),
                "UsersHandler": ("apply_users", "users"),
                "GroupsHandler": ("apply_groups", "groups"),
                "SourcesHandler": ("apply_sources", "sources")}
STATUS_MARK = "\n%{http_code}"


def is_loopback_host(host):
    if host and host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def is_loopback_url(url):
    try:
        return is_loopback_host(urllib.parse.urlsplit(url).hostname)
    except ValueError:
        return False


def say(message):
    print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr,
          flush=True)


class Rebase:
    """Maps heat-cfntools' host paths into ``root``."""

    def __init__(self, root):
        self.root = root

    def __call__(self, path):
        if not isinstance(path, str | os.PathLike):
            return path  # file descriptors, bytes
        text = os.fspath(path)
        if not isinstance(text, str) or not text.startswith("/"):
            return path
        normal = os.path.normpath(text)
        if not REBASED.match(normal):
            return path
        return os.path.join(self.root, normal.lstrip("/"))

    def inside(self, path):
        """Any absolute path, under ``root`` (cfn-init's files)."""
        return os.path.join(self.root, os.path.normpath(
            "/" + path).lstrip("/"))

    def wrap(self, owner, name, positions=(0,), keywords=()):
        real = getattr(owner, name)

        @functools.wraps(real)
        def rebased(*args, **kwargs):
            args = [self(a) if i in positions else a
                    for i, a in enumerate(args)]
            for key in keywords:
                if key in kwargs:
                    kwargs[key] = self(kwargs[key])
            return real(*args, **kwargs)
        setattr(owner, name, rebased)

    def install(self):
        """Before heat-cfntools is imported: boto reads its config file
        (``BOTO_CONFIG``, set by cfn_helper) through ``open``."""
        self.wrap(builtins, "open", keywords=("file",))
        for name in ("exists", "isdir", "isfile"):
            self.wrap(os.path, name)
        self.wrap(os, "makedirs", keywords=("name",))
        for name in ("listdir", "chmod", "utime", "remove", "unlink"):
            self.wrap(os, name, keywords=("path",))
        self.wrap(os, "rename", (0, 1))
        self.wrap(shutil, "copy", (0, 1))
        self.wrap(tempfile, "NamedTemporaryFile", keywords=("dir",))
        self.wrap(logging.FileHandler, "__init__", (1,),
                  keywords=("filename",))


def seed_instance_id(rebase, instance_id):
    """nova's cached ``meta_data.json``, as get_nova_meta reads it."""
    cache = rebase("/var/lib/heat-cfntools/nova_meta.json")
    os.makedirs(os.path.dirname(cache), mode=0o700, exist_ok=True)
    if not os.path.exists(cache):
        with open(cache, "w", encoding="utf-8") as handle:
            json.dump({"uuid": instance_id}, handle)


def guard_helper(cfn_helper, rebase):
    """Patches to cfn_helper after its import (see the module doc)."""
    # The guest's "root" is the mock's own user; seteuid would fail (126)
    # or, run as root, act on the host's users.
    cfn_helper.controlled_privileges = lambda user: contextlib.nullcontext()

    files_init = cfn_helper.FilesHandler.__init__

    def files_inside(self, files):
        files_init(self, {rebase.inside(k): v
                          for k, v in (files or {}).items()} or files)
    cfn_helper.FilesHandler.__init__ = files_inside

    for cls_name, (method, section) in HOST_CHANGES.items():
        def skipped(self, section=section):
            if any(vars(self).values()):
                say(f"{section} skipped (guest mode does not change the "
                    "host)")
        setattr(getattr(cfn_helper, cls_name), method, skipped)
    cfn_helper.ServicesHandler.monitor_services = \
        cfn_helper.ServicesHandler.apply_services

    connection = cfn_helper.cloudformation.CloudFormationConnection

    class LoopbackConnection(connection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if not is_loopback_host(self.host):
                raise cfn_helper.MetadataServerConnectionError(
                    f"{self.host} is not loopback: guest mode sends "
                    "nothing there")
    cfn_helper.cloudformation.CloudFormationConnection = LoopbackConnection

    run = cfn_helper.CommandRunner.run

    def run_loopback_curl(self, *args, **kwargs):
        command = self._command
        if not (isinstance(command, list) and command and
                os.path.basename(command[0]) == "curl"):
            return run(self, *args, **kwargs)
        urls = [a for a in command if URL.match(str(a))]
        if not all(is_loopback_url(u) for u in urls):
            self._status, self._stdout = 7, b""
            self._stderr = b"guest mode: curl to a host that is not loopback"
            say("curl refused: not a loopback URL")
            return self
        if "PUT" not in command:
            return run(self, *args, **kwargs)
        self._command = [*command, "--write-out", STATUS_MARK]
        run(self, *args, **kwargs)
        self._command = command
        body, _, status = (self._stdout or b"").rpartition(b"\n")
        self._stdout = body
        where = urls[-1].split("?", 1)[0] if urls else "?"
        say(f"PUT {where} -> HTTP {status.decode(errors='replace')}, "
            f"curl exit {self._status}")
        if body.strip():
            say(f"response: {body[:2048].decode(errors='replace')}")
        return self
    cfn_helper.CommandRunner.run = run_loopback_curl


def main(argv):
    if len(argv) < 3:
        print("usage: cfnshim.py ROOT INSTANCE_ID SCRIPT [ARGS...]",
              file=sys.stderr)
        return 2
    root, instance_id, script, *args = argv
    sys.argv = [os.path.basename(script), *args]
    if not os.path.isfile(script):
        say("heat-cfntools is not installed (the 'guest' extra of "
            "heat-deltacloud)")
        return 127
    for arg in args:
        if URL.match(arg) and not is_loopback_url(arg):
            say("refused: guest mode only talks to loopback")
            return 1
    rebase = Rebase(root)
    seed_instance_id(rebase, instance_id)
    rebase.install()
    from heat_cfntools.cfntools import cfn_helper
    guard_helper(cfn_helper, rebase)
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
