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

import json
import os
import shlex
import sys
import threading
import urllib.parse

from heat_deltacloud.errors import HeatDeltacloudError
from heat_deltacloud.heat import statedirs
from heat_deltacloud.launch import credentials, source
from heat_deltacloud.launch.display import (Progress, event_line,
                                             format_addresses, pipe_safe)
from heat_deltacloud.launch.heatcfn import (HeatError, HeatServerError,
                                             StackNotFound)
from heat_deltacloud.launch.watcher import FollowTimeout

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
    launch.add_argument("--callback-url", metavar="URL", type=http_url,
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
    launch.add_argument("--ignore-unsupported-user-data",
                        action="store_true",
                        help="embedded mode: on a Deltacloud driver that "
                             "cannot take user data, boot servers without "
                             "it (heat.conf's [deltacloud] "
                             "ignore_unsupported_user_data; a remote Heat "
                             "reads it from its own heat.conf)")
    _format_option(launch)
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
        if name != "delete":
            _format_option(parser)
        parser.set_defaults(handler=_stack_named(handler))


def _stack_named(handler):
    """``handler`` with an unknown stack said as such, with what to do."""

    def run(args):
        try:
            return handler(args)
        except StackNotFound:
            user = args.user or os.environ.get(credentials.ENV_USER)
            raise HeatDeltacloudError(
                f"no stack {args.stack!r} for user {user} at "
                f"{args.heat_cfn_url}: check the name or id (stacks are "
                "per user; an embedded launch's stack ends with it)"
            ) from None
        except HeatError as exc:
            raise HeatDeltacloudError(explain_text(str(exc))) from None
    return run


def _format_option(parser):
    parser.add_argument("-f", "--format", choices=("text", "json"),
                        default="text",
                        help="json: one JSON document on stdout for "
                             "scripts (launch: progress goes to stderr)")


def http_url(text):
    """An argparse type: ``text`` if it is an http(s) URL with a host and a
    valid port (a port out of range is refused, not wrapped)."""
    import argparse

    try:
        parts = urllib.parse.urlsplit(text.strip())
        port = parts.port
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http(s) URL with a host (e.g. "
            "http://heat.example.com:8000)")
    if port == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: port 0")
    return text.strip()


def positive_seconds(text):
    """An argparse type: a finite number of seconds greater than 0."""
    import argparse
    import math

    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds greater than 0 (e.g. 600)")
    return seconds


def common_options(follow=True):
    """Options every stack command shares: where Heat and Deltacloud are,
    whose credentials, how long to wait (``follow``: for the commands that
    follow a stack)."""
    import argparse

    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    common.add_argument("--heat-cfn-url", metavar="URL", type=http_url,
                        default=os.environ.get(ENV_HEAT_CFN_URL),
                        help="heat-api-cfn's root URL (or "
                             f"${ENV_HEAT_CFN_URL})" +
                             ("; launch runs Heat embedded without one"
                              if follow else ""))
    common.add_argument("--deltacloud-url", metavar="URL", type=http_url,
                        default=os.environ.get(ENV_DELTACLOUD_URL),
                        help="Deltacloud API URL (or "
                             f"${ENV_DELTACLOUD_URL}), sent to Heat and "
                             "used to read addresses")
    common.add_argument("--user", help="Deltacloud user (or "
                        f"${credentials.ENV_USER})")
    common.add_argument("--password-file", metavar="FILE",
                        help="file whose first line is the password (or "
                             f"${credentials.ENV_PASSWORD})")
    if follow:
        common.add_argument("--timeout", type=positive_seconds,
                            default=1800,
                            help="seconds to follow a stack (default 1800)")
    return common


#: Where human-readable lines go: stdout, or stderr when stdout carries
#: a JSON document (``--format json``).
_human = None


@pipe_safe
def _say(text=""):
    print(text, file=_human or sys.stdout, flush=True)


def _json_mode(args):
    """``--format json``: human lines to stderr; True if so."""
    global _human
    json_mode = getattr(args, "format", "text") == "json"
    _human = sys.stderr if json_mode else None
    return json_mode


@pipe_safe
def _print_json(document):
    print(json.dumps(document, indent=2, sort_keys=True), flush=True)


def output_value(value):
    """An output as JSON: a map or list output (JSON text) decoded."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


def stack_document(state):
    return {"id": state.id, "name": state.name, "status": state.status,
            "reason": state.reason,
            "outputs": {k: output_value(v) for k, v in state.outputs.items()}}


def event_document(event):
    return {"resource": event.resource, "type": event.resource_type,
            "physical_id": event.physical_id, "status": event.status,
            "reason": event.reason, "timestamp": event.timestamp,
            "addresses": event.addresses}


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
        from heat_deltacloud.cli import UsageError

        raise UsageError(
            f"{args.stack!r}: give --heat-cfn-url (or ${ENV_HEAT_CFN_URL}); "
            "an embedded launch keeps nothing once it exits")
    creds = credentials.resolve(args.user, args.password_file)
    return _launcher(args, creds, args.deltacloud_url, args.heat_cfn_url,
                     list(observers))


def _callback_notifier(args):
    if not args.callback_url:
        if args.callback_secret_file:
            from heat_deltacloud.cli import UsageError

            raise UsageError("--callback-secret-file needs --callback-url")
        return None
    from heat_deltacloud.launch.callbacks import WebhookNotifier

    if args.callback_secret_file:
        secret = credentials.read_password_file(
            args.callback_secret_file, "--callback-secret-file")
    else:
        secret = os.environ.get(ENV_CALLBACK_SECRET) or None
    return WebhookNotifier(args.callback_url, secret=secret)


def run_launch(args):
    _json_mode(args)
    parameters = source.parse_parameters(args.param)
    name, template = source.load(args.file, args.mapping,
                                 wait_conditions=args.wait_conditions)
    name = args.name or name
    if args.heat_cfn_url:
        if args.ignore_unsupported_user_data:
            from heat_deltacloud.cli import UsageError

            raise UsageError(
                "--ignore-unsupported-user-data is for an embedded launch; "
                "the Heat at --heat-cfn-url reads [deltacloud] "
                "ignore_unsupported_user_data from its own heat.conf")
        creds = credentials.resolve(args.user, args.password_file)
        return _launch(args, creds, args.deltacloud_url, args.heat_cfn_url,
                       name, template, parameters, embedded=None)
    from heat_deltacloud.launch.local import MOCK_CREDENTIALS, LocalServices

    default = None if args.deltacloud_url else MOCK_CREDENTIALS
    creds = credentials.resolve(args.user, args.password_file,
                                default=default)
    if args.deltacloud_url:
        check_deltacloud(args.deltacloud_url, creds)
    # The embedded Heat's state (heat.conf with its auth_encryption_key,
    # the database holding the stored password, the log) is this
    # process's alone: made here, removed whatever ends the process.
    # Marked as this process's: a later start removes it if a SIGKILL
    # leaves it behind (heat_deltacloud.heat.statedirs).
    state_dir = str(statedirs.make())
    _say("starting Heat 27 in this process (a few seconds)...")
    try:
        options = {"ignore_unsupported_user_data": True} \
            if args.ignore_unsupported_user_data else {}
        with LocalServices(args.deltacloud_url, creds, guest=args.guest,
                           state_dir=state_dir,
                           deltacloud_options=options) as local:
            from heat_deltacloud import cli as main_cli

            # oslo.log replaced the root logger's handlers at Heat's start.
            main_cli.configure_logging(args)
            mock = ""
            if local.mock:
                mock = " (the mock, in guest mode: instances' user data " \
                    "runs on this host)" if local.guest else " (the mock)"
            _say("embedded mode: Heat 27 and heat-api-cfn at "
                 f"{local.heat_cfn_url}, Deltacloud at "
                 f"{local.deltacloud_url}{mock}")
            return _launch(args, creds, local.deltacloud_url,
                           local.heat_cfn_url, name, template, parameters,
                           embedded=local)
    finally:
        if not _stop_embedded(state_dir):
            # Heat's engine threads are not daemons: the interpreter would
            # wait for them at exit.  Nothing of theirs is worth waiting
            # for once the state directory is gone.
            args.exit_at_once = True


def check_deltacloud(url, creds):
    """Before the embedded Heat starts (seconds): that the Deltacloud at
    ``url`` answers and takes ``creds``, else one line saying which."""
    from heat_deltacloud.deltacloud import Client, exceptions

    try:
        with Client(url, creds.user, creds.password) as client:
            accepted = client.validate_credentials()
    except (exceptions.ConnectionFailed, exceptions.Timeout) as exc:
        raise HeatDeltacloudError(
            f"cannot reach Deltacloud at {url} ({exc}): check "
            f"--deltacloud-url (or ${ENV_DELTACLOUD_URL}) and that the "
            "server runs") from None
    except exceptions.DeltacloudError as exc:
        raise HeatDeltacloudError(
            f"Deltacloud at {url} did not answer its /api: {exc}; check "
            f"--deltacloud-url (or ${ENV_DELTACLOUD_URL})") from None
    if not accepted:
        raise HeatDeltacloudError(
            f"Deltacloud at {url} rejected the credentials of user "
            f"{creds.user}: check --user and --password-file (or "
            f"${credentials.ENV_USER} and ${credentials.ENV_PASSWORD})")


#: Seconds the embedded engine gets to stop (oslo.messaging's listener
#: alone waits about 4 s; a resource still in progress holds it until its
#: own timeout): past that the process exits without it.
SHUTDOWN_WAIT = 1.0


def _stop_embedded(state_dir):
    """Stop the embedded Heat (bounded by :data:`SHUTDOWN_WAIT`) and remove
    its state directory; Ctrl-C and SIGTERM wait meanwhile.  Whether the
    engine stopped."""
    import shutil
    import signal

    masked = _mask_signals(signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    try:
        # Not imported here: Ctrl-C or SIGTERM in a launch's first second
        # interrupts its first import, and importing it again fails (a
        # half-imported module); before, the empty state directory stayed
        # in TMPDIR.  Not imported, it started no engine.
        embedded = sys.modules.get("heat_deltacloud.heat.embedded")
        if embedded is None:
            return True
        stopper = threading.Thread(target=embedded.shutdown, daemon=True,
                                   name="embedded-heat-shutdown")
        stopper.start()
        stopper.join(SHUTDOWN_WAIT)
        return not stopper.is_alive()
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
        _restore_signals(masked)


def _mask_signals(*signums):
    import signal

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, signal.SIG_IGN)
            for signum in signums}


def _restore_signals(previous):
    import signal

    for signum, handler in previous.items():
        signal.signal(signum, handler)


class _Seen:
    """An observer keeping each resource's latest event: what an ended
    launch knows of its resources when Heat can no longer be asked."""

    def __init__(self):
        self.events = {}
        #: Heat accepted the stack: following it has begun.
        self.following = False

    def started(self, action, stack_name, total):
        self.following = True

    def resource_changed(self, event):
        if not event.status.startswith("SIGNAL_"):
            self.events[event.resource] = event


def _launch(args, creds, deltacloud_url, heat_cfn_url, name, template,
            parameters, *, embedded):
    """Launch and report; ``embedded``: the
    :class:`~heat_deltacloud.launch.local.LocalServices` in embedded mode,
    whose stack must not outlive this process."""
    json_mode = _json_mode(args)
    progress = Progress(_human)
    seen = _Seen()
    notifier = _callback_notifier(args)
    observers = [progress, seen] + ([notifier] if notifier else [])
    launcher = _launcher(args, creds, deltacloud_url, heat_cfn_url,
                         observers)
    document = {}
    refused = False  # CreateStack refused: there is no stack to delete
    try:
        try:
            try:
                outcome = launcher.launch(name, template, parameters,
                                          rollback=args.rollback)
            except HeatError as exc:
                refused = exc.action == "CreateStack" and \
                    not isinstance(exc, HeatServerError)
                raise HeatDeltacloudError(
                    explain(exc, args, name, launcher)) from None
            progress.finish()
            addresses = _report(outcome, launcher)
            document.update(_launch_document(outcome, addresses))
            if embedded is not None and embedded.guest_output:
                _report_guests(outcome, embedded.guest_output)
        except (HeatDeltacloudError, KeyboardInterrupt) as exc:
            if embedded is not None and not refused:
                _abandon(launcher, progress, name, seen, embedded, exc)
            elif embedded is None and seen.following:
                progress.finish()
                _say("")
                _say(f"stack {name} goes on in Heat at {heat_cfn_url}; "
                     "this command only stopped following it.  See it "
                     f"with: {stack_command(args, 'status', name)}")
                _say(f"delete it with: {delete_command(args, name)}")
            raise
        if embedded is not None:
            outcome, deleted = _end_embedded(args, launcher, progress,
                                             outcome, seen, embedded)
            document["deleted"] = _delete_document(deleted)
        elif not outcome.ok:
            _say(f"delete it with: {delete_command(args, name)}")
    finally:
        progress.finish()
        if notifier is not None:
            notifier.close()
            _say(f"callbacks: {notifier.summary()}")
            document["callbacks"] = {"delivered": notifier.delivered,
                                     "failed": notifier.failed,
                                     "not_sent": notifier.not_sent}
    if json_mode:
        document["ok"] = outcome.ok
        _print_json(document)
    return 0 if outcome.ok else 1


def delete_command(args, name):
    """``heat-deltacloud delete NAME`` with the options this command was
    given (URLs, user, password file; never a password)."""
    return stack_command(args, "delete", name)


def stack_command(args, command, name):
    """``heat-deltacloud COMMAND NAME`` with the options this command was
    given (URLs, user, password file; never a password)."""
    words = ["heat-deltacloud", command, name]
    for option, value in (("--heat-cfn-url", args.heat_cfn_url),
                          ("--deltacloud-url", args.deltacloud_url),
                          ("--user", args.user),
                          ("--password-file", args.password_file)):
        if value and not (option.endswith("-url") and os.environ.get(
                ENV_HEAT_CFN_URL if "heat" in option
                else ENV_DELTACLOUD_URL) == value):
            words += [option, value]
    return " ".join(shlex.quote(str(word)) for word in words)


def explain(exc, args, name, launcher=None):
    """A refusal of Heat's, with what to do about it."""
    if exc.code == "AlreadyExists":
        return (f"a stack named {name} already exists: give another "
                f"--name, or delete it with: {delete_command(args, name)}")
    return explain_text(str(exc), launcher.deltacloud if launcher else None)


def explain_text(text, deltacloud=None):
    """Heat's message ``text``, with what to do where it can be told: the
    closest known resource types, the images of ``deltacloud``."""
    import difflib
    import re

    found = re.search(r"The Resource Type \((.+?)\) could not be found",
                      text)
    if found:
        from heat_deltacloud.heat.capabilities import RESOURCE_TYPES

        close = difflib.get_close_matches(found[1], sorted(RESOURCE_TYPES),
                                          3, cutoff=0.85)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        return f"Heat knows no resource type {found[1]}{hint}"
    found = re.search(r"Service (\S+) is not available for resource type "
                      r"(\S+), reason: (.*)", text, re.DOTALL)
    if found:
        # Heat's API calls this an internal error; it is the template's.
        return (f"resource type {found[2]} cannot be used here (Heat's "
                f"{found[1]} service): {found[3].strip()}")
    if "no Deltacloud URL is configured" in text:
        return (f"{text.rstrip('.')}: this Heat has no [deltacloud] url; "
                f"give --deltacloud-url (or ${ENV_DELTACLOUD_URL})")
    if "Deltacloud rejected the credentials" in text:
        return (f"{text.rstrip('.')}: check --user and --password-file "
                f"(or ${credentials.ENV_USER} and "
                f"${credentials.ENV_PASSWORD})")
    found = re.search(r"The Parameter \((.+?)\) was not provided", text)
    if found:
        return (f"parameter {found[1]} needs a value: give --param "
                f"{found[1]}=VALUE (or a default in the template)")
    found = re.search(r"(\S+): Error validating value '(.*?)': No images "
                      r"matching", text)
    if found and deltacloud is not None:
        try:
            images = sorted(i.id for i in deltacloud.images.list())
        except HeatDeltacloudError:
            images = []
        if images:
            return (f"{found[1]}: no image {found[2]!r} on Deltacloud; "
                    f"its images: {', '.join(images)}")
    return text


def _launch_document(outcome, addresses):
    failure = outcome.failure
    return {"stack": stack_document(outcome.stack),
            "failure": event_document(failure) if failure else None,
            "instances": [{"resource": e.resource,
                           "status": e.status,
                           "physical_id": e.physical_id,
                           "addresses": addresses.get(e.resource)}
                          for e in outcome.instances]}


def _delete_document(deleted):
    return {"status": deleted.stack.status,
            "leftovers": [{"resource": left.resource,
                           "physical_id": left.physical_id,
                           "detail": left.detail}
                          for left in deleted.leftovers]}


def _end_embedded(args, launcher, progress, outcome, seen, local):
    """An embedded stack lives as long as this process: keep or delete.
    ``(outcome deciding the exit status, the delete's outcome)``."""
    if args.keep:
        _say(f"keeping stack {outcome.stack.name}; Ctrl-C ends it.  In "
             "another terminal:")
        _say("  " + _keep_command(outcome.stack.name, launcher, local))
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            _say("")
    try:
        deleted = launcher.delete(outcome.stack.id)
    except (HeatDeltacloudError, KeyboardInterrupt) as exc:
        progress.finish()
        _say("")
        _say(f"stack {outcome.stack.name} not deleted: "
             f"{_why_not(exc)}")
        _report_left(launcher, outcome.stack.id, seen, local)
        raise
    progress.finish()
    _report_delete(deleted)
    if deleted.leftovers:
        _report_left(launcher, outcome.stack.id, seen, local)
    # The launch's outcome decides the exit status; a delete that left
    # something behind fails it too.
    return (outcome if not deleted.leftovers else deleted), deleted


def _keep_command(name, launcher, local):
    """The ``status`` command line for a kept embedded stack, with a
    password file written in the state directory (it goes with it)."""
    creds = launcher.heat.credentials
    words = ["heat-deltacloud", "status", name, "--heat-cfn-url",
             local.heat_cfn_url, "--deltacloud-url", local.deltacloud_url,
             "--user", creds.user]
    if local.state_dir:
        path = os.path.join(local.state_dir, "password")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                             0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(creds.password + "\n")
        words += ["--password-file", path]
    return " ".join(shlex.quote(word) for word in words)


def _why_not(exc):
    if isinstance(exc, KeyboardInterrupt):
        signame = _signal_name(exc)
        return f"terminated ({signame})" if signame else "interrupted"
    return str(exc)


def _signal_name(exc):
    """``SIGTERM`` (or ``SIGHUP``) for the termination ``exc`` raised by
    such a signal; None for Ctrl-C and for errors."""
    import signal

    signum = getattr(exc, "signum", None)
    return signal.Signals(signum).name if signum else None


def _abandon_line(name, cause):
    """What an ended embedded launch says as it deletes its stack, in the
    words of what ended it: only after Ctrl-C does another Ctrl-C stop the
    wait (another SIGTERM does too; a timeout is nobody's keystroke)."""
    why = f"waiting up to {ABANDON_TIMEOUT} s; an embedded stack does not " \
        "outlive this process"
    if isinstance(cause, KeyboardInterrupt):
        signame = _signal_name(cause)
        if signame:
            return (f"launch of {name} terminated ({signame}); deleting its "
                    f"stack ({why}; {signame} again stops waiting)")
        return (f"launch of {name} ended early; deleting its stack (an "
                "embedded stack does not outlive this process; Ctrl-C again "
                "stops waiting)")
    if isinstance(cause, FollowTimeout):
        return f"launch of {name} timed out; deleting its stack ({why})"
    return f"launch of {name} failed; deleting its stack ({why})"


#: Seconds an interrupted or timed-out embedded launch waits for its stack's
#: delete.
ABANDON_TIMEOUT = 60


def _abandon(launcher, progress, name, seen, local, cause):
    """Delete an embedded stack whose launch did not end (a timeout, an
    error, Ctrl-C or SIGTERM): the stack does not outlive this process,
    and Heat's engine only stops once no resource is in progress (a wait
    condition waits up to its Timeout).  The delete is bounded by
    :data:`ABANDON_TIMEOUT`; a second Ctrl-C (or SIGTERM) stops waiting
    for it.  Whatever it did not delete is listed, with how to remove
    it.  ``cause``: what ended the launch."""
    progress.finish()
    options = launcher.follow_options
    launcher.follow_options = {**options, "timeout": ABANDON_TIMEOUT}
    stack_id = None
    try:
        stack_id = launcher.heat.describe_stack(name)["StackId"]
        _say("")
        _say(_abandon_line(name, cause))
        deleted = launcher.delete(stack_id)
        progress.finish()
        _report_delete(deleted)
        if not deleted.leftovers:
            return
    except StackNotFound:
        return  # never created: the error says why
    except (HeatDeltacloudError, KeyboardInterrupt) as exc:
        progress.finish()
        _say("")
        _say(f"stack {name} not deleted: {_why_not(exc)}")
    finally:
        launcher.follow_options = options
        progress.finish()
    _report_left(launcher, stack_id, seen, local)


#: Deltacloud collections holding what Heat's resources make, by type, and
#: the requests that remove one (after ``stop`` an instance is destroyed).
CLOUD_RESOURCES = {
    "AWS::EC2::Instance": ("instances", ("POST {id}/stop", "DELETE {id}")),
    "OS::Nova::Server": ("instances", ("POST {id}/stop", "DELETE {id}")),
    "AWS::EC2::EIP": ("addresses", ("POST {id}/disassociate",
                                    "DELETE {id}")),
    "OS::Nova::FloatingIP": ("addresses", ("POST {id}/disassociate",
                                           "DELETE {id}")),
    "OS::Neutron::FloatingIP": ("addresses", ("POST {id}/disassociate",
                                              "DELETE {id}")),
    "AWS::EC2::Volume": ("storage_volumes", ("POST {id}/detach",
                                             "DELETE {id}")),
    "OS::Cinder::Volume": ("storage_volumes", ("POST {id}/detach",
                                               "DELETE {id}")),
    "OS::Nova::KeyPair": ("keys", ("DELETE {id}",)),
    "AWS::EC2::SecurityGroup": ("firewalls", ("DELETE {id}",)),
}


def _left_on_cloud(launcher, stack_id, seen):
    """``[(resource, type, physical id)]`` of what the stack may have left
    on Deltacloud: from Heat when it still answers, else from the events
    seen; instances Deltacloud no longer has are left out."""
    rows = {e.resource: (e.resource_type, e.physical_id, e.status)
            for e in seen.events.values()}
    if stack_id is not None:
        try:
            for row in launcher.heat.stack_resources(stack_id):
                rows[row["LogicalResourceId"]] = (
                    row.get("ResourceType"), row.get("PhysicalResourceId"),
                    row.get("ResourceStatus"))
        except HeatDeltacloudError:
            pass  # what was seen stands
    left = []
    for resource, (kind, physical_id, status) in sorted(rows.items()):
        if kind not in CLOUD_RESOURCES or not physical_id or \
                status == "DELETE_COMPLETE":
            continue
        if CLOUD_RESOURCES[kind][0] == "instances" and \
                launcher.deltacloud is not None and \
                not _instance_exists(launcher.deltacloud, physical_id):
            continue
        left.append((resource, kind, physical_id))
    return left


def _instance_exists(deltacloud, physical_id):
    from heat_deltacloud.deltacloud import exceptions

    try:
        deltacloud.instances.get(physical_id)
    except exceptions.NotFound:
        return False
    except exceptions.DeltacloudError:
        return True  # cannot tell: list it
    return True


def _report_left(launcher, stack_id, seen, local):
    """Say exactly what an embedded stack that was not deleted leaves on
    Deltacloud, and how to remove it (the embedded Heat that knew it ends
    with this process).  Ctrl-C and SIGTERM wait meanwhile."""
    import signal

    if local.mock is not None:
        _say("nothing is left: the embedded mock Deltacloud ends with this "
             "process")
        return
    masked = _mask_signals(signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    try:
        left = _left_on_cloud(launcher, stack_id, seen)
    finally:
        _restore_signals(masked)
    url = local.deltacloud_url.rstrip("/")
    user = launcher.heat.credentials.user
    if not left:
        _say(f"nothing known to be left on Deltacloud at {url}")
        return
    _say(f"left on Deltacloud at {url} (user {user}); the embedded Heat "
         "that made them ends with this process:")
    for resource, kind, physical_id in left:
        _say(f"  {resource} ({kind}): {physical_id}")
    _say("remove them with (curl asks for the password):")
    for _, kind, physical_id in left:
        collection, requests = CLOUD_RESOURCES[kind]
        for request in requests:
            method, _, path = request.partition(" ")
            path = path.format(id=urllib.parse.quote(physical_id, safe=""))
            _say(f"  curl -u {shlex.quote(user)} -X {method} "
                 f"{shlex.quote(f'{url}/{collection}/{path}')}")


def _report(outcome, launcher=None):
    """The launch's summary.  Each instance's addresses are read again
    (an address associated after the instance completed, by an
    EIPAssociation, shows only now)."""
    state = outcome.stack
    _say(f"stack {state.name}: {state.status}")
    if not state.succeeded:
        failure = outcome.failure
        if failure is not None:
            _say(f"  failed: {failure.resource} ({failure.resource_type}): "
                 f"{failure.reason}")
        elif state.reason:
            _say(f"  reason: {state.reason}")
    current = launcher.current_addresses(outcome) if launcher else {}
    for event in outcome.instances:
        addresses = current.get(event.resource, event.addresses)
        current[event.resource] = addresses
        if event.status.endswith("_FAILED"):
            # Heat gives a server that failed before it had an instance
            # its own name for a physical id: no instance id to show.
            where = f", {format_addresses(addresses)}" if addresses else ""
            _say(f"  instance {event.resource}: {event.status}{where}")
            continue
        where = format_addresses(addresses) if addresses \
            else "no address known"
        _say(f"  instance {event.resource} {event.physical_id or '-'}: "
             f"{where}")
    if state.succeeded:  # a failed stack's outputs mean nothing
        for key, value in sorted(state.outputs.items()):
            _say(f"  output {key} = {value}")
    return current


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
    json_mode = _json_mode(args)
    launcher = _remote(args)
    heat = launcher.heat
    state = _state(heat.describe_stack(args.stack))
    resources = heat.stack_resources(state.id)
    rows = []
    for row in resources:
        addresses = launcher.addresses(row.get("PhysicalResourceId")) \
            if _is_instance(row) else None
        rows.append({"resource": row["LogicalResourceId"],
                     "type": row.get("ResourceType"),
                     "physical_id": row.get("PhysicalResourceId") or None,
                     "status": row["ResourceStatus"],
                     "reason": row.get("ResourceStatusReason"),
                     "addresses": addresses})
    if json_mode:
        _print_json({"stack": stack_document(state), "resources": rows})
        return 0 if state.succeeded else 1
    _say(f"stack {state.name}: {state.status}"
         + (f" ({state.reason})" if state.reason else ""))
    for row in rows:
        line = (f"  {row['resource']:<16} {row['status']:<18}"
                f" {row['type'] or ''}")
        if row["addresses"]:
            line += "  " + format_addresses(row["addresses"])
        _say(line)
    if state.succeeded:  # a failed stack's outputs mean nothing
        for key, value in sorted(state.outputs.items()):
            _say(f"  output {key} = {value}")
    return 0 if state.succeeded else 1


def run_events(args):
    from heat_deltacloud.launch.watcher import Watcher

    json_mode = _json_mode(args)
    launcher = _remote(args)
    stack_id = _state(launcher.heat.describe_stack(args.stack)).id
    events = []
    watcher = Watcher(launcher.heat, stack_id, addresses=launcher.addresses,
                      on_event=events.append)
    state, _ = watcher.poll()
    if json_mode:
        _print_json({"stack": stack_document(state),
                     "events": [event_document(e) for e in events],
                     "complete": launcher.heat.lists_events})
        return 0
    for event in events:
        _say(event_line(event))
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
