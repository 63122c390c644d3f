"""What Heat asks of Keystone during a stack's life, answered locally.

With credentials passed through (``deferred_auth_method = password``)
Heat needs no trusts.  What its stack-user code needs (a project per
stack, users in it, EC2 keys for them; see ``heat/engine/resources/
stack_user.py``) is kept by :mod:`heat_deltacloud.heat.stackusers` in
Heat's own database, where heat-api-cfn checks signatures against it.
Stack user tokens (``TOKEN_SIGNAL``) and the Keystone v3 endpoint handed
to instances (``HEAT_SIGNAL``, ``POLL_SERVER_HEAT``) come from the
package's identity endpoint (:mod:`heat_deltacloud.heat.identity`) once
``[deltacloud] identity_url`` is set: tokens are minted here, with the
same keys, after the stack user's password is checked against the store.
Unset, they raise a clear error.

Heat also asks Keystone about the stack owner whenever it acts with the
credentials it stored at create (signals, scaling, nested stacks: a
``StoredContext``): the first read of its roles or domains authenticates
at ``auth_url``, which is the Deltacloud URL here, and fails.
:func:`answer_stored_contexts_locally` makes those reads local.
"""

import threading

from heat.common import context as heat_context
from heat.common import exception
from keystoneauth1 import exceptions as ks_exceptions

from heat_deltacloud.heat import stackusers


class KeystoneUnavailable(exception.Error):
    pass


#: What each unsupported part of Keystone is needed for, and what to use.
UNSUPPORTED = {
    "stack_domain_user_token": (
        "a stack user token (TOKEN_SIGNAL, ZAQAR_SIGNAL)",
        "use signal_transport CFN_SIGNAL or NO_SIGNAL"),
    "v3_endpoint": (
        "a Keystone v3 endpoint for instances (HEAT_SIGNAL, "
        "POLL_SERVER_HEAT)",
        "use CFN_SIGNAL / POLL_SERVER_CFN"),
    "server_keystone_endpoint_url": (
        "a Keystone v3 endpoint for instances (HEAT_SIGNAL, "
        "POLL_SERVER_HEAT)",
        "use CFN_SIGNAL / POLL_SERVER_CFN"),
    "stack_domain_id": (
        "a stack user domain (HEAT_SIGNAL, POLL_SERVER_HEAT)",
        "use CFN_SIGNAL / POLL_SERVER_CFN"),
    "client": (
        "looking up Keystone users and projects (such as OS::Nova::KeyPair's "
        "user)",
        "leave that property out: Deltacloud keys belong to the caller"),
}


def _unavailable(name):
    needed, instead = UNSUPPORTED.get(
        name, ("Keystone", "this resource type is not supported"))
    return KeystoneUnavailable(
        f"Keystone's '{name}' is not available with the Deltacloud "
        f"backend: it is needed for {needed}; {instead}")


