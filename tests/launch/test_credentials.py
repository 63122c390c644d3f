"""Where the launcher takes credentials from; passwords never shown."""

import pytest

from heat_deltacloud.errors import HeatDeltacloudError
from heat_deltacloud.launch import credentials
from heat_deltacloud.launch.credentials import Credentials


def test_options_win_over_the_environment(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("from-file\nsecond line ignored\n")
    env = {"DELTACLOUD_USERNAME": "env-user",
           "DELTACLOUD_PASSWORD": "from-env"}
    assert credentials.resolve("opt-user", secret, environ=env) == \
        Credentials("opt-user", "from-file")
    assert credentials.resolve(environ=env) == \
        Credentials("env-user", "from-env")


def test_the_default_applies_only_when_nothing_was_given():
    default = Credentials("mockuser", "mockpassword")
    assert credentials.resolve(environ={}, default=default) is default
    with pytest.raises(HeatDeltacloudError, match=r"need a password "
                       r"\(--password-file or \$DELTACLOUD_PASSWORD\)"):
        credentials.resolve("someone", environ={}, default=default)


@pytest.mark.parametrize("content, message", [
    (None, r"--password-file: no such file \(the value is not shown"),
    (b"", "the password file .* is empty"),
    (b"\xff\xfe", "the password file .* is not UTF-8 text"),
])
def test_bad_password_files(tmp_path, content, message):
    path = tmp_path / "pw"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(HeatDeltacloudError, match=message) as raised:
        credentials.resolve("u", path, environ={})
    if content is None:  # perhaps a password given as the file's path
        assert str(path) not in str(raised.value)


def test_the_password_is_not_in_the_repr():
    assert "s3cret" not in repr(Credentials("u", "s3cret"))
