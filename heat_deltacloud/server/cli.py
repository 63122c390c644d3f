"""``heat-deltacloud-server``: serve the Deltacloud API over a real cloud.

    heat-deltacloud-server --driver libcloud:ec2 --region us-east-1
    heat-deltacloud-server --config /etc/heat-deltacloud/server.ini

The config file is INI, section ``[server]``, keys named as the options
(``driver``, ``region``, ``endpoint``, ``host``, ``port``, ``threads``,
``timeout``, ``cache_ttl``, ``image_owner``); options on the command line
win.  ``--driver mock`` serves the mock cloud (as ``heat-deltacloud-mock``
does).  It prints ``listening on URL/api`` once serving and stops on
Ctrl-C or SIGTERM.
"""

import argparse
import configparser
import logging
import signal
import sys
import threading

from heat_deltacloud.server import drivers, keepalive, threaded

#: Requests served at once: provider calls block, so more than waitress's
#: default 4, and each thread holds at most one provider connection.
DEFAULT_THREADS = 16
MAX_REQUEST_BODY = 1024 * 1024
OPTIONS = {"driver": str, "region": str, "endpoint": str, "host": str,
           "port": int, "threads": int, "timeout": float,
           "cache_ttl": float, "image_owner": str}
DEFAULTS = {"driver": None, "region": None, "endpoint": None,
            "host": "127.0.0.1", "port": 8080, "threads": DEFAULT_THREADS,
            "timeout": 30.0, "cache_ttl": 300.0, "image_owner": "self"}


class UsageError(ValueError):
    """Bad configuration: one line, naming the problem and the fix."""


def make_app(driver, *, region=None, endpoint=None, timeout=30.0,
             cache_ttl=300.0, image_owner="self"):
    """The WSGI application for a ``--driver`` value: ``mock``,
    ``libcloud:<provider>``, or ``libcloud:<provider>,mock`` (the provider
    by default, the mock for requests that select it)."""
    first, _, also = (driver or "").partition(",")
    kind, name = drivers.parse(first)
    if also and (kind == "mock" or also.strip() != "mock"):
        raise UsageError(f"--driver takes mock, libcloud:<provider> or "
                         f"libcloud:<provider>,mock, not {driver!r}")
    if kind == "mock":
        from heat_deltacloud.mock import wsgi
        return wsgi.make_app()
    from heat_deltacloud.server import app
    from heat_deltacloud.server.drivers.libcloud import Backend
    spec = drivers.provider(name)
    if spec.regions and region is None:
        example = "us-east-1" if "us-east-1" in spec.regions \
            else spec.regions[0]
        raise UsageError(f"--region is required for libcloud:{name} "
                         f"(e.g. {example})")
    if spec.regions and region not in spec.regions:
        raise UsageError(f"unknown region {region!r} for libcloud:{name}")
    backend = Backend(spec, region=region, endpoint=endpoint,
                      timeout=timeout, cache_ttl=cache_ttl,
                      image_owner=image_owner)
    mock = None
    if also:
        from heat_deltacloud.mock import wsgi
        mock = wsgi.make_app()
    return app.ServerApp(backend, mock=mock)


