"""Keep HTTP/1.1 connections open after answers without a body.

waitress 3 closes the connection after every answer that carries no
``Content-Length``, 204 and 304 included, although those end at their
headers (RFC 9112 forbids both ``Content-Length`` and chunking on them).
Every ``DELETE`` (204) therefore cost the client its keep-alive connection
and a new TCP connection for the next request: half the requests of a
create-and-destroy loop, and every delete Heat sends.
"""

from waitress.channel import HTTPChannel
from waitress.task import WSGITask


class KeepAliveTask(WSGITask):
    """A WSGI task that keeps a bodiless 1.1 answer's connection open
    unless the client asked to close it."""

    _building_header = False

    def build_response_header(self):
        self._building_header = True
        try:
            return super().build_response_header()
        finally:
            self._building_header = False

    def set_close_on_finish(self):
        if self._building_header and self._ends_at_its_headers():
            return
        super().set_close_on_finish()

    def _ends_at_its_headers(self):
        return (not self.has_body and self.version == "1.1"
                and self.request.headers.get("CONNECTION", "").lower()
                != "close")


class KeepAliveChannel(HTTPChannel):
    task_class = KeepAliveTask
