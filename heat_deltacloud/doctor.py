"""``heat-deltacloud doctor``: is this Heat ready for Deltacloud?

Each check answers OK, WARN or FAIL with a one-line fix; then the
capability matrix of the configured driver, per resource type and
property, from its ``/api``.  The exit status is 1 when any check fails.
"""

import configparser
import dataclasses
import ipaddress
import json
import os
import re
import sys
import urllib.parse
from importlib import metadata

from oslo_config import cfg

from heat_deltacloud import __version__
from heat_deltacloud.heat import opts

OUR_BACKEND = "heat_deltacloud.heat.backend.DeltacloudClients"
#: Heat's requirement when the package's metadata cannot be read.
HEAT_REQUIREMENT = "openstack-heat>=27.0.1,<28"
#: Seconds the doctor waits for Deltacloud, whatever heat.conf says.
PROBE_TIMEOUT = (3.0, 10.0)

#: How a paste filter section names our filter (by factory or by egg).
OUR_FILTER = {("paste.filter_factory",
               "heat_deltacloud.heat.auth:filter_factory"),
              ("use", "egg:heat-deltacloud#deltacloud_auth")}
CONTEXT_FILTER = ("paste.filter_factory",
                  "heat.common.context:ContextMiddleware_filter_factory")
#: Filters that would ask Keystone, by factory -> what they are.
KEYSTONE_FILTERS = {
    "keystonemiddleware.auth_token:filter_factory": "Keystone tokens",
    "heat.api.aws.ec2token:EC2Token_filter_factory": "Keystone EC2 "
                                                     "credentials",
    "heat.common.auth_password:filter_factory": "Keystone passwords",
}
#: Heat's API services, as heat-api and heat-api-cfn load them.
APIS = ("heat-api", "heat-api-cfn")

#: Transports heat-deltacloud's resource plugins refuse at validation, and
#: what each needs (heat_deltacloud.heat.resources.transports.UNSUPPORTED;
#: kept here so the doctor need not load Heat's resources to name them).
REFUSED_TRANSPORTS = {
    "TOKEN_SIGNAL": "Keystone tokens",
    "HEAT_SIGNAL": "Keystone credentials for the instance",
    "POLL_SERVER_HEAT": "Keystone credentials for the instance",
    "TEMP_URL_SIGNAL": "Swift",
    "POLL_TEMP_URL": "Swift",
    "ZAQAR_SIGNAL": "Zaqar",
    "ZAQAR_MESSAGE": "Zaqar",
}
#: Heat 27's choices for the two transport defaults of heat.conf.
DEPLOYMENT_SIGNAL_TRANSPORTS = ("CFN_SIGNAL", "TEMP_URL_SIGNAL",
                                "HEAT_SIGNAL", "ZAQAR_SIGNAL")
SOFTWARE_CONFIG_TRANSPORTS = ("POLL_SERVER_CFN", "POLL_SERVER_HEAT",
                              "POLL_TEMP_URL", "ZAQAR_MESSAGE")
#: Heat 27's default plugin_dirs.
HEAT_PLUGIN_DIRS = ["/usr/lib64/heat", "/usr/lib/heat",
                    "/usr/local/lib/heat", "/usr/local/lib64/heat"]
#: The port heat-cfntools 2.0 (cfn-get-metadata, cfn-hup, cfn-init) always
#: uses for heat_metadata_server_url's host.
CFN_TOOLS_PORT = 8000
#: The access key of the doctor's signed probe: never issued, so a
#: heat-api-cfn that checks signatures answers InvalidClientTokenId.
PROBE_ACCESS_KEY = "heat-deltacloud-doctor-probe"
#: How much of the probe's answer is read.
PROBE_BODY_LIMIT = 65536
WAITCONDITION_EXAMPLE = "http://CFN-HOST:8000/v1/waitcondition"


@dataclasses.dataclass(frozen=True)
class Check:
    name: str
    status: str          # OK | WARN | FAIL
    detail: str
    fix: str = ""

    def as_dict(self):
        return dataclasses.asdict(self)


def ok(name, detail):
    return Check(name, "OK", detail)


def warn(name, detail, fix):
    return Check(name, "WARN", detail, fix)


def fail(name, detail, fix):
    return Check(name, "FAIL", detail, fix)


def _heat_conf(files):
    """Heat's options this doctor reads, parsed from ``files`` alone."""
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf.register_opts([
        cfg.StrOpt("cloud_backend"),
        cfg.StrOpt("deferred_auth_method", default="trusts"),
        cfg.StrOpt("reauthentication_auth_method", default=""),
        cfg.StrOpt("auth_encryption_key", secret=True),
        cfg.StrOpt("heat_metadata_server_url"),
        cfg.StrOpt("heat_waitcondition_server_url"),
        cfg.StrOpt("instance_connection_https_validate_certificates",
                   default="1"),
        cfg.ListOpt("plugin_dirs", default=HEAT_PLUGIN_DIRS),
        cfg.StrOpt("default_deployment_signal_transport",
                   default="CFN_SIGNAL"),
        cfg.StrOpt("default_software_config_transport",
                   default="POLL_SERVER_CFN")])
    conf.register_opts([cfg.StrOpt("url")], group="clients_heat")
    conf.register_opts([cfg.StrOpt("connection", secret=True)],
                       group="database")
    conf.register_opts([cfg.StrOpt("flavor"),
                        cfg.StrOpt("api_paste_config",
                                   default="api-paste.ini")],
                       group="paste_deploy")
    conf.register_opts([cfg.StrOpt("policy_file", default="policy.yaml")],
                       group="oslo_policy")
    args = [arg for f in files for arg in ("--config-file", f)]
    conf(args, project="heat", default_config_files=[],
         default_config_dirs=[])
    return conf


