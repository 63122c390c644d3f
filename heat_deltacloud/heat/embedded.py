"""Heat 27 running inside this process, on sqlite and in-process messaging.

Used by the launcher's embedded mode, by the tests and by the benchmarks:
one engine (convergence by default) whose plugins come from this package,
plus, on request, heat-api and heat-api-cfn as WSGI apps with the
Deltacloud paste pipeline.  Heat keeps its configuration in the global
``cfg.CONF``, so there is one embedded Heat per process: :func:`start`
returns it, creating it on first use.

Deltacloud URLs are not configured here: each request context carries its
own (``auth_url``), so one embedded Heat serves any number of mock servers.
It opts in to that explicitly (``[deltacloud] allow_client_url``, unsafe
for a shared Heat): its APIs listen on 127.0.0.1 only, for the life of the
process that started it.
"""

import logging
import pathlib
import secrets
import shutil
import threading
import time
import warnings
import weakref

# oslo.service still imports eventlet, which warns loudly on import; the
# engine here runs on threads and never uses it.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from oslo_service import backend as _service_backend  # noqa: E402
from oslo_service.backend import exceptions as _backend_errors  # noqa: E402

# Heat's engine must run on threads, not eventlet, and this must be chosen
# before heat.engine.service is imported (heat/cmd/engine.py does the same).
try:
    _service_backend.init_backend(_service_backend.BackendType.THREADING)
except _backend_errors.BackendAlreadySelected as _exc:
    raise ImportError(
        "embedded Heat needs oslo.service's threading backend, but "
        f"{_service_backend.get_backend_type()} was already chosen: import "
        "heat_deltacloud.heat.embedded before anything that starts Heat's "
        "services") from _exc

from oslo_config import cfg  # noqa: E402

LOG = logging.getLogger(__name__)

#: How long delete_stack waits, after DELETE_COMPLETE, for Heat to mark
#: the stack deleted (it does so a moment later, in the same worker).
MARKED_DELETED_WAIT = 30.0

_lock = threading.Lock()
_instance = None

HEAT_CONF = """\
[DEFAULT]
cloud_backend = heat_deltacloud.heat.backend.DeltacloudClients
compute_backend = deltacloud
deferred_auth_method = password
auth_encryption_key = {encryption_key}
max_nova_api_microversion = 2.1
heat_metadata_server_url = {metadata_url}
environment_dir = {environment_dir}
template_dir = {environment_dir}
plugin_dirs = {plugin_dir}
convergence_engine = {convergence}
host = embedded-heat
num_engine_workers = 1
stack_scheduler_hints = false
use_stderr = false
log_file = {log_file}
default_log_levels = {log_levels}

[database]
connection = sqlite:///{database}

[oslo_messaging_notifications]
driver = noop

[paste_deploy]
flavor = deltacloud
api_paste_config = {api_paste}

[deltacloud]
allow_client_url = true
poll_interval = 0.2
delete_timeout = 30
"""

QUIET_LOGGERS = ("heat=WARN", "oslo_messaging=WARN", "stevedore=WARN",
                 "oslo_db=WARN", "keystoneauth=WARN", "urllib3=WARN",
                 "heat_deltacloud=INFO")


