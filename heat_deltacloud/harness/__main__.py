"""``python -m heat_deltacloud.harness``: the distributed setup, at once.

Starts everything (see :mod:`heat_deltacloud.harness.cluster`), prints
where each part listens and the environment clients need, then waits for
Ctrl-C or SIGTERM and stops it all.  With ``--functional`` it runs Heat's
functional tests against it instead of waiting, prints the counts and
exits non-zero when a test failed.
"""

import argparse
import logging
import signal
import sys
import threading

from heat_deltacloud.harness import functional
from heat_deltacloud.harness.cluster import Harness
from heat_deltacloud.harness.errors import HarnessError


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m heat_deltacloud.harness", allow_abbrev=False,
        description="Run heat-api, heat-api-cfn and heat-engines as "
                    "processes over RabbitMQ and PostgreSQL, on the mock "
                    "Deltacloud.")
    parser.add_argument("--run-dir", metavar="DIR",
                        help="folder for heat.conf, data and logs (kept); "
                             "default: a temporary folder, removed on exit")
    parser.add_argument("--engines", type=int, default=2, metavar="N",
                        help="heat-engine processes (default 2)")
    parser.add_argument("--legacy", action="store_true",
                        help="the legacy engine instead of convergence")
    parser.add_argument("--functional", action="store_true",
                        help="run Heat's functional tests, then stop")
    parser.add_argument("--select", metavar="REGEX",
                        help="with --functional: only tests whose id "
                             "matches")
    parser.add_argument("--concurrency", type=int, default=2, metavar="N",
                        help="with --functional: parallel test workers")
    parser.add_argument("--no-token-auth", action="store_true",
                        help="with --functional: the tests' Heat client "
                             "sends X-Auth-User/X-Auth-Key "
                             "(OS_NO_CLIENT_AUTH) instead of logging in at "
                             "the identity endpoint")
    return parser


def _stop_on_sigterm():
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.engines < 1:
        print("harness: --engines must be at least 1", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="harness: %(message)s")
    _stop_on_sigterm()
    harness = Harness(args.run_dir, engines=args.engines,
                      convergence=not args.legacy)
    try:
        harness.start()
        print("\n".join(harness.describe()), flush=True)
        if args.functional:
            counts = functional.run(harness, select=args.select,
                                    concurrency=args.concurrency,
                                    token_auth=not args.no_token_auth)
            functional.write_counts(counts,
                                    harness.run_dir / "functional.json")
            print(f"Heat functional tests: {counts.summary()}")
            for test_id, why in counts.failures.items():
                print(f"FAILED {test_id}: {why}")
            return 1 if counts.failed else 0
        for name, value in harness.environment().items():
            print(f"export {name}={value}")
        print("export OS_PASSWORD=mockpassword  # the mock's; then: "
              "openstack stack list")
        print("running; Ctrl-C stops everything", flush=True)
        threading.Event().wait()
    except HarnessError as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("harness: stopping", file=sys.stderr)
        return 0
    finally:
        harness.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