# -- versions and backend -----------------------------------------------------

def _heat_requirement():
    from packaging.requirements import Requirement

    try:
        declared = metadata.requires("heat-deltacloud") or ()
    except metadata.PackageNotFoundError:  # run from a bare checkout
        declared = ()
    for line in declared:
        requirement = Requirement(line)
        if requirement.name == "openstack-heat":
            return requirement
    return Requirement(HEAT_REQUIREMENT)


def check_versions():
    wanted = _heat_requirement()
    spec = f"openstack-heat{wanted.specifier}"
    try:
        heat = metadata.version("openstack-heat")
    except metadata.PackageNotFoundError:
        return fail("versions", f"heat-deltacloud {__version__}; "
                    "openstack-heat is not installed",
                    f"pip install '{spec}'")
    detail = f"heat-deltacloud {__version__}, openstack-heat {heat}"
    if wanted.specifier.contains(heat, prereleases=True):
        return ok("versions", detail)
    return fail("versions", f"{detail}; heat-deltacloud needs {spec}",
                f"install heat-deltacloud next to {spec}")


def check_backend(conf):
    if conf.cloud_backend != OUR_BACKEND:
        return fail("cloud_backend", f"cloud_backend = {conf.cloud_backend}",
                    f"set [DEFAULT] cloud_backend = {OUR_BACKEND}")
    try:
        from heat_deltacloud.heat import backend
        plugins = backend.load_backend(conf.compute_backend)
    except ImportError as exc:
        return fail("cloud_backend", f"cannot import it: {exc}",
                    f"pip install '{HEAT_REQUIREMENT}' in Heat's "
                    "environment")
    except Exception as exc:  # Invalid names the installed backends
        return fail("compute_backend", str(exc),
                    "set [DEFAULT] compute_backend to an installed backend")
    return ok("cloud_backend", f"compute_backend '{conf.compute_backend}' "
              f"provides {', '.join(sorted(plugins))}")


# -- credential passing -------------------------------------------------------

def check_credential_passing(conf):
    """Heat must keep users' Deltacloud passwords, there being no Keystone
    to issue trusts, and keep them encrypted with a key of its own."""
    checks = []
    if conf.deferred_auth_method == "password":
        checks.append(ok("deferred_auth_method", "password"))
    else:
        checks.append(fail(
            "deferred_auth_method",
            f"{conf.deferred_auth_method} needs Keystone trusts",
            "set [DEFAULT] deferred_auth_method = password"))
    if conf.reauthentication_auth_method == "trusts":
        checks.append(fail(
            "reauthentication_auth_method", "trusts needs Keystone",
            "leave [DEFAULT] reauthentication_auth_method unset"))
    key = conf.auth_encryption_key
    fix = ("set [DEFAULT] auth_encryption_key to 32 random characters, "
           "the same for the engines and every heat-api-cfn, before the "
           "first stack (Heat cannot re-encrypt under a new key)")
    if key is None:
        checks.append(warn(
            "auth_encryption_key", "unset: Heat's public default key "
            "encrypts the stored Deltacloud passwords and the stack "
            "users' EC2 secrets", fix))
    elif len(key) not in (16, 24, 32):
        checks.append(fail("auth_encryption_key",
                           f"{len(key)} characters: Heat will not start",
                           fix))
    else:
        checks.append(ok("auth_encryption_key", f"{len(key)} characters "
                         "(heat-api-cfn needs the same key)"))
    return checks


# -- [deltacloud] -------------------------------------------------------------

def check_options(conf):
    """Every ``[deltacloud]`` value parses (oslo.config checks on read)."""
    bad = []
    for opt in opts.DELTACLOUD_OPTS:
        try:
            getattr(conf.deltacloud, opt.dest)
        except (cfg.Error, ValueError) as exc:
            bad.append(invalid_value(exc)[0])
    if bad:
        return fail("[deltacloud] options", "; ".join(bad),
                    "fix the named options (see heat-deltacloud's "
                    "configuration reference)")
    return ok("[deltacloud] options",
              f"{len(opts.DELTACLOUD_OPTS)} options valid")


def check_url(conf):
    if conf.deltacloud.url:
        return ok("[deltacloud] url", conf.deltacloud.url)
    return warn("[deltacloud] url",
                "unset (see [deltacloud] allow_client_url)",
                "set [deltacloud] url so credentials go only there")


