"""EC2-signed requests at heat-api-cfn, checked without Keystone.

Two kinds reach heat-api-cfn signed with a stack user's key (see
``heat-signals.md`` in the project's shared docs):

* pre-signed URLs Heat hands to templates (wait condition handles,
  scaling policies, software deployments): signature version 2 in the
  query, ``PUT /v1/waitcondition/<arn>`` or ``POST /v1/signal/<arn>``;
* instance tools signing with the key itself (``cfn-get-metadata``,
  ``cfn-hup``: SigV4 ``DescribeStackResource``).

The signature is recomputed with keystoneclient's ``Ec2Signer`` (what
Keystone's ``/v3/ec2tokens`` uses) over what the request carries and
compared in constant time.  Only versions 2 and 4 are accepted (0 and 1
sign too little).  A ``Timestamp``/``X-Amz-Date`` outside the window is
refused.  A verified key may then only signal resources of its own stack
(and its nested stacks) and read their metadata: anything else is refused
here, before the engine is asked.
"""

import datetime
import hashlib
import hmac
import json
import logging
import urllib.parse

from keystoneclient.contrib.ec2 import utils as ec2_utils

LOG = logging.getLogger(__name__)

#: heat-api-cfn routes a stack user's key may use: path prefix -> method.
SIGNAL_ROUTES = {"/v1/waitcondition/": "PUT", "/v1/signal/": "POST"}
#: Query API actions a stack user's key may call.
STACK_USER_ACTIONS = frozenset({"DescribeStackResource"})
#: The role Heat's engine and policies recognise stack users by.
STACK_USER_ROLE = "heat_stack_user"

#: The largest body hashed for a signature: Heat's own limit on a signal
#: body (``max_json_body_size``'s default).
MAX_BODY = 1024 * 1024

TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ",
                     "%Y%m%dT%H%M%SZ")


class SignatureError(Exception):
    """A signed request refused; ``str()`` is safe to show."""

    status = 403
    title = "Forbidden"
    aws_code = "AccessDenied"


class Incomplete(SignatureError):
    status = 400
    title = "Bad Request"
    aws_code = "IncompleteSignature"


class TooLarge(SignatureError):
    status = 413
    title = "Request Entity Too Large"
    aws_code = "RequestEntityTooLarge"


class UnknownKey(SignatureError):
    aws_code = "InvalidClientTokenId"


class Mismatch(SignatureError):
    aws_code = "SignatureDoesNotMatch"


class Expired(SignatureError):
    aws_code = "RequestExpired"


class Denied(SignatureError):
    aws_code = "AccessDenied"


def signature_of(req):
    """The signature a request carries, as Heat's ``EC2Token`` finds it."""
    sig = req.params.get("Signature") or req.params.get("X-Amz-Signature")
    if sig is None and "Authorization" in req.headers:
        sig = req.headers["Authorization"].partition(
            "Signature=")[2].split(",")[0] or None
    return sig


def access_of(req):
    """The access key a request names, as Heat's ``EC2Token`` finds it."""
    access = req.params.get("AWSAccessKeyId")
    if access is None:
        credential = req.params.get("X-Amz-Credential")
        if credential:
            access = credential.split("/")[0]
    if access is None and "Authorization" in req.headers:
        credential = req.headers["Authorization"].partition(
            "Credential=")[2].split(",")[0]
        access = credential.split("/")[0] or None
    return access


def is_signed(req):
    """Whether a request claims an EC2 signature (SigV2 or SigV4)."""
    authorization = req.headers.get("Authorization", "")
    return bool(req.params.get("Signature")
                or req.params.get("X-Amz-Signature")
                or authorization.startswith("AWS4-HMAC-SHA256"))


def _version(req):
    """The version ``Ec2Signer.generate`` will verify, chosen as it does:
    a ``SignatureVersion`` parameter first, then SigV4 markers."""
    version = req.params.get("SignatureVersion")
    if version is not None:
        return version
    if (req.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256")
            or req.params.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256"):
        return "4"
    return None


def _parse_time(value):
    for fmt in TIMESTAMP_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).replace(
                tzinfo=datetime.UTC)
        except ValueError:
            continue
    raise Incomplete("the request's timestamp is not an ISO 8601 UTC time")


def _times(req, version):
    """``(signed time or None, expiry or None)`` of a request."""
    if version == "4":
        value = (req.headers.get("X-Amz-Date")
                 or req.params.get("X-Amz-Date"))
        return (None if value is None else _parse_time(value)), None
    signed, expires = req.params.get("Timestamp"), req.params.get("Expires")
    return (None if signed is None else _parse_time(signed),
            None if expires is None else _parse_time(expires))


def _candidates(req):
    """``(host, path)`` pairs the signer may have used.

    Heat signs the unquoted ARN path and the lower-cased host with its
    port; WSGI's ``SCRIPT_NAME + PATH_INFO`` is exactly that path, webob's
    ``req.path`` the re-quoted one other signers use.  Like Keystone, the
    host is also tried without its port.
    """
    raw_path = req.environ.get("SCRIPT_NAME", "") + req.environ.get(
        "PATH_INFO", "")
    paths = [req.path]
    if raw_path != req.path:
        paths.append(raw_path)
    host = req.host
    hosts = [host]
    bare = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if bare != host:
        hosts.append(bare)
    return [(h, p) for h in hosts for p in paths]


