"""``heat-deltacloud doctor``: is this Heat ready for Deltacloud?

Each check answers OK, WARN or FAIL with a one-line fix; then the
capability matrix of the configured driver, per resource type and
property, from its ``/api``.  The exit status is 1 when any check fails.
"""

import configparser
import dataclasses
import json
import os
import sys
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
        cfg.StrOpt("heat_metadata_server_url")])
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
    fix = "set [DEFAULT] auth_encryption_key to 32 random characters"
    if key is None:
        checks.append(warn(
            "auth_encryption_key", "unset: Heat's public default key "
            "encrypts the stored Deltacloud passwords", fix))
    elif len(key) not in (16, 24, 32):
        checks.append(fail("auth_encryption_key",
                           f"{len(key)} characters: Heat will not start",
                           fix))
    else:
        checks.append(ok("auth_encryption_key", f"{len(key)} characters"))
    if conf.heat_metadata_server_url:
        checks.append(ok("heat_metadata_server_url",
                         conf.heat_metadata_server_url))
    else:
        checks.append(warn(
            "heat_metadata_server_url", "unset: without a Keystone "
            "catalog, AWS::EC2::Instance and HEAT_CFNTOOLS servers cannot "
            "be given their metadata URL",
            "set [DEFAULT] heat_metadata_server_url to heat-api-cfn's URL"))
    return checks


# -- [deltacloud] -------------------------------------------------------------

def check_options(conf):
    """Every ``[deltacloud]`` value parses (oslo.config checks on read)."""
    bad = []
    for opt in opts.DELTACLOUD_OPTS:
        try:
            getattr(conf.deltacloud, opt.dest)
        except (cfg.Error, ValueError) as exc:
            bad.append(f"{opt.name}: {exc}")
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
                "unset: each request's X-Auth-Url is used",
                "set [deltacloud] url so credentials go only there")


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


def check_paste(conf, paste_file):
    path = _paste_file(conf, paste_file)
    if not path:
        return [fail("api-paste", "no "
                     f"{conf.paste_deploy.api_paste_config} found next to "
                     "the configuration files",
                     "pass --paste-config or set [paste_deploy] "
                     "api_paste_config")]
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
        else:
            checks.append(ok(f"pipeline {api}",
                             f"{where}: {' '.join(names)}"))
    return checks


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
    return ok(name, f"{path} has the cloudformation rules")


# -- Deltacloud ---------------------------------------------------------------

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
            return [fail("Deltacloud", str(exc),
                         "check [deltacloud] url and that the server runs")
                    ], None
        checks = [ok("Deltacloud", f"driver {api.driver}, API "
                     f"{api.version}")]
        if credentials:
            checks.append(_check_credentials(client, credentials.user))
    return checks, api


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

def diagnose(config_files, paste_file=None, credentials=None):
    """Run every check: ``(checks, capability matrix or None)``."""
    try:
        conf = _heat_conf(config_files)
    except (cfg.Error, ValueError) as exc:
        return [fail("heat.conf", str(exc).splitlines()[0],
                     "fix the configuration file")], None
    options = check_options(conf)
    checks = [check_versions(), check_backend(conf),
              *check_credential_passing(conf), options, check_url(conf),
              *check_paste(conf, paste_file), check_cfn_policy(conf)]
    if options.status == "FAIL":  # no client from invalid options
        return checks, None
    reached, api = check_deltacloud(conf, credentials)
    checks.extend(reached)
    if api is None or checks[0].status == "FAIL":  # no Heat to ask
        return checks, None
    from heat_deltacloud.heat import capabilities
    return checks, capabilities.matrix(
        api, conf.deltacloud.ignore_unsupported_user_data)


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
                        default="text")
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
    for item in matrix:
        print(f"  {item.resource_type:<32} {item.support}")
        for note in item.notes:
            print(f"      {note}")
        for prop in item.limited():
            print(f"      {prop.name}: {prop.support}: {prop.reason}")
