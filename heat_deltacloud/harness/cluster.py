"""The distributed setup, started and stopped as one.

::

    with Harness() as harness:          # or harness.start() / .stop()
        client = harness.heat_client("mockuser", "mockpassword")
        ...

Started in this order, each waited for with a bounded timeout: the mock
Deltacloud (threads of this process), RabbitMQ and PostgreSQL (installed
from Debian when missing), heat.conf and the database schema
(``heat-manage db_sync``), heat-api and heat-api-cfn
(:mod:`~heat_deltacloud.harness.apiserver`), then the ``heat-engine``
processes, named ``engine-1``, ``engine-2``, ... (their ``host``).
heat-api also serves the package's identity endpoint under ``/identity``
(:attr:`Harness.identity_url`, what clients use as ``OS_AUTH_URL``).
Everything lives in the run folder: heat.conf, per-process files, and one
``logs/`` folder.  :meth:`Harness.stop` ends it all in reverse order; it
also runs at exit, and a failure while starting stops what had started.
"""

import atexit
import logging
import pathlib
import re
import shutil
import sys
import tempfile
import threading

import requests

from heat_deltacloud.harness import extras, heatconf, processes
from heat_deltacloud.harness.errors import HarnessError
from heat_deltacloud.harness.postgres import PostgreSQL
from heat_deltacloud.harness.rabbitmq import RabbitMQ

LOG = logging.getLogger(__name__)

API_TIMEOUT = 120
ENGINE_TIMEOUT = 120
DB_SYNC_TIMEOUT = 300
HTTP_TIMEOUT = (5, 30)
DATABASE = "heat"
#: Extra mock users (the mock always knows mockuser / mockpassword).
USERS = {"demo": "demo-password"}

_CREATING = re.compile(r"Creating stack (\S+)")


