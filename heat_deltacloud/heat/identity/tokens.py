"""Fernet tokens for Deltacloud users and stack users.

A token is ``cryptography``'s Fernet (AES-128-CBC + HMAC-SHA256, what
Keystone's Fernet provider uses) of a small JSON payload::

    {"v": 1, "k": "user" | "stack_user", "u": user id, "n": user name,
     "p": project id, "r": [roles], "i": issued, "e": expires, "a": audit id,
     "url": Deltacloud URL, "pw": password, "drv": driver, "prv": provider}

(``url``/``pw``/``drv``/``prv`` for Deltacloud users only).  Keys come
from ``[deltacloud] token_keys`` (first encrypts, all decrypt:
:class:`~cryptography.fernet.MultiFernet`), or, when that is unset, from
one key derived with HKDF-SHA256 from ``[DEFAULT] auth_encryption_key``.
Any process with the same heat.conf verifies any token; nothing is kept in
memory.

A Deltacloud user's token carries the Deltacloud password, encrypted and
authenticated, never in clear: the engine needs it for deferred work, as
it needs ``X-Auth-Key``.  A stack user's token carries no secret; every
verification reads the stack user store, so the token stops working when
its user is deleted (with its resource or stack) or disabled (suspended).

Revocation (``DELETE /v3/auth/tokens``) records the token's audit id in
``deltacloud_revoked_tokens`` on Heat's database until the token expires.
"""

import base64
import dataclasses
import datetime
import json
import logging
import secrets
import threading
import time

import sqlalchemy as sa
from cryptography import fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from oslo_config import cfg

from heat_deltacloud.heat import opts, stackusers

LOG = logging.getLogger(__name__)

USER = "user"
STACK_USER = "stack_user"
#: The one domain every user and project is in.
DOMAIN = {"id": "default", "name": "Default"}
#: Tokens longer than this are refused before any decryption.
MAX_TOKEN = 8192
#: HKDF ``info`` of the key derived from auth_encryption_key.
DERIVATION_INFO = b"heat-deltacloud identity tokens v1"
#: Heat's built-in auth_encryption_key, public in its source.
HEAT_DEFAULT_KEY = "notgood but just long enough i t"

REVOKED = sa.Table(
    "deltacloud_revoked_tokens", sa.MetaData(),
    sa.Column("audit_id", sa.String(64), primary_key=True),
    sa.Column("expires_at", sa.Float, nullable=False, index=True))


class InvalidToken(Exception):
    """A token that does not authenticate; ``str()`` is safe to show."""


class Unavailable(Exception):
    """The store a token must be checked against cannot be read."""


@dataclasses.dataclass(frozen=True)
class Token:
    """A verified (or just issued) token's content."""

    kind: str
    user_id: str
    user_name: str
    project_id: str
    roles: tuple
    issued_at: float
    expires_at: float
    audit_id: str
    deltacloud_url: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    driver: str | None = None
    provider: str | None = None

    @property
    def is_stack_user(self):
        return self.kind == STACK_USER

    def payload(self):
        doc = {"v": 1, "k": self.kind, "u": self.user_id,
               "n": self.user_name, "p": self.project_id,
               "r": list(self.roles), "i": self.issued_at,
               "e": self.expires_at, "a": self.audit_id}
        if self.kind == USER:
            doc.update({"url": self.deltacloud_url, "pw": self.password,
                        "drv": self.driver, "prv": self.provider})
        return doc

    @classmethod
    def from_payload(cls, doc):
        try:
            if doc["v"] != 1 or doc["k"] not in (USER, STACK_USER):
                raise InvalidToken("unknown token format")
            token = cls(kind=doc["k"], user_id=doc["u"], user_name=doc["n"],
                        project_id=doc["p"], roles=tuple(doc["r"]),
                        issued_at=float(doc["i"]),
                        expires_at=float(doc["e"]), audit_id=doc["a"],
                        deltacloud_url=doc.get("url"),
                        password=doc.get("pw"), driver=doc.get("drv"),
                        provider=doc.get("prv"))
        except (KeyError, TypeError, ValueError):
            raise InvalidToken("malformed token payload") from None
        strings = [token.user_id, token.user_name, token.project_id,
                   token.audit_id, *token.roles]
        if token.kind == USER:
            strings += [token.deltacloud_url, token.password]
        if not all(isinstance(s, str) for s in strings):
            raise InvalidToken("malformed token payload")
        return token


