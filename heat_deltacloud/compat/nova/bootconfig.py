"""Whether user data is only Heat's own, empty boot configuration.

Heat wraps every ``OS::Nova::Server``'s user data (format HEAT_CFNTOOLS,
the default) in a MIME boot configuration for cloud-init and
heat-cfntools, even when the template gives none.  On a driver that cannot
take user data that configuration would make every create fail, although
booting without it loses nothing when it carries nothing: no user data, no
resource metadata (``cfn-init-data``: metadata polling, software config's
deployments), no instance user to create (``AWS::EC2::Instance`` asks for
``ec2-user``) and no parts of the template's own.
"""

import email
import pkgutil
import string

#: The parts Heat's ``build_userdata`` always adds for HEAT_CFNTOOLS, by
#: file name: their content is Heat's or a URL, nothing of the stack's.
FIXED_PARTS = frozenset({"part-handler.py", "loguserdata.py",
                         "cfn-metadata-server", "cfn-boto-cfg"})
#: Heat's cloud-init templates whose ``${add_custom_user}`` is empty unless
#: an instance user is asked for.
USER_TEMPLATES = {"cloud-config": "config", "boothook.sh": "boothook.sh"}
#: The part carrying the template's own user data.
USER_PART = "cfn-userdata"


def _empty_template(name):
    try:
        text = pkgutil.get_data("heat", f"cloudinit/{name}")
    except (ImportError, OSError):
        return None  # no Heat here: nothing can be shown to be empty
    return string.Template(text.decode("utf-8")).safe_substitute(
        add_custom_user="")


def carries_nothing(userdata):
    """True if ``userdata`` is Heat's MIME boot configuration with no user
    data, no metadata, no instance user and no other part: booting
    without it changes nothing the stack asked for."""
    if isinstance(userdata, bytes):
        userdata = userdata.decode("utf-8", "replace")
    try:
        message = email.message_from_string(userdata)
    except Exception:  # noqa: BLE001 - not MIME: the template's own
        return False
    if not message.is_multipart():
        return False
    seen = set()
    for part in message.get_payload():
        name = part.get_filename()
        body = (part.get_payload(decode=True) or b"").decode(
            "utf-8", "replace")
        if name == USER_PART:
            if body.strip():
                return False
        elif name in USER_TEMPLATES:
            if body != _empty_template(USER_TEMPLATES[name]):
                return False
        elif name not in FIXED_PARTS:
            return False  # cfn-init-data, a software config's parts...
        seen.add(name)
    return USER_PART in seen
