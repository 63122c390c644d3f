#!/usr/bin/env python3
"""The README's two commands: ``demo`` (the main job) and ``test``.

Needs only python3 (3.11 or newer).  Creates ``.venv`` beside this repo on
first use, installs the package with its ``heat`` and ``test`` extras into
it, and reinstalls whenever ``setup.cfg`` changes.  pip's own output goes to
``.venv/install.log`` so the commands stay readable.
"""

import hashlib
import os
import pathlib
import subprocess
import sys
import venv

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / "heat-deltacloud.stamp"
LOG = VENV / "install.log"
LINTED = ("heat_deltacloud", "tests", "tools", "benchmarks")


def _requirements_digest():
    return hashlib.sha256((ROOT / "setup.cfg").read_bytes()).hexdigest()


def ensure_venv():
    """Create or refresh the virtualenv; return the path of its python."""
    if sys.version_info < (3, 11):  # noqa: UP036 - runs on any python3
        sys.exit("heat-deltacloud needs Python 3.11 or newer")
    python = BIN / "python"
    digest = _requirements_digest()
    if python.exists() and STAMP.exists() and STAMP.read_text() == digest:
        return python
    if not python.exists():
        print(f"creating {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing heat-deltacloud with Heat 27 "
          f"(log: {LOG.relative_to(ROOT)}) ...", flush=True)
    with open(LOG, "w") as log:
        steps = [
            [str(python), "-m", "pip", "install", "--upgrade", "pip"],
            [str(python), "-m", "pip", "install", "-e",
             f"{ROOT}[heat,guest,test,docs]"],
        ]
        for step in steps:
            if subprocess.call(step, stdout=log, stderr=subprocess.STDOUT):
                sys.exit(f"installation failed; see {LOG}")
    STAMP.write_text(digest)
    return python


def run(argv):
    """Run a command from the venv's bin, returning its exit status."""
    return subprocess.call([str(BIN / argv[0]), *argv[1:]], cwd=ROOT)


def cmd_test(extra):
    ensure_venv()
    lint = [d for d in LINTED if (ROOT / d).exists()]
    for step in (["ruff", "check", *lint],
                 ["sphinx-build", "-q", "-W", "-b", "html", "docs/source",
                  "docs/build/html"]):
        status = run(step)
        if status:
            return status
    return run(["pytest", *extra])


#: The main job: the example three-tier Deployable (each tier reads facts
#: the previous tier's services published) on embedded Heat and the
#: embedded mock in guest mode (the instances' boot scripts run here).
DEMO = ["examples/inventory/deployable.xml",
        "--mapping", "examples/inventory/mapping.json"]


def cmd_demo(extra):
    """The demo's launch; options alone (``--keep``) add to its arguments,
    a deployable or template given first replaces them."""
    ensure_venv()
    if not extra or extra[0].startswith("-"):
        extra = [*DEMO, *extra]
    return run(["heat-deltacloud", "launch", *extra])


COMMANDS = {"test": cmd_test, "demo": cmd_demo}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        sys.exit(f"usage: python3 tools/dev.py {{{','.join(COMMANDS)}}} "
                 "[args...]")
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main(sys.argv[1:]))
