"""An identity endpoint for OpenStack clients and stack users.

OpenStack clients (python-openstackclient, openstacksdk, Ansible,
Terraform) and the instance-side agents of Heat's ``HEAT_SIGNAL``,
``TOKEN_SIGNAL`` and ``POLL_SERVER_HEAT`` transports authenticate against a
Keystone v3 endpoint, then send ``X-Auth-Token``.  This package serves the
part of Keystone they use, with no Keystone:

:mod:`.tokens`
    Fernet tokens (``cryptography``, as Keystone's Fernet provider) keyed
    from heat.conf, so that every heat-api and identity process verifies
    them with no shared memory; a Deltacloud user's token carries the
    Deltacloud password inside the encrypted payload (the engine needs it,
    as it needs ``X-Auth-Key``), a stack user's token carries no secret and
    is checked against the stack user store, so it dies with its user.
:mod:`.app`
    The WSGI app: version discovery, ``POST``/``GET``/``HEAD``/``DELETE
    /v3/auth/tokens`` and a catalog with heat-api and heat-api-cfn.

heat-api's ``deltacloud_auth`` filter accepts the tokens
(:mod:`heat_deltacloud.heat.auth`), and the engine's Keystone stand-in
(:mod:`heat_deltacloud.heat.keystone`) mints stack user tokens and names
the endpoint to instances.
"""
