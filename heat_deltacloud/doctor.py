"""``heat-deltacloud doctor``: is this Heat ready for Deltacloud?

Each check answers OK, WARN or FAIL with a one-line fix; then the
capability matrix of the configured driver, from its ``/api``.  The exit
status is 1 when any check fails.
"""

import configparser
import dataclasses
import json
import sys
from importlib import metadata

from oslo_config import cfg

from heat_deltacloud import __version__
from heat_deltacloud.heat import opts

OUR_BACKEND = "heat_deltacloud.heat.backend.DeltacloudClients"
OUR_FILTER = "heat_deltacloud.heat.auth:filter_factory"
SUPPORTED_HEAT = "27."


@dataclasses.dataclass(frozen=True)
class Check:
    name: str
    status: str          # OK | WARN | FAIL
    detail: str
    fix: str = ""

    def as_dict(self):
        return dataclasses.asdict(self)


def _heat_conf(files):
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf.register_opts([cfg.StrOpt("cloud_backend"),
                        cfg.StrOpt("deferred_auth_method",
                                   default="trusts")])
    conf.register_opts([cfg.StrOpt("flavor"),
                        cfg.StrOpt("api_paste_config")],
                       group="paste_deploy")
    args = [arg for f in files for arg in ("--config-file", f)]
    conf(args, project="heat", default_config_files=[],
         default_config_dirs=[])
    return conf


def check_versions():
    try:
        heat = metadata.version("openstack-heat")
    except metadata.PackageNotFoundError:
        return Check("versions", "FAIL", f"heat-deltacloud {__version__}; "
                     "openstack-heat is not installed",
                     "pip install 'openstack-heat>=27.0.1,<28'")
    status = "OK" if heat.startswith(SUPPORTED_HEAT) else "WARN"
    return Check("versions", status,
                 f"heat-deltacloud {__version__}, openstack-heat {heat}",
                 "" if status == "OK" else
                 "heat-deltacloud is tested with openstack-heat 27.x")


def check_backend(conf):
    if conf.cloud_backend != OUR_BACKEND:
        return Check("cloud_backend", "FAIL",
                     f"cloud_backend = {conf.cloud_backend}",
                     f"set [DEFAULT] cloud_backend = {OUR_BACKEND}")
    from heat_deltacloud.heat import backend
    try:
        plugins = backend.load_backend(conf.compute_backend)
    except Exception as exc:  # Invalid names the installed backends
        return Check("compute_backend", "FAIL", str(exc),
                     "set [DEFAULT] compute_backend to an installed "
                     "backend")
    return Check("cloud_backend", "OK",
                 f"compute_backend '{conf.compute_backend}' provides "
                 f"{', '.join(sorted(plugins))}")


def check_auth_method(conf):
    if conf.deferred_auth_method == "password":
        return Check("deferred_auth_method", "OK", "password")
    return Check("deferred_auth_method", "FAIL",
                 f"{conf.deferred_auth_method} needs Keystone trusts",
                 "set [DEFAULT] deferred_auth_method = password")


def check_options(conf):
    """Every ``[deltacloud]`` value parses (oslo.config checks on read)."""
    bad = []
    for opt in opts.DELTACLOUD_OPTS:
        try:
            getattr(conf.deltacloud, opt.dest)
        except (cfg.Error, ValueError) as exc:
            bad.append(f"{opt.name}: {exc}")
    if bad:
        return Check("[deltacloud] options", "FAIL", "; ".join(bad),
                     "fix the named options (see heat-deltacloud's "
                     "configuration reference)")
    return Check("[deltacloud] options", "OK",
                 f"{len(opts.DELTACLOUD_OPTS)} options valid")


def check_url(conf):
    if conf.deltacloud.url:
        return Check("[deltacloud] url", "OK", conf.deltacloud.url)
    return Check("[deltacloud] url", "WARN",
                 "unset: each request's X-Auth-Url is used",
                 "set [deltacloud] url so credentials go only there")