def check_client_url(conf):
    """Whether clients may name the Deltacloud (``allow_client_url``)."""
    name = "[deltacloud] allow_client_url"
    allowed = conf.deltacloud.allow_client_url
    if conf.deltacloud.url:
        return ok(name, "true, but ignored: [deltacloud] url is set"
                  if allowed else "false: clients' X-Auth-Url is ignored")
    if allowed:
        return warn(name, "true: each request's X-Auth-Url is used, so a "
                    "client's own Deltacloud can vouch for any user name",
                    "set [deltacloud] url and remove allow_client_url "
                    "unless this Heat is private to one user")
    return fail(name, "false and [deltacloud] url is unset: heat-api, "
                "heat-api-cfn and the engine refuse every request",
                "set [deltacloud] url (allow_client_url = true only on a "
                "private, single-user Heat)")


# -- api-paste.ini ------------------------------------------------------------

class PasteProblem(Exception):
    """A pipeline that cannot be followed; the message says where."""


def _paste_file(conf, paste_file):
    if paste_file:
        return paste_file
    return conf.find_file(conf.paste_deploy.api_paste_config)


def _section(parser, name):
    """The ``[kind:name]`` section paste.deploy would load for ``name``."""
    for kind in ("pipeline", "composite", "app", "filter-app"):
        if parser.has_section(f"{kind}:{name}"):
            return kind, parser[f"{kind}:{name}"]
    return None, None


def _pipeline(parser, name, flavor, depth=0):
    """The filter and app names of pipeline ``name``, as Heat loads it
    (``urlmap`` composites followed at ``/``, Heat's ``pipeline_factory``
    by flavor)."""
    kind, section = _section(parser, name)
    if section is None or depth > 5:
        raise PasteProblem(f"no section for '{name}'")
    if kind == "pipeline":
        return section.get("pipeline", "").split()
    if kind == "composite" and section.get("use") == "egg:Paste#urlmap":
        if "/" not in section:
            raise PasteProblem(f"[composite:{name}] maps nothing at '/'")
        return _pipeline(parser, section["/"].strip(), flavor, depth + 1)
    if kind == "composite" and section.get(
            "paste.composite_factory") == "heat.api:pipeline_factory":
        key = flavor or "default"
        if not section.get(key):
            raise PasteProblem(f"[composite:{name}] has no '{key}' "
                               "pipeline")
        return section[key].split()
    raise PasteProblem(f"[{kind}:{name}] is not a pipeline")


def _filter_is(parser, name, pairs):
    section = f"filter:{name}"
    return parser.has_section(section) and any(
        parser[section].get(key) == value for key, value in pairs)


def _pipeline_problem(parser, names):
    """What keeps pipeline ``names`` from authenticating with Deltacloud."""
    filters = names[:-1]
    for name in filters:
        if not parser.has_section(f"filter:{name}"):
            return f"it names '{name}' but there is no [filter:{name}]"
        factory = parser[f"filter:{name}"].get("paste.filter_factory")
        if factory in KEYSTONE_FILTERS:
            return f"'{name}' checks {KEYSTONE_FILTERS[factory]}"
    ours = [i for i, n in enumerate(filters)
            if _filter_is(parser, n, OUR_FILTER)]
    context = [i for i, n in enumerate(filters)
               if _filter_is(parser, n, {CONTEXT_FILTER})]
    if not ours:
        return "it has no deltacloud_auth filter"
    if not context or context[0] < ours[0]:
        return "Heat's 'context' filter must follow deltacloud_auth"
    return None


#: The api-paste.ini with the ``deltacloud`` pipelines, as installed.
SHIPPED_PASTE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "heat", "api-paste.ini")


def check_paste(conf, paste_file):
    path = _paste_file(conf, paste_file)
    if not path:
        return [fail("api-paste", "no "
                     f"{conf.paste_deploy.api_paste_config} found next to "
                     "the configuration files",
                     "set [paste_deploy] api_paste_config = "
                     f"{SHIPPED_PASTE} (the deltacloud pipelines), or pass "
                     "--paste-config")]
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        if not parser.read(path):
            raise OSError("cannot be read")
    except (OSError, configparser.Error) as exc:
        return [fail("api-paste", f"{path}: {exc}".splitlines()[0],
                     "point at a readable api-paste.ini")]
    flavor = conf.paste_deploy.flavor
    fix = ("use the deltacloud pipelines of the shipped api-paste.ini and "
           "set [paste_deploy] flavor = deltacloud")
    checks = []
    for api in APIS:
        # Heat loads '<api>-<flavor>' when it exists, else '<api>'.
        name = f"{api}-{flavor}" if flavor and _section(
            parser, f"{api}-{flavor}")[1] is not None else api
        try:
            names = _pipeline(parser, name, flavor)
        except PasteProblem as exc:
            checks.append(fail(f"pipeline {api}", f"{path}: {exc}", fix))
            continue
        problem = _pipeline_problem(parser, names)
        where = f"flavor '{flavor or 'default'}'"
        if problem:
            checks.append(fail(f"pipeline {api}", f"{where}: {problem}",
                               fix))
            continue
        checks.append(ok(f"pipeline {api}", f"{where}: {' '.join(names)}"))
        if api == "heat-api-cfn":
            checks.append(_check_ec2_signatures(parser, names))
    return checks


