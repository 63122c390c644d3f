"""Heat's own functional tests (heat_integrationtests) against the harness.

The tests run unmodified; only configuration changes.  They read
tempest's configuration (group ``[heat_plugin]``), written here into the
run folder, and the environment.  By default they authenticate as with
Keystone: their keystoneauth session logs in at heat-api's identity
endpoint (``auth_url`` = :attr:`Harness.identity_url`), finds heat-api in
its catalog and sends the token, which heat-api's ``deltacloud_auth``
filter verifies.  With ``token_auth=False``, ``HEAT_URL`` and
``OS_NO_CLIENT_AUTH`` make their Heat client send X-Auth-User /
X-Auth-Key instead, checked with Deltacloud on every request.  They run
under stestr, in parallel, with :data:`EXCLUDED` as its exclude list.

:data:`EXCLUDED` is the one list of what is not run, each entry with the
reason: a service Deltacloud does not provide, an admin account, a
server network, a change still needed in ``heat_deltacloud.heat``, ...
Everything else is expected to pass or to skip itself (the Swift tests
do, finding no object-store in the identity endpoint's catalog).
"""

import dataclasses
import json
import os
import pathlib
import re
import subprocess
import sys

from heat_deltacloud.harness.errors import HarnessError

PACKAGE = "heat_integrationtests"
USER, PASSWORD = "mockuser", "mockpassword"  # noqa: S105 - the mock's
RUN_TIMEOUT = 3600

#: Servers with a ``networks`` property.
_NETWORKS = ("its server asks for a network (networks: nics), which "
             "Deltacloud's instance create cannot honour (the backend "
             "refuses it rather than drop it)")

#: Regular expression (matched against test ids, as stestr does) → why it
#: is not run.  Test ids look like
#: ``heat_integrationtests.functional.test_x.Class.test_method``.
EXCLUDED = {
    r"\.test_cancel_update\.":
        "servers on a Neutron network (OS::Neutron::Net/Subnet/Port)",
    r"\.test_snapshot_restore\.":
        "servers on a Neutron network (OS::Neutron::Net/Subnet/Port)",
    r"\.test_translation\.":
        "OS::Neutron::Subnet and Net",
    r"\.test_replace_deprecated\.":
        "software deployments work, but " + _NETWORKS,
    r"\.test_keystone_user_with_domain\.":
        "creates Keystone users, projects and roles (admin Keystone)",
    r"\.test_admin_actions\.":
        "admin credentials (admin_username), which the harness has none of",
    r"\.test_conditional_exposure\.RoleBasedExposureTest":
        "admin-only resource types (Nova flavors, Cinder volume types, "
        "Neutron QoS) and the admin role",
    r"\.test_create_update\.UpdateStackTest\."
    r"test_stack_update_flavor_volume$":
        "sets the server's admin_pass, which Deltacloud's instance create "
        "has no parameter for (the backend refuses it rather than drop "
        "it)",
    r"\.test_create_update\.UpdateStackTest\."
    r"test_stack_update_with_replacing_userdata$":
        "its SOFTWARE_CONFIG server's stack user works, but " + _NETWORKS,
    r"\.test_notifications\.":
        "the test builds its bus listener from oslo.messaging's "
        "rabbit_userid/rabbit_host options, which oslo.messaging 18 no "
        "longer has (NoSuchOptError before any stack, on any backend)",
}


#: The subset CI runs (about a third of the suite's time): stacks,
#: templates and versions, parameters, outputs, environments, updates and
#: previews, nested and template resources, abandon/adopt, purge,
#: servers with images, flavors and keypairs (AWS::EC2::Instance groups),
#: and three cheap cases of the signal plane: scaling policies' stack users
#: and signed alarm URLs through an update without changes, a scaling
#: group scaled down by signals through heat-api (handled with the owner's
#: stored context), and a software deployment group deleted while its
#: deployments wait for their signals.
CI_MODULES = ("test_versionnegotiation", "test_template_versions",
              "test_immutable_parameters", "test_default_parameters",
              "test_env_merge", "test_update_restricted",
              "test_nested_get_attr", "test_resource_chain",
              "test_preview_update", "test_purge", "test_abandon_adopt",
              "test_create_update", "test_template_resource")
CI_SELECT = (r"\.(" + "|".join(CI_MODULES) + r")\."
             r"|\.test_autoscaling\.AutoscalingGroupBasicTest\."
             r"|\.test_heat_autoscaling\.AutoScalingGroupUpdateWithNoChanges\."
             r"|\.test_heat_autoscaling\.HeatAutoscalingTest\."
             r"test_asg_scale_down_min_size$"
             r"|\.test_software_deployment_group\.SoftwareDeploymentGroupTest"
             r"\.test_deployments_create_delete_in_progress$")


@dataclasses.dataclass
class Counts:
    """How a run went.  ``excluded`` counts tests skipped by
    :data:`EXCLUDED` (not run at all)."""

    run: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    excluded: int = 0
    #: test id → the last line of its traceback
    failures: dict = dataclasses.field(default_factory=dict)
    skips: dict = dataclasses.field(default_factory=dict)

    def summary(self):
        return (f"{self.run} run: {self.passed} passed, {self.failed} "
                f"failed, {self.skipped} skipped; {self.excluded} "
                "excluded")


def tests_dir():
    import heat_integrationtests

    return pathlib.Path(heat_integrationtests.__file__).parent


