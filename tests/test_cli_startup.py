"""Ctrl-C, SIGTERM and SIGHUP in ``heat-deltacloud``'s first moments.

Before: a signal while the command's modules imported (its first 0.2 to
0.4 s) ended with Python's ``KeyboardInterrupt`` traceback.  Each run here
is the real command in a child process, held at a chosen import by a
finder that waits there; the test then sends a real signal.
"""

import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENV = {k: v for k, v in os.environ.items()
       if not k.startswith(("DELTACLOUD_", "HEAT_"))}

#: Put before the command's own lines: the import of HOLD_AT writes MARKER
#: and waits (at most a minute) for a signal to end the process.
HOLD = """\
import os, sys, time

class Hold:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            with open({marker!r}, "w") as marker:
                marker.write(str(os.getpid()))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                time.sleep(0.05)
            sys.exit("held import never signalled")
        return None

sys.meta_path.insert(0, Hold())
{ignore}
"""

#: What pip writes as the console script (setup.cfg's console_scripts).
CONSOLE_SCRIPT = """\
import sys
from heat_deltacloud.cli import main
if __name__ == '__main__':
    sys.exit(main())
"""

#: ``python -m heat_deltacloud.cli``.
RUN_MODULE = """\
import runpy
runpy.run_module("heat_deltacloud.cli", run_name="__main__", alter_sys=True)
"""

#: Imported by heat_deltacloud/cli.py itself, after its first lines.
IN_CLI_IMPORT = "heat_deltacloud.errors"
#: Imported by main() as it builds the parser.
IN_MAIN = "heat_deltacloud.doctor"


def start(tmp_path, hold_at, entry=CONSOLE_SCRIPT, args=("--help",),
          ignore=()):
    """The command held at the import of ``hold_at``, once it is there."""
    marker = tmp_path / "held"
    prelude = HOLD.format(
        module=hold_at, marker=str(marker),
        ignore="\n".join(f"import signal; signal.signal({int(s)}, "
                         "signal.SIG_IGN)" for s in ignore))
    # Named as the console script is: its argv[0] is .../heat-deltacloud.
    script = tmp_path / "heat-deltacloud"
    script.write_text(prelude + entry)
    process = subprocess.Popen(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the command ended first ({process.returncode}): "
                        + out + err)
        assert time.monotonic() < deadline, f"not held at {hold_at}"
        time.sleep(0.02)
    return process


def finish(process):
    try:
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, out, err


ENDINGS = [(signal.SIGINT, 130, "heat-deltacloud: interrupted\n"),
           (signal.SIGTERM, 143, "heat-deltacloud: terminated (SIGTERM)\n"),
           (signal.SIGHUP, 129, "heat-deltacloud: terminated (SIGHUP)\n")]


@pytest.mark.parametrize("hold_at", [IN_CLI_IMPORT, IN_MAIN],
                         ids=["in-cli-import", "in-main"])
@pytest.mark.parametrize("signum, status, line", ENDINGS,
                         ids=[signum.name for signum, *_ in ENDINGS])
def test_a_signal_while_the_command_loads_ends_it_in_one_line(
        tmp_path, hold_at, signum, status, line):
    process = start(tmp_path, hold_at)
    process.send_signal(signum)
    returncode, out, err = finish(process)
    assert (returncode, err) == (status, line), out + err
    assert out == ""  # no help: it ended there


@pytest.mark.parametrize("hold_at", [IN_CLI_IMPORT, IN_MAIN],
                         ids=["in-cli-import", "in-main"])
def test_python_dash_m_is_covered_too(tmp_path, hold_at):
    process = start(tmp_path, hold_at, entry=RUN_MODULE)
    process.send_signal(signal.SIGINT)
    returncode, out, err = finish(process)
    assert (returncode, err) == (130, "heat-deltacloud: interrupted\n"), \
        out + err


def test_a_command_under_nohup_keeps_ignoring_sighup(tmp_path):
    process = start(tmp_path, IN_CLI_IMPORT, ignore=[signal.SIGHUP])
    process.send_signal(signal.SIGHUP)  # ignored, as nohup asked
    process.send_signal(signal.SIGTERM)
    returncode, out, err = finish(process)
    assert (returncode, err) == \
        (143, "heat-deltacloud: terminated (SIGTERM)\n"), out + err


def test_a_program_importing_the_cli_keeps_its_own_signal_handling():
    # Only the command takes the signals over as it loads: a program (or
    # a test run) that imports heat_deltacloud.cli keeps Python's.
    probe = textwrap.dedent("""\
        import signal
        import heat_deltacloud.cli
        print(signal.getsignal(signal.SIGINT) is signal.default_int_handler,
              signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
        """)
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT,
                            env=ENV, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["True", "True"], result.stderr


def test_main_restores_the_handlers_it_found():
    # In-process callers (the tests) get their handlers back.
    from heat_deltacloud import cli

    before = {s: signal.getsignal(s) for s in cli.ENDING_SIGNALS}
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert {s: signal.getsignal(s) for s in cli.ENDING_SIGNALS} == before


#: The console script, whose process writes main()'s status in the marker
#: once it returned, then waits for a signal (as the interpreter waits for
#: a thread that has not ended).
AFTER_MAIN = """\
import sys
from heat_deltacloud.cli import main
status = main()
with open({marker!r}, "w") as marker:
    marker.write(str(status))
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    time.sleep(0.05)
sys.exit("never signalled")
"""


def test_a_signal_after_main_keeps_the_output_written(tmp_path):
    # No command: main() prints the help (to a pipe, buffered: no
    # PYTHONUNBUFFERED) and returns 2; a Ctrl-C while the process is still
    # there ends it in one line, and the help is not lost with the buffer.
    marker = tmp_path / "held"
    script = tmp_path / "heat-deltacloud"
    script.write_text("import time\n" + AFTER_MAIN.format(marker=str(marker)))
    buffered = {k: v for k, v in ENV.items() if k != "PYTHONUNBUFFERED"}
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=ROOT, env=buffered)
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "main() did not return"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    returncode, out, err = finish(process)
    assert marker.read_text() == "2"
    assert (returncode, err) == (130, "heat-deltacloud: interrupted\n"), \
        out + err
    assert out.startswith("usage: heat-deltacloud")