def _check_ec2_signatures(parser, names):
    """heat-api-cfn's deltacloud_auth filter checks EC2 signatures: without
    it every pre-signed URL and cfn-get-metadata call gets 401."""
    name = "ec2_signatures (heat-api-cfn)"
    [ours] = [n for n in names[:-1] if _filter_is(parser, n, OUR_FILTER)][:1]
    value = parser[f"filter:{ours}"].get("ec2_signatures", "false")
    flag = value.strip().lower()
    fix = f"add ec2_signatures = true to [filter:{ours}]"
    if flag == "true":
        return ok(name, f"[filter:{ours}] ec2_signatures = true")
    if flag != "false":
        return fail(name, f"[filter:{ours}] ec2_signatures = {value}: "
                    "heat-api-cfn will not start ('true' or 'false')", fix)
    return fail(name, f"[filter:{ours}] does not check EC2 signatures: "
                "pre-signed wait condition and signal URLs and "
                "cfn-get-metadata get 401", fix)


def check_cfn_policy(conf):
    """heat-api-cfn refuses every call without the cloudformation rules
    of policy.yaml.snippet (Heat 27 checks its defaults with no target)."""
    import yaml

    from heat_deltacloud.heat.apis import CFN_POLICY

    name = "policy (heat-api-cfn)"
    fix = ("add the rules of etc/heat-deltacloud/policy.yaml.snippet to "
           "[oslo_policy] policy_file")
    path = conf.find_file(conf.oslo_policy.policy_file)
    if path is None:
        return warn(name, f"no {conf.oslo_policy.policy_file} found: "
                    "heat-api-cfn answers 403 to every call", fix)
    try:
        with open(path, encoding="utf-8") as handle:
            rules = yaml.safe_load(handle) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return fail(name, f"{path}: {str(exc).splitlines()[0]}", fix)
    if not isinstance(rules, dict):
        return fail(name, f"{path} is not a mapping of rules", fix)
    missing = sorted(rule for rule in CFN_POLICY if rule not in rules)
    if missing:
        return warn(name, f"{path} lacks {len(missing)} cloudformation "
                    f"rules ({missing[0]}, ...): heat-api-cfn refuses "
                    "those calls", fix)
    describe = "cloudformation:DescribeStackResource"
    if "heat_stack_user" not in str(rules[describe]):
        return warn(name, f"{path}: {describe} does not allow "
                    "role:heat_stack_user, so cfn-get-metadata and cfn-hup "
                    "on instances get 403", fix)
    return ok(name, f"{path} has the cloudformation rules")


# -- the signal plane ---------------------------------------------------------

def _is_loopback(host):
    """Whether ``host`` names this machine only (by name or address)."""
    host = (host or "").strip("[]").lower()
    if host in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _parse_url(url):
    """``urlsplit(url)`` or None when it is not an http(s) URL with a host."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts


UNREACHABLE = ("a loopback address, which instances cannot reach (only "
               "the mock's guest mode runs them on this host)")


def check_waitcondition_url(conf):
    """The base of every pre-signed URL Heat hands out."""
    name = "heat_waitcondition_server_url"
    url = conf.heat_waitcondition_server_url
    fix = f"set [DEFAULT] {name} = {WAITCONDITION_EXAMPLE}"
    if not url:
        return warn(name, "unset: wait condition handles, scaling "
                    "policies and software deployments cannot make their "
                    "signed URLs (there is no Keystone catalog to find "
                    "heat-api-cfn in)", fix)
    parts = _parse_url(url)
    if parts is None:
        return fail(name, f"{url!r} is not an http(s) URL with a host", fix)
    path = parts.path
    if "/waitcondition" not in path:
        return fail(name, f"{url}: the path lacks '/waitcondition', which "
                    "Heat replaces by each URL's signal type", fix)
    if not path.endswith("/waitcondition") or parts.query or \
            parts.fragment:
        return fail(name, f"{url}: the path must end in '/waitcondition' "
                    "(Heat appends the resource's ARN to it)", fix)
    if path != path.lower():
        return fail(name, f"{url}: upper-case letters in the path break "
                    "every signature (Heat signs the path as written and "
                    "hands out a lower-cased URL)",
                    f"write the path in lower case: {name} = "
                    f"{parts.scheme}://{parts.netloc}{path.lower()}")
    if path != "/v1/waitcondition":
        return fail(name, f"{url}: heat-api-cfn serves signals at "
                    "/v1/waitcondition and /v1/signal, and a signature "
                    "covers the whole path, so the path must be exactly "
                    "/v1/waitcondition", fix)
    if _is_loopback(parts.hostname):
        return warn(name, f"{url}: {UNREACHABLE}",
                    "name heat-api-cfn by an address the instances reach")
    return ok(name, url)


def check_metadata_url(conf):
    """Where HEAT_CFNTOOLS user data sends cfn-get-metadata and cfn-hup."""
    name = "heat_metadata_server_url"
    url = conf.heat_metadata_server_url
    fix = (f"set [DEFAULT] {name} to heat-api-cfn's URL, "
           "http://CFN-HOST:8000/v1")
    if not url:
        return warn(name, "unset: without a Keystone catalog, "
                    "AWS::EC2::Instance and HEAT_CFNTOOLS servers cannot "
                    "be given their metadata URL", fix)
    parts = _parse_url(url)
    if parts is None:
        return fail(name, f"{url!r} is not an http(s) URL with a host", fix)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if port != CFN_TOOLS_PORT:
        return warn(name, f"{url}: port {port}, but heat-cfntools' "
                    "cfn-get-metadata, cfn-hup and cfn-init always connect "
                    f"to port {CFN_TOOLS_PORT} of {parts.hostname}",
                    f"serve heat-api-cfn on port {CFN_TOOLS_PORT} of "
                    f"{parts.hostname} (or forward that port to it)")
    if _is_loopback(parts.hostname):
        return warn(name, f"{url}: {UNREACHABLE}",
                    "name heat-api-cfn by an address the instances reach")
    return ok(name, url)


def _read_answer(answer):
    """Up to :data:`PROBE_BODY_LIMIT` characters of an answer's body."""
    try:
        body = answer.raw.read(PROBE_BODY_LIMIT, decode_content=True)
    except Exception:  # a broken body is as good as none here
        body = b""
    return body.decode("utf-8", "replace")


