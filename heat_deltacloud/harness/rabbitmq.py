"""A private RabbitMQ node: Heat's message bus across processes.

Debian's ``rabbitmq-server`` started directly (not through its service
wrapper, which would switch to the ``rabbitmq`` user and its fixed
directories) with every ``RABBITMQ_*`` setting pointing into the run
folder: node name, AMQP and distribution ports, Mnesia and log
directories, an empty plugin list and a config file binding 127.0.0.1.
epmd, Erlang's port mapper, runs as a child of its own on a free port, so
it is stopped with the node instead of lingering as a daemon and does not
meet other nodes on this machine.
"""

import os
import pathlib

from heat_deltacloud.harness import packages, processes

# RabbitMQ's default account, which it accepts on loopback only.
USER = PASSWORD = "guest"  # noqa: S105
START_TIMEOUT = 90

CONFIG = """\
listeners.tcp.default = {host}:{port}
loopback_users.guest = true
log.console = true
log.console.level = warning
"""


class RabbitMQ:
    def __init__(self, run_dir, *, host="127.0.0.1"):
        self.dir = pathlib.Path(run_dir) / "rabbitmq"
        self.log_dir = pathlib.Path(run_dir) / "logs"
        self.host = host
        self.port = processes.free_port(host)
        self.dist_port = processes.free_port(host)
        self.epmd_port = processes.free_port(host)
        self.node = f"heat-deltacloud-{self.port}@localhost"
        self._processes = []

    @property
    def transport_url(self):
        return f"rabbit://{USER}:{PASSWORD}@{self.host}:{self.port}/"

    def _environ(self):
        home = self.dir / "home"
        for sub in (home, self.dir / "mnesia", self.dir / "log"):
            sub.mkdir(parents=True, exist_ok=True)
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq.conf").write_text(
            CONFIG.format(host=self.host, port=self.port))
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),  # the Erlang cookie is written here
            "LANG": "C.UTF-8",
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(
                self.dir / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": self.host,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": self.host,
        }

    def start(self):
        server = packages.ensure("rabbitmq-server",
                                 log_path=self.log_dir / "apt.log")[
                                     "rabbitmq-server"]
        env = self._environ()
        epmd = processes.Process(
            "epmd", ["epmd", "-port", self.epmd_port, "-address", self.host],
            log_path=self.log_dir / "epmd.log", env=env)
        self._processes.append(epmd)
        processes.wait_until(
            lambda: processes.port_open(self.host, self.epmd_port),
            timeout=15, what="epmd", process=epmd)
        node = processes.Process("rabbitmq", [server],
                                 log_path=self.log_dir / "rabbitmq.log",
                                 env=env, cwd=self.dir)
        self._processes.append(node)
        processes.wait_until(self._accepts_amqp, timeout=START_TIMEOUT,
                             what="RabbitMQ to accept AMQP logins",
                             interval=0.5, process=node)
        return self

    def _accepts_amqp(self):
        import amqp  # oslo.messaging's rabbit driver depends on it

        if not processes.port_open(self.host, self.port):
            return False
        connection = amqp.Connection(f"{self.host}:{self.port}",
                                     userid=USER, password=PASSWORD,
                                     connect_timeout=2)
        try:
            connection.connect()
        except (OSError, amqp.exceptions.AMQPError):
            return False
        connection.close()
        return True

    def process_groups(self):
        return {process.name: process.pid for process in self._processes}

    def stop(self):
        for process in reversed(self._processes):
            process.stop()
        self._processes.clear()
