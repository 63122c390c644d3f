"""Debian packages the harness needs, installed with apt-get when missing.

Only as root and only from the configured Debian archive: a machine where
that is impossible gets a :class:`HarnessError` naming the package to
install by hand.  Installing never starts the packaged service (the
harness runs its own instance); on a machine whose policy-rc.d allows
starts, the package's service may start once on its default port, which
the harness neither uses nor needs.
"""

import glob
import logging
import os
import shutil
import subprocess

from heat_deltacloud.harness.errors import HarnessError

LOG = logging.getLogger(__name__)

#: Package → the file whose presence shows it is installed (a glob).
PROVIDES = {
    "rabbitmq-server": "/usr/lib/rabbitmq/bin/rabbitmq-server",
    "postgresql": "/usr/lib/postgresql/*/bin/postgres",
}

INSTALL_TIMEOUT = 900


def apt_available():
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def find(package):
    """The newest installed file :data:`PROVIDES` names, or None."""
    found = sorted(glob.glob(PROVIDES[package]),
                   key=lambda path: [int(part) if part.isdigit() else 0
                                     for part in path.split("/")])
    return found[-1] if found else None


def ensure(*packages, log_path):
    """Install whichever of ``packages`` are missing; return their paths.

    apt-get's output goes to ``log_path``.
    """
    missing = [name for name in packages if find(name) is None]
    if missing:
        if not apt_available():
            raise HarnessError(
                f"{', '.join(missing)} not installed and apt-get cannot "
                "install it here (needs root and apt-get): install it with "
                f"'apt-get install {' '.join(missing)}'")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        with open(log_path, "ab") as log:
            for argv in (["apt-get", "update"],
                         ["apt-get", "install", "-y",
                          "--no-install-recommends", *missing]):
                LOG.info("running %s", " ".join(argv))
                try:
                    status = subprocess.call(  # noqa: S603 - fixed argv
                        argv, stdout=log, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL, env=env,
                        timeout=INSTALL_TIMEOUT)
                except subprocess.TimeoutExpired:
                    status = "timeout"
                if status:
                    raise HarnessError(
                        f"'{' '.join(argv)}' failed ({status}); see "
                        f"{log_path}")
    paths = {name: find(name) for name in packages}
    still = [name for name, path in paths.items() if path is None]
    if still:
        raise HarnessError(f"{', '.join(still)} still missing after "
                           f"apt-get install; see {log_path}")
    return paths