def expected_signatures(req, secret):
    """Every signature ``secret`` could have made of ``req``.

    ``Ec2Signer`` raises bare exceptions (and IndexError on a short SigV4
    credential) for requests it cannot read: they are a mismatch here.
    """
    params = {k: v for k, v in req.params.items() if k != "Signature"}
    headers = dict(req.headers)
    body_hash = hashlib.sha256(req.body).hexdigest()
    for host, path in _candidates(req):
        credentials = {"host": host, "verb": req.method, "path": path,
                       "params": dict(params), "headers": headers,
                       "body_hash": body_hash}
        # A new signer each time: Ec2Signer's HMAC state accumulates.
        try:
            yield ec2_utils.Ec2Signer(secret).generate(credentials)
        except Exception:  # Ec2Signer raises bare exceptions: see above
            raise Mismatch("the request signature does not match") from None


class Verifier:
    """Checks signed requests against a :class:`StackUserStore`.

    ``window`` is how old (seconds) a signed timestamp may be: Heat signs
    a wait condition handle's URL once, at creation, with a Timestamp, so
    the window must cover the longest wait condition timeout.  ``skew`` is
    how far in the future one may be.
    """

    def __init__(self, store, *, window, skew=300):
        self.store = store
        self.window = window
        self.skew = skew

    def verify(self, req, now=None):
        """The :class:`~heat_deltacloud.heat.stackusers.Principal` of a
        correctly signed, in-scope request, else a SignatureError."""
        signature, access = signature_of(req), access_of(req)
        if not signature:
            raise Incomplete("the request carries no signature")
        if not access:
            raise Incomplete("the request names no access key")
        if (req.content_length or 0) > MAX_BODY:
            raise TooLarge(f"a signed request's body may not exceed "
                           f"{MAX_BODY} bytes")
        version = _version(req)
        if version not in ("2", "4"):
            raise Incomplete("only signature versions 2 and 4 are "
                             "accepted")
        self._check_time(*_times(req, version), now=now)
        principal = self.store.principal(access)
        if principal is None:
            raise UnknownKey("the access key is not known here (it was "
                             "never issued, or its resource or stack was "
                             "deleted)")
        if not any(hmac.compare_digest(signature.encode(), sig.encode())
                   for sig in expected_signatures(req, principal.secret)):
            raise Mismatch("the request signature does not match")
        if not principal.enabled:
            raise Denied("the stack user is suspended")
        self._check_scope(req, principal)
        return principal

    def _check_time(self, signed, expires, now=None):
        now = now or datetime.datetime.now(datetime.UTC)
        if expires is not None and expires < now:
            raise Expired("the signed request has expired")
        if signed is None:
            return
        age = (now - signed).total_seconds()
        if age > self.window:
            raise Expired("the signed request has expired")
        if age < -self.skew:
            raise Expired("the signed request is dated in the future")

    def _check_scope(self, req, principal):
        path = req.environ.get("SCRIPT_NAME", "") + req.environ.get(
            "PATH_INFO", "")
        for prefix, method in SIGNAL_ROUTES.items():
            if path.startswith(prefix):
                if req.method != method:
                    raise Denied(f"{prefix} takes {method} only")
                self._check_stack(arn_stack_id(path[len(prefix):]),
                                  principal)
                return
        action = req.params.get("Action")
        if path.rstrip("/") in ("/v1", "") and action in STACK_USER_ACTIONS:
            stack_name = req.params.get("StackName", "")
            if stack_name.startswith("arn:"):
                self._check_stack(arn_stack_id(stack_name), principal)
            elif not self.store.stack_named(stack_name,
                                            principal.project_id):
                raise Denied("the key belongs to another stack")
            return
        raise Denied("a stack user's key may only signal its own stack's "
                     "resources and read their metadata")

    def _check_stack(self, stack_id, principal):
        found = stack_id and self.store.stack_project(stack_id)
        if not found or found[0] != principal.project_id:
            raise Denied("the key belongs to another stack")


def arn_stack_id(arn):
    """The stack id of a resource or stack ARN (or None)."""
    from heat.common import identifier

    try:
        ident = identifier.HeatIdentifier.from_arn(
            urllib.parse.unquote(arn))
    except Exception:  # Heat raises a generic error for malformed ARNs
        return None
    return ident.stack_id


def identity_environ(principal, signature):
    """The environ entries Heat's ``context`` filter reads for a stack user.

    Like Heat's ``EC2Token`` plus the user id, which the engine's
    ``_authorize_stack_user`` compares with the keys a resource allows.
    ``X-Auth-User`` stays unset so the context keeps ``aws_creds``.
    """
    creds = {"ec2Credentials": {"access": principal.access,
                                "signature": signature}}
    return {
        "HTTP_X_IDENTITY_STATUS": "Confirmed",
        "HTTP_X_USER_ID": principal.user_id,
        "HTTP_X_USER_NAME": principal.user_name,
        "HTTP_X_PROJECT_ID": principal.project_id,
        "HTTP_X_PROJECT_NAME": principal.project_id,
        "HTTP_X_ROLES": STACK_USER_ROLE,
        "HTTP_X_IS_ADMIN_PROJECT": "False",
        "HTTP_X_AUTH_EC2_CREDS": json.dumps(creds),
    }
