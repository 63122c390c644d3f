"""``heat-deltacloud``: one command, a sub-command per part of the package.

Each module in :data:`SUBCOMMAND_MODULES` exposes ``register(subparsers)``,
which adds its sub-command(s) and sets ``handler`` on them.  A handler takes
the parsed arguments and returns an exit status; it raises
:class:`~heat_deltacloud.errors.HeatDeltacloudError` for expected failures.

Ctrl-C, SIGTERM and SIGHUP end the command with one line and exit status
128 + the signal's number (130, 143, 129) from the first statements of this
module on; only the interpreter's own start-up comes before.
"""

import os
import signal
import sys


def interruption(signum):
    """What the command says when the signal ``signum`` ends it, and its
    exit status."""
    if signum == signal.SIGINT:
        line = "heat-deltacloud: interrupted"
    else:
        line = f"heat-deltacloud: terminated ({signal.Signals(signum).name})"
    return line, 128 + signum


#: The signals that end the command: each one's handler when the command
#: runs, before main() (which makes them exceptions).
ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _exit_at_once(signum, frame):
    """The command's handler outside main(): as this module and its
    imports load (where an exception would end as the import's traceback)
    and once main() has returned.  Neither time has anything to clean up
    but the output written so far."""
    line, status = interruption(signum)
    try:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, OSError, RuntimeError, ValueError):
                pass  # none, closed, or in the middle of a write
        os.write(2, line.encode() + b"\n")
    finally:
        os._exit(status)


def _as_the_command():
    """Whether this process is ``heat-deltacloud`` (the console script, or
    ``python -m heat_deltacloud.cli``), not a program importing this."""
    argv = getattr(sys, "argv", None) or [""]
    return __name__ == "__main__" or \
        os.path.basename(argv[0]) == "heat-deltacloud"


if _as_the_command():
    for _signum in ENDING_SIGNALS:
        if signal.getsignal(_signum) is not signal.SIG_IGN:  # nohup keeps it
            signal.signal(_signum, _exit_at_once)

import argparse  # noqa: E402
import importlib  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402
import warnings  # noqa: E402

from heat_deltacloud import __version__  # noqa: E402
from heat_deltacloud.errors import HeatDeltacloudError  # noqa: E402

SUBCOMMAND_MODULES = (
    "heat_deltacloud.launch.cli",
    "heat_deltacloud.launch.reconcile",
    "heat_deltacloud.launch.validation",
    "heat_deltacloud.doctor",
    "heat_deltacloud.deployable.cli",
)


#: Words in an option's name that make its value a secret, never echoed
#: in an error (``--password``, ``--secret``, ``--token``, ``--key``...).
SECRET_WORDS = re.compile(r"pass|secret|token|key|cred", re.IGNORECASE)


def redact(arguments):
    """``arguments`` for an error message, with the value of any option
    whose name looks secret (the next word, or what follows ``=``)
    replaced by ``***``; a ``*-file`` option's value is a path, kept."""
    shown, hide_next = [], False
    for argument in arguments:
        if hide_next:
            shown.append("***")
            hide_next = False
            continue
        name, sep, _ = argument.partition("=")
        secret = name.startswith("-") and SECRET_WORDS.search(name) and \
            not name.endswith("-file")
        if secret and sep:
            shown.append(f"{name}=***")
        else:
            shown.append(argument)
            hide_next = bool(secret)
    return shown


def plain(text):
    """Docstring text for ``--help``: reStructuredText's ````literal````
    and ``:role:`~a.b.name``` markup dropped."""
    text = re.sub(r":\w+:`~?(?:[\w.]*\.)?([^`]+)`", r"\1", text)
    return re.sub(r"``([^`]+)``", r"\1", text)


class UsageError(HeatDeltacloudError):
    """A command-line mistake found after parsing (a value in the wrong
    form, options that do not go together): exit status 2."""


