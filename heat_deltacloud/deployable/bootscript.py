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

EOF_MARK = "AUDREY_EOF"


@functools.cache
def prelude():
    return (importlib.resources.files(__package__) / "data" /
            "boot-prelude.sh").read_text(encoding="utf-8")


def _heredoc(command, value):
    return [f"{command} <<'{EOF_MARK}'\n", value, f"\n{EOF_MARK}\n"]


@dataclasses.dataclass(frozen=True)
class Substituted:
    """A value Heat substitutes into the script (a ``Ref``, a literal)."""

    cfn: object

    def parts(self, path):
        return _heredoc(f'audrey_write "{path}"', self.cfn)


@dataclasses.dataclass(frozen=True)
class LocalFact:
    """A fact of this instance, read just before the service runs."""

    fact: str

    def parts(self, path):
        return [f'audrey_fact {self.fact} > "{path}"\n']


@dataclasses.dataclass(frozen=True)
class RemoteFact:
    """A fact another assembly published in its wait condition data."""

    fact: str
    data: object

    def parts(self, path):
        return _heredoc(f'audrey_data {self.fact} > "{path}"', self.data)


@dataclasses.dataclass(frozen=True)
class ServiceStatus:
    """The exit status of a service of this assembly that ran before."""

    service: str

    def parts(self, path):
        return [f'cp "$AUDREY_STATUS/{self.service}" "{path}"\n']


def _b64_lines(text):
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return "".join(encoded[i:i + 76] + "\n"
                   for i in range(0, len(encoded), 76))


def _place(url, contents, path, mode):
    if url is not None:
        return [f"audrey_fetch '{_quote(url)}' \"{path}\" {mode} || "
                f"audrey_fail 'cannot fetch {_quote(url)}'\n"]
    return [f'audrey_unpack "{path}" {mode} <<\'{EOF_MARK}\'\n'
            f"{_b64_lines(contents)}{EOF_MARK}\n"]


def _quote(text):
    """Text for a single-quoted shell word."""
    return text.replace("'", "'\\''")


def _join(parts):
    """Adjacent strings merged: the list ``Fn::Join`` takes."""
    merged = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return merged


def script(label, services, values, returns, wait_url=None):
    """``Fn::Join`` parts of the boot script.

    ``services`` in run order; ``values`` maps (service, parameter) to one
    of the value classes above; ``returns`` are the fact names published
    through the wait condition whose handle is ``wait_url``.
    """
    parts = ["#!/bin/sh\n", f"# {label}\n", prelude()]
    if wait_url is not None:
        parts += _heredoc('audrey_write "$AUDREY_DIR/wait-url"', wait_url)
    deferred = {}
    for service in services:
        tooling = f"$AUDREY_TOOLING/{service.name}"
        params = f"$AUDREY_PARAMS/{service.name}"
        parts.append(f'mkdir -p "{tooling}" "{params}"\n')
        exe = service.executable
        parts += _place(exe.url, exe.contents, f"{tooling}/start", "0755")
        if exe.url is not None:
            name = exe.url.rstrip("/").rsplit("/", 1)[-1]
            parts.append(f'cp "{tooling}/start" "{tooling}/{name}"\n')
        for file in service.files:
            parts += _place(file.url, file.contents,
                            f"{tooling}/{file.filename}", "0644")
        for parameter in service.parameters:
            value = values[service.name, parameter.name]
            path = f"{params}/{parameter.name}"
            if isinstance(value, (LocalFact, ServiceStatus)):
                deferred.setdefault(service.name, []).extend(
                    value.parts(path))
            else:
                parts += value.parts(path)
    for service in services:
        parts += deferred.get(service.name, [])
        parts.append(f"audrey_run {service.name} || audrey_fail "
                     f"\"service {service.name} exited with status $?\"\n")
    parts.append("audrey_report SUCCESS 'all services completed'"
                 + "".join(f" {name}" for name in returns) + "\n")
    return _join(parts)
