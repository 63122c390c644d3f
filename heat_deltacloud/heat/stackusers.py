"""Stack users and their EC2 keys, kept in Heat's own database.

Stock Heat asks Keystone for a project per stack, users in it and EC2
credentials for them, and heat-api-cfn asks Keystone again to check a
signature.  Here the same records live in three tables beside Heat's own,
on Heat's ``[database] connection``, so every engine and every API process
that reads the same heat.conf sees them, across restarts:

``deltacloud_stack_projects``
    One per stack (Heat's "stack domain project"): ``stack_user_project_id``
    of the stack and its nested stacks.  A stack user's requests act in
    this project, so the engine lets them reach that stack only.
``deltacloud_stack_users``
    The users Heat creates for signal-capable resources; disabled while
    their resource is suspended.
``deltacloud_ec2_credentials``
    Access key -> secret, the secret encrypted with ``auth_encryption_key``
    by Heat's own ``heat.common.crypt`` (Fernet), as Heat stores resource
    data.

Deleting a user deletes its keys; deleting a project (Heat does when the
stack is deleted) deletes its users and keys: a signed URL stops working
the moment its resource or stack is gone.  Only rows this module created
are ever deleted.
"""

import dataclasses
import datetime
import logging
import threading
import uuid

import sqlalchemy as sa

LOG = logging.getLogger(__name__)

METADATA = sa.MetaData()

PROJECTS = sa.Table(
    "deltacloud_stack_projects", METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("stack_id", sa.String(36), nullable=False, index=True),
    sa.Column("owner_project", sa.String(256), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False))

USERS = sa.Table(
    "deltacloud_stack_users", METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False, index=True),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False))

CREDENTIALS = sa.Table(
    "deltacloud_ec2_credentials", METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("access", sa.String(64), nullable=False, unique=True),
    sa.Column("secret_method", sa.String(64), nullable=False),
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("project_id", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False))


