"""Webhook callbacks: each stack and resource change POSTed as JSON.

Document (``Content-Type: application/json``)::

    {"id": "<uuid of this delivery>",
     "sequence": 3,                        # 1, 2, ... per stack
     "kind": "resource",                   # or "stack"
     "stack": {"id": "arn:...", "name": "wordpress"},
     "resource": {"name": "Web", "type": "AWS::EC2::Instance",
                  "physical_id": "inst3"},  # null for kind "stack"
     "status": "CREATE_COMPLETE",
     "reason": "state changed",
     "addresses": {"public": ["..."], "private": ["..."]},  # or null
     "timestamp": "2026-11-25T10:00:00+00:00"}

With a secret configured, ``X-Heat-Deltacloud-Signature`` carries
``sha256=`` and the hex HMAC-SHA256 of the body under the secret
(:func:`verify` checks one).  ``X-Heat-Deltacloud-Delivery`` repeats the
delivery id, so a receiver can drop a document delivered twice after a
retry.

Deliveries run on a thread of their own, one at a time, in the order the
changes were seen (so per stack, in order); :meth:`WebhookNotifier.notify`
only queues.  A failed POST (connection error, timeout, 429 or 5xx) is
retried with exponential back-off by urllib3; a delivery that still fails is
logged, counted in ``failed`` with its reason in ``reasons``, and the next
one goes on.  What :meth:`WebhookNotifier.close` gave up waiting for is
counted in ``not_sent``: every queued change is delivered, failed or not
sent.
"""

import collections
import dataclasses
import datetime
import hashlib
import hmac
import json
import logging
import queue
import re
import threading
import urllib.parse
import uuid

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

LOG = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Heat-Deltacloud-Signature"
DELIVERY_HEADER = "X-Heat-Deltacloud-Delivery"
#: Connect and read timeouts (seconds) of one POST.
TIMEOUTS = (3.05, 10.0)


def sign(secret, body):
    """The signature header's value for ``body`` (bytes)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(secret, body, header):
    """Whether ``header`` is :func:`sign`'s value for ``body``."""
    return hmac.compare_digest(sign(secret, body), header or "")


def _now():
    return datetime.datetime.now(datetime.UTC).isoformat()


def stack_document(state):
    """The callback body for a :class:`~.watcher.StackState`."""
    return {"kind": "stack",
            "stack": {"id": state.id, "name": state.name},
            "resource": None, "status": state.status, "reason": state.reason,
            "addresses": None, "timestamp": state.timestamp or _now()}


def resource_document(event):
    """The callback body for a :class:`~.watcher.ResourceEvent`."""
    return {"kind": "resource",
            "stack": {"id": event.stack_id, "name": event.stack_name},
            "resource": {"name": event.resource, "type": event.resource_type,
                         "physical_id": event.physical_id},
            "status": event.status, "reason": event.reason,
            "addresses": event.addresses,
            "timestamp": event.timestamp or _now()}


@dataclasses.dataclass
class _Delivery:
    body: bytes
    delivery_id: str


class WebhookNotifier:
    """POSTs documents to ``url`` from a thread, in order, with retries.

    :param secret: signs every body when given (str or bytes).
    :param attempts: tries per delivery, first one included.
    :param backoff: urllib3's ``backoff_factor``: the first retry is at
        once, the n-th after ``backoff × 2^(n-1)`` seconds.
    """

    _STOP = object()

    def __init__(self, url, *, secret=None, attempts=5, backoff=0.5,
                 timeouts=TIMEOUTS, session=None):
        self.url = url
        self._secret = secret
        self._timeouts = timeouts
        self._session = session or requests.Session()
        retry = Retry(total=attempts - 1, backoff_factor=backoff,
                      status_forcelist=(429, 500, 502, 503, 504),
                      allowed_methods=None,  # POST too: receivers dedupe
                      respect_retry_after_header=True,
                      raise_on_status=False)
        self._session.mount(url, HTTPAdapter(max_retries=retry))
        self._sequences = {}
        self._queue = queue.Queue()
        #: Deliveries that failed after every try, and those done.
        self.failed = 0
        self.delivered = 0
        #: Why deliveries failed: reason -> count.
        self.reasons = collections.Counter()
        #: Changes queued so far; after :meth:`close`, those neither
        #: delivered nor failed (given up waiting for).
        self.queued = 0
        self.not_sent = 0
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="webhook-callbacks")
        self._thread.start()

    def __repr__(self):
        return (f"<WebhookNotifier {self._where} "
                f"signed={self._secret is not None}>")

    @property
    def _where(self):
        """The receiver's scheme, host and port: never credentials in it."""
        parts = urllib.parse.urlsplit(self.url)
        host = parts.hostname or ""
        return f"{parts.scheme}://{host}" + \
            (f":{parts.port}" if parts.port else "")

    def notify(self, document):
        """Queue ``document`` (a dict without ``id``/``sequence``)."""
        stack = (document.get("stack") or {}).get("id")
        sequence = self._sequences[stack] = self._sequences.get(stack, 0) + 1
        delivery_id = str(uuid.uuid4())
        body = json.dumps({"id": delivery_id, "sequence": sequence,
                           **document}, sort_keys=True).encode()
        self.queued += 1
        self._queue.put(_Delivery(body, delivery_id))

    def stack_changed(self, state):
        self.notify(stack_document(state))

    def resource_changed(self, event):
        self.notify(resource_document(event))

    def _run(self):
        while (item := self._queue.get()) is not self._STOP:
            try:
                if not self._closing.is_set():
                    self._post(item)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _failed(self, delivery, reason):
        self.failed += 1
        self.reasons[reason] += 1
        LOG.warning("callback %s to %s failed: %s", delivery.delivery_id,
                    self._where, reason)

    def _post(self, delivery):
        headers = {"Content-Type": "application/json",
                   DELIVERY_HEADER: delivery.delivery_id}
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, delivery.body)
        try:
            response = self._session.post(self.url, data=delivery.body,
                                          headers=headers,
                                          timeout=self._timeouts)
        except requests.RequestException as exc:
            self._failed(delivery, _why(exc))
            return
        if response.ok:
            self.delivered += 1
        else:
            self._failed(delivery, f"answered {response.status_code}"
                         + (f" {response.reason}" if response.reason else ""))

    def close(self, timeout=30.0):
        """Deliver what is queued (waiting up to ``timeout``), then stop;
        what was not delivered or failed by then is counted in
        ``not_sent`` (and never sent).

        Returns True when everything queued was attempted.
        """
        self._queue.put(self._STOP)
        self._thread.join(timeout)
        done = not self._thread.is_alive()
        if not done:
            self._closing.set()  # the rest is dropped, not sent late
        self.not_sent = self.queued - self.delivered - self.failed
        self._session.close()
        return done

    def summary(self):
        """``3 delivered, 2 failed (answered 502 Bad Gateway: 2), 15 not
        sent``: every queued change accounted for."""
        text = f"{self.delivered} delivered, {self.failed} failed"
        if self.reasons:
            text += " (" + ", ".join(f"{reason}: {count}" for reason, count
                                     in self.reasons.most_common()) + ")"
        if self.not_sent:
            text += f", {self.not_sent} not sent (gave up waiting for " \
                "the receiver)"
        return text


def _why(exc):
    """Why a POST failed, in a few words (never the URL, which may carry
    credentials)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "no answer in time"
    if isinstance(exc, requests.exceptions.RetryError):
        return "still failing after every retry"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS failed"
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    if found:
        return found.group(1).strip()
    return type(exc).__name__
