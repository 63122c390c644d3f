"""Configuration options, with no side effects at import.

``register_opts(conf)`` registers them on the ``ConfigOpts`` it is given;
``list_opts()`` serves ``oslo-config-generator`` and the docs.
"""

from oslo_config import cfg

GROUP = "deltacloud"

BACKEND_OPTS = [
    cfg.StrOpt(
        "compute_backend", default="deltacloud",
        help="Which compute backend heat-deltacloud's cloud_backend class "
             "uses.  Backends are found through the "
             "'heat_deltacloud.compute_backends' entry point namespace, so "
             "another package can add one by entry point alone."),
]

DELTACLOUD_OPTS = [
    cfg.URIOpt(
        "url", schemes=["http", "https"],
        help="The Deltacloud API root, for example "
             "http://127.0.0.1:3001/api: every password is checked there "
             "and every instance is managed there.  Unset, requests are "
             "refused unless allow_client_url is true."),
    cfg.BoolOpt(
        "allow_client_url", default=False,
        help="With url unset, use the Deltacloud URL each request brings "
             "(X-Auth-Url).  Risky: a client can then point Heat at a "
             "Deltacloud server of its own, which accepts any password, "
             "and act as any user name of this Heat (see, change and "
             "delete their stacks); credentials also go wherever a "
             "client points.  Only for a private, single-user Heat "
             "(the embedded one sets it).  Ignored when url is set."),
    cfg.StrOpt(
        "driver",
        help="The Deltacloud driver to ask for (X-Deltacloud-Driver).  "
             "Unset means the server's default driver."),
    cfg.StrOpt(
        "provider",
        help="The Deltacloud provider to ask for (X-Deltacloud-Provider).  "
             "A request's region name, when it has one, takes precedence."),
    cfg.FloatOpt(
        "connect_timeout", default=5.0, min=0.1,
        help="Seconds to wait for a connection to Deltacloud."),
    cfg.FloatOpt(
        "read_timeout", default=60.0, min=0.1,
        help="Seconds to wait for Deltacloud to answer a request."),
    cfg.IntOpt(
        "retries", default=3, min=0,
        help="How many times a read is retried after a connection error or "
             "a 502/503/504 answer.  Creates are never retried."),
    cfg.FloatOpt(
        "backoff_factor", default=0.5, min=0,
        help="The base of the exponential back-off between retries, in "
             "seconds."),
    cfg.IntOpt(
        "max_connections", default=10, min=1,
        help="Keep-alive connections to Deltacloud per user (the request "
             "contexts of one user share a client and its pool), and the "
             "most requests of that user in flight at once; more wait for "
             "a free connection up to read_timeout."),
    cfg.StrOpt(
        "format", default="xml", choices=["xml", "json"],
        help="The document format to ask Deltacloud for.  Hardware "
             "profiles are always read as XML."),
    cfg.StrOpt(
        "ca_file",
        help="A CA bundle to verify Deltacloud's TLS certificate with."),
    cfg.BoolOpt(
        "insecure", default=False,
        help="Skip TLS certificate verification.  Only for testing."),
    cfg.StrOpt(
        "cert_file",
        help="A client certificate to present to Deltacloud."),
    cfg.StrOpt(
        "key_file",
        help="The private key of cert_file."),
    cfg.FloatOpt(
        "delete_timeout", default=300.0, min=0,
        help="How long deleting a server may wait for its instance to "
             "reach a state it can be destroyed from (Deltacloud destroys "
             "only stopped instances on most drivers)."),
    cfg.FloatOpt(
        "poll_interval", default=2.0, min=0,
        help="Seconds between reads while waiting for an instance."),
    cfg.BoolOpt(
        "ignore_unsupported_user_data", default=False,
        help="When the driver does not advertise the user_data feature, "
             "drop servers' user data with a warning instead of failing "
             "the create.  Templates whose instances rely on user data "
             "will then boot without it."),
    cfg.IntOpt(
        "signature_ttl", default=86400, min=60,
        help="Seconds a signed request's Timestamp (or X-Amz-Date) stays "
             "valid at heat-api-cfn.  Heat signs a wait condition handle's "
             "URL once, when the handle is created, with a Timestamp, so "
             "this must exceed the longest wait condition timeout of any "
             "stack.  Signed URLs without a Timestamp (scaling policies) "
             "never expire; they are revoked with their resource."),
    cfg.URIOpt(
        "identity_url", schemes=["http", "https"],
        help="The identity endpoint (heat_deltacloud.heat.identity) as "
             "instances and OpenStack clients reach it, for example "
             "http://heat.example.com:8004/identity/v3.  Heat hands it to "
             "instances as their Keystone auth_url.  Unset, the "
             "HEAT_SIGNAL, TOKEN_SIGNAL and POLL_SERVER_HEAT transports "
             "are refused at validation."),
    cfg.ListOpt(
        "token_keys", secret=True, default=[],
        help="Fernet keys (32 url-safe base64-encoded bytes each, as "
             "'python -c \"from cryptography.fernet import Fernet; "
             "print(Fernet.generate_key().decode())\"' makes) of the "
             "identity endpoint's tokens.  The first key encrypts, every "
             "key decrypts: to rotate, put a new key first, keep the old "
             "one second until the longest token lifetime has passed, "
             "then drop it.  Every heat-api and identity process needs "
             "the same list.  Unset, one key is derived (HKDF-SHA256) "
             "from [DEFAULT] auth_encryption_key."),
    cfg.IntOpt(
        "token_ttl", default=3600, min=60,
        help="Seconds a token the identity endpoint issues to a "
             "Deltacloud user stays valid."),
    cfg.IntOpt(
        "stack_user_token_ttl", default=86400, min=60,
        help="Seconds a stack user's token stays valid.  Heat mints a "
             "TOKEN_SIGNAL wait condition handle's token once, when the "
             "handle is created, so this must exceed the longest wait "
             "condition timeout.  A stack user's tokens also stop working "
             "as soon as the user is deleted (with its resource or stack) "
             "or disabled (while the resource is suspended)."),
    cfg.IntOpt(
        "discovery_cache_ttl", default=300, min=0,
        help="Seconds to keep a driver's /api document and hardware "
             "profiles, per endpoint and credentials, so a stack does not "
             "fetch them once per resource.  0 disables the cache."),
]


def register_opts(conf):
    conf.register_opts(BACKEND_OPTS)
    conf.register_opts(DELTACLOUD_OPTS, group=GROUP)


def registered(conf):
    """``conf``, with these options registered if they were not yet.

    For code that may run before anything registered them (a paste filter
    loaded by heat-api, the first backend Heat builds).
    """
    try:
        conf.deltacloud  # the look-up is the test
    except cfg.NoSuchOptError:
        register_opts(conf)
    return conf


def list_opts():
    return [(None, BACKEND_OPTS), (GROUP, DELTACLOUD_OPTS)]
