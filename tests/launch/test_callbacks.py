"""Webhook callbacks: signed, ordered, retried, never blocking."""

import json
import logging
import threading

from heat_deltacloud.launch import callbacks

SECRET = "callback-secret-\u2603"


def test_signed_documents_arrive_in_order(receiver):
    notifier = callbacks.WebhookNotifier(receiver.url, secret=SECRET)
    for n in range(5):
        notifier.notify({"stack": {"id": "s1", "name": "one"},
                         "status": f"S{n}"})
    notifier.notify({"stack": {"id": "s2", "name": "two"}, "status": "X"})
    assert notifier.close()
    assert [d["status"] for d in receiver.documents()] == \
        ["S0", "S1", "S2", "S3", "S4", "X"]
    assert [d["sequence"] for d in receiver.documents()] == \
        [1, 2, 3, 4, 5, 1]
    for headers, body, _ in receiver.received:
        signature = headers[callbacks.SIGNATURE_HEADER]
        assert callbacks.verify(SECRET, body, signature)
        assert not callbacks.verify("another secret", body, signature)
        assert headers[callbacks.DELIVERY_HEADER] == json.loads(body)["id"]
    assert (notifier.delivered, notifier.failed) == (6, 0)


def test_unsigned_without_a_secret(receiver):
    notifier = callbacks.WebhookNotifier(receiver.url)
    notifier.notify({"stack": {"id": "s"}, "status": "CREATE_COMPLETE"})
    notifier.close()
    [(headers, _, _)] = receiver.received
    assert callbacks.SIGNATURE_HEADER not in headers


def test_server_errors_are_retried_with_the_same_delivery(receiver):
    receiver.answers = [503, 500]
    notifier = callbacks.WebhookNotifier(receiver.url, secret=SECRET,
                                         backoff=0.01)
    notifier.notify({"stack": {"id": "s"}, "status": "CREATE_COMPLETE"})
    notifier.notify({"stack": {"id": "s"}, "status": "DELETE_COMPLETE"})
    notifier.close()
    statuses = [(json.loads(body)["status"], status)
                for _, body, status in receiver.received]
    assert statuses == [("CREATE_COMPLETE", 503), ("CREATE_COMPLETE", 500),
                        ("CREATE_COMPLETE", 200), ("DELETE_COMPLETE", 200)]
    first_ids = {headers[callbacks.DELIVERY_HEADER]
                 for headers, _, _ in receiver.received[:3]}
    assert len(first_ids) == 1
    assert (notifier.delivered, notifier.failed) == (2, 0)


def test_a_delivery_that_keeps_failing_is_dropped_and_logged(
        receiver, caplog):
    receiver.answers = [502] * 3
    url = receiver.url.replace("http://", "http://hookuser:hookpass@")
    notifier = callbacks.WebhookNotifier(url, secret=SECRET, attempts=3,
                                         backoff=0.01)
    caplog.set_level(logging.DEBUG)
    notifier.notify({"stack": {"id": "s"}, "status": "A"})
    notifier.notify({"stack": {"id": "s"}, "status": "B"})
    notifier.close()
    assert [d["status"] for d in receiver.documents()] == ["B"]
    assert (notifier.delivered, notifier.failed) == (1, 1)
    assert "answered 502" in caplog.text
    for text in (caplog.text, repr(notifier)):
        assert "hookpass" not in text and SECRET not in text


def test_an_unreachable_receiver_fails_the_delivery_not_the_caller(
        receiver):
    url = receiver.url
    receiver.close()
    notifier = callbacks.WebhookNotifier(url, attempts=2, backoff=0.01)
    notifier.notify({"stack": {"id": "s"}, "status": "A"})
    assert notifier.close()
    assert (notifier.delivered, notifier.failed) == (0, 1)


def test_notify_never_waits_for_the_receiver(receiver):
    receiver.hold = threading.Event()
    notifier = callbacks.WebhookNotifier(receiver.url)
    for n in range(3):
        notifier.notify({"stack": {"id": "s"}, "status": str(n)})
    # The receiver holds the first POST: nothing has been answered, yet
    # every notify() has returned.
    assert receiver.received == []
    receiver.hold.set()
    notifier.close()
    assert [d["status"] for d in receiver.documents()] == ["0", "1", "2"]


def test_every_change_is_delivered_failed_or_counted_not_sent(receiver):
    # Before: close() gave up on a slow receiver and the changes still
    # queued vanished: "1 delivered, 0 failed" for 5 changes.
    receiver.hold = threading.Event()  # the receiver answers nothing
    notifier = callbacks.WebhookNotifier(receiver.url, attempts=1,
                                         timeouts=(1, 30))
    for n in range(5):
        notifier.notify({"stack": {"id": "s"}, "status": str(n)})
    assert notifier.close(timeout=0.2) is False
    assert (notifier.delivered, notifier.failed, notifier.not_sent) == \
        (0, 0, 5)
    assert notifier.summary() == ("0 delivered, 0 failed, 5 not sent (gave "
                                  "up waiting for the receiver)")
    receiver.hold.set()
    # What was given up on is not sent late.
    assert receiver.wait_for(1)
    assert not receiver.wait_for(2, timeout=1)


def test_a_failed_delivery_says_why(receiver):
    receiver.answers = [502] * 2
    notifier = callbacks.WebhookNotifier(receiver.url, attempts=2,
                                         backoff=0.01)
    notifier.notify({"stack": {"id": "s"}, "status": "A"})
    notifier.notify({"stack": {"id": "s"}, "status": "B"})
    assert notifier.close()
    assert notifier.summary() == \
        "1 delivered, 1 failed (answered 502 Bad Gateway: 1)"
    url = receiver.url
    receiver.close()
    notifier = callbacks.WebhookNotifier(url, attempts=1)
    notifier.notify({"stack": {"id": "s"}, "status": "A"})
    assert notifier.close()
    assert notifier.summary() == \
        "0 delivered, 1 failed (Connection refused: 1)"
