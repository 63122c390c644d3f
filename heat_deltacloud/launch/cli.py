"""``heat-deltacloud launch | status | events | delete``.

``launch`` submits a Deployable (translated) or a template to heat-api-cfn
and follows the stack, printing each resource event and a progress bar,
then the stack's status, every instance's addresses and the outputs, or
the reason of the resource that failed.  Without ``--heat-cfn-url`` it runs
embedded: Heat in this process and, without ``--deltacloud-url``, the mock
Deltacloud too, in guest mode: it RUNS EACH INSTANCE'S USER DATA ON THIS
HOST, so that a deployable's services run and signal their wait conditions
(``--no-guest`` turns that off).  The stack is deleted before the command
exits, unless ``--keep`` keeps everything serving until Ctrl-C.

Credentials: ``--user`` or $DELTACLOUD_USERNAME, ``--password-file`` or
$DELTACLOUD_PASSWORD; never a password on the command line.
"""

import os
import threading

from heat_deltacloud.errors import HeatDeltacloudError
from heat_deltacloud.launch import credentials, source
from heat_deltacloud.launch.display import (Progress, event_line,
                                             format_addresses)

ENV_HEAT_CFN_URL = "HEAT_CFN_URL"
ENV_DELTACLOUD_URL = "DELTACLOUD_URL"
ENV_CALLBACK_SECRET = "HEAT_DELTACLOUD_CALLBACK_SECRET"  # noqa: S105


def register(subparsers):
    common = common_options()
    launch = subparsers.add_parser(
        "launch", parents=[common],
        help="launch a deployable or template on Heat and follow it",
        description=__doc__.split("\n\n")[1])
    launch.add_argument("file", metavar="FILE",
                        help="an Aeolus Deployable (XML) or a CFN/HOT "
                             "template (JSON or YAML)")
    launch.add_argument("--name", help="stack name (default: the "
                        "deployable's name or the file's)")
    launch.add_argument("--param", action="append", default=[],
                        metavar="KEY=VALUE", help="a template parameter")
    launch.add_argument("--mapping", metavar="FILE",
                        help="a deployable's hardware profile and image "
                             "mapping (JSON)")
    launch.add_argument("--no-wait-conditions", dest="wait_conditions",
                        action="store_false",
                        help="a deployable's instances cannot reach "
                             "heat-api-cfn: translate it without wait "
                             "conditions (nothing waits for their services)")
    launch.add_argument("--callback-url", metavar="URL",
                        help="POST each stack and resource change here")
    launch.add_argument("--callback-secret-file", metavar="FILE",
                        help="sign callbacks with the secret in FILE "
                             f"(or ${ENV_CALLBACK_SECRET})")
    launch.add_argument("--rollback", action="store_true",
                        help="let Heat roll a failed create back")
    launch.add_argument("--keep", action="store_true",
                        help="embedded mode: keep the stack and the "
                             "embedded services running until Ctrl-C")
    launch.add_argument("--no-guest", dest="guest", action="store_false",
                        help="embedded mock: do not run the instances' "
                             "user data on this host (nothing then signals "
                             "a deployable's wait conditions: add "
                             "--no-wait-conditions)")
    launch.set_defaults(handler=run_launch)
    for name, handler, text in (
            ("status", run_status, "show a stack, its resources and "
                                   "outputs"),
            ("events", run_events, "list a stack's events"),
            ("delete", run_delete, "delete a stack, wait, report "
                                   "leftovers")):
        parser = subparsers.add_parser(name, parents=[common], help=text,
                                       description=text)
        parser.add_argument("stack", metavar="NAME", help="stack name or id")
        parser.set_defaults(handler=handler)


def common_options():
    """Options every stack command shares: where Heat and Deltacloud are,
    whose credentials, how long to wait."""
    import argparse

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--heat-cfn-url", metavar="URL",
                        default=os.environ.get(ENV_HEAT_CFN_URL),
                        help="heat-api-cfn's root URL (or "
                             f"${ENV_HEAT_CFN_URL}); launch runs Heat "
                             "embedded without one")
    common.add_argument("--deltacloud-url", metavar="URL",
                        default=os.environ.get(ENV_DELTACLOUD_URL),
                        help="Deltacloud API URL (or "
                             f"${ENV_DELTACLOUD_URL}), sent to Heat and "
                             "used to read addresses")
    common.add_argument("--user", help="Deltacloud user (or "
                        f"${credentials.ENV_USER})")
    common.add_argument("--password-file", metavar="FILE",
                        help="file whose first line is the password (or "
                             f"${credentials.ENV_PASSWORD})")
    common.add_argument("--timeout", type=float, default=1800,
                        help="seconds to follow a stack (default 1800)")
    return common


