"""The terminal progress: counter, bar, signals."""

import io

from heat_deltacloud.launch.display import Progress, event_line
from heat_deltacloud.launch.watcher import ResourceEvent


def event(resource, status, reason=None, when="2026-12-04T10:00:01"):
    return ResourceEvent("arn", "s", resource, None, None, status, reason,
                         when)


def test_signals_are_shown_and_do_not_undo_a_completed_resource():
    out = io.StringIO()
    progress = Progress(out, tty=False)
    progress.started("CREATE", "s", 2)
    progress.resource_changed(event("DbWaitHandle", "CREATE_COMPLETE"))
    progress.resource_changed(event(
        "DbWaitHandle", "SIGNAL_COMPLETE",
        "Signal: status:SUCCESS reason:all services completed, fact x"))
    progress.resource_changed(event("DbWaitCondition", "CREATE_COMPLETE"))
    lines = out.getvalue().splitlines()
    assert lines[0] == "creating stack s (2 resources):"
    assert lines[2] == ("[1/2] 10:00:01  DbWaitHandle         "
                        "SIGNAL_COMPLETE  Signal: status:SUCCESS reason:all "
                        "services completed, fact x")
    assert lines[3].startswith("[2/2] ")
    assert progress.done == 2


def test_event_line_leaves_out_the_default_reason():
    assert event_line(event("Web", "CREATE_COMPLETE", "state changed")) == \
        "10:00:01  Web                  CREATE_COMPLETE"