def _failure(exc):
    """Why a request failed, in a few words (no URL, no query)."""
    import requests

    if isinstance(exc, requests.Timeout):
        return f"timed out ({type(exc).__name__})"
    found = re.search(r"\[Errno -?\d+\] [^'\")\]]+", str(exc))
    if found:
        return found.group(0).strip()
    if isinstance(exc, requests.exceptions.SSLError):
        return "the TLS handshake failed"
    return type(exc).__name__


def _probe(conf, url):
    """``(status, content type, AWS error code or None, JSON error?)`` of
    an EC2-signed GET of ``url`` with :data:`PROBE_ACCESS_KEY`, or the
    reason it could not be sent."""
    import requests

    validate = conf.instance_connection_https_validate_certificates
    verify = str(validate).strip().lower() not in ("0", "false", "no",
                                                   "off")
    params = {"AWSAccessKeyId": PROBE_ACCESS_KEY, "SignatureVersion": "2",
              "SignatureMethod": "HmacSHA256",
              "Signature": "heat-deltacloud-doctor"}
    with requests.Session() as session:
        session.trust_env = False
        try:
            with session.get(url, params=params, timeout=PROBE_TIMEOUT,
                             verify=verify, allow_redirects=False,
                             stream=True) as answer:
                body = _read_answer(answer)
                kind = answer.headers.get("Content-Type", "")
                status = answer.status_code
        except requests.RequestException as exc:
            return _failure(exc)
    code = re.search(r"<Code>([A-Za-z0-9.]{1,64})</Code>", body) \
        if "<ErrorResponse" in body else None
    return (status, kind.split(";")[0].strip(), code and code.group(1),
            kind.startswith("application/json") and '"error"' in body)


def check_cfn_answers(conf):
    """heat_waitcondition_server_url reaches a heat-api-cfn that checks
    EC2 signatures against Heat's database (bounded, no retries): an
    unsigned or wrongly signed request is answered there, by
    deltacloud_auth_cfn, before any engine work."""
    name = "heat-api-cfn"
    url = conf.heat_waitcondition_server_url.strip()
    fix_url = (f"point [DEFAULT] heat_waitcondition_server_url at "
               f"heat-api-cfn: {WAITCONDITION_EXAMPLE}")
    found = _probe(conf, url)
    if isinstance(found, str):
        return fail(name, f"{url} cannot be reached from here: {found}",
                    f"start heat-api-cfn there, or {fix_url}")
    status, kind, code, json_error = found
    if status == 403 and code == "InvalidClientTokenId":
        return ok(name, f"{url} answers as heat-api-cfn and checks "
                  "signatures against Heat's database (reached from this "
                  "host; instances must reach it too)")
    if status == 401 and code == "MissingAuthenticationToken":
        return fail(name, f"{url} answers as heat-api-cfn but ignores EC2 "
                    "signatures: every signed URL would get 401",
                    "set ec2_signatures = true in the deltacloud_auth_cfn "
                    "filter of heat-api-cfn's api-paste.ini and restart it")
    if status == 503 and code == "ServiceUnavailable":
        return fail(name, f"{url}: heat-api-cfn cannot read the stack "
                    "users' keys from Heat's database",
                    "give heat-api-cfn the engines' [database] connection "
                    "and auth_encryption_key, and restart it")
    if code:
        return fail(name, f"{url} answers as heat-api-cfn, but not through "
                    f"heat-deltacloud's signature check (HTTP {status} "
                    f"{code})", "run heat-api-cfn with [paste_deploy] "
                    "flavor = deltacloud and the shipped deltacloud "
                    "pipeline")
    if json_error:
        return fail(name, f"{url} answers like heat-api (HTTP {status}, "
                    "JSON errors), not heat-api-cfn", fix_url)
    return fail(name, f"{url} does not answer as heat-api-cfn (HTTP "
                f"{status}, {kind or 'no content type'})", fix_url)


