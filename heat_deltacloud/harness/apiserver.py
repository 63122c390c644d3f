"""heat-api or heat-api-cfn as a process of its own.

Heat 27 ships these APIs as WSGI scripts only (``heat-wsgi-api``,
``heat-wsgi-api-cfn``, meant for Apache or uWSGI; their ``__main__`` is a
single-threaded wsgiref server).  This module builds the app exactly as
those scripts do, with Heat's own ``init_application()`` (which parses
heat.conf, sets up logging and RPC messaging and loads the paste pipeline
named by ``[paste_deploy]``), and serves it with waitress, threaded::

    python -m heat_deltacloud.harness.apiserver heat-api \\
        --port 8004 --config-file heat.conf
"""

import argparse
import importlib
import signal
import sys
import warnings

#: App name → the module of Heat's WSGI script that builds it.
APPS = {
    "heat-api": "heat.api.openstack.wsgi",
    "heat-api-cfn": "heat.api.cfn.wsgi",
}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m heat_deltacloud.harness.apiserver",
        allow_abbrev=False,
        description="Serve heat-api or heat-api-cfn with waitress.")
    parser.add_argument("app", choices=sorted(APPS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--config-file", action="append", required=True,
                        help="heat.conf, then any files overriding it")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    from waitress import serve

    # Heat's init_application() parses the process's command line.
    sys.argv = [args.app, *(arg for path in args.config_file
                            for arg in ("--config-file", path))]
    app = importlib.import_module(APPS[args.app]).init_application()
    # Stop at once on SIGTERM, whatever handler a library set meanwhile.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(app, host=args.host, port=args.port, threads=args.threads,
          ident=args.app, clear_untrusted_proxy_headers=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