@dataclasses.dataclass(frozen=True)
class AccessKey:
    """What Heat's ``create_ec2_keypair`` returns (id, access, secret)."""

    id: str
    access: str
    secret: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who an access key belongs to, as a signature check needs it."""

    access: str
    secret: str = dataclasses.field(repr=False)
    user_id: str
    user_name: str
    enabled: bool
    project_id: str
    owner_project: str
    stack_id: str


class NotFound(LookupError):
    """No such stack user, project or key."""


class KeysUnreadable(RuntimeError):
    """A stored secret does not decrypt: this process's
    ``auth_encryption_key`` is not the one that encrypted it."""


#: What a database that cannot be reached raises (oslo.db wraps some),
#: and a secret that cannot be decrypted.
STORE_ERRORS = (sa.exc.SQLAlchemyError, KeysUnreadable)
try:
    from oslo_db import exception as _db_exception
    STORE_ERRORS += (_db_exception.DBError,)
except ImportError:  # pragma: no cover - oslo.db comes with Heat
    pass


def create_checked(create):
    """Run ``create``, a ``checkfirst`` table create, and once more if it
    fails: another process or thread may have created the tables between
    its check and its ``CREATE``, and the second check sees them.  On
    Heat's oslo.db engine PostgreSQL's duplicate table or pg_type row
    comes as oslo_db's ``DBError``/``DBDuplicateEntry``, not as an
    SQLAlchemy error.  A store that cannot be reached fails twice and
    raises."""
    try:
        create()
    except STORE_ERRORS:
        create()


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _new_id():
    return uuid.uuid4().hex


class StackUserStore:
    """The three tables on an SQLAlchemy engine (Heat's, by default).

    ``encrypt``/``decrypt`` default to Heat's ``heat.common.crypt`` with
    the configured ``auth_encryption_key``.
    """

    def __init__(self, engine=None, *, encrypt=None, decrypt=None):
        self._engine = engine
        self._encrypt = encrypt
        self._decrypt = decrypt
        self._ready = False
        self._lock = threading.Lock()

    @property
    def engine(self):
        if self._engine is None:
            from heat.db import api as db_api
            self._engine = db_api.get_engine()
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self._create_tables()
                    self._ready = True
        return self._engine

    def _create_tables(self):
        create_checked(lambda: METADATA.create_all(self._engine,
                                                   checkfirst=True))

    def _crypt(self):
        if self._encrypt is None:
            from heat.common import crypt
            self._encrypt, self._decrypt = crypt.encrypt, crypt.decrypt
        return self._encrypt, self._decrypt

    # Projects -----------------------------------------------------------

    def create_project(self, stack_id, owner_project):
        project_id = _new_id()
        with self.engine.begin() as conn:
            conn.execute(PROJECTS.insert().values(
                id=project_id, stack_id=stack_id,
                owner_project=owner_project, created_at=_now()))
        LOG.debug("stack user project %s created for stack %s",
                  project_id, stack_id)
        return project_id

    def delete_project(self, project_id):
        """Delete the project with its users and keys; False if unknown."""
        with self.engine.begin() as conn:
            conn.execute(CREDENTIALS.delete().where(
                CREDENTIALS.c.project_id == project_id))
            conn.execute(USERS.delete().where(
                USERS.c.project_id == project_id))
            deleted = conn.execute(PROJECTS.delete().where(
                PROJECTS.c.id == project_id)).rowcount
        return bool(deleted)

    def project_exists(self, project_id):
        with self.engine.connect() as conn:
            return conn.execute(sa.select(PROJECTS.c.id).where(
                PROJECTS.c.id == project_id)).first() is not None

    # Users --------------------------------------------------------------

    def create_user(self, name, project_id, password=None):
        if not self.project_exists(project_id):
            raise NotFound(f"no stack user project {project_id}")
        user_id = _new_id()
        with self.engine.begin() as conn:
            conn.execute(USERS.insert().values(
                id=user_id, name=name[-255:], project_id=project_id,
                password_hash=(hash_password(password)
                               if password is not None else None),
                enabled=True, created_at=_now()))
        return user_id

    def delete_user(self, user_id, project_id):
        with self.engine.begin() as conn:
            conn.execute(CREDENTIALS.delete().where(
                CREDENTIALS.c.user_id == user_id,
                CREDENTIALS.c.project_id == project_id))
            deleted = conn.execute(USERS.delete().where(
                USERS.c.id == user_id,
                USERS.c.project_id == project_id)).rowcount
        return bool(deleted)

    def set_enabled(self, user_id, project_id, enabled):
        with self.engine.begin() as conn:
            updated = conn.execute(USERS.update().where(
                USERS.c.id == user_id, USERS.c.project_id == project_id
            ).values(enabled=enabled)).rowcount
        if not updated:
            raise NotFound(f"no stack user {user_id}")

    # Keys ---------------------------------------------------------------

    def create_credential(self, user_id, project_id):
        from heat.common import password_gen

        with self.engine.connect() as conn:
            if conn.execute(sa.select(USERS.c.id).where(
                    USERS.c.id == user_id,
                    USERS.c.project_id == project_id)).first() is None:
                raise NotFound(f"no stack user {user_id}")
        encrypt, _ = self._crypt()
        key = AccessKey(id=_new_id(), access=_new_id(),
                        secret=password_gen.generate_openstack_password())
        method, secret = encrypt(key.secret)
        with self.engine.begin() as conn:
            conn.execute(CREDENTIALS.insert().values(
                id=key.id, access=key.access, secret_method=method,
                secret=secret, user_id=user_id, project_id=project_id,
                created_at=_now()))
        return key

    def get_credential(self, *, user_id, credential_id=None, access=None):
        """The :class:`AccessKey` of ``user_id`` by id or access key."""
        where = [CREDENTIALS.c.user_id == user_id]
        if credential_id is not None:
            where.append(CREDENTIALS.c.id == credential_id)
        if access is not None:
            where.append(CREDENTIALS.c.access == access)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(CREDENTIALS).where(*where)).first()
        if row is None:
            raise NotFound("no such EC2 key")
        return AccessKey(id=row.id, access=row.access,
                         secret=self._decrypted(row))

    def delete_credential(self, *, user_id, credential_id=None,
                          access=None):
        where = [CREDENTIALS.c.user_id == user_id]
        if credential_id is not None:
            where.append(CREDENTIALS.c.id == credential_id)
        if access is not None:
            where.append(CREDENTIALS.c.access == access)
        with self.engine.begin() as conn:
            return bool(conn.execute(
                CREDENTIALS.delete().where(*where)).rowcount)

    def _decrypted(self, row):
        from heat.common import exception

        _, decrypt = self._crypt()
        try:
            return decrypt(row.secret_method, row.secret)
        except exception.InvalidEncryptionKey:
            LOG.error("Cannot decrypt the stack users' EC2 secrets: this "
                      "process's auth_encryption_key differs from the one "
                      "that encrypted them; use the engines' key")
            raise KeysUnreadable("auth_encryption_key mismatch") from None

    def principal(self, access):
        """The :class:`Principal` owning ``access``, or None."""
        query = sa.select(
            CREDENTIALS.c.access, CREDENTIALS.c.secret_method,
            CREDENTIALS.c.secret, USERS.c.id.label("user_id"),
            USERS.c.name, USERS.c.enabled, PROJECTS.c.id.label("project_id"),
            PROJECTS.c.owner_project, PROJECTS.c.stack_id,
        ).select_from(
            CREDENTIALS.join(USERS, USERS.c.id == CREDENTIALS.c.user_id)
            .join(PROJECTS, PROJECTS.c.id == USERS.c.project_id)
        ).where(CREDENTIALS.c.access == access)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return Principal(
            access=row.access, secret=self._decrypted(row),
            user_id=row.user_id, user_name=row.name,
            enabled=bool(row.enabled), project_id=row.project_id,
            owner_project=row.owner_project, stack_id=row.stack_id)

    def stack_named(self, name, project_id):
        """Whether a live stack ``name`` has stack user project
        ``project_id`` (a stack user's own stack, or one nested in it)."""
        from heat.db import models

        stack = models.Stack.__table__
        with self.engine.connect() as conn:
            return conn.execute(sa.select(stack.c.id).where(
                stack.c.name == name,
                stack.c.stack_user_project_id == project_id,
                stack.c.deleted_at.is_(None))).first() is not None

    def stack_project(self, stack_id):
        """``(stack_user_project_id, tenant)`` of a live stack in Heat's
        ``stack`` table, or None."""
        from heat.db import models

        stack = models.Stack.__table__
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(
                stack.c.stack_user_project_id, stack.c.tenant).where(
                stack.c.id == stack_id,
                stack.c.deleted_at.is_(None))).first()
        return None if row is None else (row[0], row[1])


def hash_password(password):
    """A salted scrypt hash (``cryptography``) of a stack user password."""
    import base64
    import os

    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt = os.urandom(16)
    digest = Scrypt(salt=salt, length=32, n=2 ** 14, r=8, p=1).derive(
        password.encode("utf-8"))
    return "scrypt$" + "$".join(base64.b64encode(part).decode()
                                for part in (salt, digest))


def check_password(password, hashed):
    """Whether ``password`` matches :func:`hash_password`'s ``hashed``."""
    import base64

    from cryptography.exceptions import InvalidKey
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    scheme, _, rest = (hashed or "").partition("$")
    if scheme != "scrypt":
        return False
    salt, digest = (base64.b64decode(part) for part in rest.split("$"))
    try:
        Scrypt(salt=salt, length=32, n=2 ** 14, r=8, p=1).verify(
            password.encode("utf-8"), digest)
    except InvalidKey:
        return False
    return True


_STORE = None
_STORE_LOCK = threading.Lock()


def store():
    """The process's store on Heat's database."""
    global _STORE
    with _STORE_LOCK:
        if _STORE is None:
            _STORE = StackUserStore()
        return _STORE