def _sqlite_write_lock_at_begin(engine):
    """Queue concurrent sqlite writers instead of failing them, keep the
    lock short, and enforce foreign keys.

    Convergence workers write in parallel; with oslo.db's plain ``BEGIN``
    sqlite fails the second writer at once with "database is locked".
    ``BEGIN IMMEDIATE`` takes the write lock up front, so writers wait (up
    to the busy timeout) instead.  Every transaction therefore holds the
    one lock, so its commit must be cheap: with the default rollback
    journal each commit waits for several fsyncs, and ten concurrent
    stacks on a busy machine queued behind them (2.2x one stack's time
    against 1.2x in WAL mode; benchmarks ``concurrency``).  WAL with
    ``synchronous = NORMAL`` commits without an fsync and stays consistent
    after a crash of this process; only a power loss can lose the last
    commits.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.execute("PRAGMA busy_timeout = 30000")
        dbapi_connection.execute("PRAGMA journal_mode = WAL")
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")
        # Heat's ON DELETE CASCADE (the data of deleted resources) needs
        # foreign keys, which sqlite enforces only when asked.  Without
        # them a new resource reusing a deleted one's row id inherited its
        # encrypted keys.
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _begin_immediate(conn, cursor, statement, parameters, context,
                         executemany):
        if statement == "BEGIN":
            statement = "BEGIN IMMEDIATE"
        return statement, parameters

    # oslo.db opened a connection to test the engine before the listeners
    # existed; drop it so every pooled connection gets them.
    engine.dispose()


def _never_reuse_row_ids(metadata):
    """Create integer-keyed tables with sqlite's AUTOINCREMENT.

    Plain sqlite hands a deleted row's id to the next insert; Heat keeps
    ids of resource data and attribute data in resource objects that
    outlive a delete (an update's stored attributes cleared by id), so a
    reused id deleted another resource's data.  PostgreSQL and MySQL never
    reuse ids; this makes sqlite behave the same.
    """
    import sqlalchemy as sa

    for table in metadata.tables.values():
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, sa.Integer):
            table.dialect_kwargs["sqlite_autoincrement"] = True


def _short_scheduler_sleeps(seconds):
    """Heat sleeps 1 s between resource checks; tests want less, not 0.

    ``scheduler.ENABLE_SLEEP = False`` busy-polls the backend (hundreds of
    thousands of reads), so the wait is shortened instead.
    """
    from heat.engine import scheduler

    def _sleep(self, wait_time):
        if wait_time is not None:
            time.sleep(min(wait_time, seconds))

    scheduler.TaskRunner._sleep = _sleep


def _prompt_worker_cancellation(seconds):
    """Heat waits for cancelled workers in three blind 5 s sleeps.

    Deleting a stack still in progress cancels its workers, then sleeps
    5 s before looking whether they let go of their resources (and again,
    up to three times): every such delete took 5 s at least.  This looks
    every ``seconds`` within the same 15 s bound.
    """
    from heat.db import api as db_api
    from heat.engine import worker

    def _wait_for_cancellation(stack, wait=5):
        deadline = time.monotonic() + wait * worker.CANCEL_RETRIES
        while True:
            time.sleep(seconds)
            if not db_api.engine_get_all_locked_by_stack(stack.context,
                                                         stack.id):
                return True
            if time.monotonic() > deadline:
                return False

    worker._wait_for_cancellation = _wait_for_cancellation


class EmbeddedHeat:
    """The process's Heat engine, plus its APIs when asked for."""

    def __init__(self, state_dir=None, *, convergence=True,
                 poll_seconds=0.1, metadata_url="http://127.0.0.1:8000/v1"):
        #: Without ``state_dir``, start() makes one, which is this
        #: object's: removed by stop(), by a start() that fails, and at the
        #: latest when the interpreter exits (see :meth:`discard_state`).
        self.state_dir = pathlib.Path(state_dir) if state_dir else None
        self._discard = None
        self.convergence = convergence
        self.poll_seconds = poll_seconds
        self.metadata_url = metadata_url
        self.engine = None

    @property
    def conf_file(self):
        return self.state_dir / "heat.conf"

    def _make_state_dir(self):
        from heat_deltacloud.heat import statedirs

        # What processes killed with SIGKILL left behind goes first.
        statedirs.sweep_quietly()
        if self.state_dir is not None:
            return
        self.state_dir = statedirs.make()  # marked as this process's
        # Registered as the directory is made: a process that never calls
        # stop() (an exception, a fixture without teardown) still removes
        # it when it exits normally.
        self._discard = weakref.finalize(
            self, shutil.rmtree, str(self.state_dir), ignore_errors=True)

    def discard_state(self):
        """Remove the state directory if this object made it (never one it
        was given).  For a process about to ``os._exit`` without stop(),
        which skips interpreter-exit cleanup."""
        if self._discard is not None:
            self._discard()

    def _write_config(self):
        from heat_deltacloud.heat import resources

        env_dir = self.state_dir / "environment.d"
        env_dir.mkdir(parents=True, exist_ok=True)
        self.conf_file.write_text(HEAT_CONF.format(
            encryption_key=secrets.token_hex(16),
            metadata_url=self.metadata_url,
            environment_dir=env_dir,
            plugin_dir=resources.PLUGIN_DIR,
            convergence=str(self.convergence).lower(),
            log_levels=",".join(QUIET_LOGGERS),
            database=self.state_dir / "heat.sqlite",
            log_file=self.state_dir / "heat.log",
            api_paste=pathlib.Path(__file__).parent / "api-paste.ini"))

    def start(self):
        self._make_state_dir()
        try:
            return self._start()
        except BaseException:
            self.stop()  # and the directory made above goes
            raise

    def _start(self):
        self._write_config()
        from heat.common import config as heat_config
        from heat.common import messaging
        from heat.db import api as db_api
        from heat.db import models
        from heat.engine import resources
        from heat.rpc import api as rpc_api
        from heat.rpc import client as rpc_client
        from oslo_log import log as oslo_log

        from heat_deltacloud.heat import opts

        conf = cfg.CONF
        oslo_log.register_options(conf)
        opts.register_opts(conf)
        conf(["--config-file", str(self.conf_file)], project="heat",
             prog="heat-engine", default_config_files=[],
             default_config_dirs=[])
        oslo_log.setup(conf, "heat")
        heat_config.startup_sanity_check()
        messaging.setup("fake://", optional=True)
        self.engine_client = rpc_client.EngineClient()
        engine = db_api.get_engine()
        _sqlite_write_lock_at_begin(engine)
        _never_reuse_row_ids(models.BASE.metadata)
        models.BASE.metadata.create_all(engine)
        resources.initialise()
        _short_scheduler_sleeps(self.poll_seconds)
        _prompt_worker_cancellation(self.poll_seconds)
        from heat.engine import service
        self.engine = service.EngineService(conf.host,
                                            rpc_api.ENGINE_TOPIC)
        self.engine.start()
        LOG.info("embedded Heat started in %s", self.state_dir)
        return self

    def stop(self):
        try:
            if self.engine is not None:
                self.engine.stop()
                self.engine = None
        finally:
            self.discard_state()

    def context(self, username, password, auth_url, *, project_id=None,
                region_name=None):
        """A request context built the way heat-api builds one.

        The headers go through Heat's own ``ContextMiddleware``, so the
        engine sees exactly what the API would pass it.
        """
        import webob
        from heat.common import context as heat_context

        headers = {"X-Auth-User": username, "X-Auth-Key": password,
                   "X-Auth-Url": auth_url,
                   "X-Project-Id": project_id or username,
                   "X-User-Id": username, "X-User-Name": username,
                   "X-Roles": "member,reader"}
        if region_name:
            headers["X-Region-Name"] = region_name
        request = webob.Request.blank("/", headers=headers)
        heat_context.ContextMiddleware(None, {}).process_request(request)
        return request.context

    def wait_for_stack(self, context, identity, *, timeout=120.0,
                       interval=0.2):
        """Poll ``show_stack`` until the stack leaves IN_PROGRESS."""
        deadline = time.monotonic() + timeout
        while True:
            stack = self.engine_client.show_stack(
                context, identity, resolve_outputs=True)[0]
            if stack["stack_status"] != "IN_PROGRESS":
                return stack
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"stack {stack['stack_name']} still "
                    f"{stack['stack_action']}_IN_PROGRESS after {timeout}s")
            time.sleep(interval)

    def delete_stack(self, context, identity, *, timeout=120.0,
                     interval=0.2):
        """Delete a stack and wait until the delete settles.

        A deleted stack is shown only to a context with ``show_deleted``,
        which is set for the wait and restored after it.  After a
        successful delete the wait goes on (for up to
        :data:`MARKED_DELETED_WAIT` seconds more) until the stack is gone
        from listings: Heat marks it deleted a moment after DELETE_COMPLETE,
        and until then its name is still taken.  If Heat never marks it
        (its purge failed, e.g. on a database locked past the busy
        timeout), that is logged and the stack returned as it is.
        """
        self.engine_client.delete_stack(context, identity, cast=False)
        context.show_deleted = True
        try:
            stack = self.wait_for_stack(context, identity, timeout=timeout,
                                        interval=interval)
        finally:
            context.show_deleted = False
        if (stack["stack_action"], stack["stack_status"]) != (
                "DELETE", "COMPLETE"):
            return stack
        deadline = time.monotonic() + MARKED_DELETED_WAIT
        while self._still_listed(context, identity):
            if time.monotonic() > deadline:
                LOG.warning("stack %s is DELETE_COMPLETE but Heat did not "
                            "mark it deleted within %s s: its name stays "
                            "taken", stack["stack_name"],
                            MARKED_DELETED_WAIT)
                break
            time.sleep(interval)
        return stack

    def _still_listed(self, context, identity):
        try:
            # By name: show_stack shows deleted stacks too.
            self.engine_client.identify_stack(context,
                                              identity["stack_name"])
        except Exception as exc:  # oslo.messaging re-raises it as *_Remote
            if "NotFound" in type(exc).__name__:
                return False
            raise
        return True


def start(**kwargs):
    """The process's embedded Heat, started on first call."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = EmbeddedHeat(**kwargs).start()
        return _instance


def shutdown():
    """Stop the embedded engine, if one runs.

    Its threads are not daemons, so a process that started it must call
    this before exiting.
    """
    with _lock:
        if _instance is not None:
            _instance.stop()


def discard_state():
    """Remove the state directory the process's embedded Heat made, even
    if its engine did not stop: for a process that must ``os._exit``."""
    if _instance is not None:
        _instance.discard_state()
