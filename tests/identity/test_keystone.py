"""The engine's Keystone stand-in: the identity endpoint for instances."""

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from oslo_config import cfg

from heat_deltacloud.heat import opts, stackusers

pytestmark = [pytest.mark.heat]

ENDPOINT_PARTS = ("v3_endpoint", "stack_domain_id")


@pytest.fixture
def conf():
    conf = opts.registered(cfg.CONF)
    conf.set_override("token_keys", [Fernet.generate_key().decode()],
                      group="deltacloud")
    yield conf
    conf.clear_override("token_keys", group="deltacloud")
    conf.clear_override("identity_url", group="deltacloud")


@pytest.fixture
def store():
    engine = sa.create_engine(
        "sqlite://", poolclass=sa.pool.StaticPool,
        connect_args={"check_same_thread": False})
    return stackusers.StackUserStore(engine, encrypt=lambda s: ("x", s),
                                     decrypt=lambda m, s: s)


@pytest.fixture
def keystone(store):
    from heat_deltacloud.heat import keystone
    return keystone.DeltacloudKeystone(context=None, store=store)


def test_without_identity_url_everything_says_what_is_missing(conf,
                                                              keystone):
    from heat_deltacloud.heat.keystone import KeystoneUnavailable

    for name in ENDPOINT_PARTS:
        with pytest.raises(KeystoneUnavailable, match=name):
            getattr(keystone, name)
    with pytest.raises(KeystoneUnavailable, match="HEAT_SIGNAL"):
        keystone.server_keystone_endpoint_url("http://deltacloud/api")
    with pytest.raises(KeystoneUnavailable, match="TOKEN_SIGNAL"):
        keystone.stack_domain_user_token("u", "p", "pw")


@pytest.mark.parametrize("configured", [
    "http://heat:8004/identity/v3", "http://heat:8004/identity/v3/",
    "http://heat:8004/identity"])
def test_identity_url_is_handed_to_instances(conf, keystone, configured):
    conf.set_override("identity_url", configured, group="deltacloud")
    expected = "http://heat:8004/identity/v3"
    assert keystone.v3_endpoint == expected
    # Never the fallback: that is the Deltacloud URL here.
    assert keystone.server_keystone_endpoint_url(
        "http://deltacloud/api") == expected
    assert keystone.stack_domain_id == "default"


def test_stack_user_token_needs_the_users_password(conf, keystone, store):
    from keystoneauth1 import exceptions as ks_exceptions

    from heat_deltacloud.heat.identity import tokens

    conf.set_override("identity_url", "http://heat/identity/v3",
                      group="deltacloud")
    project = store.create_project("stack", "alice")
    user_id = store.create_user("handle", project, "pw")
    for args in ((user_id, project, "wrong"), (user_id, project, None),
                 (user_id, "other-project", "pw"), ("nobody", project, "pw")):
        with pytest.raises(ks_exceptions.Unauthorized):
            keystone.stack_domain_user_token(*args)
    token_id = keystone.stack_domain_user_token(user_id, project, "pw")
    token = tokens.TokenProvider(conf, store).verify(token_id)
    assert (token.kind, token.user_id, token.project_id) == (
        "stack_user", user_id, project)
    store.set_enabled(user_id, project, False)
    with pytest.raises(ks_exceptions.Unauthorized):
        keystone.stack_domain_user_token(user_id, project, "pw")