def check_paste(conf, paste_file):
    paste_file = paste_file or conf.paste_deploy.api_paste_config
    if not paste_file:
        return [Check("api-paste", "FAIL", "no paste file given",
                      "pass --paste-config or set [paste_deploy] "
                      "api_paste_config")]
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        if not parser.read(paste_file):
            raise OSError("cannot be read")
    except (OSError, configparser.Error) as exc:
        return [Check("api-paste", "FAIL", f"{paste_file}: {exc}",
                      "point at a readable api-paste.ini")]
    ours = {section.split(":", 1)[1] for section in parser.sections()
            if section.startswith("filter:") and
            parser[section].get("paste.filter_factory") == OUR_FILTER}
    flavor = conf.paste_deploy.flavor or "default"
    checks = []
    for composite in ("api", "api-cfn"):
        section = f"composite:{composite}"
        pipeline = parser[section].get(flavor, "") \
            if parser.has_section(section) else ""
        if not pipeline:
            checks.append(Check(
                f"pipeline {composite}", "FAIL",
                f"[{section}] has no '{flavor}' pipeline",
                "add the deltacloud pipeline from the shipped "
                "api-paste.ini and set [paste_deploy] flavor = deltacloud"))
        elif not ours & set(pipeline.split()):
            checks.append(Check(
                f"pipeline {composite}", "FAIL",
                f"'{flavor}' pipeline has no deltacloud_auth filter",
                "use the deltacloud pipeline of the shipped api-paste.ini"))
        else:
            checks.append(Check(f"pipeline {composite}", "OK",
                                f"'{flavor}': {pipeline}"))
    return checks


def check_deltacloud(conf, user=None, password=None):
    """Reach ``/api`` (bounded timeout); check credentials when given."""
    from heat_deltacloud.deltacloud import Client
    from heat_deltacloud.deltacloud import exceptions as dc
    url = conf.deltacloud.url
    if not url:
        return [], None
    client = Client(url, user or "", password or "",
                    driver=conf.deltacloud.driver,
                    provider=conf.deltacloud.provider, timeout=(3, 10),
                    retries=0)
    try:
        api = client.api
    except dc.DeltacloudError as exc:
        return [Check("Deltacloud", "FAIL", str(exc),
                      "check [deltacloud] url and that the server runs")
                ], None
    checks = [Check("Deltacloud", "OK",
                    f"driver {api.driver}, API {api.version}")]
    if user:
        try:
            good = client.validate_credentials()
        except dc.DeltacloudError as exc:
            good, detail = None, str(exc)
        if good:
            checks.append(Check("credentials", "OK", f"{user} accepted"))
        else:
            checks.append(Check(
                "credentials", "FAIL",
                f"{user} rejected" if good is False else detail,
                "check the user and password"))
    return checks, api


def diagnose(config_files, paste_file=None, user=None, password=None):
    """Run every check: ``(checks, capability matrix or None)``."""
    try:
        conf = _heat_conf(config_files)
    except (cfg.Error, ValueError) as exc:
        return [Check("heat.conf", "FAIL", str(exc),
                      "fix the configuration file")], None
    options = check_options(conf)
    checks = [check_versions(), check_backend(conf),
              check_auth_method(conf), options, check_url(conf),
              *check_paste(conf, paste_file)]
    if options.status == "FAIL":  # no client from invalid options
        return checks, None
    reached, api = check_deltacloud(conf, user, password)
    checks.extend(reached)
    if api is None:
        return checks, None
    from heat_deltacloud.heat import capabilities
    return checks, capabilities.matrix(api)


def register(subparsers):
    parser = subparsers.add_parser(
        "doctor", help="check a Heat installation for Deltacloud",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("--config-file", action="append", default=[],
                        metavar="FILE", help="heat.conf (repeatable)")
    parser.add_argument("--paste-config", metavar="FILE",
                        help="api-paste.ini (default: [paste_deploy] "
                             "api_paste_config)")
    parser.add_argument("--user", help="Deltacloud user to check")
    parser.add_argument("--password-file", metavar="FILE",
                        help="file whose first line is that user's "
                             "password")
    parser.add_argument("--format", choices=("text", "json"),
                        default="text")
    parser.set_defaults(handler=run)


def run(args):
    from heat_deltacloud.launch.credentials import read_password_file

    password = read_password_file(args.password_file) \
        if args.password_file else None
    checks, capability = diagnose(args.config_file, args.paste_config,
                                  args.user, password)
    failed = any(c.status == "FAIL" for c in checks)
    if args.format == "json":
        json.dump({"checks": [c.as_dict() for c in checks],
                   "capabilities": [c.as_dict() for c in capability or ()],
                   "ok": not failed}, sys.stdout, indent=2)
        print()
        return 1 if failed else 0
    for check in checks:
        line = f"{check.status:<4}  {check.name}: {check.detail}"
        print(line + (f"\n      fix: {check.fix}" if check.fix else ""))
    if capability:
        print("\ncapabilities of the configured driver:")
        for item in capability:
            print(f"  {item.resource_type:<32} {item.support}")
            for note in item.notes:
                print(f"  {'':<32}   - {note}")
    return 1 if failed else 0
