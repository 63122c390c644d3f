"""``heat-deltacloud translate``: Deployable XML -> CFN template (JSON)."""

import sys

from heat_deltacloud.deployable import (DeployableError, Mapping, load,
                                        to_json, translate)
from heat_deltacloud.errors import HeatDeltacloudError


def _pair(text, option):
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        from heat_deltacloud.cli import UsageError

        raise UsageError(f"{option} {text!r}: expected NAME=VALUE")
    return key, value


def register(subparsers):
    parser = subparsers.add_parser(
        "translate", help="translate an Aeolus deployable into a CFN "
                          "template for Heat")
    parser.add_argument("deployable", metavar="DEPLOYABLE.xml",
                        help="an Aeolus Deployable (XML)")
    parser.add_argument("--mapping", metavar="FILE",
                        help="JSON file with hardware_profiles and images "
                             "tables")
    parser.add_argument("--hwp", action="append", default=[],
                        metavar="NAME=FLAVOR",
                        help="map a hardware profile name to a flavor")
    parser.add_argument("--image", action="append", default=[],
                        metavar="ID=IMAGE",
                        help="map an image id (or build) to an image")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="write the template here (default: stdout)")
    parser.add_argument("--validate-only", action="store_true",
                        help="check the deployable, write nothing")
    parser.add_argument("--no-wait-conditions", dest="wait_conditions",
                        action="store_false",
                        help="no WaitCondition per assembly (for "
                             "instances that cannot reach heat-api-cfn's "
                             "/v1/waitcondition); custom facts of other "
                             "assemblies are then refused")
    parser.set_defaults(handler=run)


def _mapping(args):
    mapping = Mapping.from_file(args.mapping) if args.mapping else Mapping()
    return mapping.updated(
        hardware_profiles=[_pair(h, "--hwp") for h in args.hwp],
        images=[_pair(i, "--image") for i in args.image])


def run(args):
    import os

    if not os.path.isfile(args.deployable):
        from heat_deltacloud.cli import UsageError

        raise UsageError(f"{args.deployable}: no such file")
    if args.mapping and not os.path.isfile(args.mapping):
        from heat_deltacloud.cli import UsageError

        raise UsageError(f"--mapping {args.mapping}: no such file")
    mapping = _mapping(args)
    try:
        template = translate(load(args.deployable), mapping,
                             wait_conditions=args.wait_conditions)
    except DeployableError as exc:
        for problem in exc.problems:
            print(problem.format(args.deployable), file=sys.stderr)
        return 1
    if args.validate_only:
        return 0
    text = to_json(template)
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        raise HeatDeltacloudError(
            f"cannot write {args.output}: {exc.strerror}") from None
    return 0