def _say(text=""):
    print(text, flush=True)


def _launcher(args, creds, deltacloud_url, heat_cfn_url, observers):
    from heat_deltacloud.deltacloud import Client
    from heat_deltacloud.launch.heatcfn import HeatCfn
    from heat_deltacloud.launch.launcher import Launcher

    heat = HeatCfn(heat_cfn_url, creds, deltacloud_url)
    deltacloud = Client(deltacloud_url, creds.user, creds.password) \
        if deltacloud_url else None
    return Launcher(heat, deltacloud=deltacloud, observers=observers,
                    timeout=args.timeout)


def _remote(args, observers=()):
    if not args.heat_cfn_url:
        raise HeatDeltacloudError(
            f"{args.stack!r}: give --heat-cfn-url (or ${ENV_HEAT_CFN_URL}); "
            "an embedded launch keeps nothing once it exits")
    creds = credentials.resolve(args.user, args.password_file)
    return _launcher(args, creds, args.deltacloud_url, args.heat_cfn_url,
                     list(observers))


def _callback_notifier(args):
    if not args.callback_url:
        if args.callback_secret_file:
            raise HeatDeltacloudError("--callback-secret-file needs "
                                      "--callback-url")
        return None
    from heat_deltacloud.launch.callbacks import WebhookNotifier

    if args.callback_secret_file:
        secret = credentials.read_password_file(args.callback_secret_file)
    else:
        secret = os.environ.get(ENV_CALLBACK_SECRET) or None
    return WebhookNotifier(args.callback_url, secret=secret)


def run_launch(args):
    parameters = source.parse_parameters(args.param)
    name, template = source.load(args.file, args.mapping,
                                 wait_conditions=args.wait_conditions)
    name = args.name or name
    if args.heat_cfn_url:
        creds = credentials.resolve(args.user, args.password_file)
        return _launch(args, creds, args.deltacloud_url, args.heat_cfn_url,
                       name, template, parameters, embedded=False)
    from heat_deltacloud.heat import embedded
    from heat_deltacloud.launch.local import MOCK_CREDENTIALS, LocalServices

    default = None if args.deltacloud_url else MOCK_CREDENTIALS
    creds = credentials.resolve(args.user, args.password_file,
                                default=default)
    try:
        with LocalServices(args.deltacloud_url, creds,
                           guest=args.guest) as local:
            mock = ""
            if local.mock:
                mock = " (the mock, in guest mode: instances' user data " \
                    "runs on this host)" if local.guest else " (the mock)"
            _say("embedded mode: Heat 27 and heat-api-cfn at "
                 f"{local.heat_cfn_url}, Deltacloud at "
                 f"{local.deltacloud_url}{mock}")
            return _launch(args, creds, local.deltacloud_url,
                           local.heat_cfn_url, name, template, parameters,
                           embedded=True, guest=local.guest_output)
    finally:
        embedded.shutdown()


def _launch(args, creds, deltacloud_url, heat_cfn_url, name, template,
            parameters, *, embedded, guest=None):
    progress = Progress()
    notifier = _callback_notifier(args)
    observers = [progress] + ([notifier] if notifier else [])
    launcher = _launcher(args, creds, deltacloud_url, heat_cfn_url,
                         observers)
    try:
        try:
            outcome = launcher.launch(name, template, parameters,
                                      rollback=args.rollback)
        except (HeatDeltacloudError, KeyboardInterrupt):
            if embedded:
                _abandon(launcher, progress, name)
            raise
        progress.finish()
        _report(outcome)
        if guest is not None:
            _report_guests(outcome, guest)
        if embedded:
            outcome = _end_embedded(args, launcher, progress, outcome,
                                    heat_cfn_url, deltacloud_url)
        elif not outcome.ok:
            _say(f"delete it with: heat-deltacloud delete {name}")
    finally:
        progress.finish()
        if notifier is not None:
            notifier.close()
            _say(f"callbacks: {notifier.delivered} delivered, "
                 f"{notifier.failed} failed")
    return 0 if outcome.ok else 1


def _end_embedded(args, launcher, progress, outcome, heat_cfn_url,
                  deltacloud_url):
    """An embedded stack lives as long as this process: keep or delete."""
    if args.keep:
        _say(f"keeping stack {outcome.stack.name}; in another terminal: "
             f"heat-deltacloud status {outcome.stack.name} "
             f"--heat-cfn-url {heat_cfn_url} --deltacloud-url "
             f"{deltacloud_url} --user {launcher.heat.credentials.user} "
             "(and the same password); Ctrl-C ends it")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            _say("")
    deleted = launcher.delete(outcome.stack.id)
    progress.finish()
    _report_delete(deleted)
    # The launch's outcome decides the exit status; a delete that left
    # something behind fails it too.
    return outcome if not deleted.leftovers else deleted