def check_heat_api_url(conf):
    """``[clients_heat] url``: OS::Heat::ScalingPolicy's signal_url."""
    name = "[clients_heat] url"
    url = conf.clients_heat.url
    fix = "set [clients_heat] url = http://HEAT-API-HOST:8004/v1/%(tenant_id)s"
    if not url:
        return warn(name, "unset: OS::Heat::ScalingPolicy's signal_url "
                    "cannot be made (there is no Keystone catalog to find "
                    "heat-api in)", fix)
    parts = _parse_url(url.replace("%(tenant_id)s", "tenant"))
    if parts is None:
        return fail(name, f"{url!r} is not an http(s) URL with a host", fix)
    if not url.rstrip().endswith("/%(tenant_id)s"):
        return fail(name, f"{url}: must end in '/%(tenant_id)s' (Heat "
                    "joins the stack's path to it)", fix)
    return ok(name, url)


def plugin_dirs_configured(conf):
    """Whether plugin_dirs names heat-deltacloud's resource plugins."""
    from heat_deltacloud.heat import resources

    wanted = os.path.realpath(resources.PLUGIN_DIR)
    return any(os.path.realpath(d.strip()) == wanted
               for d in conf.plugin_dirs or () if d.strip())


def check_plugin_dirs(conf):
    from heat_deltacloud.heat import resources

    name = "plugin_dirs"
    if plugin_dirs_configured(conf):
        return ok(name, f"includes {resources.PLUGIN_DIR}")
    return warn(name, f"lacks {resources.PLUGIN_DIR}: transports needing "
                "Keystone, Swift or Zaqar fail at create instead of "
                "validation, and OS::Heat::WaitConditionHandle defaults to "
                "TOKEN_SIGNAL, which fails",
                f"add {resources.PLUGIN_DIR} to [DEFAULT] plugin_dirs "
                "(comma-separated) and restart heat-engine")


def _check_transport(conf, option, choices, good):
    value = (getattr(conf, option) or "").strip()
    fix = f"set [DEFAULT] {option} = {good} (or leave it unset)"
    if value not in choices:
        return fail(option, f"{value!r} is not one of Heat's choices "
                    f"({', '.join(choices)}): Heat will not start", fix)
    if value in REFUSED_TRANSPORTS:
        return fail(option, f"{value} needs {REFUSED_TRANSPORTS[value]}, "
                    "which the Deltacloud backend does not provide: every "
                    "resource taking the default is refused", fix)
    return ok(option, value)


def check_transports(conf):
    return [_check_transport(conf, "default_deployment_signal_transport",
                             DEPLOYMENT_SIGNAL_TRANSPORTS, "CFN_SIGNAL"),
            _check_transport(conf, "default_software_config_transport",
                             SOFTWARE_CONFIG_TRANSPORTS, "POLL_SERVER_CFN")]


def _without_password(url):
    """A database URL with its password replaced by ``***``."""
    try:
        from sqlalchemy.engine import make_url
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: show the scheme only
        return url.split(":", 1)[0] + ":..."


def check_database(conf):
    """The stack users' keys live in Heat's database: heat-api-cfn reads
    them there, so it needs the engines' [database] connection."""
    name = "[database] connection"
    fix = ("set [database] connection to the engines' database in the "
           "heat.conf every heat-api-cfn reads")
    url = (conf.database.connection or "").strip()
    if not url:
        return fail(name, "unset: heat-api-cfn cannot check signed URLs "
                    "against the stack users' keys in Heat's database", fix)
    shown = _without_password(url)
    if url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url:
        return fail(name, f"{shown}: an in-memory database, which no "
                    "other process shares", fix)
    return ok(name, f"{shown} (heat-api-cfn must use the same)")


#: The longest Timeout Heat 27 allows a wait condition (both kinds).
LONGEST_WAIT = 43200


def check_signature_ttl(conf):
    """A wait condition handle's URL is signed once, at creation: the
    window must cover the longest wait."""
    name = "[deltacloud] signature_ttl"
    ttl = conf.deltacloud.signature_ttl
    if ttl < LONGEST_WAIT:
        return warn(name, f"{ttl} s: a wait condition may wait up to "
                    f"{LONGEST_WAIT} s, and signals with a wait condition "
                    f"handle's URL older than {ttl} s are refused "
                    "(403 RequestExpired)",
                    f"set [deltacloud] signature_ttl above {LONGEST_WAIT} "
                    "plus the instances' boot time (default 86400)")
    return ok(name, f"{ttl} s (wait conditions wait {LONGEST_WAIT} s at "
              "most)")


def check_signal_plane(conf):
    """Signals without Keystone: URLs, transports, plugins, database."""
    name = "heat_waitcondition_server_url"
    checks = _guarded(name, check_waitcondition_url, conf)
    if checks[0].status != "FAIL" and conf.heat_waitcondition_server_url:
        checks += _guarded("heat-api-cfn", check_cfn_answers, conf)
    for name, check in (("[deltacloud] signature_ttl", check_signature_ttl),
                        ("heat_metadata_server_url", check_metadata_url),
                        ("[clients_heat] url", check_heat_api_url),
                        ("plugin_dirs", check_plugin_dirs),
                        ("transports", check_transports),
                        ("[database] connection", check_database)):
        checks += _guarded(name, check, conf)
    return checks


