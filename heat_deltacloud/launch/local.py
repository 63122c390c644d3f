"""The launcher's embedded mode: Heat and Deltacloud in this process.

With no Heat URL, ``launch`` runs Heat 27 here (the engine on sqlite and
in-process messaging, plus heat-api-cfn with the Deltacloud pipeline, see
:mod:`heat_deltacloud.heat.embedded` and :mod:`heat_deltacloud.heat.apis`);
with no Deltacloud URL either, it also runs the mock Deltacloud
(:class:`heat_deltacloud.mock.server.MockServer`).  The launcher then
talks to them over HTTP exactly as it would to remote ones.

Heat's engine is the process's (:func:`heat_deltacloud.heat.embedded.start`)
and outlives this context: whoever owns the process calls
:func:`heat_deltacloud.heat.embedded.shutdown` before exiting.
"""

from heat_deltacloud.launch.credentials import Credentials

#: Guest console lines that are the mock's and heat-cfntools' own, not the
#: services' output.
GUEST_NOISE = ("[guest] ", "cfn-signal: ")

#: The real Deltacloud mock driver's user, the embedded mock's default.
MOCK_CREDENTIALS = Credentials("mockuser", "mockpassword")


class LocalServices:
    """heat-api-cfn (and the mock, without ``deltacloud_url``) on 127.0.0.1.

    ``credentials`` given with the embedded mock become one of its users.
    ``guest`` (on by default) starts the embedded mock in guest mode: it
    **runs every new instance's user data on this host** (see
    :mod:`heat_deltacloud.mock.guest`), so that deployables' services run
    and signal their wait conditions through the heat-api-cfn served here.
    """

    def __init__(self, deltacloud_url=None, credentials=None, *,
                 guest=True, state_dir=None, deltacloud_options=None):
        self.deltacloud_url = deltacloud_url
        #: Where the embedded Heat keeps its state (heat.conf with its
        #: auth_encryption_key, the database, the log), when the process's
        #: Heat is started here; whoever passes it removes it.
        self.state_dir = state_dir
        self.credentials = credentials
        self.guest = guest
        #: heat.conf ``[deltacloud]`` options for the embedded Heat while
        #: these services run (``ignore_unsupported_user_data``).
        self.deltacloud_options = dict(deltacloud_options or {})
        self.mock = None
        self.apis = None
        self.heat = None

    @property
    def heat_cfn_url(self):
        return self.apis.heat_api_cfn

    def start(self):
        from heat_deltacloud.heat import apis, embedded

        try:
            if self.deltacloud_url is None:
                self._start_mock()
            self.heat = embedded.start(
                **({"state_dir": self.state_dir} if self.state_dir else {}))
            self._override(self.deltacloud_options)
            self.apis = apis.serve(self.heat, apps=(apis.HEAT_API_CFN,))
        except BaseException:
            self.stop()
            raise
        return self

    def _start_mock(self):
        from heat_deltacloud.mock.server import MockServer

        users = {}
        if self.credentials and self.credentials != MOCK_CREDENTIALS:
            users[self.credentials.user] = self.credentials.password
        # Deployables boot with user data, which the mock driver supports
        # but (like the real one) does not advertise unless asked to; guest
        # mode runs it on this host, so that the instances' services run
        # and signal their wait conditions.
        self.mock = MockServer(users=users, fix_user_data_feature=True,
                               guest=self.guest).start()
        self.deltacloud_url = self.mock.url

    def guest_output(self, instance_id, wait=2.0):
        """What the instance's services printed in guest mode (waiting up
        to ``wait`` seconds for its boot to end), as ``(status, lines)``;
        None without the embedded mock's guest mode or a boot."""
        if self.mock is None or not self.guest:
            return None
        try:
            record = self.mock.wait_guest(instance_id, timeout=wait)
        except TimeoutError:
            record = self.mock.guest_console(instance_id)
        except Exception:  # noqa: BLE001 - gone with its instance
            return None
        if record.get("status") == "not_started":
            return None
        lines = [line for line in (record.get("output") or "").splitlines()
                 if line.strip() and not line.startswith(GUEST_NOISE)]
        status = record["status"]
        if record.get("exit_status") is not None:
            status += f", exit status {record['exit_status']}"
        return status, lines

    def _override(self, options, clear=False):
        if not options:
            return
        from oslo_config import cfg

        for name, value in options.items():
            if clear:
                cfg.CONF.clear_override(name, group="deltacloud")
            else:
                cfg.CONF.set_override(name, value, group="deltacloud")

    def stop(self):
        if self.heat is not None:
            self._override(self.deltacloud_options, clear=True)
        if self.apis is not None:
            self.apis.stop()
            self.apis = None
        if self.mock is not None:
            self.mock.stop()
            self.mock = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
