"""Progress on the terminal: a line per event, a counter, a live bar.

On a terminal the last line is a progress bar rewritten in place (``\\r``
and "erase line"); into a pipe or file every line is plain text, each
event line carrying the ``[done/total]`` counter instead.
"""

import functools
import os
import sys

BAR_WIDTH = 20
#: How each operation is announced.
VERBS = {"CREATE": "creating", "DELETE": "deleting", None: "following"}
ERASE_LINE = "\r\x1b[K"


def discard_stdout():
    """Standard output's reader went away (``| head``): send the rest of
    the output nowhere, so the command carries on (an embedded launch still
    deletes its stack) and Python's exit does not fail flushing it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def pipe_safe(write):
    """``write`` with a closed standard output ignored (see
    :func:`discard_stdout`)."""

    @functools.wraps(write)
    def safe(*args, **kwargs):
        try:
            return write(*args, **kwargs)
        except BrokenPipeError:
            discard_stdout()
    return safe


class Progress:
    """A launcher observer showing each operation's events and progress."""

    def __init__(self, stream=None, *, tty=None):
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = 0
        self.action = None
        self._status = {}
        self._stack_status = ""
        self._bar_shown = False

    def started(self, action, stack_name, total):
        self.finish()
        self.action, self.total = action, total
        self._status.clear()
        self._stack_status = ""
        self.line(f"{VERBS.get(action, action)} stack {stack_name} "
                  f"({total} resources):")

    @property
    def done(self):
        """Resources whose latest status is ``<action>_COMPLETE``."""
        return sum(s == f"{self.action}_COMPLETE"
                   for s in self._status.values())

    def resource_changed(self, event):
        # A signal (a wait condition handle's SIGNAL_COMPLETE) is news,
        # not a change of the resource's own state.
        if not event.status.startswith("SIGNAL_"):
            self._status[event.resource] = event.status
        text = event_line(event)
        if not self.tty:
            text = f"[{self.done}/{self.total}] {text}"
        self.line(text)

    def stack_changed(self, state):
        self._stack_status = state.status
        if self.tty:
            self._draw_bar()

    @pipe_safe
    def line(self, text):
        """Print ``text`` above the bar (which is redrawn after it)."""
        if self.tty and self._bar_shown:
            self.stream.write(ERASE_LINE)
        self.stream.write(text + "\n")
        if self.tty:
            self._draw_bar()
        self.stream.flush()

    @pipe_safe
    def finish(self):
        """Remove the bar; what follows is plain output."""
        if self.tty and self._bar_shown:
            self.stream.write(ERASE_LINE)
            self.stream.flush()
            self._bar_shown = False

    @pipe_safe
    def _draw_bar(self):
        total = max(self.total, 1)
        filled = BAR_WIDTH * min(self.done, total) // total
        self.stream.write(
            f"{ERASE_LINE}[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
            f"{self.done}/{self.total} resources  {self._stack_status}")
        self.stream.flush()
        self._bar_shown = True


def event_line(event):
    """``HH:MM:SS  Resource  STATUS  reason  addresses`` for one event."""
    when = (event.timestamp or "")[11:19]
    text = f"{when:>8}  {event.resource:<20} {event.status}"
    if event.reason and event.reason != "state changed":
        text += f"  {event.reason}"
    if event.addresses:
        text += "  " + format_addresses(event.addresses)
    return text


def format_addresses(addresses):
    """``{"public": [...], "private": [...]}`` -> ``public 1.2.3.4 ...``."""
    return "  ".join(f"{kind} {', '.join(ips)}"
                     for kind, ips in addresses.items() if ips)