#: Seconds an interrupted or timed-out embedded launch waits for its stack's
#: delete.
ABANDON_TIMEOUT = 60


def _abandon(launcher, progress, name):
    """Delete an embedded stack whose launch did not end (a timeout, an
    error, Ctrl-C): Heat's engine only stops once no resource is in
    progress (a wait condition waits up to its Timeout), and the stack
    would not outlive this process anyway.  A second Ctrl-C is ignored
    meanwhile; the delete is bounded by :data:`ABANDON_TIMEOUT`."""
    import signal

    from heat_deltacloud.launch.heatcfn import StackNotFound

    progress.finish()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    options = launcher.follow_options
    launcher.follow_options = {**options, "timeout": ABANDON_TIMEOUT}
    try:
        stack_id = launcher.heat.describe_stack(name)["StackId"]
        _say("")
        _say(f"launch of {name} ended early; deleting its stack (an "
             "embedded stack does not outlive this process)")
        _report_delete(launcher.delete(stack_id))
    except StackNotFound:
        pass  # never created: the error says why
    except HeatDeltacloudError as exc:
        _say(f"stack {name} not deleted: {exc}")
    finally:
        launcher.follow_options = options
        progress.finish()
        signal.signal(signal.SIGINT, previous)


def _report(outcome):
    state = outcome.stack
    _say(f"stack {state.name}: {state.status}")
    if not state.succeeded:
        failure = outcome.failure
        if failure is not None:
            _say(f"  failed: {failure.resource} ({failure.resource_type}): "
                 f"{failure.reason}")
        elif state.reason:
            _say(f"  reason: {state.reason}")
    for event in outcome.instances:
        where = format_addresses(event.addresses) if event.addresses \
            else "no address known"
        _say(f"  instance {event.resource} {event.physical_id or '-'}: "
             f"{where}")
    for key, value in sorted(state.outputs.items()):
        _say(f"  output {key} = {value}")


def _report_guests(outcome, guest_output):
    """What each instance's services printed, in embedded guest mode."""
    for event in outcome.instances:
        found = guest_output(event.physical_id) if event.physical_id \
            else None
        if found is None:
            continue
        status, lines = found
        _say(f"  guest {event.resource} ({status}):")
        for line in lines:
            _say(f"    {line}")


def _report_delete(outcome):
    _say(f"stack {outcome.stack.name}: {outcome.stack.status}; "
         f"left behind: {len(outcome.leftovers)}")
    for left in outcome.leftovers:
        _say(f"  {left.resource} {left.physical_id or '-'}: {left.detail}")


def run_status(args):
    launcher = _remote(args)
    heat = launcher.heat
    state = _state(heat.describe_stack(args.stack))
    resources = heat.stack_resources(state.id)
    _say(f"stack {state.name}: {state.status}"
         + (f" ({state.reason})" if state.reason else ""))
    for row in resources:
        line = (f"  {row['LogicalResourceId']:<16} {row['ResourceStatus']:<18}"
                f" {row.get('ResourceType') or ''}")
        addresses = launcher.addresses(row.get("PhysicalResourceId")) \
            if _is_instance(row) else None
        if addresses:
            line += "  " + format_addresses(addresses)
        _say(line)
    for key, value in sorted(state.outputs.items()):
        _say(f"  output {key} = {value}")
    return 0 if state.succeeded else 1


def run_events(args):
    from heat_deltacloud.launch.watcher import Watcher

    launcher = _remote(args)
    stack_id = _state(launcher.heat.describe_stack(args.stack)).id
    watcher = Watcher(launcher.heat, stack_id, addresses=launcher.addresses,
                      on_event=lambda event: _say(event_line(event)))
    state, _ = watcher.poll()
    if not launcher.heat.lists_events:
        _say("(this Heat cannot list events: shown is each resource's "
             "latest status)")
    _say(f"stack {state.name}: {state.status}")
    return 0


def run_delete(args):
    progress = Progress()
    launcher = _remote(args, [progress])
    outcome = launcher.delete(args.stack)
    progress.finish()
    _report_delete(outcome)
    return 0 if outcome.ok else 1


def _state(described):
    from heat_deltacloud.launch.watcher import StackState

    return StackState.from_cfn(described)


def _is_instance(row):
    from heat_deltacloud.launch.watcher import INSTANCE_TYPES

    return row.get("ResourceType") in INSTANCE_TYPES and \
        row.get("PhysicalResourceId")
