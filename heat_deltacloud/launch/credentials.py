"""Deltacloud credentials for the launcher: options, environment, file.

A password is never taken from the command line (it would show in ``ps``
and shell history): it comes from ``--password-file`` or from the
``DELTACLOUD_PASSWORD`` environment variable.  The user name comes from
``--user`` or ``DELTACLOUD_USERNAME``.
"""

import dataclasses
import os

from heat_deltacloud.errors import HeatDeltacloudError

ENV_USER = "DELTACLOUD_USERNAME"
ENV_PASSWORD = "DELTACLOUD_PASSWORD"  # noqa: S105 - a variable name


@dataclasses.dataclass(frozen=True)
class Credentials:
    """A Deltacloud user and password; the password never shows in repr."""

    user: str
    password: str = dataclasses.field(repr=False)


def read_password_file(path, option="--password-file"):
    """The first line of ``path``, without its line end.

    A path that names no file is not repeated in the error: it may be the
    secret itself, given where its file was expected.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            password = handle.readline().rstrip("\r\n")
    except FileNotFoundError:
        raise HeatDeltacloudError(
            f"{option}: no such file (the value is not shown: give the "
            "path of a file holding the secret, never the secret "
            "itself)") from None
    except OSError as exc:
        raise HeatDeltacloudError(
            f"cannot read the password file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise HeatDeltacloudError(
            f"the password file {path} is not UTF-8 text") from None
    if not password:
        raise HeatDeltacloudError(f"the password file {path} is empty")
    return password


def resolve(user=None, password_file=None, *, environ=None, default=None):
    """Credentials from options, then the environment, then ``default``.

    ``default`` (a :class:`Credentials`) stands in when neither a user nor
    a password was given anywhere: the embedded mock's own user.
    """
    environ = os.environ if environ is None else environ
    user = user or environ.get(ENV_USER)
    if password_file:
        password = read_password_file(password_file)
    else:
        password = environ.get(ENV_PASSWORD)
    if user and password:
        return Credentials(user, password)
    if default is not None and not user and not password:
        return default
    missing = "a user (--user or $" + ENV_USER + ")" if not user else \
        "a password (--password-file or $" + ENV_PASSWORD + ")"
    raise HeatDeltacloudError(f"Deltacloud credentials need {missing}")