TEMPEST_CONF = """\
[DEFAULT]
log_file = {log_file}
use_stderr = false

[heat_plugin]
auth_url = {auth_url}
auth_version = 3
username = {user}
password = {password}
project_name = {user}
user_domain_name = Default
project_domain_name = Default
user_domain_id = default
project_domain_id = default
region = RegionOne
instance_type = m1-large
minimal_instance_type = m1-small
image_ref = img1
minimal_image_ref = img1
keypair_name = test-key
fixed_network_name = private
build_timeout = {build_timeout}
build_interval = 1
convergence_engine_enabled = {convergence}
rabbit_host = {rabbit_host}
rabbit_port = {rabbit_port}
rabbit_userid = guest
rabbit_password = guest
"""


#: What makes heat_integrationtests' Heat client skip Keystone.
NO_CLIENT_AUTH = ("OS_NO_CLIENT_AUTH", "HEAT_URL")


def write_config(harness, directory, *, build_timeout=300, token_auth=True):
    """tempest.conf for the harness; returns the environment to run with
    (see the module's docstring for ``token_auth``)."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "tempest.conf"
    conf.write_text(TEMPEST_CONF.format(
        log_file=harness.log_dir / "functional-tests.log",
        auth_url=harness.identity_url, user=USER, password=PASSWORD,
        build_timeout=build_timeout,
        convergence=str(harness.convergence).lower(),
        rabbit_host=harness.rabbitmq.host, rabbit_port=harness.rabbitmq.port))
    bin_dir = str(pathlib.Path(sys.executable).parent)
    env = {name: value for name, value in os.environ.items()
           if name not in NO_CLIENT_AUTH}
    if not token_auth:
        env.update(OS_NO_CLIENT_AUTH="True",
                   HEAT_URL=f"{harness.heat_api_url}/v1/{USER}")
    return {**env, **harness.environment(USER),
            "TEMPEST_CONFIG_DIR": str(directory),
            "TEMPEST_CONFIG": conf.name,
            # test_purge runs "heat-manage purge_deleted" with no
            # --config-file: oslo.config reads OS_<GROUP>__<OPTION>.
            "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
            "OS_DATABASE__CONNECTION": harness.database_url}


def list_tests(env, directory):
    """Every test id stestr discovers (scenarios expanded)."""
    output = _stestr(env, directory, ["list"], capture=True)
    return [line for line in output.splitlines()
            if line.startswith(PACKAGE + ".")]


def excluded_by(test_id):
    """The reason ``test_id`` is excluded, or None."""
    for pattern, reason in EXCLUDED.items():
        if re.search(pattern, test_id):
            return reason
    return None


def run(harness, *, select=None, concurrency=2, directory=None,
        token_auth=True):
    """Run the functional tests (those matching the regular expression
    ``select``, all by default) minus :data:`EXCLUDED`; :class:`Counts`.
    ``token_auth=False`` runs them with ``OS_NO_CLIENT_AUTH``.

    stestr's output and a subunit stream of the run go to the run folder.
    """
    directory = pathlib.Path(directory or harness.run_dir / "functional")
    env = write_config(harness, directory, token_auth=token_auth)
    if not (directory / ".stestr").exists():
        _stestr(env, directory, ["init"], capture=True)
    everything = list_tests(env, directory)
    chosen = [t for t in everything
              if select is None or re.search(select, t)]
    counts = Counts(excluded=sum(1 for t in chosen if excluded_by(t)))
    to_run = [t for t in chosen if not excluded_by(t)]
    if not to_run:
        return counts
    load_list = directory / "load-list.txt"
    load_list.write_text("\n".join(to_run) + "\n")
    stream = directory / "results.subunit"
    with open(stream, "wb") as out:
        _stestr(env, directory, ["run", "--subunit", "--concurrency",
                                 str(concurrency), "--load-list",
                                 str(load_list)], stdout=out)
    _count(stream, counts)
    return counts


def _stestr(env, directory, args, *, capture=False, stdout=None):
    argv = [sys.executable, "-m", "stestr", "--test-path",
            str(tests_dir() / "functional"), "--top-dir",
            str(tests_dir().parent), *args]
    log = directory / "stestr.log"
    with open(log, "ab") as errors:
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv
                argv, cwd=directory, env=env, timeout=RUN_TIMEOUT,
                stdin=subprocess.DEVNULL, stderr=errors,
                stdout=subprocess.PIPE if capture else stdout)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"stestr {args[0]} did not finish in "
                               f"{RUN_TIMEOUT}s; see {log}") from None
    if capture and done.returncode:
        raise HarnessError(f"stestr {args[0]} failed ({done.returncode}); "
                           f"see {log}")
    return done.stdout.decode() if capture else None


def _count(stream, counts):
    """Fill ``counts`` from a subunit v2 stream."""
    import subunit
    import testtools

    results = {}

    def on_test(test):
        results[test["id"]] = test
    summary = testtools.StreamToDict(on_test)
    summary.startTestRun()
    with open(stream, "rb") as handle:
        subunit.ByteStreamToStreamResult(
            handle, non_subunit_name="stdout").run(summary)
    summary.stopTestRun()
    for test_id, test in sorted(results.items()):
        if not test_id.startswith(PACKAGE):
            continue  # stestr's own stdout, not a test
        status = test["status"]
        if status == "exists":
            continue  # listed (a scenario test's parent), not run
        counts.run += 1
        if status in ("success", "xfail"):
            counts.passed += 1
        elif status == "skip":
            counts.skipped += 1
            reason = test["details"].get("reason")
            counts.skips[test_id] = (reason.as_text() if reason else "")
        else:
            counts.failed += 1
            trace = test["details"].get("traceback")
            lines = trace.as_text().strip().splitlines() if trace else []
            counts.failures[test_id] = lines[-1] if lines else status
    return counts


def write_counts(counts, path):
    pathlib.Path(path).write_text(json.dumps(dataclasses.asdict(counts),
                                             indent=1, sort_keys=True))