class Parser(argparse.ArgumentParser):
    """No option abbreviations (``--password`` is not ``--password-file``),
    and no secret echoed in the error about an unknown argument."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        if kwargs.get("description"):
            kwargs["description"] = plain(kwargs["description"])
        super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            # The sub-command's usage, when there is one.
            parser = self._subcommand(parsed) or self
            parser.error("unrecognized arguments: " +
                         " ".join(redact(extras)))
        return parsed

    def _subcommand(self, parsed):
        name = getattr(parsed, "command", None)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and name:
                return action.choices.get(name)
        return None


def _options(parser):
    """Every option string of ``parser`` and its sub-commands."""
    known = set()
    for action in parser._actions:
        known.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                known |= _options(sub)
    return known


def refuse_unknown_secrets(parser, argv):
    """Exit 2, without echoing it, when ``argv`` has an option no command
    knows whose name looks secret (``--password VALUE``): argparse would
    take its value for the next positional argument and might show it."""
    known = _options(parser)
    for argument in argv:
        if argument == "--":
            break
        name = argument.partition("=")[0]
        if name.startswith("-") and name not in known and \
                SECRET_WORDS.search(name) and not name.endswith("-file"):
            parser.error(f"unrecognized option {name} (its value is not "
                         "shown); passwords and secrets are read from files "
                         "(--password-file, --callback-secret-file) or the "
                         "environment, never from the command line")


def build_parser():
    parser = Parser(
        prog="heat-deltacloud",
        description="Run OpenStack Heat stacks on clouds behind Apache "
                    "Deltacloud.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND",
                                       dest="command")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for sub in subparsers.choices.values():
        group = sub.add_argument_group("logging")
        group.add_argument("--debug", action="store_true",
                           help="log everything, the embedded Heat's "
                                "DEBUG lines included, to stderr (or to "
                                "--log-file)")
        group.add_argument("--log-file", metavar="FILE",
                           help="append the log (INFO, or DEBUG with "
                                "--debug) to FILE; the embedded Heat's "
                                "log included")
    return parser


#: Loggers the embedded Heat quietens (heat.conf's default_log_levels);
#: --debug opens them again.
QUIET = ("heat", "oslo_messaging", "stevedore", "oslo_db", "keystoneauth",
         "urllib3", "heat_deltacloud", "botocore")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(args):
    """``--debug`` and ``--log-file``: where the log goes.  Called again
    once the embedded Heat has set its own logging up (oslo.log replaces
    the root logger's handlers)."""
    import logging

    debug = getattr(args, "debug", False)
    log_file = getattr(args, "log_file", None)
    if not debug and not log_file:
        return
    level = logging.DEBUG if debug else logging.INFO
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "heat_deltacloud", False):
            root.removeHandler(handler)
            handler.close()
    if log_file:
        try:
            handler = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            from heat_deltacloud.cli import UsageError

            raise UsageError(f"--log-file {log_file}: {exc.strerror}") \
                from None
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.heat_deltacloud = True
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(level)


#: The extra that installs a module a command may need, by top-level name.
EXTRA_OF = {
    "boto3": "launch", "botocore": "launch",
    "heat": "heat", "oslo_service": "heat", "oslo_messaging": "heat",
    "oslo_db": "heat", "oslo_log": "heat", "oslo_policy": "heat",
    "oslo_context": "heat", "keystoneauth1": "heat", "sqlalchemy": "heat",
    "eventlet": "heat", "paste": "heat", "routes": "heat",
    "cfnbootstrap": "guest",
}


def missing_module(command, exc):
    """The one line for a module ``command`` needs that is not installed:
    which extra installs it."""
    module = (exc.name or "").partition(".")[0] or "a module"
    extra = EXTRA_OF.get(module)
    doing = f"{command} needs" if command else "this needs"
    if extra:
        return (f"{doing} the Python module '{module}', which is not "
                f"installed: pip install 'heat-deltacloud[{extra}]'")
    return (f"{doing} the Python module '{module}', which is not "
            "installed: reinstall heat-deltacloud (pip install "
            "--force-reinstall heat-deltacloud)")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled as Ctrl-C is (an embedded launch
    deletes its stack, every command cleans up), exit status 128 + the
    signal's number."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum, frame):
    raise Terminated(signum)


def _handle_termination(previous):
    """Ctrl-C raises KeyboardInterrupt, SIGTERM and SIGHUP raise
    :class:`Terminated`, in the main thread; the handlers they replace go
    in ``previous``, to restore."""
    if threading.current_thread() is not threading.main_thread():
        return
    raising = {signal.SIGINT: signal.default_int_handler,
               signal.SIGTERM: _terminate, signal.SIGHUP: _terminate}
    for signum, handler in raising.items():
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue  # nohup, a background job: keep ignoring it
        previous[signum] = signal.signal(signum, handler)


def _interrupted(exc):
    """Say that ``exc`` (Ctrl-C, or :class:`Terminated`) ended the
    command; its exit status."""
    line, status = interruption(getattr(exc, "signum", signal.SIGINT))
    print(line, file=sys.stderr)
    return status


def main(argv=None):
    previous = {}
    try:
        # Ctrl-C while the commands' modules import (most of the first
        # half second) is an interruption like any other.
        try:
            _handle_termination(previous)
            args = _parse(argv)
        except KeyboardInterrupt as exc:
            return _interrupted(exc)
        if args is None:
            return 2
        status = _run(args)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if getattr(args, "exit_at_once", False):
        # Threads that would hold the interpreter at exit (the embedded
        # Heat's engine) have nothing left worth waiting for.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def _parse(argv):
    """The parsed arguments; None, after the help, without a command."""
    # Heat's oslo.service imports eventlet, which warns on import; the
    # commands never use it.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    parser = build_parser()
    refuse_unknown_secrets(parser, sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return None
    return args


def _run(args):
    try:
        configure_logging(args)
        return args.handler(args) or 0
    except UsageError as exc:
        print(f"heat-deltacloud {args.command}: error: {exc}",
              file=sys.stderr)
        return 2
    except HeatDeltacloudError as exc:
        print(f"heat-deltacloud: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        print(f"heat-deltacloud: {missing_module(args.command, exc)}",
              file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of the output went away (| head): stop quietly.
        from heat_deltacloud.launch.display import discard_stdout

        discard_stdout()
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt as exc:  # Terminated included
        return _interrupted(exc)


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy's: the
    # commands raise heat_deltacloud.cli's exception classes.
    from heat_deltacloud import cli as _cli

    sys.exit(_cli.main())
