"""A private PostgreSQL cluster: the database every Heat process shares.

Why not sqlite: Heat's convergence workers write concurrently, and sqlite
fails a second writer at once ("database is locked") unless each
connection begins with ``BEGIN IMMEDIATE``.  The embedded engine installs
that fix in its own process (heat_deltacloud.heat.embedded), but the
stock ``heat-engine`` processes here cannot be patched, so they get a real
database server.  PostgreSQL is in Debian (and in this project's machine
image); the cluster is created with ``initdb`` on each start, trusts
loopback connections only, listens on a free port and runs without fsync:
its data is thrown away with the run.

PostgreSQL refuses to run as root, so under root it runs as Debian's
``postgres`` user, with its data directory in a private temporary folder
that user can reach (a run folder under a 0700 directory would not be).
"""

import contextlib
import os
import pathlib
import pwd
import shutil
import signal
import tempfile

from heat_deltacloud.harness import packages, processes
from heat_deltacloud.harness.errors import HarnessError

USER = "postgres"
START_TIMEOUT = 60

SETTINGS = {
    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
    # two engines' and two APIs' pools, with room for their overflow
    "max_connections": "300",
    "log_min_messages": "warning",
}


class PostgreSQL:
    def __init__(self, run_dir, *, host="127.0.0.1"):
        self.run_dir = pathlib.Path(run_dir)
        self.log_dir = self.run_dir / "logs"
        self.host = host
        self.port = processes.free_port(host)
        self.data_dir = None
        self._process = None
        self._owner = None

    def url(self, database):
        """The SQLAlchemy URL of ``database`` (psycopg2 driver)."""
        return (f"postgresql+psycopg2://{USER}@{self.host}:{self.port}/"
                f"{database}")

    def _as_owner(self, argv):
        if self._owner is None:
            return argv
        return ["runuser", "-u", self._owner.pw_name, "--", *argv]

    def start(self):
        postgres = pathlib.Path(packages.ensure(
            "postgresql", log_path=self.log_dir / "apt.log")["postgresql"])
        if os.geteuid() == 0:
            try:
                self._owner = pwd.getpwnam("postgres")
            except KeyError:
                raise HarnessError("running as root, PostgreSQL needs the "
                                   "'postgres' user (Debian's postgresql "
                                   "package creates it)") from None
            self.data_dir = pathlib.Path(tempfile.mkdtemp(
                prefix="heat-deltacloud-pg-"))
            os.chown(self.data_dir, self._owner.pw_uid, self._owner.pw_gid)
        else:
            self.data_dir = self.run_dir / "postgresql"
            self.data_dir.mkdir(parents=True)
        log_path = self.log_dir / "postgresql.log"
        init = processes.Process(
            "initdb", self._as_owner([
                postgres.parent / "initdb", "-D", self.data_dir,
                "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync",
                "--no-instructions"]),
            log_path=log_path)
        if init.popen.wait(timeout=120):
            raise HarnessError(f"initdb failed; see {log_path}")
        settings = [arg for name, value in SETTINGS.items()
                    for arg in ("-c", f"{name}={value}")]
        self._process = processes.Process(
            "postgresql", self._as_owner([
                postgres, "-D", self.data_dir, "-h", self.host,
                "-p", self.port, "-k", self.data_dir, *settings]),
            log_path=log_path)
        processes.wait_until(self._accepts, timeout=START_TIMEOUT,
                             what="PostgreSQL to accept connections",
                             process=self._process)
        return self

    def _connect(self, database="postgres"):
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=USER,
                                dbname=database, connect_timeout=2)

    def _accepts(self):
        import psycopg2

        try:
            self._connect().close()
        except psycopg2.OperationalError:
            return False
        return True

    def create_database(self, name):
        connection = self._connect()
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)

    def process_groups(self):
        if self._process is None:
            return {}
        return {self._process.name: self._process.pid}

    def stop(self):
        if self._process is not None:
            # SIGINT is PostgreSQL's "fast" shutdown (SIGTERM would wait
            # for every client to disconnect).
            self._process.stop(timeout=10, signum=signal.SIGINT)
            self._process = None
        if self._owner is not None and self.data_dir is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self.data_dir)
            self.data_dir = None
