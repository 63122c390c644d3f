"""Run the mock on a real threaded HTTP server (waitress), in a thread.

>>> with MockServer() as mock:                       # doctest: +SKIP
...     print(mock.url)             # http://127.0.0.1:PORT/api
"""

from heat_deltacloud.mock import accesslog, control, controlplane, \
    userdata, wsgi
from heat_deltacloud.server import keepalive, threaded

#: Largest request body the mock reads (waitress answers 413 above it).
#: Form parsing costs many times a body's size, and no Deltacloud request
#: (user data included) comes near this.
MAX_REQUEST_BODY = 1024 * 1024


class _DroppingTask(keepalive.KeepAliveTask):
    """Closes the connection, writing nothing, when the app raises
    :class:`~.wsgi.ConnectionDropped` (an injected fault)."""

    def service(self):
        try:
            super().service()  # the exception skips finish(): no output
        except wsgi.ConnectionDropped:
            self.close_on_finish = True


class _Channel(keepalive.KeepAliveChannel):
    task_class = _DroppingTask


class MockServer:
    """A mock Deltacloud on ``host`` (loopback by default), port 0 = any.

    ``options`` go to :func:`heat_deltacloud.mock.wsgi.make_app`.  The
    control methods act directly on the app; the same operations are
    served over HTTP under ``/_mock/``.  Request bodies over
    ``max_request_body`` bytes are refused with 413.

    ``guest=True`` (off by default; loopback hosts only) **runs each new
    instance's user data on this host** as cloud-init would, in the
    background, for tests and demos: see :mod:`heat_deltacloud.mock.guest`
    and :meth:`guest_console`.  ``guest_timeout`` bounds each boot
    (seconds, default 300).

    ``access_log``, a text stream, gets one Common Log Format line per
    request, without credentials (:mod:`heat_deltacloud.mock.accesslog`);
    ``on_log_error(exc)`` is told once if writing to it fails.
    """

    def __init__(self, host="127.0.0.1", port=0, *, threads=8,
                 max_request_body=MAX_REQUEST_BODY, access_log=None,
                 on_log_error=None, **options):
        if options.get("guest") and not userdata.is_loopback(host):
            raise ValueError(f"guest mode runs user data on this host: "
                             f"serve it on loopback only, not {host}")
        self._options = options
        self._access_log = (access_log, on_log_error)
        self._serving = {"host": host, "threads": threads,
                         "max_request_body_size": max_request_body}
        self.app = wsgi.make_app(**options)
        self._server = self._create_server(port)
        self.host = host
        self.port = self._server.port
        self.url = f"http://{host}:{self.port}/api"

    def _create_server(self, port):
        stream, on_error = self._access_log
        app = self.app if stream is None else accesslog.AccessLog(
            self.app, stream, on_error)
        return threaded.ThreadedServer(
            app, "deltacloud-mock", channel_class=_Channel, port=port,
            ident="deltacloud", clear_untrusted_proxy_headers=True,
            **self._serving)

    def __repr__(self):
        return f"<MockServer {self.url}>"

    def start(self):
        self._server.start()
        return self

    def stop(self):
        """Close the listening socket and every open connection, end the
        loop and the worker threads; returns within about a second unless
        a request is still sleeping in an injected latency."""
        self._server.stop(timeout=1)
        self.app.close()

    def restart(self):
        """Stop, then serve a new, seeded cloud on the same port.

        What a crashed and restarted Deltacloud (or cloud) looks like to
        its clients: open connections are dropped and every instance,
        key, address and volume created since the start is gone; faults,
        switches, the request log and guest boots start afresh.
        """
        self.stop()
        self.app = wsgi.make_app(**self._options)
        self._server = self._create_server(self.port)
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- control (twins of the /_mock/ endpoints) -----------------------------

    def reset(self):
        """Back to the seeded state; clears faults, switches, the log and
        guest boots (killed and removed)."""
        self.app.reset()

    def request_log(self):
        """``[{"method", "route", "path", "status", "user", "time"}]``."""
        return self.app.controls.requests()["requests"]

    def request_counts(self):
        """``{"METHOD /api/route/:id": count}`` since the last clear."""
        return self.app.controls.requests()["counts"]

    def open_connections(self):
        """How many client connections are open now (kept-alive ones
        included)."""
        return self._server.open_connections

    def peak_concurrency(self):
        """Most API requests in progress at once since the last clear."""
        return self.app.controls.requests()["peak_concurrency"]

    def clear_requests(self):
        self.app.controls.clear_requests()

    def add_fault(self, method="*", route="*", **kwargs):
        """Inject a fault; see :class:`heat_deltacloud.mock.control.Fault`.
        Returns its index in :meth:`faults`."""
        return self.app.controls.add_fault(control.Fault(method, route,
                                                         **kwargs))

    def faults(self):
        return self.app.controls.describe_faults()

    def clear_faults(self):
        self.app.controls.clear_faults()

    def set_capability(self, collection, feature=None, enabled=True):
        """Show or hide a collection, or one of its features, in /api."""
        self.app.controls.set_capability(collection, feature, enabled)

    def set_instance_state(self, instance_id, state):
        """Force any user's instance into ``state`` (e.g. ERROR)."""
        return controlplane.admin_view(
            self.app.cloud.set_instance_state(instance_id, state))

    def instance(self, instance_id):
        """Any user's instance as the admin view shows it, with its
        decoded ``user_data``."""
        return controlplane.admin_view(
            self.app.cloud.any_instance(instance_id))

    def all_instances(self):
        """Every instance of every user (``owner`` says whose), with
        their decoded ``user_data``."""
        return [controlplane.admin_view(i)
                for i in self.app.cloud.all_instances()]

    def all_addresses(self):
        """Every address of every user (``owner`` says whose)."""
        return self.app.cloud.all_addresses()

    # -- guest mode (runs user data on this host; off by default) -------------

    def guest_status(self):
        """``{"available", "enabled", "timeout", "root", "boots":
        {instance id: status}}``."""
        return self.app.guest.describe()

    def set_guest(self, enabled=None, timeout=None):
        """Pause or resume guest mode (only if started with
        ``guest=True``) or change the timeout of boots not yet queued."""
        self.app.guest.configure(enabled, timeout)
        return self.app.guest.describe()

    def guest_console(self, instance_id):
        """The instance's boot record: ``status`` (``not_started``,
        ``running``, ``finished``, ``timed_out``, ``refused``, ``error``),
        ``exit_status``, ``output`` (the last 64 KiB), ``scripts``,
        ``skipped``, ``signals`` (``cfn-signal``'s HTTP outcomes),
        ``message``, ``root``..."""
        return controlplane.console(self.app, instance_id)

    def wait_guest(self, instance_id, timeout=60.0):
        """The boot record once the boot has ended; TimeoutError after
        ``timeout`` seconds."""
        return self.app.guest.wait(instance_id, timeout)
