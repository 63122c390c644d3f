"""Stand-in for ``swiftclient.exceptions`` without python-swiftclient.

Same name, attributes Heat reads (``http_status``, ``msg``) and message
shape (``msg: status reason``) as python-swiftclient 4.
"""


class ClientException(Exception):
    def __init__(self, msg, http_status=None, http_reason="", **kwargs):
        super().__init__(msg)
        self.msg = msg
        self.http_status = http_status
        self.http_reason = http_reason

    def __str__(self):
        detail = " ".join(str(part) for part in
                          (self.http_status, self.http_reason) if part)
        return f"{self.msg}: {detail}" if detail else self.msg
