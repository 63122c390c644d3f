"""Fernet tokens: keys, rotation, expiry, tampering, stack users, revocation.

The store is a StackUserStore on an in-memory sqlite, with encryption
stubbed (its keys are not used here).
"""

import base64
import json

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from oslo_config import cfg

from heat_deltacloud.heat import opts, stackusers
from heat_deltacloud.heat.identity import tokens

URL = "http://deltacloud.example:3001/api"
PASSWORD = "s3cr3t-Dc-pässword"


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf.register_opt(cfg.StrOpt("auth_encryption_key", secret=True))
    conf([], project="heat-deltacloud-tests", default_config_files=[],
         default_config_dirs=[])
    conf.set_override("auth_encryption_key", "k" * 32)
    yield conf
    conf.reset()


@pytest.fixture
def store():
    engine = sa.create_engine(
        "sqlite://", poolclass=sa.pool.StaticPool,
        connect_args={"check_same_thread": False})
    return stackusers.StackUserStore(engine, encrypt=lambda s: ("x", s),
                                     decrypt=lambda m, s: s)


@pytest.fixture
def provider(conf, store):
    return tokens.TokenProvider(conf, store)


def user_token(provider, **kwargs):
    return provider.issue_user("alice", PASSWORD, URL,
                               roles=("member", "reader"), **kwargs)


def test_user_token_round_trip(provider):
    token_id, issued = user_token(provider)
    token = provider.verify(token_id)
    assert token == issued
    assert (token.kind, token.user_id, token.project_id) == (
        "user", "alice", "alice")
    assert token.roles == ("member", "reader")
    assert (token.deltacloud_url, token.password) == (URL, PASSWORD)
    assert token.expires_at - token.issued_at == 3600
    assert PASSWORD not in repr(token)


def test_the_password_is_not_in_the_token_in_clear(provider):
    token_id, _ = user_token(provider)
    raw = base64.urlsafe_b64decode(token_id + "=" * (-len(token_id) % 4))
    for secret in (PASSWORD, URL, "alice"):
        assert secret not in token_id
        assert secret.encode() not in raw


def test_another_process_with_the_same_configuration_verifies(conf, store):
    token_id, _ = user_token(tokens.TokenProvider(conf, store))
    assert tokens.TokenProvider(conf, store).verify(token_id).user_id == (
        "alice")


def test_expired_token_is_refused(provider):
    token_id, token = user_token(provider, now=1000.0)
    with pytest.raises(tokens.InvalidToken, match="expired"):
        provider.verify(token_id)
    assert provider.verify(token_id, now=1000.0 + 3599).user_id == "alice"
    with pytest.raises(tokens.InvalidToken, match="expired"):
        provider.verify(token_id, now=token.expires_at)


def test_token_ttl_is_configured(conf, provider):
    conf.set_override("token_ttl", 120, group="deltacloud")
    _, token = user_token(provider)
    assert token.expires_at - token.issued_at == 120


@pytest.mark.parametrize("position", [0, 10, 60, -5, -1])
def test_tampered_token_is_refused(provider, position):
    token_id, _ = user_token(provider)
    chars = list(token_id)
    chars[position] = "A" if chars[position] != "A" else "B"
    with pytest.raises(tokens.InvalidToken):
        provider.verify("".join(chars))


@pytest.mark.parametrize("token_id", ["", "x", "gAAAAA" + "A" * 100,
                                      "é" * 20, "a" * 9000])
def test_garbage_is_refused(provider, token_id):
    with pytest.raises(tokens.InvalidToken):
        provider.verify(token_id)


def test_a_token_of_other_keys_is_refused(conf, store, provider):
    other = cfg.ConfigOpts()
    opts.register_opts(other)
    other([], default_config_files=[], default_config_dirs=[])
    other.set_override("token_keys", [Fernet.generate_key().decode()],
                       group="deltacloud")
    token_id, _ = user_token(tokens.TokenProvider(other, store))
    with pytest.raises(tokens.InvalidToken, match="not valid"):
        provider.verify(token_id)


def test_a_forged_payload_needs_the_key(conf, provider):
    """Fernet under another key, with a well-formed payload: refused."""
    payload = {"v": 1, "k": "user", "u": "bob", "n": "bob", "p": "bob",
               "r": ["admin"], "i": 0, "e": 2e10, "a": "x", "url": URL,
               "pw": "x"}
    forged = Fernet(Fernet.generate_key()).encrypt(
        json.dumps(payload).encode()).decode()
    with pytest.raises(tokens.InvalidToken):
        provider.verify(forged)


def test_keys_derived_from_auth_encryption_key(conf, store):
    token_id, _ = user_token(tokens.TokenProvider(conf, store))
    conf.set_override("auth_encryption_key", "j" * 32)
    with pytest.raises(tokens.InvalidToken):
        tokens.TokenProvider(conf, store).verify(token_id)
    assert tokens.configured_keys(conf) == [tokens.derive_key("j" * 32)]


