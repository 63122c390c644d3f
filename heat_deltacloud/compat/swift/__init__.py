"""A swiftclient-shaped connection over Deltacloud buckets and blobs.

Containers are buckets, objects are blobs.  Deltacloud buckets carry no
metadata and no access lists, so container headers are judged by
:data:`HEADER_RULES`: descriptive metadata (tags, ``X-Container-Meta-*``,
``X-Account-Meta-*``) is logged and not kept, as the cinder shim does with
volume metadata; access lists that mean "this account" (what
``AWS::S3::Bucket`` sends for ``Private``) need nothing; whatever grants
more, or asks for a behaviour (a static website, temporary URLs), is
refused with a 501 naming it, before anything is created.

Bucket names are global on S3 (and on the mock), so creating a container
whose name is taken fails (409) instead of adopting someone's bucket, as
Swift's idempotent ``PUT`` would: Heat would later delete it.
"""

import hashlib
import logging

from heat_deltacloud.compat.swift import exceptions

LOG = logging.getLogger(__name__)

IGNORE, REFUSE, ACCOUNT_ONLY = "ignore", "refuse", "account-only"

#: Header prefix (lower case) -> (outcome, why), first match wins.
#: Headers matching none are refused.
HEADER_RULES = (
    ("x-container-meta-web-", REFUSE, "Deltacloud buckets serve no static "
                                      "website"),
    ("x-account-meta-temp-url-key", REFUSE, "Deltacloud has no temporary "
                                            "URLs"),
    ("x-container-meta-", IGNORE, "Deltacloud buckets have no metadata"),
    ("x-account-meta-", IGNORE, "Deltacloud accounts have no metadata"),
    ("x-container-read", ACCOUNT_ONLY, "Deltacloud buckets are private to "
                                       "their account"),
    ("x-container-write", ACCOUNT_ONLY, "Deltacloud buckets are private to "
                                        "their account"),
)


def judge_headers(headers, account):
    """Raise a 501 for the first header Deltacloud cannot honour; log
    the ones it drops.  ``account``: the ACL values meaning "this
    account" (the request's ``project:user`` and project)."""
    dropped = []
    for name, value in (headers or {}).items():
        lower = name.lower()
        outcome, why = next(((o, w) for prefix, o, w in HEADER_RULES
                             if lower.startswith(prefix)),
                            (REFUSE, "Deltacloud cannot honour it"))
        if outcome == IGNORE:
            dropped.append(name)
        elif outcome == REFUSE or (outcome == ACCOUNT_ONLY and value and
                                   value not in account):
            raise exceptions.error(
                f"{why}: cannot honour {name}: {value}", 501)
    if dropped:
        LOG.info("Deltacloud cannot store these headers; not kept: %s",
                 sorted(dropped))


def _meta_headers(metadata):
    return {f"x-object-meta-{key.lower()}": value
            for key, value in (metadata or {}).items()}


class Connection:
    """The subset of ``swiftclient.client.Connection`` Heat's
    ``AWS::S3::Bucket`` and ``OS::Swift::Container`` use.

    :param account: the ACL values that mean "the caller's account".
    """

    def __init__(self, deltacloud_client, account=()):
        self.deltacloud = deltacloud_client
        self.account = frozenset(a for a in account if a)

    @property
    def buckets(self):
        return self.deltacloud.buckets

    @property
    def url(self):
        """The storage URL: Deltacloud's buckets collection (Heat derives
        ``DomainName``, ``WebsiteURL`` and ``RootURL`` from it)."""
        return f"{self.deltacloud.url}/buckets"

    def get_auth(self):
        """``(storage URL, token)``; there is no token."""
        return self.url, None

    # -- containers ----------------------------------------------------------

    def put_container(self, container, headers=None, **kwargs):
        judge_headers(headers, self.account)
        with exceptions.translating():
            self.buckets.create(container)

    def head_container(self, container, headers=None):
        """Counts and bytes (one request per blob for the sizes)."""
        with exceptions.translating():
            bucket = self.buckets.get(container)
            sizes = [self.buckets.get_blob(bucket.id, blob).content_length
                     or 0 for blob in bucket.blob_ids]
        return {"x-container-object-count": str(len(sizes)),
                "x-container-bytes-used": str(sum(sizes))}

    def get_container(self, container, **kwargs):
        """``(headers, [{"name": ...}])``: blob names only (their sizes
        would cost a request each; :meth:`head_container` has the sum)."""
        with exceptions.translating():
            bucket = self.buckets.get(container)
        names = sorted(bucket.blob_ids)
        return ({"x-container-object-count": str(len(names))},
                [{"name": name} for name in names])

    def delete_container(self, container, **kwargs):
        with exceptions.translating():
            self.buckets.destroy(container)

    # -- objects -------------------------------------------------------------

    def put_object(self, container, obj, contents, content_type=None,
                   headers=None, **kwargs):
        """Store a blob (``X-Object-Meta-*`` headers become its
        metadata); returns its MD5, as Swift's ETag."""
        if hasattr(contents, "read"):
            contents = contents.read()
        body = contents.encode() if isinstance(contents, str) else \
            bytes(contents or b"")
        metadata = {name[len("x-object-meta-"):]: value
                    for name, value in (headers or {}).items()
                    if name.lower().startswith("x-object-meta-")}
        with exceptions.translating():
            self.buckets.put_blob(
                container, obj, body, metadata=metadata,
                content_type=content_type or "application/octet-stream")
        return hashlib.md5(body, usedforsecurity=False).hexdigest()

    def head_object(self, container, obj, **kwargs):
        with exceptions.translating():
            blob = self.buckets.get_blob(container, obj)
        return {"content-length": str(blob.content_length or 0),
                "content-type": blob.content_type or "",
                "last-modified": blob.last_modified or "",
                **_meta_headers(blob.user_metadata)}

    def get_object(self, container, obj, **kwargs):
        headers = self.head_object(container, obj)
        with exceptions.translating():
            return headers, self.buckets.blob_content(container, obj)

    def delete_object(self, container, obj, **kwargs):
        with exceptions.translating():
            self.buckets.delete_blob(container, obj)

    # -- the account ---------------------------------------------------------

    def head_account(self, headers=None):
        with exceptions.translating():
            count = len(self.buckets.list())
        return {"x-account-container-count": str(count)}

    def post_account(self, headers, **kwargs):
        judge_headers(headers, self.account)


__all__ = ["Connection", "exceptions"]