class DeltacloudKeystone:
    """The part of Heat's ``KsClientWrapper`` a stack's life calls."""

    def __init__(self, context, store=None):
        self.context = context
        self._store = store

    @property
    def store(self):
        if self._store is None:
            self._store = stackusers.store()
        return self._store

    # The stack's "domain project" -------------------------------------

    def create_stack_domain_project(self, stack_id):
        return self.store.create_project(stack_id, self.context.project_id)

    def delete_stack_domain_project(self, project_id):
        """Delete the project, its users and keys.

        Stacks created before stack users existed here carry their owner's
        project, which this store never created: nothing is deleted then.
        """
        self.store.delete_project(project_id)

    # Stack users ------------------------------------------------------

    def create_stack_domain_user(self, username, project_id, password=None):
        try:
            return self.store.create_user(username, project_id, password)
        except stackusers.NotFound:
            raise KeystoneUnavailable(
                f"stack {project_id!r} has no stack user project: it was "
                "created before heat-deltacloud supported stack users; "
                "create the stack again") from None

    def delete_stack_domain_user(self, user_id, project_id):
        if not self.store.delete_user(user_id, project_id):
            raise ks_exceptions.NotFound(f"stack user {user_id} not found")

    def enable_stack_domain_user(self, user_id, project_id):
        self._set_enabled(user_id, project_id, True)

    def disable_stack_domain_user(self, user_id, project_id):
        self._set_enabled(user_id, project_id, False)

    def _set_enabled(self, user_id, project_id, enabled):
        try:
            self.store.set_enabled(user_id, project_id, enabled)
        except stackusers.NotFound:
            raise ks_exceptions.NotFound(
                f"stack user {user_id} not found") from None

    # EC2 keys ---------------------------------------------------------

    def create_stack_domain_user_keypair(self, user_id, project_id):
        try:
            return self.store.create_credential(user_id, project_id)
        except stackusers.NotFound:
            raise ks_exceptions.NotFound(
                f"stack user {user_id} not found") from None

    def delete_stack_domain_user_keypair(self, user_id, project_id,
                                         credential_id):
        if not self.store.delete_credential(user_id=user_id,
                                            credential_id=credential_id):
            raise ks_exceptions.NotFound("EC2 key not found")

    def get_ec2_keypair(self, credential_id=None, access=None,
                        user_id=None):
        try:
            return self.store.get_credential(
                user_id=user_id, credential_id=credential_id, access=access)
        except stackusers.NotFound:
            raise ks_exceptions.NotFound("EC2 key not found") from None

    def delete_ec2_keypair(self, credential_id=None, access=None,
                           user_id=None):
        if not self.store.delete_credential(
                user_id=user_id, credential_id=credential_id, access=access):
            raise ks_exceptions.NotFound("EC2 key not found")

    # Identity endpoint (HEAT_SIGNAL, TOKEN_SIGNAL, POLL_SERVER_HEAT) ----

    @staticmethod
    def _identity_url(name):
        from oslo_config import cfg

        from heat_deltacloud.heat import opts

        url = opts.registered(cfg.CONF).deltacloud.identity_url
        if not url:
            raise _unavailable(name)
        url = url.rstrip("/")
        return url if url.endswith("/v3") else url + "/v3"

    @property
    def v3_endpoint(self):
        """The identity endpoint (``[deltacloud] identity_url``), v3."""
        return self._identity_url("v3_endpoint")

    def server_keystone_endpoint_url(self, fallback_endpoint=None):
        """The auth_url handed to instances: the identity endpoint.

        Heat's fallback (the request's auth_url) is the Deltacloud URL
        here, never an identity endpoint, so it is not used.
        """
        return self._identity_url("server_keystone_endpoint_url")

    @property
    def stack_domain_id(self):
        """The identity endpoint's one domain."""
        self._identity_url("stack_domain_id")
        from heat_deltacloud.heat.identity import tokens
        return tokens.DOMAIN["id"]

    def stack_domain_user_token(self, user_id, project_id, password):
        """A token of the stack user, as a password login would give it.

        Minted in the engine with the identity endpoint's keys (no HTTP
        round trip); the password is checked against the stored hash.
        """
        self._identity_url("stack_domain_user_token")
        from heat_deltacloud.heat.identity import tokens

        user = tokens.stack_user(self.store, user_id)
        if (user is None or user.project_id != project_id
                or not user.enabled or password is None
                or not stackusers.check_password(password,
                                                 user.password_hash)):
            raise ks_exceptions.Unauthorized(
                f"stack user {user_id} cannot get a token")
        token_id, _ = tokens.TokenProvider(store=self.store
                                           ).issue_stack_user(
            user.id, user.name, user.project_id)
        return token_id

    # Trusts -----------------------------------------------------------

    def delete_trust(self, trust_id):
        """No trusts exist with ``deferred_auth_method = password``."""

    def __getattr__(self, name):
        # Trusts, users outside a stack, the rest of Keystone: not served
        # here.
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "client":  # keystoneclient itself: ks.client.users...
            raise _unavailable(name)

        def unavailable(*args, **kwargs):
            raise _unavailable(name)
        return unavailable


#: The roles a Deltacloud user has (the deltacloud_auth filter's default).
OWNER_ROLES = ("member", "reader")

_install_lock = threading.Lock()


def _on_deltacloud():
    """Whether heat.conf's ``cloud_backend`` is this package's."""
    from heat.engine import clients  # noqa: F401 (registers the option)
    from oslo_config import cfg
    from oslo_utils import importutils

    from heat_deltacloud.heat.backend import DeltacloudClients

    try:
        backend = importutils.import_class(cfg.CONF.cloud_backend)
    except (ImportError, ValueError):
        return False
    return isinstance(backend, type) and issubclass(backend,
                                                    DeltacloudClients)


def answer_stored_contexts_locally():
    """Let Heat's ``StoredContext`` know its roles without Keystone.

    Stock Heat loads a stored context's roles and user/project domains
    from Keystone (``StoredContext._load_keystone_data``) on first use;
    serialising the context for an RPC call (a software deployment's
    signal, a scaling group's nested update) reads them.  Deltacloud has
    no domains and gives every user :data:`OWNER_ROLES`, so with this
    package's ``cloud_backend`` they are set locally; with any other
    backend Heat's own method runs.  Called when Heat loads this package's
    resource plugins (``plugin_dirs``); repeated calls do nothing.
    """
    with _install_lock:
        stock = heat_context.StoredContext._load_keystone_data
        if getattr(stock, "deltacloud", False):
            return

        def _load_keystone_data(self):
            if not _on_deltacloud():
                return stock(self)
            self._keystone_loaded = True
            self.roles = list(OWNER_ROLES)
            # Domains stay None: the properties return them once loaded.

        _load_keystone_data.deltacloud = True
        _load_keystone_data.stock = stock
        heat_context.StoredContext._load_keystone_data = _load_keystone_data
