"""The ``functional`` extra, installed on first use.

The harness needs a PostgreSQL driver and Heat's functional tests need
tempest and heat-tempest-plugin; neither belongs in the default install,
so the harness installs the extra's requirements (as declared in this
package's metadata, the one place they are listed) with this Python's pip
when one is missing.
"""

import importlib.metadata
import logging
import re
import subprocess
import sys

from heat_deltacloud.harness.errors import HarnessError

LOG = logging.getLogger(__name__)

EXTRA = "functional"
DISTRIBUTION = "heat-deltacloud"
PIP_TIMEOUT = 900
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def requirements(extra=EXTRA):
    """The requirement strings of ``extra``, markers stripped."""
    try:
        declared = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        raise HarnessError(f"{DISTRIBUTION} is not installed") from None
    found = [req.split(";")[0].strip() for req in declared
             if (match := _EXTRA_MARKER.search(req))
             and match.group(1) == extra]
    if not found:
        raise HarnessError(
            f"the installed {DISTRIBUTION} metadata has no '{extra}' extra; "
            f"reinstall it (pip install -e '.[heat,{extra}]')")
    return found


def _name(requirement):
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0]


def missing(extra=EXTRA):
    absent = []
    for requirement in requirements(extra):
        try:
            importlib.metadata.version(_name(requirement))
        except importlib.metadata.PackageNotFoundError:
            absent.append(requirement)
    return absent


def ensure(extra=EXTRA, *, log_path=None):
    """Install what ``extra`` lacks; pip's output goes to ``log_path``."""
    absent = missing(extra)
    if not absent:
        return []
    LOG.info("installing %s", ", ".join(absent))
    argv = [sys.executable, "-m", "pip", "install", "--quiet", *absent]
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    try:
        status = subprocess.call(argv, stdout=log,  # noqa: S603
                                 stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL,
                                 timeout=PIP_TIMEOUT)
    except subprocess.TimeoutExpired:
        status = "timeout"
    finally:
        if log_path:
            log.close()
    if status:
        raise HarnessError(f"pip could not install {', '.join(absent)} "
                           f"({status})"
                           + (f"; see {log_path}" if log_path else ""))
    importlib.invalidate_caches()
    return absent