def isotime(epoch):
    """Keystone's timestamp format (``2026-12-04T15:00:00.000000Z``)."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def derive_key(secret):
    """A Fernet key derived from ``secret`` (auth_encryption_key)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=DERIVATION_INFO).derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


def configured_keys(conf=None):
    """The Fernet keys of heat.conf, first = the one that encrypts.

    ValueError names the first unusable entry of ``token_keys`` by
    position (never the key).
    """
    conf = opts.registered(conf or cfg.CONF)
    keys = [k.strip() for k in conf.deltacloud.token_keys if k.strip()]
    if not keys:
        try:
            # Registered by heat.common.crypt, which a heat-api process
            # (unlike an engine) has not imported when paste loads this.
            conf.import_opt("auth_encryption_key", "heat.common.crypt")
            secret = conf.auth_encryption_key
        except (cfg.NoSuchOptError, ImportError):
            secret = None
        if not secret:
            raise ValueError("neither [deltacloud] token_keys nor "
                             "[DEFAULT] auth_encryption_key is set")
        return [derive_key(secret)]
    for position, key in enumerate(keys, 1):
        try:
            fernet.Fernet(key)
        except (ValueError, TypeError):
            raise ValueError(
                f"[deltacloud] token_keys entry {position} is not a Fernet "
                "key (32 url-safe base64-encoded bytes)") from None
    return [k.encode() for k in keys]