# -- Deltacloud ---------------------------------------------------------------

def _unreadable_api_fix(exc, url, driver, provider):
    """The fix for an ``/api`` that did not answer: a driver or provider
    the server refuses (Deltacloud answers 500 or 400 naming it), or the
    URL."""
    from heat_deltacloud.deltacloud import exceptions as dc

    if (driver or provider) and not isinstance(
            exc, (dc.ConnectionFailed, dc.Timeout)) and \
            re.search(r"driver|provider", str(exc), re.IGNORECASE):
        return (f"set [deltacloud] driver and provider to ones this server "
                f"has (GET {url.rstrip('/')}/drivers lists them), or leave "
                "them unset for its default")
    return "check [deltacloud] url and that the server runs"


def check_deltacloud(conf, credentials=None):
    """Reach ``/api`` (bounded timeout); check credentials when given."""
    from heat_deltacloud.deltacloud import Client
    from heat_deltacloud.deltacloud import exceptions as dc
    url = conf.deltacloud.url
    if not url:
        return [], None
    dc_conf = conf.deltacloud
    client = Client(
        url, credentials.user if credentials else "",
        credentials.password if credentials else "",
        driver=dc_conf.driver, provider=dc_conf.provider,
        timeout=tuple(min(mine, theirs) for mine, theirs in zip(
            PROBE_TIMEOUT, (dc_conf.connect_timeout, dc_conf.read_timeout))),
        format=dc_conf.format, retries=0,
        verify=dc_conf.ca_file or not dc_conf.insecure,
        cert=(dc_conf.cert_file, dc_conf.key_file)
        if dc_conf.cert_file else None)
    with client:
        try:
            api = client.api
        except dc.DeltacloudError as exc:
            return [fail("Deltacloud", str(exc), _unreadable_api_fix(
                exc, url, dc_conf.driver, dc_conf.provider))
                    ], None
        checks = [ok("Deltacloud", f"driver {api.driver}, API "
                     f"{api.version}")]
        checks.append(check_driver(api))
        if credentials:
            checks.append(_check_credentials(client, credentials.user))
    return checks, api


def check_driver(api):
    """Which driver Heat talks to, what Heat would use that it lacks and
    what it has that Heat does not use (an OK: a driver is chosen, not
    fixed; the capability matrix has the consequences per type)."""
    from heat_deltacloud.heat import capabilities

    lacks, unused = capabilities.driver_differences(api)
    detail = "; ".join(filter(None, (
        "lacks " + ", ".join(f"{name} ({uses})" for name, uses in lacks)
        if lacks else "has everything Heat uses",
        "has, unused by Heat: " + ", ".join(name for name, _ in unused)
        if unused else "")))
    return ok(f"driver {api.driver}", detail)


def _check_credentials(client, user):
    from heat_deltacloud.deltacloud import exceptions as dc
    try:
        if client.validate_credentials():
            return ok("credentials", f"{user} accepted")
        return fail("credentials", f"{user} rejected",
                    "check the user and password")
    except dc.DeltacloudError as exc:
        return fail("credentials", str(exc), "check that Deltacloud works")


# -- all together -------------------------------------------------------------

def find_heat_conf():
    """The heat.conf Heat's services read when given none: oslo.config's
    default files for project ``heat``."""
    return cfg.find_config_files(project="heat", prog="heat-engine")


