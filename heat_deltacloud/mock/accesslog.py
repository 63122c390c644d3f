"""The mock's access log: one Common Log Format line per request.

::

    127.0.0.1 - mockuser [02/Mar/2026:10:04:05 +0100] "GET /api HTTP/1.1" 200 9

The user is the Basic user name (``-`` without one); nothing else of the
``Authorization`` header, and no header at all, is written.  The values of
query parameters whose names look secret (``password``, ``secret``,
``token``, ``signature``, ``user_data``...) are written as ``***``, and
anything unprintable in the request line or user name is escaped, so a
request cannot forge log lines.  The status is ``-`` when the app raised
(a dropped connection) and the size ``-`` when no body was sent.
"""

import base64
import binascii
import datetime
import re
import threading
import urllib.parse

#: Query parameter names (decoded, lower-cased) whose values are hidden.
SECRET_NAME = re.compile(r"pass|pwd|secret|token|sig|credential|auth|"
                         r"private|user_data")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec")


def printable(text):
    """``text`` with spaces, quotes, backslashes and anything outside
    printable ASCII as ``\\xNN`` (WSGI strings hold one byte a char)."""
    return "".join(c if "!" <= c <= "~" and c not in '"\\'
                   else f"\\x{ord(c):02x}" if ord(c) < 256
                   else c.encode("unicode_escape").decode() for c in text)


def redacted_query(query):
    """The raw query with the values of secret-looking names hidden."""
    fields = []
    for field in query.split("&"):
        name, sep, _ = field.partition("=")
        secret = SECRET_NAME.search(
            urllib.parse.unquote_plus(name, encoding="latin-1").lower())
        fields.append(f"{name}=***" if sep and secret else field)
    return "&".join(fields)


def request_line(environ):
    """``METHOD target PROTOCOL`` as the client sent it, query redacted."""
    target = environ.get("REQUEST_URI")
    if target is None:
        target = urllib.parse.quote(environ.get("SCRIPT_NAME", "")
                                    + environ.get("PATH_INFO", ""),
                                    safe="/;=:,@!$&'()*+[]~")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
    path, sep, query = target.partition("?")
    if sep:
        path += "?" + redacted_query(query)
    return " ".join(printable(part) for part in (
        environ.get("REQUEST_METHOD", "-"), path,
        environ.get("SERVER_PROTOCOL", "HTTP/1.0")))


def user_of(environ):
    """The Basic user name, or ``-`` (also when there is no ``:``: the
    whole value might then be a secret)."""
    scheme, _, value = (environ.get("HTTP_AUTHORIZATION") or "").strip(
        ).partition(" ")
    if scheme.lower() != "basic":
        return "-"
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return "-"
    user, sep, _ = raw.partition(b":")
    if not sep or not user:
        return "-"
    return printable(user.decode("utf-8", "backslashreplace"))


def timestamp(moment):
    return (f"{moment:%d}/{MONTHS[moment.month - 1]}/"
            f"{moment:%Y:%H:%M:%S %z}")


class AccessLog:
    """WSGI middleware: after each response, one line to ``stream``.

    Writes are serialized and flushed line by line.  A stream that fails
    (a full disk, a closed pipe) is given up after one message to
    ``on_error``, and the requests are served on.
    """

    def __init__(self, app, stream, on_error=None):
        self.app = app
        self.stream = stream
        self.on_error = on_error
        self._lock = threading.Lock()
        self._failed = False

    def __call__(self, environ, start_response):
        entry = {"started": datetime.datetime.now().astimezone(),
                 "status": "-", "size": 0}

        def recording_start_response(status, headers, exc_info=None):
            entry["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, recording_start_response)
        except BaseException:
            entry["status"] = "-"
            self.write(environ, entry)
            raise
        return _CountedBody(body, lambda: self.write(environ, entry), entry)

    def line(self, environ, entry):
        return (f"{printable(environ.get('REMOTE_ADDR') or '-')} - "
                f"{user_of(environ)} [{timestamp(entry['started'])}] "
                f"\"{request_line(environ)}\" {entry['status']} "
                f"{entry['size'] or '-'}\n")

    def write(self, environ, entry):
        text = self.line(environ, entry)
        with self._lock:
            if self._failed:
                return
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError) as exc:  # ValueError: closed
                self._failed = True
                if self.on_error is not None:
                    self.on_error(exc)


class _CountedBody:
    """A response body that counts its bytes and logs when closed (WSGI
    servers close every body they get, whatever happened)."""

    def __init__(self, body, done, entry):
        self._body = body
        self._done = done
        self._entry = entry

    def __iter__(self):
        for chunk in self._body:
            self._entry["size"] += len(chunk)
            yield chunk

    def close(self):
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done()
