"""``heat-deltacloud-mock``: serve the mock Deltacloud until interrupted."""

import argparse
import json
import math
import signal
import socket
import sys
import threading

from heat_deltacloud.mock.drivers import DRIVERS
from heat_deltacloud.mock.guest import MAX_WAIT
from heat_deltacloud.mock.server import MockServer


#: What --users takes, for its errors.
USERS_FILE = ('give a file of user:password lines or a JSON object '
              '{"user": "password"}')


def read_users(path):
    """Users from a JSON object ``{"user": "password"}`` or from
    ``user:password`` lines (blank lines and ``#`` comments ignored; the
    password is everything after the first colon)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ValueError(f"--users {path}: cannot read it "
                         f"({exc.strerror or exc}); {USERS_FILE}") from None
    except UnicodeDecodeError:
        raise ValueError(f"--users {path}: not UTF-8 text; {USERS_FILE}"
                         ) from None
    if text.lstrip().startswith("{"):
        try:
            users = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: not valid "
                             f"JSON ({exc.msg}); expected "
                             "{\"user\": \"password\", ...}") from None
        if not all(isinstance(k, str) and isinstance(v, str)
                   for k, v in users.items()):
            raise ValueError(f"{path}: users must map names to password "
                             "strings")
        return users
    users = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user:
            raise ValueError(f"{path}:{number}: expected user:password "
                             "(a name, a colon, then the password)")
        users[user] = password
    return users


def port_number(text):
    """argparse type: a TCP port, 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a port number: {text!r}; use 0 to 65535 (0 picks a "
            "free one)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"port {port} is out of range: use 0 to 65535 (0 picks a free "
            "one)")
    return port


def _float(text):
    """``text`` as a float, NaN if it is none (which every range check
    below refuses)."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def seconds(text):
    """argparse type: a finite number of seconds, 0 or more."""
    value = _float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds: use 0 or more")
    return value


def guest_timeout(text):
    """argparse type: a guest boot's time limit, up to ``MAX_WAIT``."""
    value = _float(text)
    if not 0 < value <= MAX_WAIT:  # False for NaN too
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time limit: use more than 0 and at most "
            f"{MAX_WAIT:g} seconds")
    return value


def count(text):
    """argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a count: use a whole number, 0 or more")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="heat-deltacloud-mock", allow_abbrev=False,
        description="A stateful Deltacloud server behaving like the real "
                    "server's mock driver (credentials mockuser / "
                    "mockpassword, plus --users). Control plane under "
                    "/_mock/.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=0,
                        help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--users", metavar="FILE",
                        help="extra users: a JSON object {user: password} "
                             "or user:password lines")
    parser.add_argument("--state-delay", type=seconds, default=0.0,
                        metavar="S", help="new instances stay PENDING for "
                                          "at least S seconds (default 0)")
    parser.add_argument("--pending-polls", type=count, default=0,
                        metavar="N", help="new instances answer PENDING to "
                                          "their first N reads (default 0)")
    parser.add_argument("--fix-user-data", action="store_true",
                        help="advertise the user_data feature (the real "
                             "mock does not, because of a typo)")
    parser.add_argument("--driver", default="mock",
                        choices=sorted(DRIVERS),
                        help="the emulated driver of requests that select "
                             "none (the real server's API_DRIVER; default "
                             "mock)")
    parser.add_argument("--guest", action="store_true",
                        help="guest mode: RUN EVERY NEW INSTANCE'S USER "
                             "DATA ON THIS HOST, as cloud-init would, with "
                             "heat-cfntools rebased into a directory per "
                             "instance (tests and demos only; loopback "
                             "only)")
    parser.add_argument("--guest-timeout", type=guest_timeout, default=None,
                        metavar="S", help="kill a guest boot after S "
                                          "seconds (default 300)")
    parser.add_argument("--access-log", nargs="?", const="", metavar="FILE",
                        help="write one line per request in Common Log "
                             "Format (no passwords: the Basic user name "
                             "only, secret-looking query values as ***) "
                             "to stderr, or appended to FILE ('-' for "
                             "stdout)")
    return parser


def open_access_log(target):
    """``(stream, close)`` for ``--access-log``'s value."""
    if target == "":
        return sys.stderr, lambda: None
    if target == "-":
        return sys.stdout, lambda: None
    stream = open(target, "a", encoding="utf-8", errors="backslashreplace")
    return stream, stream.close


def _log_failed(exc):
    print(f"heat-deltacloud-mock: access log stopped: cannot write it "
          f"({exc.strerror if isinstance(exc, OSError) else exc})",
          file=sys.stderr, flush=True)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        users = read_users(args.users) if args.users else {}
    except (OSError, ValueError) as exc:
        print(f"heat-deltacloud-mock: {exc}", file=sys.stderr)
        return 2
    log, close_log = None, lambda: None
    if args.access_log is not None:
        try:
            log, close_log = open_access_log(args.access_log)
        except OSError as exc:
            print(f"heat-deltacloud-mock: --access-log: cannot open "
                  f"{args.access_log}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 2
    try:
        return _serve(args, users, log)
    finally:
        close_log()


def _serve(args, users, log):
    try:
        socket.getaddrinfo(args.host, args.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        why = "not a host name" if isinstance(exc, UnicodeError) \
            else exc.strerror or exc
        print(f"heat-deltacloud-mock: --host {args.host}: cannot resolve "
              f"it ({why}); give an address of this machine, such as "
              "127.0.0.1", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server = MockServer(args.host, args.port, users=users,
                            access_log=log, on_log_error=_log_failed,
                            state_delay=args.state_delay,
                            pending_polls=args.pending_polls,
                            fix_user_data_feature=args.fix_user_data,
                            guest=args.guest,
                            guest_timeout=args.guest_timeout,
                            driver=args.driver)
    except ValueError as exc:
        print(f"heat-deltacloud-mock: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"heat-deltacloud-mock: cannot listen on {args.host} port "
              f"{args.port}: {exc.strerror or exc}; choose another --port "
              "(0 picks a free one) or a --host address of this machine",
              file=sys.stderr)
        return 2
    if args.guest:
        print("heat-deltacloud-mock: guest mode: the user data of new "
              "instances runs on this host", file=sys.stderr, flush=True)
    with server:
        print(f"listening on {server.url}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