def check_unknown_options(config_files):
    """``[deltacloud]`` keys no option has (oslo.config ignores them:
    a misspelled ``read_timout`` silently keeps the default)."""
    import difflib

    known = set()
    for opt in opts.DELTACLOUD_OPTS:
        known.add(opt.name)
        known.update(d.name for d in opt.deprecated_opts if d.name)
    unknown = []
    for path in config_files:
        parser = configparser.ConfigParser(
            interpolation=None, strict=False,
            default_section="heat-deltacloud: no default section")
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue  # oslo.config says what is wrong with the file
        if not parser.has_section("deltacloud"):
            continue
        for key in parser["deltacloud"]:
            if key.replace("-", "_") not in known:
                close = difflib.get_close_matches(key, sorted(known), 1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                unknown.append(f"{key} in {path}{hint}")
    name = "[deltacloud] unknown options"
    if unknown:
        return warn(name, "; ".join(unknown) + ": ignored, their defaults "
                    "apply", "correct or remove them (the configuration "
                    "reference lists every [deltacloud] option)")
    return None


def diagnose(config_files, paste_file=None, credentials=None):
    """Run every check: ``(checks, capability matrix or None)``.  Without
    ``config_files``, the heat.conf Heat itself would read."""
    config_files = list(config_files) or find_heat_conf()
    if not config_files:
        return [fail("heat.conf", "none given and none found where Heat "
                     "looks (~/.heat/heat.conf, ~/heat.conf, "
                     "/etc/heat/heat.conf, /etc/heat.conf)",
                     "pass Heat's configuration with --config-file "
                     "/etc/heat/heat.conf")], None
    missing = [path for path in config_files if not os.path.isfile(path)]
    if missing:
        return [fail("heat.conf", f"no such file: {', '.join(missing)}",
                     "give the path of Heat's configuration file with "
                     "--config-file (e.g. /etc/heat/heat.conf)")], None
    try:
        conf = _heat_conf(config_files)
    except (cfg.Error, ValueError) as exc:
        return [fail("heat.conf", str(exc).splitlines()[0],
                     "correct the line named (INI syntax: [section], then "
                     "name = value lines)")], None
    options = check_options(conf)
    unknown = check_unknown_options(config_files)
    if unknown is not None:
        options = [options, unknown]
    else:
        options = [options]
    checks = [check_versions(), *_guarded("cloud_backend", check_backend,
                                          conf),
              *_guarded("credential passing", check_credential_passing,
                        conf),
              *options, *_guarded("[deltacloud] url", check_url, conf),
              *_guarded("[deltacloud] allow_client_url", check_client_url,
                        conf),
              *check_paste(conf, paste_file),
              *_guarded("policy (heat-api-cfn)", check_cfn_policy, conf),
              *_guarded("signal plane", check_signal_plane, conf),
              *_guarded("identity endpoint", check_identity, conf)]
    if options[0].status == "FAIL":  # no client from invalid options
        return checks, None
    reached, api = check_deltacloud(conf, credentials)
    checks.extend(reached)
    if api is None or checks[0].status == "FAIL":  # no Heat to ask
        return checks, None
    from heat_deltacloud.heat import capabilities
    return checks, capabilities.matrix(
        api, conf.deltacloud.ignore_unsupported_user_data,
        plugins=plugin_dirs_configured(conf))


_INVALID_VALUE = re.compile(
    r"Value for option (?P<option>\S+) from .*?detail='(?P<file>[^']*)'.*?"
    r"is not valid: (?P<why>.*)", re.DOTALL)


def invalid_value(exc):
    """``(detail, fix)`` for oslo.config's error about an option's value
    in a configuration file."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    found = _INVALID_VALUE.match(text)
    if not found:
        return text, "fix the value in heat.conf"
    return (f"{found['option']}: {found['why']} (in {found['file']})",
            f"fix the value of {found['option']} in {found['file']} (see "
            "heat-deltacloud's configuration reference and Heat's)")


def check_identity(conf):
    """The identity endpoint's token keys, logins, URL (probed) and token
    lifetimes (:mod:`heat_deltacloud.heat.identity.checks`)."""
    from heat_deltacloud.heat.identity import checks

    return [Check(name, status, detail, fix)
            for status, name, detail, fix in checks.check(conf)]


def _guarded(name, check, conf):
    """``check(conf)`` as a list of checks; an option whose value oslo.config
    refuses on reading is a FAIL naming it, not a traceback."""
    try:
        found = check(conf)
    except (cfg.Error, ValueError) as exc:
        detail, fix = invalid_value(exc)
        return [fail(name, detail, fix)]
    return found if isinstance(found, list) else [found]


def register(subparsers):
    parser = subparsers.add_parser(
        "doctor", help="check a Heat installation for Deltacloud",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("--config-file", action="append", default=[],
                        metavar="FILE", help="heat.conf (repeatable; later "
                        "files override earlier ones)")
    parser.add_argument("--paste-config", metavar="FILE",
                        help="api-paste.ini (default: [paste_deploy] "
                             "api_paste_config, found as Heat finds it)")
    parser.add_argument("--user", help="Deltacloud user whose credentials "
                        "to check (or $DELTACLOUD_USERNAME)")
    parser.add_argument("--password-file", metavar="FILE",
                        help="file whose first line is that user's "
                             "password (or $DELTACLOUD_PASSWORD)")
    parser.add_argument("--format", choices=("text", "json"),
                        default="text",
                        help="json: one JSON document for scripts")
    parser.set_defaults(handler=run)


def _credentials(args):
    """Credentials when any were given, as the launcher reads them."""
    from heat_deltacloud.launch import credentials

    given = (args.user, args.password_file,
             os.environ.get(credentials.ENV_USER),
             os.environ.get(credentials.ENV_PASSWORD))
    if not any(given):
        return None
    return credentials.resolve(args.user, args.password_file)


def run(args):
    checks, matrix = diagnose(args.config_file, args.paste_config,
                              _credentials(args))
    failed = any(c.status == "FAIL" for c in checks)
    if args.format == "json":
        json.dump({"checks": [c.as_dict() for c in checks],
                   "capabilities": [c.as_dict() for c in matrix or ()],
                   "ok": not failed}, sys.stdout, indent=2)
        print()
    else:
        print_text(checks, matrix)
    return 1 if failed else 0


def print_text(checks, matrix):
    for check in checks:
        line = f"{check.status:<4}  {check.name}: {check.detail}"
        print(line + (f"\n      fix: {check.fix}" if check.fix else ""))
    if not matrix:
        return
    print("\ncapabilities of the configured driver "
          "(properties not listed are supported):")
    width = max(len(item.resource_type) for item in matrix)
    for item in matrix:
        print(f"  {item.resource_type:<{width}}  {item.support}")
        for note in item.notes:
            print(f"      {note}")
        for prop in item.limited():
            print(f"      {prop.name}: {prop.support}: {prop.reason}")
