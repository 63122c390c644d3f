"""``X-Auth-Token`` at heat-api: the token branch of ``deltacloud_auth``.

A request with a token and without Deltacloud credentials (which win) is
authenticated by :func:`handle`:

* a Deltacloud user's token gives exactly the identity the filter gives
  for ``X-Auth-User``/``X-Auth-Key``: user, project = user, the token's
  roles, and the Deltacloud user name, password and URL from the token's
  encrypted payload, so the engine's deferred work has the stored
  credentials as before.  The Deltacloud password is not checked again:
  it was checked when the token was issued.
* a stack user's token (role ``heat_stack_user``, its stack's project)
  may only signal a resource of its own stack (``POST .../resources/
  <name>/signal``) and read a resource's metadata (``GET .../resources/
  <name>/metadata``), as a stack user's EC2 key may at heat-api-cfn;
  anything else is 403 here, before the engine is asked.  heat-api-cfn
  (``error_format = aws``) refuses stack user tokens: instances sign
  their requests there.

Invalid, expired, tampered and revoked tokens, and tokens of deleted or
disabled stack users, get 401 with the filter's error document; the token
is never echoed or logged.
"""

import logging
import re

from heat_deltacloud.heat.identity import tokens

LOG = logging.getLogger(__name__)

#: heat-api routes a stack user's token may use (after /v1).
STACK_USER_ROUTE = re.compile(
    r"^/(?P<tenant>[^/]+)/stacks/(?P<name>[^/]+)/(?P<stack_id>[^/]+)"
    r"/resources/(?P<resource>[^/]+)/(?P<action>signal|metadata)/?$")
STACK_USER_METHODS = {"signal": "POST", "metadata": "GET"}
#: The 401 message for a token that is not accepted (never echoed).
REFUSED = ("The request you have made requires authentication: the token "
           "is not accepted (expired, revoked or not issued here).  Get a "
           "new one from the identity endpoint, or send the Deltacloud "
           "user name and password as X-Auth-User and X-Auth-Key, or as "
           "HTTP Basic credentials.")


def _provider():
    return tokens.provider()


def handle(filter_, req, token_id):
    """Answer ``req`` for ``filter_`` (a ``DeltacloudAuth``) with the
    identity of ``token_id``, or refuse it."""
    from heat_deltacloud.heat import auth

    try:
        token = _provider().verify(token_id)
    except tokens.InvalidToken as exc:
        LOG.info("Refused a token on %s %s: %s", req.method, req.path, exc)
        return filter_.error_response(auth.Rejected(REFUSED))
    except tokens.Unavailable:
        return filter_.error_response(auth.Unavailable(
            "the stack user store cannot be read; try again later."))
    except ValueError as exc:  # no usable keys configured
        LOG.error("Cannot verify tokens: %s", exc)
        return filter_.error_response(auth.Unavailable(
            "tokens cannot be verified here; try again later."))
    if token.is_stack_user:
        return _stack_user(filter_, req, token)
    configured = filter_._options.url
    if not configured and not filter_._options.allow_client_url:
        # Issued while clients' URLs were allowed: no longer trusted.
        return filter_.error_response(auth.UrlRefused(
            f"no Deltacloud URL is configured: {auth.URL_FIX}."))
    if configured and configured != token.deltacloud_url:
        LOG.info("Refused a token of %s issued for another Deltacloud URL",
                 token.user_id)
        return filter_.error_response(auth.Rejected(REFUSED))
    creds = auth.Credentials(
        user=token.user_name, key=token.password, url=token.deltacloud_url,
        url_from_client=False, driver=token.driver,
        provider=token.provider)
    filter_.pass_identity(req, creds)
    req.environ["HTTP_X_ROLES"] = ",".join(token.roles)
    LOG.debug("Token of %s accepted", token.user_id)
    return req.get_response(filter_.app)


def _stack_user(filter_, req, token):
    from heat_deltacloud.heat import auth, ec2, stackusers

    denied = ec2.Denied("a stack user's token may only signal its own "
                        "stack's resources and read their metadata")
    if filter_.error_format == "aws":
        return filter_.error_response(denied)
    match = STACK_USER_ROUTE.match(req.path_info)
    if (match is None
            or req.method != STACK_USER_METHODS[match["action"]]
            or match["tenant"] != token.project_id):
        LOG.info("Refused stack user %s %s %s", token.user_id, req.method,
                 req.path_info)
        return filter_.error_response(denied)
    try:
        found = tokens_store(filter_).stack_project(match["stack_id"])
    except stackusers.STORE_ERRORS as exc:
        LOG.error("Cannot read the stacks' projects: %s",
                  type(exc).__name__)
        return filter_.error_response(auth.Unavailable(
            "the stack user store cannot be read; try again later."))
    if not found or found[0] != token.project_id:
        LOG.info("Refused stack user %s another stack's %s",
                 token.user_id, match["action"])
        return filter_.error_response(ec2.Denied(
            "the token belongs to another stack"))
    req.environ.update({
        "HTTP_X_IDENTITY_STATUS": "Confirmed",
        "HTTP_X_USER_ID": token.user_id,
        "HTTP_X_USER_NAME": token.user_name,
        "HTTP_X_PROJECT_ID": token.project_id,
        "HTTP_X_PROJECT_NAME": token.project_id,
        "HTTP_X_ROLES": ",".join(token.roles),
        "HTTP_X_IS_ADMIN_PROJECT": "False",
    })
    LOG.debug("Token of stack user %s accepted for %s", token.user_id,
              match["action"])
    return req.get_response(filter_.app)


def tokens_store(filter_):
    return _provider().store
