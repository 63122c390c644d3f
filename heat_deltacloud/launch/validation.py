"""``heat-deltacloud validate``: would this deployable or template launch?

Offline and in seconds: Heat 27's own template validation (the engine's
``validate_template``, run in this process with nothing of the stack
created), then each resource's type and properties against the capability
matrix (:mod:`heat_deltacloud.heat.capabilities`) of a Deltacloud driver:
the one at ``--deltacloud-url``, or else an embedded mock (``--driver``
picks which driver it emulates), as ``launch`` would use.  Only ``/api``
is read from a given Deltacloud; nothing is created anywhere.
"""

import dataclasses
import json
import os
import pathlib
import sys

from heat_deltacloud.errors import HeatDeltacloudError
from heat_deltacloud.heat import statedirs
from heat_deltacloud.launch import credentials, source

ERROR, WARNING, NOTE = "error", "warning", "note"
#: Capability support -> finding level (supported says nothing).
LEVELS = {"rejected": ERROR, "unsupported": ERROR, "ignored": WARNING,
          "partial": NOTE}


@dataclasses.dataclass(frozen=True)
class Finding:
    level: str
    resource: str | None
    text: str

    def line(self):
        where = f"{self.resource}: " if self.resource else ""
        return f"{self.level}: {where}{self.text}"