def test_rotation_first_key_encrypts_all_decrypt(conf, store):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    conf.set_override("token_keys", [old], group="deltacloud")
    provider = tokens.TokenProvider(conf, store)
    old_token, _ = user_token(provider)
    # Rotate: the new key first, the old one kept.
    conf.set_override("token_keys", [new, old], group="deltacloud")
    new_token, _ = user_token(provider)
    assert provider.verify(old_token).user_id == "alice"
    assert provider.verify(new_token).user_id == "alice"
    Fernet(new.encode()).decrypt(new_token.encode())  # made with the new
    # The old key dropped: its tokens die, the new ones live.
    conf.set_override("token_keys", [new], group="deltacloud")
    with pytest.raises(tokens.InvalidToken):
        provider.verify(old_token)
    assert provider.verify(new_token).user_id == "alice"


def test_a_bad_key_is_named_by_position_not_value(conf):
    conf.set_override("token_keys", [Fernet.generate_key().decode(),
                                     "not-a-key"], group="deltacloud")
    with pytest.raises(ValueError, match="entry 2") as caught:
        tokens.configured_keys(conf)
    assert "not-a-key" not in str(caught.value)


def test_no_key_at_all(conf):
    conf.clear_override("auth_encryption_key")
    with pytest.raises(ValueError, match="token_keys"):
        tokens.configured_keys(conf)


def test_heat_default_key_is_noticed(conf, provider):
    assert not provider.uses_heat_default_key()
    conf.set_override("auth_encryption_key", tokens.HEAT_DEFAULT_KEY)
    assert provider.uses_heat_default_key()


def stack_user(store, password="pw"):
    project = store.create_project("stack-1", "alice")
    user_id = store.create_user("stack-1-handle", project, password)
    return project, user_id


def test_stack_user_token(provider, store):
    project, user_id = stack_user(store)
    token_id, _ = provider.issue_stack_user(user_id, "stack-1-handle",
                                            project)
    token = provider.verify(token_id)
    assert (token.kind, token.user_id, token.project_id, token.roles) == (
        "stack_user", user_id, project, ("heat_stack_user",))
    assert token.password is None and token.deltacloud_url is None
    assert token.expires_at - token.issued_at == 86400


def test_stack_user_token_dies_with_its_user(provider, store):
    project, user_id = stack_user(store)
    token_id, _ = provider.issue_stack_user(user_id, "n", project)
    store.set_enabled(user_id, project, False)
    with pytest.raises(tokens.InvalidToken, match="disabled"):
        provider.verify(token_id)
    store.set_enabled(user_id, project, True)
    assert provider.verify(token_id)
    store.delete_user(user_id, project)
    with pytest.raises(tokens.InvalidToken, match="no longer exists"):
        provider.verify(token_id)


def test_stack_user_token_dies_with_its_stack(provider, store):
    project, user_id = stack_user(store)
    token_id, _ = provider.issue_stack_user(user_id, "n", project)
    store.delete_project(project)
    with pytest.raises(tokens.InvalidToken):
        provider.verify(token_id)


def test_revoked_token_is_refused_others_are_not(provider):
    first, token = user_token(provider)
    second, _ = user_token(provider)
    provider.revoke(token)
    provider.revoke(token)  # twice is fine
    with pytest.raises(tokens.InvalidToken, match="revoked"):
        provider.verify(first)
    assert provider.verify(second)


def test_expired_revocations_are_dropped(provider, store):
    _, token = user_token(provider, now=1000.0)
    provider.revoke(token, now=1000.0)
    _, other = user_token(provider)
    provider.revoke(other)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(tokens.REVOKED.c.audit_id)).all()
    assert [r[0] for r in rows] == [other.audit_id]


def test_an_unreadable_store_is_unavailable(conf):
    engine = sa.create_engine("sqlite:////nonexistent/dir/x.sqlite")
    broken = stackusers.StackUserStore(engine)
    provider = tokens.TokenProvider(conf, broken)
    token_id, _ = user_token(provider)
    with pytest.raises(tokens.Unavailable):
        provider.verify(token_id)


def test_revocations_table_made_meanwhile_by_another_process(
        conf, store, monkeypatch):
    """Another heat-api process creates the table between this one's check
    and its CREATE: on PostgreSQL through Heat's oslo.db engine that is
    oslo_db's DBError (a CI run once answered a token 503 for it)."""
    from oslo_db import exception as db_exception

    real_create, calls = tokens.REVOKED.create, []

    def raced(engine, checkfirst=False):
        calls.append(checkfirst)
        if len(calls) == 1:
            real_create(engine, checkfirst=True)  # the other process
            raise db_exception.DBError("relation already exists")
        return real_create(engine, checkfirst=checkfirst)

    monkeypatch.setattr(tokens.REVOKED, "create", raced)
    provider = tokens.TokenProvider(conf, store)
    token_id, token = user_token(provider)
    assert provider.verify(token_id) == token
    provider.revoke(token)
    with pytest.raises(tokens.InvalidToken, match="revoked"):
        provider.verify(token_id)
    assert calls == [True, True]