class Harness:
    """Heat as processes over RabbitMQ and PostgreSQL, on the mock.

    ``run_dir`` is kept (logs and all) when given; a temporary one is
    removed by :meth:`stop` unless ``keep`` is set.  ``mock_options`` go
    to :class:`~heat_deltacloud.mock.server.MockServer` (e.g.
    ``state_delay``: seconds new instances stay PENDING).
    """

    def __init__(self, run_dir=None, *, engines=2, convergence=True,
                 host="127.0.0.1", users=None, keep=False,
                 mock_options=None):
        self._owns_run_dir = run_dir is None and not keep
        self.run_dir = pathlib.Path(run_dir or tempfile.mkdtemp(
            prefix="heat-deltacloud-harness-")).resolve()
        self.log_dir = self.run_dir / "logs"
        self.engine_count = engines
        self.convergence = convergence
        self.host = host
        self.users = {**USERS, **(users or {})}
        self.mock_options = {"fix_user_data_feature": True,
                             **(mock_options or {})}
        self.mock = self.rabbitmq = self.postgres = None
        self.apis = {}
        self.engines = {}
        #: engine name -> the database's clock when it was (re)started
        self._engine_started = {}
        self.heat_conf = None
        self.database_url = None
        self._started = False
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------

    def start(self):
        self.log_dir.mkdir(parents=True, exist_ok=True)
        atexit.register(self.stop)
        try:
            extras.ensure(log_path=self.log_dir / "pip.log")
            self._start_mock()
            self.rabbitmq = RabbitMQ(self.run_dir, host=self.host).start()
            self.postgres = PostgreSQL(self.run_dir, host=self.host).start()
            self.database_url = self.postgres.create_database(DATABASE)
            self.heat_conf = heatconf.write(
                self.run_dir, transport_url=self.rabbitmq.transport_url,
                database=self.database_url, deltacloud_url=self.mock.url,
                cfn_url=self.api_url("heat-api-cfn"),
                api_url=self.api_url("heat-api"),
                convergence=self.convergence)
            self._db_sync()
            for name in ("heat-api", "heat-api-cfn"):
                self._start_api(name)
            for number in range(1, self.engine_count + 1):
                self.start_engine(f"engine-{number}")
            for name in self.apis:
                self._wait_for_api(name)
            for name in self.engines:
                self.wait_for_engine(name)
        except BaseException:
            self.stop()
            raise
        self._started = True
        LOG.info("harness ready in %s", self.run_dir)
        return self

    def stop(self):
        """Stop everything that runs: the engines and APIs at once, then
        the services they used, then the mock.  Safe to call twice."""
        with self._lock:
            processes.stop_all([
                *self.engines.values(),
                *[api["process"] for api in self.apis.values()
                  if api.get("process") is not None]])
            self.engines.clear()
            self.apis.clear()
            for service in (self.postgres, self.rabbitmq):
                if service is not None:
                    service.stop()
            self.postgres = self.rabbitmq = None
            if self.mock is not None:
                self.mock.stop()
            self.mock = None
            if self._owns_run_dir and self.run_dir.exists():
                shutil.rmtree(self.run_dir, ignore_errors=True)
            self._started = False
        atexit.unregister(self.stop)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- pieces -------------------------------------------------------------

    def _start_mock(self):
        from heat_deltacloud.mock.server import MockServer

        self.mock = MockServer(self.host, 0, users=self.users,
                               **self.mock_options).start()
        # The APIs' ports are chosen now so heat.conf can name them.
        for name in ("heat-api", "heat-api-cfn"):
            self.apis[name] = {"port": processes.free_port(self.host),
                               "process": None}

    @property
    def identity_url(self):
        """heat-api's identity endpoint (Keystone v3 subset): the
        ``auth_url`` / ``OS_AUTH_URL`` of OpenStack clients."""
        return f"{self.heat_api_url}/identity/v3"

    def api_url(self, name):
        return f"http://{self.host}:{self.apis[name]['port']}"

    @property
    def heat_api_url(self):
        return self.api_url("heat-api")

    @property
    def heat_cfn_url(self):
        return self.api_url("heat-api-cfn")

    def _db_sync(self):
        manage = processes.Process(
            "heat-manage", [_script("heat-manage"), "--config-file",
                            self.heat_conf, "db_sync"],
            log_path=self.log_dir / "heat-manage.log")
        try:
            status = manage.popen.wait(timeout=DB_SYNC_TIMEOUT)
        except Exception:
            manage.stop()
            raise
        if status:
            raise HarnessError(f"heat-manage db_sync failed ({status}); "
                               f"see {manage.log_path}:\n{manage.tail()}")

    def _start_api(self, name):
        conf = heatconf.process_conf(self.run_dir, name)
        self.apis[name]["process"] = processes.Process(
            name, [sys.executable, "-m", "heat_deltacloud.harness.apiserver",
                   name, "--host", self.host,
                   "--port", self.apis[name]["port"],
                   "--config-file", self.heat_conf, "--config-file", conf],
            log_path=self.log_dir / f"{name}.out")

    def restart_api(self, name):
        """Stop the API process ``name`` (SIGTERM) and start a new one on
        the same port, reading the same heat.conf; waits until it answers.

        Nothing an API knows lives in its process: the stack users' keys
        heat-api-cfn checks signatures with are in Heat's database.
        """
        process = self.apis[name]["process"]
        if process is not None:
            process.stop()
        self._start_api(name)
        self._wait_for_api(name)
        return self.apis[name]["process"]

    def _wait_for_api(self, name):
        url = self.api_url(name)

        def answers():
            try:
                requests.get(url + "/", timeout=HTTP_TIMEOUT)
            except requests.RequestException:
                return False
            return True
        processes.wait_until(answers, timeout=API_TIMEOUT,
                             what=f"{name} to answer on {url}",
                             interval=0.5,
                             process=self.apis[name]["process"])

    def start_engine(self, name):
        """Start (or restart) the engine ``name``; returns its process."""
        old = self.engines.get(name)
        if old is not None and not old.exited():
            raise HarnessError(f"{name} is already running")
        conf = heatconf.process_conf(self.run_dir, name)
        # Its first report counts from here: waited for from its wait's
        # start, an engine that had reported meanwhile was waited for
        # until its next report, a periodic_interval later.
        self._engine_started[name] = self._now()
        process = processes.Process(
            name, [_script("heat-engine"), "--config-file", self.heat_conf,
                   "--config-file", conf],
            log_path=self.log_dir / f"{name}.out")
        self.engines[name] = process
        return process

    def wait_for_engine(self, name):
        """Wait until ``name`` has registered in the service table since
        it was started."""
        process = self.engines[name]
        started = self._engine_started[name]
        processes.wait_until(
            lambda: self._engine_reported_since(name, started),
            timeout=ENGINE_TIMEOUT, what=f"{name} to register",
            interval=0.5, process=process)

    def kill_engine(self, name):
        """SIGKILL the engine ``name``, as a crash would end it."""
        self.engines[name].kill()

    # -- observation --------------------------------------------------------

    def query(self, sql, **params):
        """Rows of a read-only SQL query on Heat's database."""
        import sqlalchemy

        engine = sqlalchemy.create_engine(self.database_url,
                                          poolclass=sqlalchemy.NullPool)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(
                    sqlalchemy.text(sql), params)]
        finally:
            engine.dispose()

    def _now(self):
        return self.query("SELECT now() AT TIME ZONE 'utc'")[0][0]

    def _engine_reported_since(self, name, moment):
        rows = self.query(
            "SELECT count(*) FROM service WHERE host = :host AND "
            "deleted_at IS NULL AND updated_at >= :moment",
            host=name, moment=moment)
        return rows[0][0] > 0

    def process_groups(self):
        """``{name: pid}`` of every child process group running now."""
        groups = {name: process.pid
                  for name, process in self.engines.items()}
        groups.update({name: api["process"].pid
                       for name, api in self.apis.items()
                       if api.get("process") is not None})
        for service in (self.rabbitmq, self.postgres):
            if service is not None:
                groups.update(service.process_groups())
        return groups

    def engine_hosts(self):
        """``{engine_id: engine name}`` of every engine that registered,
        live or not (a restarted engine has a new id)."""
        return dict(self.query("SELECT engine_id, host FROM service"))

    def stacks_by_engine(self):
        """``{engine: [stack names]}``: which engine took each
        ``create_stack`` call, read from the engines' logs."""
        taken = {}
        for name in sorted(self.engines):
            log = self.log_dir / f"{name}.log"
            text = log.read_text(errors="replace") if log.exists() else ""
            taken[name] = _CREATING.findall(text)
        return taken

    # -- clients ------------------------------------------------------------

    def heat_client(self, user, password):
        """python-heatclient on heat-api, authenticating the way it does
        without Keystone: X-Auth-User / X-Auth-Key on every request."""
        from heatclient import client as heat_client

        return heat_client.Client(
            "1", f"{self.heat_api_url}/v1/{user}", username=user,
            password=password, timeout=HTTP_TIMEOUT[1])

    def environment(self, user="mockuser"):
        """Environment variables for OpenStack clients of this setup
        (``openstack``, openstacksdk, heatclient), logging in as ``user``
        at the identity endpoint; the password (``OS_PASSWORD``) is left
        to the caller."""
        return {"OS_AUTH_URL": self.identity_url,
                "OS_IDENTITY_API_VERSION": "3",
                "OS_USERNAME": user, "OS_PROJECT_NAME": user,
                "OS_USER_DOMAIN_NAME": "Default",
                "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_REGION_NAME": "RegionOne",
                "HEAT_CFN_URL": f"{self.heat_cfn_url}/v1",
                "DELTACLOUD_URL": self.mock.url}

    def describe(self):
        """What runs where, as lines for people."""
        lines = [f"run folder   {self.run_dir}",
                 f"logs         {self.log_dir}",
                 f"deltacloud   {self.mock.url} (mock; mockuser / "
                 "mockpassword"
                 + "".join(f", {u} / {p}" for u, p in self.users.items())
                 + ")",
                 f"identity     {self.identity_url}",
                 f"rabbitmq     {self.rabbitmq.transport_url}",
                 f"database     {self.database_url}",
                 f"heat-api     {self.heat_api_url}/v1/<user>",
                 f"heat-api-cfn {self.heat_cfn_url}/v1",
                 f"heat.conf    {self.heat_conf}"]
        lines += [f"{name:<12} pid {process.pid}"
                  for name, process in sorted(self.engines.items())]
        return lines


def _script(name):
    """A console script of this Python's environment (heat-engine, ...)."""
    path = pathlib.Path(sys.executable).parent / name
    found = path if path.exists() else shutil.which(name)
    if not found:
        raise HarnessError(f"{name} not found next to {sys.executable}: "
                           "install the 'heat' extra")
    return found
