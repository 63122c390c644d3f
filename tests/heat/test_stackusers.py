"""The stack-user store on its own: an sqlite database, Heat's crypt."""

import pytest
import sqlalchemy as sa

from heat_deltacloud.heat import stackusers

pytestmark = [pytest.mark.heat]

KEY = "k" * 32
OTHER_KEY = "o" * 32


def store_with(engine, key):
    from heat.common import crypt

    return stackusers.StackUserStore(
        engine, encrypt=lambda value: crypt.encrypt(value, key),
        decrypt=lambda method, data: crypt.decrypt(method, data, key))


@pytest.fixture
def engine(tmp_path):
    return sa.create_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")


def test_keys_live_and_die_with_their_user_and_project(engine):
    store = store_with(engine, KEY)
    project = store.create_project("stack-1", "alice")
    user = store.create_user("stack-1-Handle-abc", project)
    key = store.create_credential(user, project)
    principal = store.principal(key.access)
    assert (principal.user_id, principal.project_id, principal.owner_project,
            principal.stack_id, principal.enabled) == (
        user, project, "alice", "stack-1", True)
    assert principal.secret == key.secret
    assert key.secret not in repr(key) + repr(principal)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(stackusers.CREDENTIALS.c.secret)
                              ).scalar()
    assert key.secret not in stored
    store.set_enabled(user, project, False)
    assert store.principal(key.access).enabled is False
    assert store.delete_project(project) is True
    assert store.principal(key.access) is None
    with engine.connect() as conn:
        for table in (stackusers.USERS, stackusers.CREDENTIALS):
            assert conn.execute(sa.select(sa.func.count()).select_from(
                table)).scalar() == 0


def test_a_project_this_store_did_not_create_deletes_nothing(engine):
    store = store_with(engine, KEY)
    project = store.create_project("stack-1", "alice")
    store.create_user("u", project)
    assert store.delete_project("alice") is False
    assert store.project_exists(project)


def test_a_secret_under_another_key_is_unreadable_not_a_crash(engine,
                                                                caplog):
    written = store_with(engine, KEY)
    project = written.create_project("stack-1", "alice")
    key = written.create_credential(written.create_user("u", project),
                                    project)
    with pytest.raises(stackusers.KeysUnreadable):
        store_with(engine, OTHER_KEY).principal(key.access)
    assert "auth_encryption_key differs" in caplog.text
    assert key.secret not in caplog.text


def test_passwords_are_kept_as_scrypt_hashes():
    hashed = stackusers.hash_password("pw-Secret1!")
    assert hashed.startswith("scrypt$") and "pw-Secret1!" not in hashed
    assert stackusers.check_password("pw-Secret1!", hashed)
    assert not stackusers.check_password("pw-Secret2!", hashed)
    assert not stackusers.check_password("pw-Secret1!", None)
