"""Checks of the identity endpoint's configuration, for the doctor.

:func:`check` returns ``(status, name, detail, fix)`` tuples (status
``OK``, ``WARN`` or ``FAIL``), the shape of ``heat_deltacloud.doctor``'s
checks, from a parsed heat.conf (``[deltacloud]`` options and ``[DEFAULT]
auth_encryption_key`` registered), and with ``probe`` asks the configured
``identity_url`` whether it answers as this endpoint.  No secret (key,
password, token) is ever part of a detail.
"""

from heat_deltacloud.heat.identity import tokens

PROBE_TIMEOUT = (5, 10)
IDENTITY_EXAMPLE = "http://HEAT-API-HOST:8004/identity/v3"
KEY_FIX = ("set [deltacloud] token_keys to Fernet keys (python3 -c 'from "
           "cryptography.fernet import Fernet; "
           "print(Fernet.generate_key().decode())'), the same on every "
           "heat-api and heat-engine")


def check_keys(conf):
    name = "[deltacloud] token_keys"
    try:
        keys = tokens.configured_keys(conf)
    except ValueError as exc:
        if conf.deltacloud.token_keys:
            return ("FAIL", name, str(exc), KEY_FIX)
        return ("FAIL", name, "unset, and so is auth_encryption_key: Heat "
                "then uses its public default key, so anybody can forge "
                "tokens", KEY_FIX)
    if conf.deltacloud.token_keys:
        return ("OK", name, f"{len(keys)} key(s); the first encrypts, all "
                "decrypt", "")
    if tokens.TokenProvider(conf).uses_heat_default_key():
        return ("FAIL", name, "unset, and auth_encryption_key is Heat's "
                "public default: anybody can forge tokens", KEY_FIX)
    return ("WARN", name, "unset: one key derived from "
            "auth_encryption_key, which cannot be rotated on its own",
            KEY_FIX)


def check_url(conf):
    name = "identity logins"
    if conf.deltacloud.url:
        return ("OK", name, "password logins are checked with "
                f"{conf.deltacloud.url}", "")
    return ("WARN", name, "[deltacloud] url is unset: OpenStack clients "
            "cannot log in at the identity endpoint (a login carries no "
            "X-Auth-Url)", "set [deltacloud] url")


def _probe(url):
    """``(version status, login status, Keystone error?)`` or a reason."""
    import requests

    base = url.rstrip("/")
    if not base.endswith("/v3"):
        base += "/v3"
    with requests.Session() as session:
        session.trust_env = False
        try:
            version = session.get(base, timeout=PROBE_TIMEOUT,
                                  allow_redirects=False)
            login = session.post(f"{base}/auth/tokens", json={},
                                 timeout=PROBE_TIMEOUT,
                                 allow_redirects=False)
        except requests.RequestException as exc:
            return type(exc).__name__
    try:
        doc = version.json()
        is_v3 = str(doc["version"]["id"]).startswith("v3")
        error = login.json()["error"]
        keystone_error = set(error) == {"code", "title", "message"}
    except (ValueError, KeyError, TypeError):
        is_v3 = keystone_error = False
    return version.status_code, is_v3, login.status_code, keystone_error


def check_endpoint(conf, probe=True):
    name = "[deltacloud] identity_url"
    url = conf.deltacloud.identity_url
    fix = f"set [deltacloud] identity_url = {IDENTITY_EXAMPLE}"
    if not url:
        return ("WARN", name, "unset: templates using HEAT_SIGNAL, "
                "TOKEN_SIGNAL or POLL_SERVER_HEAT are refused at "
                "validation", fix)
    if not probe:
        return ("OK", name, url, "")
    found = _probe(url)
    if isinstance(found, str):
        return ("FAIL", name, f"{url} cannot be reached from here: "
                f"{found}", "serve heat-api with the package's "
                f"api-paste.ini (its /identity route), or {fix}")
    version, is_v3, login, keystone_error = found
    if version == 200 and is_v3 and login == 400 and keystone_error:
        return ("OK", name, f"{url} answers as an identity v3 endpoint "
                "(reached from this host; instances must reach it too)", "")
    return ("FAIL", name, f"{url} does not answer as the identity "
            f"endpoint (version document: HTTP {version}, login: HTTP "
            f"{login})", fix)


def check_token_lifetimes(conf):
    name = "[deltacloud] stack_user_token_ttl"
    ttl = conf.deltacloud.stack_user_token_ttl
    detail = (f"{ttl} s: TOKEN_SIGNAL handles' tokens (minted once) "
              "expire then")
    if ttl < 3600:
        return ("WARN", name, detail, "raise it above the longest wait "
                "condition timeout")
    return ("OK", name, detail, "")


def check(conf, probe=True):
    """Every check of the identity endpoint's configuration."""
    return [check_keys(conf), check_url(conf),
            check_endpoint(conf, probe), check_token_lifetimes(conf)]

