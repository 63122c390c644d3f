"""``heat-deltacloud``: one command, a sub-command per part of the package.

Each module in :data:`SUBCOMMAND_MODULES` exposes ``register(subparsers)``,
which adds its sub-command(s) and sets ``handler`` on them.  A handler takes
the parsed arguments and returns an exit status; it raises
:class:`~heat_deltacloud.errors.HeatDeltacloudError` for expected failures.
"""

import argparse
import importlib
import os
import signal
import sys
import threading
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


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled as Ctrl-C is (an embedded launch
    deletes its stack, every command cleans up), exit status 128 + the
    signal's number."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum, frame):
    raise Terminated(signum)


def _handle_termination():
    """SIGTERM and SIGHUP raise :class:`Terminated` in the main thread;
    the previous handlers, to restore."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue  # nohup: keep ignoring it
        previous[signum] = signal.signal(signum, _terminate)
    return previous


def main(argv=None):
    # Heat's oslo.service imports eventlet, which warns on import; the
    # commands never use it.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    previous = _handle_termination()
    try:
        status = _run(args)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if getattr(args, "exit_at_once", False):
        # Threads that would hold the interpreter at exit (the embedded
        # Heat's engine) have nothing left worth waiting for.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def _run(args):
    try:
        return args.handler(args) or 0
    except HeatDeltacloudError as exc:
        print(f"heat-deltacloud: {exc}", file=sys.stderr)
        return 1
    except Terminated as exc:
        print(f"heat-deltacloud: terminated "
              f"({signal.Signals(exc.signum).name})", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("heat-deltacloud: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