class Server:
    """The app on waitress in a thread; ``port=0`` picks a free port."""

    def __init__(self, app, host="127.0.0.1", port=0, *,
                 threads=DEFAULT_THREADS):
        self.app = app
        self._server = threaded.ThreadedServer(
            app, "deltacloud-server", channel_class=keepalive.KeepAliveChannel,
            host=host, port=port, threads=threads, ident="deltacloud",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=MAX_REQUEST_BODY)
        self.host, self.port = host, self._server.port
        self.url = f"http://{host}:{self.port}/api"

    def __repr__(self):
        return f"<Server {self.url}>"

    def start(self):
        self._server.start()
        return self

    def stop(self):
        """Close the socket and every connection, then the worker threads
        (see :meth:`.threaded.ThreadedServer.stop`)."""
        self._server.stop(timeout=1)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _parser():
    parser = argparse.ArgumentParser(
        prog="heat-deltacloud-server", allow_abbrev=False,
        description="Serve the Deltacloud REST API in front of a cloud "
                    "(Apache libcloud) or the mock.")
    parser.add_argument("--config", metavar="FILE",
                        help="INI file with a [server] section")
    parser.add_argument("--driver", help="mock or libcloud:<provider>, "
                                         "e.g. libcloud:ec2; "
                                         "libcloud:ec2,mock also serves "
                                         "the mock to requests that "
                                         "select it")
    parser.add_argument("--region", help="the provider's region "
                                         "(X-Deltacloud-Provider overrides)")
    parser.add_argument("--endpoint", metavar="URL",
                        help="the provider's API endpoint, for a private "
                             "cloud or an emulator")
    parser.add_argument("--host", help="address to listen on "
                                       "(default 127.0.0.1)")
    parser.add_argument("--port", type=int,
                        help="port to listen on; 0 picks a free one "
                             "(default 8080)")
    parser.add_argument("--threads", type=int,
                        help=f"requests served at once "
                             f"(default {DEFAULT_THREADS})")
    parser.add_argument("--timeout", type=float,
                        help="seconds each provider call may take "
                             "(default 30)")
    parser.add_argument("--cache-ttl", dest="cache_ttl", type=float,
                        help="seconds a credential's provider connection "
                             "is reused (default 300)")
    parser.add_argument("--image-owner", dest="image_owner",
                        help="whose images an unfiltered list shows, where "
                             "the provider has owners (default self)")
    parser.add_argument("--quiet", action="store_true",
                        help="no request log on stderr")
    return parser


def settings(args):
    """Defaults, then the config file, then the command line."""
    merged = dict(DEFAULTS)
    if args.config:
        parser = configparser.ConfigParser()
        try:
            with open(args.config, encoding="utf-8") as handle:
                parser.read_file(handle)
        except (OSError, configparser.Error) as error:
            raise UsageError(f"cannot read --config {args.config}: "
                             f"{error}") from None
        if not parser.has_section("server"):
            raise UsageError(f"{args.config} has no [server] section")
        for key, value in parser.items("server"):
            if key not in OPTIONS:
                raise UsageError(f"{args.config}: unknown key {key!r} in "
                                 f"[server] (known: {', '.join(OPTIONS)})")
            try:
                merged[key] = OPTIONS[key](value)
            except ValueError:
                raise UsageError(f"{args.config}: {key} = {value!r} is not "
                                 f"a {OPTIONS[key].__name__}") from None
    for key in OPTIONS:
        if getattr(args, key) is not None:
            merged[key] = getattr(args, key)
    if not merged["driver"]:
        raise UsageError("no driver: give --driver (mock or "
                         "libcloud:<provider>) or driver= in --config")
    if not 0 <= merged["port"] <= 65535:
        raise UsageError(f"--port must be 0-65535, not {merged['port']}")
    if merged["threads"] < 1 or merged["timeout"] <= 0:
        raise UsageError("--threads and --timeout must be positive")
    return merged


def main(argv=None):
    args = _parser().parse_args(argv)
    if not args.quiet:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(message)s")
        logging.getLogger("heat_deltacloud.server").setLevel(logging.INFO)
    try:
        config = settings(args)
        app = make_app(config["driver"], region=config["region"],
                       endpoint=config["endpoint"],
                       timeout=config["timeout"],
                       cache_ttl=config["cache_ttl"],
                       image_owner=config["image_owner"])
        server = Server(app, config["host"], config["port"],
                        threads=config["threads"])
    except (UsageError, drivers.DriverSpecError, ValueError,
            OSError) as error:
        print(f"heat-deltacloud-server: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(f"listening on {server.url}", flush=True)
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