class TokenProvider:
    """Issues and verifies tokens with the keys of ``conf``.

    ``store`` is the :class:`~heat_deltacloud.heat.stackusers.
    StackUserStore` stack users and revocations are checked against (the
    process's, on Heat's database, by default).
    """

    def __init__(self, conf=None, store=None):
        self.conf = opts.registered(conf or cfg.CONF)
        self._store = store
        self._cached = (None, None)
        self._lock = threading.Lock()
        self._revocations_ready = False

    @property
    def store(self):
        if self._store is None:
            self._store = stackusers.store()
        return self._store

    @property
    def fernet(self):
        keys = tuple(configured_keys(self.conf))
        with self._lock:
            if self._cached[0] != keys:
                self._cached = (keys, fernet.MultiFernet(
                    [fernet.Fernet(k) for k in keys]))
            return self._cached[1]

    def uses_heat_default_key(self):
        """Whether tokens are keyed from Heat's public default key."""
        return (not self.conf.deltacloud.token_keys
                and getattr(self.conf, "auth_encryption_key", None)
                == HEAT_DEFAULT_KEY)

    # Issuing -------------------------------------------------------------

    def _issue(self, token):
        data = json.dumps(token.payload(), separators=(",", ":")).encode()
        return self.fernet.encrypt(data).decode("ascii"), token

    def issue_user(self, user, password, url, *, roles, driver=None,
                   provider=None, now=None, expires_at=None):
        """``(token id, Token)`` for a Deltacloud user (project = user)."""
        now = time.time() if now is None else now
        expires = now + self.conf.deltacloud.token_ttl
        if expires_at is not None:
            expires = min(expires, expires_at)
        return self._issue(Token(
            kind=USER, user_id=user, user_name=user, project_id=user,
            roles=tuple(roles), issued_at=now, expires_at=expires,
            audit_id=_audit_id(), deltacloud_url=url, password=password,
            driver=driver, provider=provider))

    def issue_stack_user(self, user_id, user_name, project_id, *, now=None,
                         expires_at=None):
        """``(token id, Token)`` for a stack user, role heat_stack_user."""
        from heat_deltacloud.heat import ec2

        now = time.time() if now is None else now
        expires = now + self.conf.deltacloud.stack_user_token_ttl
        if expires_at is not None:
            expires = min(expires, expires_at)
        return self._issue(Token(
            kind=STACK_USER, user_id=user_id, user_name=user_name,
            project_id=project_id, roles=(ec2.STACK_USER_ROLE,),
            issued_at=now, expires_at=expires, audit_id=_audit_id()))

    # Verifying -----------------------------------------------------------

    def decode(self, token_id, now=None):
        """The :class:`Token` in ``token_id`` if it decrypts and has not
        expired; the store is not read (see :meth:`verify`)."""
        if not isinstance(token_id, str) or not token_id:
            raise InvalidToken("no token")
        if len(token_id) > MAX_TOKEN:
            raise InvalidToken("the token is too long")
        try:
            data = self.fernet.decrypt(token_id.encode("ascii"))
        except (fernet.InvalidToken, UnicodeError, ValueError, TypeError):
            raise InvalidToken("the token is not valid") from None
        try:
            doc = json.loads(data)
        except ValueError:
            raise InvalidToken("malformed token payload") from None
        if not isinstance(doc, dict):
            raise InvalidToken("malformed token payload")
        token = Token.from_payload(doc)
        now = time.time() if now is None else now
        if token.expires_at <= now:
            raise InvalidToken("the token has expired")
        return token

    def verify(self, token_id, now=None):
        """The :class:`Token` if ``token_id`` authenticates now.

        Beyond :meth:`decode`: not revoked, and for a stack user, the user
        still exists, is enabled and is in the token's project.
        :class:`Unavailable` if the store cannot be read.
        """
        token = self.decode(token_id, now)
        try:
            if self.is_revoked(token):
                raise InvalidToken("the token has been revoked")
            if token.is_stack_user:
                user = stack_user(self.store, token.user_id)
                if user is None or user.project_id != token.project_id:
                    raise InvalidToken("the stack user no longer exists")
                if not user.enabled:
                    raise InvalidToken("the stack user is disabled")
        except stackusers.STORE_ERRORS as exc:
            LOG.error("Cannot check a token against Heat's database: %s",
                      type(exc).__name__)
            raise Unavailable() from None
        return token

    # Revocation ----------------------------------------------------------

    def _revocations(self):
        engine = self.store.engine
        if not self._revocations_ready:
            stackusers.create_checked(
                lambda: REVOKED.create(engine, checkfirst=True))
            self._revocations_ready = True
        return engine

    def revoke(self, token, now=None):
        """Refuse ``token`` (and no other) from now until it expires."""
        now = time.time() if now is None else now
        engine = self._revocations()
        with engine.begin() as conn:
            conn.execute(REVOKED.delete().where(
                REVOKED.c.expires_at < now))
            exists = conn.execute(sa.select(REVOKED.c.audit_id).where(
                REVOKED.c.audit_id == token.audit_id)).first()
            if exists is None:
                conn.execute(REVOKED.insert().values(
                    audit_id=token.audit_id, expires_at=token.expires_at))

    def is_revoked(self, token):
        engine = self._revocations()
        with engine.connect() as conn:
            return conn.execute(sa.select(REVOKED.c.audit_id).where(
                REVOKED.c.audit_id == token.audit_id)).first() is not None


@dataclasses.dataclass(frozen=True)
class StackUser:
    id: str
    name: str
    project_id: str
    enabled: bool
    password_hash: str | None = dataclasses.field(default=None, repr=False)


def stack_user(store, user_id):
    """The :class:`StackUser` ``user_id`` of ``store``, or None."""
    users = stackusers.USERS
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(
            users.c.id, users.c.name, users.c.project_id, users.c.enabled,
            users.c.password_hash).where(users.c.id == user_id)).first()
    if row is None:
        return None
    return StackUser(id=row.id, name=row.name, project_id=row.project_id,
                     enabled=bool(row.enabled),
                     password_hash=row.password_hash)


def _audit_id():
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(
        b"=").decode()


_PROVIDER = None
_PROVIDER_LOCK = threading.Lock()


def provider():
    """The process's :class:`TokenProvider` on ``cfg.CONF``."""
    global _PROVIDER
    with _PROVIDER_LOCK:
        if _PROVIDER is None:
            _PROVIDER = TokenProvider()
        return _PROVIDER