def register(subparsers):
    from heat_deltacloud.launch.cli import ENV_DELTACLOUD_URL, http_url

    parser = subparsers.add_parser(
        "validate", help="check a deployable or template with Heat's "
                         "validation and a Deltacloud driver's "
                         "capabilities, offline",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("file", metavar="FILE",
                        help="an Aeolus Deployable (XML) or a CFN/HOT "
                             "template (JSON or YAML)")
    parser.add_argument("--mapping", metavar="FILE",
                        help="a deployable's hardware profile and image "
                             "mapping (JSON)")
    parser.add_argument("--no-wait-conditions", dest="wait_conditions",
                        action="store_false",
                        help="translate a deployable without wait "
                             "conditions, as launch --no-wait-conditions")
    parser.add_argument("--param", action="append", default=[],
                        metavar="KEY=VALUE", help="a template parameter")
    parser.add_argument("--deltacloud-url", metavar="URL", type=http_url,
                        default=os.environ.get(ENV_DELTACLOUD_URL),
                        help="judge against this Deltacloud's driver (or "
                             f"${ENV_DELTACLOUD_URL}; only /api is read); "
                             "default: an embedded mock")
    parser.add_argument("--user", help="Deltacloud user, if its /api "
                        f"needs one (or ${credentials.ENV_USER})")
    parser.add_argument("--password-file", metavar="FILE",
                        help="file whose first line is the password (or "
                             f"${credentials.ENV_PASSWORD})")
    parser.add_argument("--driver", choices=("mock", "ec2"),
                        default="mock",
                        help="the driver the embedded mock emulates "
                             "(default mock; with user data, as launch's)")
    parser.add_argument("--ignore-unsupported-user-data",
                        action="store_true",
                        help="judge as with heat.conf's [deltacloud] "
                             "ignore_unsupported_user_data")
    parser.add_argument("--notes", action="store_true",
                        help="also show what is only partly honoured "
                             "(mostly changes on update)")
    parser.add_argument("-f", "--format", choices=("text", "json"),
                        default="text",
                        help="json: one JSON document on stdout")
    parser.set_defaults(handler=run)


def resources_of(template):
    """``{name: (type, {property: value}, deletion policy)}`` of a CFN or
    HOT template."""
    section = template.get("Resources") or template.get("resources") or {}
    found = {}
    for name, body in section.items():
        if not isinstance(body, dict):
            continue
        kind = body.get("Type") or body.get("type")
        props = body.get("Properties") or body.get("properties") or {}
        policy = body.get("DeletionPolicy") or body.get("deletion_policy")
        found[name] = (kind, props if isinstance(props, dict) else {},
                       policy)
    return found


def capability_findings(template, api, heat_types, *,
                        ignore_unsupported_user_data=False):
    """What the driver's capability matrix says of each resource's type,
    of each property it gives and of ``deletion_policy: Snapshot``:
    errors for what would fail, warnings for what is ignored, notes for
    what is partly honoured (mostly on update)."""
    from heat_deltacloud.heat import capabilities as caps

    findings = []
    for name, (kind, props, policy) in sorted(
            resources_of(template).items()):
        if kind not in caps.RESOURCE_TYPES or kind not in heat_types:
            continue  # Heat's own validation judges the others
        found = caps.capability(kind, api, heat_types[kind],
                                ignore_unsupported_user_data)
        where = f"{name} ({kind})"
        missing = (caps.snapshot_policy_refusal(kind, api)
                   if policy == "Snapshot" else None)
        if missing:
            findings.append(Finding(
                ERROR, where, f"deletion policy Snapshot needs {missing}; "
                              "set it to Delete or Retain"))
        if found.support == caps.UNSUPPORTED:
            findings.append(Finding(ERROR, where, "; ".join(found.notes)))
            continue
        by_name = {p.name: p for p in found.properties}
        for prop in props:
            judged = by_name.get(prop)
            if judged is None or judged.support == caps.SUPPORTED:
                continue
            level = LEVELS[judged.support]
            findings.append(Finding(
                level, where,
                f"property {prop} {judged.support}: {judged.reason}"))
    return findings


#: Names a template may Ref or get_param without declaring them.
PSEUDO_PARAMETERS = frozenset((
    "AWS::StackName", "AWS::StackId", "AWS::Region", "AWS::AccountId",
    "AWS::NoValue", "AWS::NotificationARNs", "OS::stack_name",
    "OS::stack_id", "OS::project_id"))


def parameter_findings(template, parameters, *, deployable=False):
    """What Heat's validate_template lets pass and CreateStack refuses: a
    parameter with neither a default nor a ``--param`` value, a
    ``get_param`` or ``Ref`` of a name the template does not declare.
    ``deployable``: the template is a translation, whose images and
    hardware profiles a mapping file gives."""
    declared = template.get("Parameters") or template.get("parameters")
    declared = declared if isinstance(declared, dict) else {}
    findings = []
    for name, body in sorted(declared.items()):
        body = body if isinstance(body, dict) else {}
        if name not in parameters and "Default" not in body and \
                "default" not in body:
            about = body.get("Description") or body.get("description")
            about = f" ({about})" if about else ""
            mapped = deployable and name.startswith(("Image", "Flavor"))
            findings.append(Finding(
                ERROR, None, f"parameter {name}{about} has no default and "
                             f"no value: give --param {name}=VALUE" +
                             (" or map it in --mapping FILE" if mapped
                              else "")))
    known = set(declared) | set(resources_of(template)) | PSEUDO_PARAMETERS
    for where, name in sorted(_references(template)):
        if name not in known:
            findings.append(Finding(
                ERROR, where, f"refers to {name}, which is neither a "
                              "parameter nor a resource of the template: "
                              "declare it or fix the name"))
    return findings


def _references(template):
    """``{(resource, name)}`` of every ``Ref`` and ``get_param`` (its
    first argument) in the resources' bodies and the outputs."""
    found = set()

    def walk(node, where):
        if isinstance(node, dict):
            if len(node) == 1:
                [(key, value)] = node.items()
                if key == "get_param" and isinstance(value, list) and value:
                    value = value[0]
                if key in ("Ref", "get_param") and isinstance(value, str):
                    found.add((where, value))
            for value in node.values():
                walk(value, where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    for section in ("Resources", "resources", "Outputs", "outputs"):
        bodies = template.get(section)
        if isinstance(bodies, dict):
            for name, body in bodies.items():
                walk(body, name)
    return found


def heat_findings(heat, template, parameters, context):
    """Heat's own ``validate_template``: its refusal, explained."""
    from heat_deltacloud.launch.cli import explain_text

    try:
        result = heat.engine_client.validate_template(
            context, template, {"parameters": parameters})
    except Exception as exc:  # noqa: BLE001 - Heat's refusals, raised
        return [Finding(ERROR, None, explain_text(str(exc)))]
    if isinstance(result, dict) and result.get("Error"):
        return [Finding(ERROR, None, explain_text(result["Error"]))]
    return []


@dataclasses.dataclass
class Judge:
    """The Deltacloud judged against: its ``/api``, where it is, whose
    credentials Heat's validation uses to read it, and what stops it."""

    api: object
    url: str
    user: str
    password: str
    where: str
    stop: object


def _judge(args):
    """The :class:`Judge`: the Deltacloud at ``--deltacloud-url``, or an
    embedded mock."""
    from heat_deltacloud.deltacloud import Client
    from heat_deltacloud.deltacloud import exceptions as dc

    if args.deltacloud_url:
        user = args.user or os.environ.get(credentials.ENV_USER) or ""
        password = ""
        if args.password_file or os.environ.get(credentials.ENV_PASSWORD):
            password = credentials.resolve(user, args.password_file) \
                .password
        try:
            with Client(args.deltacloud_url, user, password) as client:
                api = client.api
        except dc.DeltacloudError as exc:
            raise HeatDeltacloudError(
                f"cannot read the /api of Deltacloud at "
                f"{args.deltacloud_url} ({exc}): check --deltacloud-url (or "
                "$DELTACLOUD_URL) and that the server runs") from None
        return Judge(api, args.deltacloud_url, user or "validate",
                     password or "unused",
                     f"Deltacloud at {args.deltacloud_url}", lambda: None)
    from heat_deltacloud.launch.local import MOCK_CREDENTIALS
    from heat_deltacloud.mock.server import MockServer

    mock = MockServer(fix_user_data_feature=True,
                      driver=args.driver).start()
    user, password = MOCK_CREDENTIALS.user, MOCK_CREDENTIALS.password
    try:
        with Client(mock.url, user, password) as client:
            api = client.api
    except BaseException:
        mock.stop()
        raise
    return Judge(api, mock.url, user, password, "the embedded mock",
                 mock.stop)


def run(args):
    from heat_deltacloud.launch.cli import _stop_embedded

    json_mode = args.format == "json"
    parameters = source.parse_parameters(args.param)
    name, template = source.load(args.file, args.mapping,
                                  wait_conditions=args.wait_conditions)
    judge = _judge(args)
    api = judge.api
    # Marked as this process's: a later start removes it if a SIGKILL
    # leaves it behind (heat_deltacloud.heat.statedirs).
    state_dir = str(statedirs.make())
    try:
        from heat_deltacloud.heat import capabilities, embedded

        heat = embedded.start(state_dir=state_dir)
        context = heat.context(judge.user, judge.password, judge.url)
        findings = heat_findings(heat, template, parameters, context)
        if not findings:  # Heat's refusal, when it has one, comes first
            findings = parameter_findings(
                template, parameters,
                deployable=source.is_deployable(pathlib.Path(args.file)))
        findings += capability_findings(
            template, api, capabilities.heat_resource_types(),
            ignore_unsupported_user_data=args.ignore_unsupported_user_data)
    finally:
        judge.stop()
        if not _stop_embedded(state_dir):
            args.exit_at_once = True
    errors = [f for f in findings if f.level == ERROR]
    driver = f"driver {api.driver} ({judge.where})"
    if json_mode:
        print(json.dumps({
            "file": str(args.file), "stack": name, "driver": api.driver,
            "valid": not errors,
            "findings": [dataclasses.asdict(f) for f in findings]},
            indent=2, sort_keys=True))
    else:
        for finding in findings:
            if finding.level != NOTE or args.notes:
                print(finding.line())
        count = len(resources_of(template))
        if errors:
            print(f"{args.file}: {len(errors)} error(s) on {driver}")
        else:
            print(f"{args.file}: valid for Heat 27 and {driver}, "
                  f"{count} resource(s)")
    sys.stdout.flush()
    return 1 if errors else 0
