"""heat.conf for Heat as processes: the embedded engine's, with a bus.

The base is :data:`heat_deltacloud.heat.embedded.HEAT_CONF` (the same
backend, credential passing and ``[deltacloud]`` settings the in-process
engine uses); what differs for separate processes is laid over it: the
RabbitMQ transport, the shared PostgreSQL database, notifications on the
bus, the cfn policy file, the Deltacloud URL the API filter checks
credentials with, and log levels that keep the engines' "Creating stack"
lines (they tell which engine took which stack).  Each process also gets
a small file of its own (``host`` and ``log_file``), passed after
heat.conf.

The signal plane needs every process to agree: the engines create stack
users and EC2 keys in the ``[database]`` they share with heat-api-cfn,
which verifies signed requests against them, so every process reads the
same heat.conf (one ``auth_encryption_key``, one ``connection``).  Signed
URLs name heat-api-cfn (``heat_waitcondition_server_url``), instances poll
it for metadata (``heat_metadata_server_url``), OS::Heat::ScalingPolicy's
``signal_url`` names heat-api (``[clients_heat] url``), and
``plugin_dirs`` loads the backend's resource plugins (transports checked
at validation, OS::Heat::WaitConditionHandle on CFN_SIGNAL, stored
contexts answered without Keystone).  ``[deltacloud] identity_url`` and
``[clients_keystone] auth_uri`` name the identity endpoint heat-api
serves under ``/identity`` (:mod:`heat_deltacloud.heat.identity`), so
the transports that hand instances Keystone credentials or tokens
(HEAT_SIGNAL, TOKEN_SIGNAL, POLL_SERVER_HEAT) are allowed too, and
OpenStack clients (``OS_AUTH_URL``) log in there; ``[deltacloud]
token_keys`` is one Fernet key made for the run, so every heat-api and
engine checks the same tokens.
"""

import configparser
import io
import json
import pathlib
import secrets

LOG_LEVELS = ("heat=INFO", "heat.engine.resource=WARN",
              "heat.engine.scheduler=WARN", "oslo_messaging=WARN",
              "stevedore=WARN", "oslo_db=WARN", "keystoneauth=WARN",
              "urllib3=WARN", "amqp=WARN", "kombu=WARN",
              "heat_deltacloud=INFO")

OVERRIDES = {
    "DEFAULT": {
        "transport_url": "{transport_url}",
        "num_engine_workers": "1",
        # dead engines are noticed after 3 intervals without a report
        "periodic_interval": "5",
        # the harness stops engines with SIGTERM; don't wait a minute
        "graceful_shutdown_timeout": "5",
        "use_stderr": "false",
        "default_log_levels": ",".join(LOG_LEVELS),
        "convergence_engine": "{convergence}",
        "heat_metadata_server_url": "{cfn_url}/v1",
        # the signal type replaces "/waitcondition" in it (signal_responder)
        "heat_waitcondition_server_url": "{cfn_url}/v1/waitcondition",
        # off by default in Heat; Heat's functional tests (and its own
        # gate) turn them on
        "enable_stack_abandon": "true",
        "enable_stack_adopt": "true",
    },
    "database": {"connection": "{database}"},
    # no trailing slash: Heat urljoins the stack path onto it
    "clients_heat": {"url": "{api_url}/v1/%(tenant_id)s"},
    "oslo_messaging_notifications": {"driver": "messagingv2"},
    "oslo_messaging_rabbit": {"heartbeat_timeout_threshold": "30"},
    "oslo_policy": {"policy_file": "{policy_file}"},
    # identity_url: heat-api's identity endpoint, which instances get as
    # their auth_url (HEAT_SIGNAL, TOKEN_SIGNAL, POLL_SERVER_HEAT)
    "deltacloud": {"url": "{deltacloud_url}", "poll_interval": "0.5",
                   "delete_timeout": "60",
                   "identity_url": "{api_url}/identity/v3",
                   "token_keys": "{token_key}"},
    "clients_keystone": {"auth_uri": "{api_url}/identity/v3"},
}


def write(run_dir, *, transport_url, database, deltacloud_url, cfn_url,
          api_url, convergence=True):
    """Write heat.conf (and the cfn policy) into ``run_dir``; its path."""
    # Imported here: embedded picks oslo.service's backend on import, which
    # the API processes (python -m heat_deltacloud.harness.apiserver) have
    # no use for.
    from cryptography.fernet import Fernet

    from heat_deltacloud.heat import apis, embedded, resources

    run_dir = pathlib.Path(run_dir)
    env_dir = run_dir / "environment.d"
    env_dir.mkdir(parents=True, exist_ok=True)
    policy_file = run_dir / "policy.yaml"
    policy_file.write_text(json.dumps(apis.CFN_POLICY, indent=1))
    base = embedded.HEAT_CONF.format(
        encryption_key=secrets.token_hex(16),
        metadata_url=f"{cfn_url}/v1",
        environment_dir=env_dir,
        plugin_dir=resources.PLUGIN_DIR,
        convergence=str(convergence).lower(),
        log_levels=",".join(LOG_LEVELS),
        database="unused", log_file="unused",
        api_paste=pathlib.Path(embedded.__file__).parent / "api-paste.ini")
    conf = configparser.ConfigParser(interpolation=None)
    conf.optionxform = str
    conf.read_string(base)
    values = {"transport_url": transport_url, "database": database,
              "deltacloud_url": deltacloud_url, "cfn_url": cfn_url,
              "api_url": api_url,
              "token_key": Fernet.generate_key().decode(),
              "convergence": str(convergence).lower(),
              "policy_file": policy_file}
    for section, options in OVERRIDES.items():
        if section != "DEFAULT" and not conf.has_section(section):
            conf.add_section(section)
        for name, value in options.items():
            conf.set(section, name, value.format(**values))
    for name in ("host", "log_file"):  # per process, see process_conf()
        conf.remove_option("DEFAULT", name)
    path = run_dir / "heat.conf"
    path.write_text(_render(conf))
    return path


def process_conf(run_dir, name, *, host=None):
    """The file a process reads after heat.conf: its host and log file."""
    run_dir = pathlib.Path(run_dir)
    conf = configparser.ConfigParser(interpolation=None)
    conf["DEFAULT"] = {"host": host or name,
                       "log_file": str(run_dir / "logs" / f"{name}.log")}
    path = run_dir / f"{name}.conf"
    path.write_text(_render(conf))
    return path


def _render(conf):
    out = io.StringIO()
    conf.write(out)
    return out.getvalue()
