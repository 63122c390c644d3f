"""``heat-deltacloud``: one command, a sub-command per part of the package.

Each module in :data:`SUBCOMMAND_MODULES` exposes ``register(subparsers)``,
which adds its sub-command(s) and sets ``handler`` on them.  A handler takes
the parsed arguments and returns an exit status; it raises
:class:`~heat_deltacloud.errors.HeatDeltacloudError` for expected failures.
"""

import argparse
import importlib
import sys
import warnings

from heat_deltacloud import __version__
from heat_deltacloud.errors import HeatDeltacloudError

SUBCOMMAND_MODULES = (
    "heat_deltacloud.launch.cli",
    "heat_deltacloud.launch.reconcile",
    "heat_deltacloud.doctor",
    "heat_deltacloud.deployable.cli",
)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="heat-deltacloud",
        description="Run OpenStack Heat stacks on clouds behind Apache "
                    "Deltacloud.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv=None):
    # Heat's oslo.service imports eventlet, which warns on import; the
    # commands never use it.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args) or 0
    except HeatDeltacloudError as exc:
        print(f"heat-deltacloud: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("heat-deltacloud: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
