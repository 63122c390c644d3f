"""Making and taking apart EC2-signed requests, as clients and Heat do.

Signatures are computed with keystoneclient's ``Ec2Signer`` (what Heat
signs its URLs with) or, for SigV4, also with botocore (what AWS clients
use), from a stack user's key read from the store.  Nothing here logs.
"""

import base64
import dataclasses
import datetime
import hashlib
import hmac
import urllib.parse

from keystoneclient.contrib.ec2 import utils as ec2_utils

#: The SigV2 Timestamp format Heat signs with.
V2_TIME = "%Y-%m-%dT%H:%M:%SZ"
#: The SigV4 X-Amz-Date format.
V4_TIME = "%Y%m%dT%H%M%SZ"


def utcnow():
    return datetime.datetime.now(datetime.UTC)


def v2_time(when):
    return when.strftime(V2_TIME)


@dataclasses.dataclass
class SignedURL:
    """A pre-signed URL taken apart: ``base`` (scheme and host), ``path``
    (quoted, as sent) and the query ``params`` (Signature included)."""

    base: str
    path: str
    params: dict

    @classmethod
    def parse(cls, url):
        parts = urllib.parse.urlsplit(url)
        return cls(f"{parts.scheme}://{parts.netloc}", parts.path,
                   dict(urllib.parse.parse_qsl(parts.query,
                                               keep_blank_values=True)))

    @property
    def host(self):
        return urllib.parse.urlsplit(self.base).netloc

    @property
    def access(self):
        return self.params["AWSAccessKeyId"]

    @property
    def signature(self):
        return self.params["Signature"]

    @property
    def url(self):
        return f"{self.base}{self.path}?{urllib.parse.urlencode(self.params)}"

    def replace(self, **changes):
        """A copy with ``base``, ``path`` or ``params`` (merged) changed;
        a param set to None is removed.  The signature is kept."""
        params = dict(self.params)
        for key, value in changes.pop("params", {}).items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        return dataclasses.replace(self, params=params, **changes)

    def signed(self, secret, method="PUT", **changes):
        """A copy with ``changes`` made, signed again with ``secret``."""
        copy = self.replace(**changes)
        params = {k: v for k, v in copy.params.items() if k != "Signature"}
        params["Signature"] = sign_v2(secret, method, copy.host,
                                      urllib.parse.unquote(copy.path),
                                      params)
        return dataclasses.replace(copy, params=params)


def sign_v2(secret, method, host, path, params):
    """Ec2Signer's signature of ``params`` (version taken from them).

    ``path`` is unquoted, as Heat signs and WSGI hands it on.  A new
    signer per call: its HMAC state accumulates.
    """
    return ec2_utils.Ec2Signer(secret).generate({
        "host": host.lower(), "verb": method, "path": path,
        "params": dict(params)})


def sign_v2_sha1(secret, method, host, path, params):
    """A correct SigV2 signature with ``SignatureMethod=HmacSHA1`` (AWS
    allows it; Ec2Signer always recomputes with SHA-256)."""
    params = {**params, "SignatureMethod": "HmacSHA1"}
    text = "\n".join((method, host.lower(), path,
                      ec2_utils.Ec2Signer._canonical_qs(params)))
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def query_v2(secret, access, base, params, *, method="GET", path="/v1/",
             when=None):
    """A SigV2 query API URL (``Action=...``) signed with ``secret``."""
    signed = {"AWSAccessKeyId": access, "SignatureVersion": "2",
              "SignatureMethod": "HmacSHA256",
              "Timestamp": v2_time(when or utcnow()), **params}
    host = urllib.parse.urlsplit(base).netloc
    signed["Signature"] = sign_v2(secret, method, host, path, signed)
    return f"{base}{path}?{urllib.parse.urlencode(signed)}"


def botocore_v4(access, secret, method, url, *, region="RegionOne",
                service="cloudformation"):
    """Headers botocore's SigV4 signer adds to ``method url``."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url)
    SigV4Auth(Credentials(access, secret), service, region).add_auth(
        request)
    return {k: v for k, v in request.headers.items()
            if k in ("Authorization", "X-Amz-Date")}


def ec2signer_v4(access, secret, method, url, *, when=None,
                 region="RegionOne", service="cloudformation",
                 scope_date=None):
    """SigV4 headers made with Ec2Signer (no logging, unlike botocore).

    ``scope_date`` (YYYYMMDD) is the credential scope's date; by default
    the X-Amz-Date's, as it must be.
    """
    when = when or utcnow()
    amz_date = when.strftime(V4_TIME)
    scope = f"{scope_date or amz_date[:8]}/{region}/{service}/aws4_request"
    parts = urllib.parse.urlsplit(url)
    authorization = (f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                     "SignedHeaders=host;x-amz-date, Signature=")
    headers = {"Host": parts.netloc, "X-Amz-Date": amz_date,
               "Authorization": authorization}
    if scope_date is None:
        signature = ec2_utils.Ec2Signer(secret).generate({
            "host": parts.netloc, "verb": method,
            "path": urllib.parse.unquote(parts.path),
            "params": dict(urllib.parse.parse_qsl(parts.query)),
            "headers": headers,
            "body_hash": hashlib.sha256(b"").hexdigest()})
    else:  # Ec2Signer refuses to sign a date outside the scope
        signature = "0" * 64
    headers["Authorization"] = authorization + signature
    del headers["Host"]
    return headers


def one_char_changed(signature):
    """``signature`` with its first character replaced (still base64)."""
    first = "B" if signature[0] != "B" else "C"
    return first + signature[1:]


def leaked(text, *secrets):
    """Which of ``secrets`` (also URL-quoted) show in ``text``."""
    found = []
    for secret in secrets:
        forms = {secret, urllib.parse.quote(secret, safe=""),
                 urllib.parse.quote_plus(secret)}
        if any(form in text for form in forms):
            found.append(secret)
    return found
