"""What a booting instance makes of its user data, as cloud-init would.

Pure functions for guest mode (:mod:`.guest`): :func:`plan` reads Heat's
MIME multipart, or a bare ``#!`` script, into the files cloud-init's part
handlers would write and the scripts it would run; :func:`refusal` says
why a plan must not run: something in it points at a host other than
loopback.
"""

import dataclasses
import email
import email.policy
import ipaddress
import re
import urllib.parse

#: Heat's script part that runs cfn-userdata.  Not run itself (it uses the
#: host's paths); the boot runs cfn-userdata the way it would.
HEAT_LOGUSERDATA = "loguserdata.py"
CFN_USERDATA = "cfn-userdata"
SCRIPT_TYPES = frozenset({"text/x-shellscript"})
INIT_DATA_TYPE = "text/x-cfninitdata"
#: What cloud-init's part sniffing recognizes by the first line.
STARTS = ((b"#!", "text/x-shellscript"),
          (b"#cloud-config", "text/cloud-config"),
          (b"#cloud-boothook", "text/cloud-boothook"),
          (b"#part-handler", "text/part-handler"),
          (b"#include", "text/x-include-url"),
          (b"#upstart-job", "text/upstart-job"))
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
URL = re.compile(r"https?://[^\s'\"<>`\\]+", re.IGNORECASE)
ENDPOINT = re.compile(r"^\s*cfn_region_endpoint\s*=\s*(\S*)", re.MULTILINE)


@dataclasses.dataclass
class Script:
    """One script to run: ``path`` is relative to the instance root;
    ``heat`` marks cfn-userdata run as Heat's loguserdata.py runs it."""

    path: str
    body: bytes
    heat: bool = False


@dataclasses.dataclass
class Plan:
    """``files`` for /var/lib/heat-cfntools (name -> content, the last
    part of a name wins), ``scripts`` in order, ``skipped`` notes."""

    files: dict = dataclasses.field(default_factory=dict)
    scripts: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)


def is_mime(data):
    head = data.lstrip()[:32].lower()
    return head.startswith((b"content-type:", b"mime-version:"))


def sniff(payload):
    for start, kind in STARTS:
        if payload.startswith(start):
            return kind
    return None


def plan(data):
    """The boot plan for user data ``data`` (bytes)."""
    result = Plan()
    if not is_mime(data):
        _add_part(result, sniff(data) or "text/plain", None, data, 0)
        return _resolve(result)
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    parts = [p for p in message.walk() if not p.is_multipart()]
    for number, part in enumerate(parts):
        payload = part.get_payload(decode=True) or b""
        _add_part(result, part.get_content_type(), part.get_filename(),
                  payload, number)
    return _resolve(result)


def _add_part(result, kind, filename, payload, number):
    label = f"{kind} {filename or f'part-{number:03d}'}"
    if kind == "text/plain":
        kind = sniff(payload) or kind
    if kind == INIT_DATA_TYPE:
        if filename and SAFE_NAME.fullmatch(filename):
            result.files[filename] = payload
        else:
            result.skipped.append(f"{label}: skipped (unsafe file name)")
    elif kind in SCRIPT_TYPES and filename == HEAT_LOGUSERDATA:
        result.scripts.append(Script(
            f"var/lib/heat-cfntools/{CFN_USERDATA}", b"", heat=True))
    elif kind in SCRIPT_TYPES:
        name = filename if filename and SAFE_NAME.fullmatch(filename) \
            else f"part-{number:03d}"
        result.scripts.append(Script(
            f"var/lib/cloud/instance/scripts/{name}", payload))
    else:
        result.skipped.append(f"{label}: skipped (not run by guest mode)")


def _resolve(result):
    """cloud-init writes every part before any script runs, so Heat's
    cfn-userdata is the last part of that name."""
    for script in result.scripts:
        if script.heat:
            script.body = result.files.get(CFN_USERDATA, b"")
    return result


def is_loopback(host):
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_host(url):
    try:
        return urllib.parse.urlsplit(url.strip()).hostname
    except ValueError:
        return None


def refusal(boot_plan):
    """Why ``boot_plan`` must not run, or None.  Names the host, never
    the URL (signed URLs carry credentials)."""
    server = boot_plan.files.get("cfn-metadata-server")
    if server is not None:
        host = url_host(server.decode("utf-8", "replace"))
        if not is_loopback(host):
            return f"cfn-metadata-server points at {host!r}, not loopback"
    boto = boot_plan.files.get("cfn-boto-cfg")
    if boto is not None:
        for host in ENDPOINT.findall(boto.decode("utf-8", "replace")):
            if not is_loopback(host):
                return (f"cfn-boto-cfg's cfn_region_endpoint is {host!r}, "
                        "not loopback")
    for script in boot_plan.scripts:
        for url in URL.findall(script.body.decode("utf-8", "replace")):
            host = url_host(url)
            if not is_loopback(host):
                name = script.path.rsplit("/", 1)[-1]
                return f"{name} has a URL to {host!r}, not loopback"
    return None
