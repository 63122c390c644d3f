"""The boot script of one assembly, as ``Fn::Join`` parts.

The fixed functions live in ``data/boot-prelude.sh``; this module writes
the body: unpack or fetch each service's executable and files, store the
parameter values, run the services in order and report the result.
Inline contents travel base64-encoded; values that Heat substitutes
(``Ref``, ``Fn::GetAtt``) sit in quoted here-documents, so nothing in
them is expanded by the shell.
"""

import base64
import dataclasses
import functools
import importlib.resources

from heat_deltacloud.deployable import model
from heat_deltacloud.deployable.plan import FILENAME

EOF_MARK = "AUDREY_EOF"


@functools.cache
def prelude():
    """``data/boot-prelude.sh`` without its comment lines (user data is
    small on some clouds; the file itself documents the functions)."""
    text = (importlib.resources.files(__package__) / "data" /
            "boot-prelude.sh").read_text(encoding="utf-8")
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.lstrip().startswith("#"))


def _heredoc(command, value):
    return [f"{command} <<'{EOF_MARK}'\n", value, f"\n{EOF_MARK}\n"]


def _word(text):
    """``text`` as one single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def _path(variable, *names):
    """``"$VARIABLE"/'name'/...``: nothing in the names is expanded."""
    return f'"${variable}"' + "".join(f"/{_word(n)}" for n in names)


@dataclasses.dataclass(frozen=True)
class Substituted:
    """A value Heat substitutes into the script (a ``Ref``, a literal)."""

    cfn: object

    def parts(self, path):
        return _heredoc(f"audrey_write {path}", self.cfn)


@dataclasses.dataclass(frozen=True)
class LocalFact:
    """A fact of this instance, read just before the service runs."""

    fact: str

    def parts(self, path):
        return [f"audrey_fact {_word(self.fact)} > {path}\n"]


@dataclasses.dataclass(frozen=True)
class RemoteFact:
    """A fact another assembly published in its wait condition data."""

    fact: str
    data: object

    def parts(self, path):
        return _heredoc(f"audrey_data {_word(self.fact)} > {path}",
                        self.data)


@dataclasses.dataclass(frozen=True)
class ServiceStatus:
    """The exit status of a service of this assembly that ran before."""

    service: str

    def parts(self, path):
        return [f"cp {_path('AUDREY_STATUS', self.service)} {path}\n"]


def _b64_lines(text):
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return "".join(encoded[i:i + 76] + "\n"
                   for i in range(0, len(encoded), 76))


def _place(url, contents, path, mode):
    if url is not None:
        return [f"audrey_fetch {_word(url)} {path} {mode} || "
                f"audrey_fail {_word(f'cannot fetch {url}')}\n"]
    return [f"audrey_unpack {path} {mode} <<'{EOF_MARK}'\n"
            f"{_b64_lines(contents)}{EOF_MARK}\n"]


def _join(parts):
    """Adjacent strings merged: the list ``Fn::Join`` takes."""
    merged = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return merged


def _service_parts(service, values, deferred):
    """Place one service's executable, files and early parameter values;
    values read only when the service runs go to ``deferred``."""
    parts = [f"mkdir -p {_path('AUDREY_TOOLING', service.name)} "
             f"{_path('AUDREY_PARAMS', service.name)}\n"]
    exe = service.executable
    start = _path("AUDREY_TOOLING", service.name, "start")
    parts += _place(exe.url, exe.contents, start, "0755")
    kept = None if exe.url is None else model.url_name(exe.url)
    if kept and kept != "start" and FILENAME.match(kept):
        parts.append(
            f"cp {start} {_path('AUDREY_TOOLING', service.name, kept)}\n")
    for file in service.files:
        parts += _place(file.url, file.contents,
                        _path("AUDREY_TOOLING", service.name, file.filename),
                        "0644")
    for parameter in service.parameters:
        value = values[service.name, parameter.name]
        path = _path("AUDREY_PARAMS", service.name, parameter.name)
        if isinstance(value, (LocalFact, ServiceStatus)):
            deferred += value.parts(path)
        else:
            parts += value.parts(path)
    return parts


def script(label, services, values, returns, wait_url=None):
    """``Fn::Join`` parts of the boot script.

    ``services`` in run order; ``values`` maps (service, parameter) to one
    of the value classes above; ``returns`` are the fact names published
    through the wait condition whose handle is ``wait_url``, one signal
    each (the wait condition's ``Count`` is their number, or 1 without
    any).
    """
    parts = ["#!/bin/sh\n", f"# heat-deltacloud boot script: {label}\n",
             prelude()]
    if wait_url is not None:
        parts += _heredoc('audrey_write "$AUDREY_DIR/wait-url"', wait_url)
    deferred = {service.name: [] for service in services}
    for service in services:
        parts += _service_parts(service, values, deferred[service.name])
    for service in services:
        parts += deferred[service.name]
        parts.append(f"audrey_run {_word(service.name)} || audrey_fail "
                     f"\"service {service.name} exited with status $?\"\n")
    parts.append("audrey_report SUCCESS 'all services completed'"
                 + "".join(f" {_word(name)}" for name in returns) + "\n")
    return _join(parts)
